//! `rs-pppoe-discovery` against a hostile access concentrator (root only;
//! skipped with a notice otherwise).
//!
//! The hostile AC (`tools/testkit`, `rs_pppoe_testkit::ac`) runs in a
//! thread that entered the lab's AC namespace; a wire monitor in the same
//! thread sees every discovery frame on the AC's side of the link and
//! checks that nothing of a refused or foreign offer reaches the client's
//! PADR or PADT. Where a good AC must win next to the hostile one, it is
//! Debian's `pppoe-server`, started only after the hostile answers to the
//! first PADI are out, so the refusals are certain to be exercised.
//!
//! The table of what the CLI and the plugin do per case is in
//! `tests/bench/README.md`; the plugin's side runs in the guest
//! (`tests/guest/scenarios/proof.sh`).

#[path = "netns_discovery/lab.rs"]
mod lab;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lab::{AC_IF, AC_MAC, CL_IF, Lab, finish};
use rs_pppoe::wire::{DiscoveryFrame, MAX_PPPOE_PAYLOAD, TagType};
use rs_pppoe_testkit::ac::{
    self, Case, EVIL_COOKIE, EVIL_RELAY, HOSTILE, OTHER, SECOND_COOKIE, SECOND_RELAY, SESSION_ID,
    Script,
};
use rs_pppoe_testkit::flood::{self, Mix};
use rs_pppoe_testkit::monitor::Monitor;
use rs_pppoe_testkit::sys::{RawSocket, enter_netns};

const AC_NAME: &str = "rsp-test-ac";

/// The hostile AC, running in its own thread in the lab's AC namespace.
struct Hostile {
    stop: Arc<AtomicBool>,
    lines: Receiver<String>,
    said: Vec<String>,
    thread: Option<JoinHandle<Monitor>>,
}

fn hostile(lab: &Lab, cases: &[Case], answers: u32) -> Hostile {
    let script = Script {
        cases: cases.to_vec(),
        ac_name: AC_NAME.as_bytes().to_vec(),
        answers,
    };
    let namespace = lab.ac_ns.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, lines) = mpsc::channel();
    let (ready_tx, ready) = mpsc::channel();
    let stopped = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        enter_netns(&namespace).expect("enter the AC namespace");
        let socket = RawSocket::tap(AC_IF).expect("open the hostile AC's socket");
        let _ = ready_tx.send(());
        let mut say = |line: &str| {
            let _ = tx.send(line.to_owned());
        };
        ac::serve(
            &socket,
            &script,
            &|| stopped.load(Ordering::Relaxed),
            &mut say,
        )
        .expect("hostile AC")
    });
    ready
        .recv_timeout(Duration::from_secs(10))
        .expect("the hostile AC opened its socket");
    Hostile {
        stop,
        lines,
        said: Vec::new(),
        thread: Some(thread),
    }
}

impl Hostile {
    /// Waits for a line of the AC starting with `prefix`.
    fn wait_for(&mut self, prefix: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.starts_with(prefix);
                    self.said.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("the hostile AC never said '{prefix}…': {:?}", self.said);
    }

