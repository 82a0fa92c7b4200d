//! `rs-pppoe-discovery`: pppd's `pppoe-discovery` rewritten on top of the
//! [`discovery`](crate::discovery) state machine, plus `--json`,
//! `--session` (PADR → PADS → `SESSION_ID:AC_MAC` → PADT, so discovery can
//! be timed end to end without pppd), `--all`, `--probe-vlans` and
//! `--terminate` (see `modes`).
//!
//! Before any PADI, the interface must be up and have a carrier (when its
//! driver says); when no AC answers, the last line on stderr says why
//! ([`Summary`]). Lines about refused frames are rate-limited per kind
//! ([`RefusalLog`]).
//!
//! Exit status: 0 when an acceptable offer (or session) was obtained, 1 when
//! none was, 2 when discovery could not run at all (bad command line,
//! unusable interface, no CAP_NET_RAW, a failing socket).

mod args;
mod modes;
mod output;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::OwnedFd;
use std::time::{Instant, SystemTime};

use crate::discovery::{
    self, Admission, Client, Config, Event, FilterNames, Mode, Outcome, RefusalLog, Summary,
};
use crate::driver::{self, Direction, DriverError, Hooks, VlanWatch, WatchFrom};
use crate::sys::{PacketSocket, link_problem_behind, link_state};
use crate::wire::MacAddr;

pub use args::{Action, Args, Command, USAGE, UsageError, parse_args};

const PROGRAM: &str = "rs-pppoe-discovery";

/// Exit status: an acceptable offer or session was obtained.
pub const EXIT_FOUND: i32 = 0;
/// Exit status: no AC answered, or none matched `-S`/`-C`.
pub const EXIT_NOT_FOUND: i32 = 1;
/// Exit status: bad usage, unusable interface, missing privileges.
pub const EXIT_CANNOT_RUN: i32 = 2;

/// How a run ended: its exit status, and the packet sockets it leaves to
/// close. Closing an AF_PACKET socket waits for an RCU grace period (8–18
/// ms); the binary hands them to a child that closes them after we exit,
/// so whoever waits for us has our answer first.
#[derive(Debug)]
pub struct Exit {
    pub status: i32,
    pub sockets: Vec<OwnedFd>,
}

impl Exit {
    fn status(status: i32) -> Exit {
        Exit {
            status,
            sockets: Vec::new(),
        }
    }
}

/// Runs the tool with `args` (without the program name).
pub fn run(args: impl IntoIterator<Item = OsString>) -> Exit {
    match parse_args(args) {
        Ok(Command::Help) => {
            let _ = io::stdout().write_all(USAGE.as_bytes());
            Exit::status(EXIT_FOUND)
        }
        Ok(Command::Version) => {
            let _ = writeln!(io::stdout(), "{PROGRAM} {}", env!("CARGO_PKG_VERSION"));
            Exit::status(EXIT_FOUND)
        }
        Ok(Command::Run(args)) => {
            let mut sockets = Vec::new();
            let status = match (&args.action, args.interface.as_deref()) {
                (Action::All, _) => modes::all(&args, &mut sockets),
                (Action::ProbeVlans(vlans), Some(interface)) => {
                    modes::probe_vlans(&args, interface, vlans, &mut sockets)
                }
                (Action::Terminate { session_id, ac_mac }, Some(interface)) => {
                    modes::terminate(interface, *session_id, *ac_mac, args.json, &mut sockets)
                }
                (_, Some(interface)) => discover(&args, interface, &mut sockets),
                // The parser requires -I for everything but --all.
                (_, None) => fail("no interface given; use -I interface", EXIT_CANNOT_RUN),
            };
            let _ = io::stdout().flush();
            Exit { status, sockets }
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "{PROGRAM}: {e}\nTry '{PROGRAM} -h' for help.");
            Exit::status(EXIT_CANNOT_RUN)
        }
    }
}

