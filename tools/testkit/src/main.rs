//! `rs-pppoe-testkit`: the hostile access concentrator, a forged PADT and
//! the flood generator, for the guest scenarios (`tests/guest/scenarios/`).

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rs_pppoe::wire::{Code, MacAddr, TagType};
use rs_pppoe_testkit::ac::{self, Case, Script};
use rs_pppoe_testkit::flood::{self, Mix};
use rs_pppoe_testkit::frames::{discovery, tag, tagged};
use rs_pppoe_testkit::sys::{RawSocket, stop_on_signals, stop_requested};

const USAGE: &str = "\
usage: rs-pppoe-testkit ac IFNAME --case NAME[,NAME...] [--ac-name NAME] [--answers N] [--seconds S]
       rs-pppoe-testkit padt IFNAME --from MAC --to MAC --session N [--vlan VID]
       rs-pppoe-testkit flood IFNAME --target MAC [--seconds S] [--rate N] [--mix all|foreign|to-target]
                                               [--senders N]
       rs-pppoe-testkit cases

ac      a hostile access concentrator on IFNAME; prints `ready`, then a line
        per answer and per PADR/PADT the client sends, and at SIGTERM (or
        after S seconds) the wire monitor's verdict. Exit 3 when the monitor
        saw tags of one AC's offer in the client's PADR/PADT to another.
padt    sends one PADT (e.g. from a foreign MAC during a session)
flood   sends discovery frames of every kind as fast as it can (or N/s) for
        S seconds (default 5), from N threads (default 1); prints the rate
        reached
cases   lists the AC's cases";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ac") => run_ac(&args[1..]),
        Some("padt") => run_padt(&args[1..]),
        Some("flood") => run_flood(&args[1..]),
        Some("cases") => {
            for case in Case::ALL {
                println!("{}", case.name());
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.to_owned()),
    };
    result.unwrap_or_else(|message| {
        eprintln!("rs-pppoe-testkit: {message}");
        ExitCode::from(2)
    })
}

/// The interface (first word) and `--flag value` pairs.
struct Args<'a> {
    ifname: &'a str,
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Args<'a> {
    fn parse(args: &'a [String]) -> Result<Args<'a>, String> {
        let (ifname, rest) = args.split_first().ok_or(USAGE)?;
        if rest.len() % 2 != 0 {
            return Err(format!("every option takes a value\n{USAGE}"));
        }
        let pairs = rest
            .chunks(2)
            .map(|pair| (pair[0].as_str(), pair[1].as_str()))
            .collect();
        Ok(Args { ifname, pairs })
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        self.get(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| format!("{name} {v}: not a number"))
        })
    }

    fn mac(&self, name: &str) -> Result<MacAddr, String> {
        let text = self.get(name).ok_or(format!("{name} is required"))?;
        text.parse()
            .map_err(|_| format!("{name} {text}: not a MAC address"))
    }
}

fn open(ifname: &str, tap: bool) -> Result<RawSocket, String> {
    let socket = if tap {
        RawSocket::tap(ifname)
    } else {
        RawSocket::sender(ifname)
    };
    socket.map_err(|e| format!("{ifname}: {e}"))
}

fn run_ac(args: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(args)?;
    let cases = args
        .get("--case")
        .ok_or("--case is required")?
        .split(',')
        .map(|name| Case::from_name(name).ok_or(format!("no case {name} (see `cases`)")))
        .collect::<Result<Vec<Case>, String>>()?;
    let script = Script {
        cases,
        ac_name: args
            .get("--ac-name")
            .unwrap_or("rsg-test-ac")
            .as_bytes()
            .to_vec(),
        answers: args.number("--answers", u32::MAX)?,
    };
    let seconds: f64 = args.number("--seconds", 600.0)?;
    let socket = open(args.ifname, true)?;
    stop_on_signals();
    println!("ready");
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let stop = move || stop_requested() || Instant::now() >= end;
    let mut say = |line: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    let monitor = ac::serve(&socket, &script, &stop, &mut say).map_err(|e| e.to_string())?;
    Ok(if monitor.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

fn run_padt(args: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(args)?;
    let (from, to) = (args.mac("--from")?, args.mac("--to")?);
    let session: u16 = args.number("--session", 0)?;
    let mut frame = discovery(
        Code::Padt,
        from,
        to,
        session,
        &[tag(TagType::GenericError, b"forged")],
    );
    if let Some(vid) = args.get("--vlan") {
        let vid = vid
            .parse()
            .map_err(|_| format!("--vlan {vid}: not a VLAN id"))?;
        frame = tagged(&frame, vid);
    }
    open(args.ifname, false)?
        .send(&frame)
        .map_err(|e| format!("send: {e}"))?;
    println!("sent PADT for session {session} from {from} to {to}");
    Ok(ExitCode::SUCCESS)
}

fn run_flood(args: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(args)?;
    let target = args.mac("--target")?;
    let seconds: f64 = args.number("--seconds", 5.0)?;
    let rate = args
        .get("--rate")
        .map(|r| {
            r.parse::<u64>()
                .map_err(|_| format!("--rate {r}: not a number"))
        })
        .transpose()?;
    let mix_name = args.get("--mix").unwrap_or("all");
    let mix = Mix::from_name(mix_name).ok_or(format!("no mix {mix_name}"))?;
    // One sender is bound by one CPU's system calls; under emulation two
    // get more frames onto the segment.
    let senders: u64 = args.number("--senders", 1)?;
    if senders == 0 {
        return Err("--senders 0: at least one sender".to_owned());
    }
    let (frames, addressed) = flood::frames(target, mix);
    let sockets = (0..senders)
        .map(|_| open(args.ifname, false))
        .collect::<Result<Vec<RawSocket>, String>>()?;
    stop_on_signals();
    println!("flooding {} for {seconds} s", args.ifname);
    let reports = std::thread::scope(|scope| {
        let running: Vec<_> = sockets
            .iter()
            .map(|socket| {
                let frames = &frames;
                scope.spawn(move || {
                    flood::run(
                        socket,
                        frames,
                        Duration::from_secs_f64(seconds),
                        rate.map(|r| r.div_ceil(senders)),
                        stop_requested,
                    )
                })
            })
            .collect();
        running
            .into_iter()
            .map(|sender| sender.join().expect("a sender panicked"))
            .collect::<std::io::Result<Vec<flood::Report>>>()
    })
    .map_err(|e| format!("send: {e}"))?;
    let report = flood::Report::total(&reports);
    println!(
        "flood: sent {} frames in {:.2} s: {:.0} frames/s ({addressed} of every {} addressed to {target}; {senders} sender(s))",
        report.sent,
        report.elapsed.as_secs_f64(),
        report.rate(),
        frames.len()
    );
    Ok(ExitCode::SUCCESS)
}