    /// Stops the AC; returns its monitor and everything it said.
    fn finish(mut self) -> (Monitor, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        let monitor = match self.thread.take().map(JoinHandle::join) {
            Some(Ok(monitor)) => monitor,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => unreachable!("finish runs once"),
        };
        self.said.extend(self.lines.try_iter());
        (monitor, std::mem::take(&mut self.said))
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn session_of(run: &lab::Run) -> (u16, String) {
    let (sid, mac) = run
        .stdout
        .trim_end()
        .split_once(':')
        .unwrap_or_else(|| panic!("SID:MAC on stdout: {run:?}"));
    (sid.parse().expect("session id"), mac.to_owned())
}

fn refusals(run: &lab::Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("rs-pppoe-discovery: ignoring frame from "))
        .collect()
}

#[test]
fn refused_offers_are_named_and_leave_nothing_in_the_session_with_the_real_ac() {
    let Some(mut lab) = lab::lab("hostile") else {
        return;
    };
    let refused: Vec<Case> = Case::ALL.into_iter().filter(|c| c.refused()).collect();
    let mut ac = hostile(&lab, &refused, 1);
    let (client, start) = lab.spawn_discovery(&[
        "-I",
        CL_IF,
        "-C",
        AC_NAME,
        "-t",
        "1",
        "-a",
        "3",
        "--session",
    ]);
    ac.wait_for("answered PADI 1");
    lab.start_server(AC_IF, &["-C", AC_NAME, "-S", "internet"]);
    let run = finish(client, start);
    let (monitor, said) = ac.finish();

    assert_eq!(run.status, 0, "{run:?}");
    let (session_id, mac) = session_of(&run);
    assert_eq!(mac, AC_MAC, "the session is with pppoe-server: {run:?}");
    let hostile = HOSTILE.to_string();
    let other = OTHER.to_string();
    let expected = [
        (&hostile[..], "Host-Uniq missing or not ours"),
        ("ff:ff:ff:ff:ff:ff", "PADO from a non-unicast MAC address"),
        ("01:00:5e:00:00:0a", "PADO from a non-unicast MAC address"),
        (&hostile, "PADO: Service-Name-Error: no such service\\x0a"),
        (
            &hostile,
            "PADO: AC-System-Error: out of sessions\\x1b[2J\\x00",
        ),
        (
            &hostile,
            "PADO: Generic-Error: \\xe6\\x95\\x85\\xe9\\x9a\\x9c \\\\ busy",
        ),
        (
            &hostile,
            "malformed frame: invalid PPPoE tag length (tag at payload offset",
        ),
        (
            &hostile,
            "malformed frame: bogus PPPoE length field (1400 bytes claimed",
        ),
        (&hostile, "malformed frame: invalid PPPoE version/type 0x21"),
        (&hostile, "AC-Name 'evil-ac' is not the requested one"),
        (&other, "PADO: Generic-Error: try the other one"),
        (&hostile, "unexpected PADT during discovery"),
        (&other, "unexpected PADT during discovery"),
    ];
    let lines = refusals(&run);
    for (from, reason) in expected {
        let line = format!("{from}: {reason}");
        assert!(
            lines.iter().any(|l| l.starts_with(&line)),
            "missing '{line}': {run:?}"
        );
    }
    // Three Host-Uniq faults of their own, and the repeated tag whose
    // first value is not ours.
    let wrong_host_uniq = lines
        .iter()
        .filter(|l| l.ends_with("Host-Uniq missing or not ours"))
        .count();
    assert_eq!(wrong_host_uniq, 4, "{run:?}");
    // The offer tagged for VLAN 7 was acceptable in every other way: had
    // the client seen it, it would have chosen it before pppoe-server's.
    assert!(
        !lines.iter().any(|l| l.contains("VLAN")),
        "the tagged offer reached the discovery socket: {run:?}"
    );

    // On the wire: one PADR and one PADT, both to pppoe-server, carrying
    // nothing any hostile offer carried.
    assert_eq!(monitor.violations, Vec::<String>::new(), "{said:?}");
    assert_eq!(
        (monitor.padrs.len(), monitor.padts.len()),
        (1, 1),
        "{said:?}"
    );
    for frame in monitor.padrs.iter().chain(&monitor.padts) {
        let frame = DiscoveryFrame::parse(frame).expect("the client's frames parse");
        assert_eq!(frame.dst.to_string(), AC_MAC, "{said:?}");
        for value in frame.tags.iter().map(|t| t.value) {
            for evil in [EVIL_COOKIE, EVIL_RELAY, b"cookie-of-other-ac"] {
                assert_ne!(value, evil, "{said:?}");
            }
        }
    }
    let padt = DiscoveryFrame::parse(&monitor.padts[0]).expect("PADT");
    assert_eq!(padt.session_id, session_id);
}

/// `rs-pppoe-discovery --session EXTRA` against the hostile AC alone in
/// `case` (one where the client chooses it): the run, and the monitor,
/// which found nothing amiss, with one PADR and one PADT.
fn chosen(tag: &str, case: Case, extra: &[&str]) -> Option<(lab::Run, Monitor)> {
    let lab = lab::lab(tag)?;
    let ac = hostile(&lab, &[case], u32::MAX);
    let mut args = vec!["-I", CL_IF, "-t", "1", "-a", "2", "--session"];
    args.extend_from_slice(extra);
    let run = lab.discovery(&args);
    let (monitor, said) = ac.finish();
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(monitor.violations, Vec::<String>::new(), "{said:?}");
    assert_eq!(
        (monitor.padrs.len(), monitor.padts.len()),
        (1, 1),
        "{said:?}"
    );
    Some((run, monitor))
}

#[test]
fn a_chosen_ac_repeating_every_tag_gets_the_first_of_each_echoed_once() {
    let Some((run, monitor)) = chosen("repeated", Case::RepeatedTags, &["--json"]) else {
        return;
    };
    let json = run.stdout.trim_end();
    for field in [
        format!("\"session_id\":{SESSION_ID}"),
        format!("\"ac_mac\":\"{HOSTILE}\""),
        format!("\"ac_name\":\"{AC_NAME}\""),
        "\"service_name\":\"\"".to_owned(),
        "\"max_payload\":1497".to_owned(),
    ] {
        assert!(json.contains(&field), "{field} in {json}");
    }
    for frame in monitor.padrs.iter().chain(&monitor.padts) {
        let frame = DiscoveryFrame::parse(frame).expect("parses");
        let cookies: Vec<&[u8]> = frame.tag_values(TagType::AcCookie).collect();
        let relays: Vec<&[u8]> = frame.tag_values(TagType::RelaySessionId).collect();
        assert_eq!(cookies, [EVIL_COOKIE]);
        assert_eq!(relays, [EVIL_RELAY]);
        assert!(
            !frame
                .tags
                .iter()
                .any(|t| t.value == SECOND_COOKIE || t.value == SECOND_RELAY)
        );
    }
}

#[test]
fn forged_and_reserved_pads_are_refused_until_the_chosen_ac_confirms() {
    let Some((run, monitor)) = chosen("badpads", Case::BadPads, &[]) else {
        return;
    };
    assert_eq!(
        session_of(&run),
        (SESSION_ID, HOSTILE.to_string()),
        "{run:?}"
    );
    let lines = refusals(&run);
    for line in [
        format!("{OTHER}: PADS from an AC we did not choose"),
        format!("{HOSTILE}: PADS with session id 0x0, which RFC 2516 reserves"),
        format!("{HOSTILE}: PADS with session id 0xffff, which RFC 2516 reserves"),
        format!("{HOSTILE}: PADS: Service-Name-Error: not today"),
        format!("{HOSTILE}: Host-Uniq missing or not ours"),
    ] {
        assert!(lines.contains(&line.as_str()), "missing '{line}': {run:?}");
    }
    // The PADT ends the confirmed session, at the AC that confirmed it.
    let padt = DiscoveryFrame::parse(&monitor.padts[0]).expect("PADT");
    assert_eq!((padt.dst, padt.session_id), (HOSTILE, SESSION_ID));
    assert_eq!(padt.tag_value(TagType::AcCookie), Some(EVIL_COOKIE));
    assert_eq!(padt.tag_value(TagType::RelaySessionId), Some(EVIL_RELAY));
}

#[test]
fn an_offer_of_the_largest_size_is_taken_and_its_cookie_echoed_whole() {
    let Some((run, monitor)) = chosen("maxsize", Case::MaxSize, &[]) else {
        return;
    };
    assert_eq!(
        session_of(&run),
        (SESSION_ID, HOSTILE.to_string()),
        "{run:?}"
    );
    let padr = DiscoveryFrame::parse(&monitor.padrs[0]).expect("PADR");
    let cookie = padr.tag_value(TagType::AcCookie).expect("cookie echoed");
    assert!(cookie.len() > 1400 && cookie.iter().all(|&b| b == b'M'));
    assert!(padr.payload_len() <= MAX_PPPOE_PAYLOAD);
}

/// Runs `rs-pppoe-discovery ARGS` through `bash -c '…; times'` in the
/// client namespace; returns the run and the CPU seconds it used.
fn timed_discovery(lab: &Lab, args: &[&str]) -> (lab::Run, f64) {
    let command = format!(
        "{} {}; status=$?; times; exit $status",
        lab::BIN,
        args.join(" ")
    );
    let run = lab.in_client(&["bash", "-c", &command]);
    // `times` prints the shell's then its children's user and system time.
    let seconds = |text: &str| -> f64 {
        let (m, s) = text
            .trim_end_matches('s')
            .split_once('m')
            .unwrap_or(("0", "0"));
        m.parse::<f64>().unwrap_or(0.0) * 60.0 + s.parse::<f64>().unwrap_or(0.0)
    };
    let children = run.stdout.lines().last().unwrap_or_default();
    let cpu = children.split_whitespace().map(seconds).sum();
    (run, cpu)
}

#[test]
fn a_flood_of_every_kind_of_frame_neither_stops_discovery_nor_takes_the_cpu() {
    let Some(mut lab) = lab::lab("flood") else {
        return;
    };
    lab.start_server(AC_IF, &["-C", AC_NAME, "-S", "internet"]);
    let target = lab::CL_MAC.parse().expect("MAC");
    for (mix, cpu_bound) in [(Mix::Foreign, 0.5), (Mix::All, 2.0)] {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let namespace = lab.ac_ns.clone();
        let flooder = std::thread::spawn(move || {
            enter_netns(&namespace).expect("enter the AC namespace");
            let socket = RawSocket::sender(AC_IF).expect("flood socket");
            let (frames, _) = flood::frames(target, mix);
            flood::run(&socket, &frames, Duration::from_secs(30), None, || {
                stopped.load(Ordering::Relaxed)
            })
            .expect("flood")
        });
        std::thread::sleep(Duration::from_millis(300));
        let (run, cpu) = timed_discovery(&lab, &["-I", CL_IF, "-t", "1", "-a", "3", "--session"]);
        stop.store(true, Ordering::Relaxed);
        let report = flooder.join().expect("flooder");
        eprintln!(
            "flood {mix:?}: {:.0} frames/s for {:.1} s; discovery took {:?}, {cpu:.3} s of CPU",
            report.rate(),
            report.elapsed.as_secs_f64(),
            run.elapsed
        );
        assert!(
            report.rate() > 10_000.0,
            "the flood ran: {:.0}/s",
            report.rate()
        );
        assert_eq!(
            run.status, 0,
            "discovery completes under the {mix:?} flood: {run:?}"
        );
        let session = run.stdout.lines().next().unwrap_or_default();
        assert!(session.ends_with(&format!(":{AC_MAC}")), "{run:?}");
        assert!(
            cpu < cpu_bound,
            "{cpu:.3} s of CPU under the {mix:?} flood (bound {cpu_bound} s)"
        );
    }
}