/// Prints `message` on stderr, prefixed with the program name.
fn report(message: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "{PROGRAM}: {message}");
}

/// Reports why the run ends and returns its exit status.
fn fail(message: impl std::fmt::Display, status: i32) -> i32 {
    report(message);
    status
}

/// Opens the discovery socket on `interface` and runs the pre-flight
/// check: an interface that is down or has no carrier is refused at once
/// (the socket, if opened, goes to `sockets`).
fn open_checked(interface: &str, sockets: &mut Vec<OwnedFd>) -> Result<PacketSocket, i32> {
    let sock = PacketSocket::discovery(interface).map_err(|e| fail(e, EXIT_CANNOT_RUN))?;
    match link_state(interface)
        .ok()
        .and_then(|s| s.problem(interface))
    {
        None => Ok(sock),
        Some(problem) => {
            sockets.push(sock.into());
            Err(fail(problem, EXIT_CANNOT_RUN))
        }
    }
}

/// A socket error in the user's terms: the link problem behind it, if
/// that is what it was.
fn driver_error(interface: &str, error: DriverError) -> i32 {
    match &error {
        DriverError::Io { source, .. } => match link_problem_behind(interface, source) {
            Some(problem) => fail(problem, EXIT_CANNOT_RUN),
            None => fail(error, EXIT_CANNOT_RUN),
        },
        DriverError::Cancelled => fail(error, EXIT_CANNOT_RUN),
    }
}

/// One discovery on `interface`: list the offers, or (`--session`) open a
/// session and end it again.
fn discover(args: &Args, interface: &str, sockets: &mut Vec<OwnedFd>) -> i32 {
    let sock = match open_checked(interface, sockets) {
        Ok(sock) => sock,
        Err(status) => return status,
    };
    let status = discover_on(args, interface, &sock, sockets);
    sockets.push(sock.into());
    status
}

fn discover_on(
    args: &Args,
    interface: &str,
    sock: &PacketSocket,
    sockets: &mut Vec<OwnedFd>,
) -> i32 {
    let dump = match &args.dump_file {
        None => None,
        Some(path) => match File::create(path) {
            Ok(file) => Some(BufWriter::new(file)),
            Err(e) => {
                return fail(
                    format_args!("cannot create dump file {}: {e}", path.display()),
                    EXIT_CANNOT_RUN,
                );
            }
        },
    };

    let our_mac = MacAddr(sock.mac());
    let session_mode = args.action == Action::Session;
    let mode = if session_mode {
        Mode::Session
    } else {
        Mode::ListOffers
    };
    let config = Config::from_settings(our_mac, &args.discovery, std::process::id(), mode);
    let host_uniq = config.host_uniq.clone();
    let mut client = match Client::new(config, Instant::now()) {
        Ok(client) => client,
        Err(e) => return fail(e, EXIT_CANNOT_RUN),
    };

    let mut hooks = CliHooks {
        list_offers: !session_mode && !args.quiet,
        json: args.json,
        dump,
        dump_error: None,
        summary: Summary::new(&args.discovery, FilterNames::CLI),
        refusals: RefusalLog::default(),
    };
    if let Some(dump) = &mut hooks.dump {
        let header = format!(
            "{PROGRAM} {} on {interface} ({our_mac}), times are UTC\n\n",
            env!("CARGO_PKG_VERSION"),
        );
        hooks.dump_error = dump.write_all(header.as_bytes()).err();
    }
    // A short-lived tool can afford the watcher from the start: its socket
    // is closed after we exit.
    let mut watch = VlanWatch::new(interface, WatchFrom::Start);
    let result = driver::run_watching(sock, &mut watch, &mut client, &mut hooks);
    if let Some(watcher) = watch.into_socket() {
        sockets.push(watcher.into());
    }
    let held_back = hooks.refusals.take_held_back();
    if held_back > 0 {
        report(format_args!(
            "{held_back} more refused frames were not shown (one line per kind and 10 s)"
        ));
    }
    let status = match result {
        Err(e) => driver_error(interface, e),
        Ok(()) => match client.into_outcome() {
            Some(Outcome::Offers(_)) => EXIT_FOUND,
            Some(Outcome::Established(session)) => {
                let line = if args.json {
                    output::session_json(&session)
                } else {
                    output::session_text(&session)
                };
                let _ = io::stdout().write_all(line.as_bytes());
                // End the session at once: nothing will use it, and the AC
                // should not keep a slot for it.
                let padt = discovery::padt_frame(
                    our_mac,
                    session.ac_mac,
                    session.session_id,
                    &host_uniq,
                    session.cookie.as_deref(),
                    session.relay_id.as_deref(),
                );
                hooks.frame(Direction::Sent, &padt);
                match sock.send(&padt) {
                    Ok(()) => EXIT_FOUND,
                    Err(e) => fail(format_args!("sending PADT failed: {e}"), EXIT_CANNOT_RUN),
                }
            }
            Some(Outcome::Failed(failure)) => {
                report(&failure);
                // The cable may have gone while we waited.
                match link_state(interface)
                    .ok()
                    .and_then(|s| s.problem(interface))
                {
                    Some(problem) => fail(problem, EXIT_NOT_FOUND),
                    None => fail(hooks.summary.explain(interface, &failure), EXIT_NOT_FOUND),
                }
            }
            None => fail("discovery ended without an outcome", EXIT_CANNOT_RUN),
        },
    };
    if let Some(mut dump) = hooks.dump.take() {
        if let Err(e) = dump.flush() {
            hooks.dump_error.get_or_insert(e);
        }
    }
    if let Some(e) = hooks.dump_error {
        report(format_args!("writing the dump file failed: {e}"));
    }
    status
}

