//! `rs-pppoe-discovery`: pppd's `pppoe-discovery` rewritten on top of the
//! [`discovery`](crate::discovery) state machine, plus `--json` and
//! `--session` (PADR → PADS → `SESSION_ID:AC_MAC` → PADT, so discovery can
//! be timed end to end without pppd).
//!
//! Exit status: 0 when an acceptable offer (or session) was obtained, 1 when
//! none was, 2 when discovery could not run at all (bad command line,
//! unusable interface, no CAP_NET_RAW, a failing socket).

mod args;
mod output;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::{Instant, SystemTime};

use crate::discovery::{self, Client, Config, Event, Mode, Outcome};
use crate::driver::{self, Direction, Hooks};
use crate::sys::PacketSocket;
use crate::wire::MacAddr;

pub use args::{Args, Command, USAGE, UsageError, parse_args};

const PROGRAM: &str = "rs-pppoe-discovery";

/// Exit status: an acceptable offer or session was obtained.
pub const EXIT_FOUND: i32 = 0;
/// Exit status: no AC answered, or none matched `-S`/`-C`.
pub const EXIT_NOT_FOUND: i32 = 1;
/// Exit status: bad usage, unusable interface, missing privileges.
pub const EXIT_CANNOT_RUN: i32 = 2;

/// Entry point of `rs-pppoe-discovery`.
pub fn main() {
    let status = run(std::env::args_os().skip(1));
    std::process::exit(status)
}

/// Runs the tool with `args` (without the program name); returns the exit
/// status.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    match parse_args(args) {
        Ok(Command::Help) => {
            let _ = io::stdout().write_all(USAGE.as_bytes());
            EXIT_FOUND
        }
        Ok(Command::Version) => {
            let _ = writeln!(io::stdout(), "{PROGRAM} {}", env!("CARGO_PKG_VERSION"));
            EXIT_FOUND
        }
        Ok(Command::Run(args)) => discover(&args),
        Err(e) => {
            let _ = writeln!(io::stderr(), "{PROGRAM}: {e}\nTry '{PROGRAM} -h' for help.");
            EXIT_CANNOT_RUN
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

fn discover(args: &Args) -> i32 {
    let sock = match PacketSocket::discovery(&args.interface) {
        Ok(sock) => sock,
        Err(e) => return fail(e, EXIT_CANNOT_RUN),
    };
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
    let mode = if args.session {
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
        args,
        dump,
        dump_error: None,
    };
    if let Some(dump) = &mut hooks.dump {
        let header = format!(
            "{PROGRAM} {} on {} ({our_mac}), times are UTC\n\n",
            env!("CARGO_PKG_VERSION"),
            args.interface
        );
        hooks.dump_error = dump.write_all(header.as_bytes()).err();
    }
    let result = driver::run_with_hooks(&sock, &mut client, &mut hooks);
    let status = match result {
        Err(e) => fail(e, EXIT_CANNOT_RUN),
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
            Some(Outcome::Failed(failure)) => fail(failure, EXIT_NOT_FOUND),
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
    // We exit right after this: let the kernel's slow release of the packet
    // socket happen after our caller has our answer (see sys::process).
    let _ = io::stdout().flush();
    crate::sys::process::close_after_exit(sock.into());
    status
}

struct CliHooks<'a> {
    args: &'a Args,
    dump: Option<BufWriter<File>>,
    /// The first dump write error, reported once at the end.
    dump_error: Option<io::Error>,
}

impl Hooks for CliHooks<'_> {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Offer(offer) if !self.args.session && !self.args.quiet => {
                let text = if self.args.json {
                    output::offer_json(offer)
                } else {
                    output::offer_text(offer)
                };
                let _ = io::stdout().write_all(text.as_bytes());
            }
            Event::Rejected { from, reason } => {
                report(format_args!("ignoring frame from {from}: {reason}"));
            }
            _ => {}
        }
    }

    fn frame(&mut self, direction: Direction, frame: &[u8]) {
        if let Some(dump) = &mut self.dump {
            let record =
                output::dump_record(&output::time_of_day(SystemTime::now()), direction, frame);
            if let Err(e) = dump.write_all(record.as_bytes()) {
                self.dump_error.get_or_insert(e);
            }
        }
    }
}