/// What a single discovery shows: offers on stdout as they come, refused
/// frames on stderr (rate-limited), every frame in the `-D` dump, and what
/// the summary needs.
struct CliHooks {
    /// List offers as they arrive (not with `--session` or `-Q`).
    list_offers: bool,
    json: bool,
    dump: Option<BufWriter<File>>,
    /// The first dump write error, reported once at the end.
    dump_error: Option<io::Error>,
    summary: Summary,
    refusals: RefusalLog,
}

impl Hooks for CliHooks {
    fn event(&mut self, event: &Event) {
        self.summary.event(event);
        match event {
            Event::Offer(offer) if self.list_offers => {
                let text = if self.json {
                    output::offer_json(offer)
                } else {
                    output::offer_text(offer)
                };
                let _ = io::stdout().write_all(text.as_bytes());
            }
            Event::Rejected { from, reason } => {
                if let Admission::Log { held_back } = self.refusals.admit(reason, Instant::now()) {
                    if held_back > 0 {
                        report(format_args!(
                            "({held_back} similar refused frames were not shown)"
                        ));
                    }
                    report(format_args!("ignoring frame from {from}: {reason}"));
                }
            }
            Event::AcError {
                from,
                reason,
                retry_in,
            } => {
                let retry = retry_in
                    .map(|delay| format!("; PADR again in {:.1} s", delay.as_secs_f64()))
                    .unwrap_or_default();
                report(format_args!("ignoring frame from {from}: {reason}{retry}"));
            }
            _ => {}
        }
    }

    fn frame(&mut self, direction: Direction, frame: &[u8]) {
        match direction {
            Direction::Sent => self.summary.sent(frame),
            Direction::Received => self.summary.received(frame),
        }
        if let Some(dump) = &mut self.dump {
            let record =
                output::dump_record(&output::time_of_day(SystemTime::now()), direction, frame);
            if let Err(e) = dump.write_all(record.as_bytes()) {
                self.dump_error.get_or_insert(e);
            }
        }
    }

    fn tagged_frame(&mut self, vid: u16, frame: &[u8]) {
        self.summary.tagged(vid, frame);
    }
}
