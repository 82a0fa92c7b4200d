//! Command-line parsing for `rs-pppoe-discovery`: pppd's `pppoe-discovery`
//! flags, getopt style (`-I eth0`, `-Ieth0`, `-UQ`), plus `--json`,
//! `--session`, `--help` and `--version`.

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::discovery::{HostUniq, Settings};

/// Largest `-t`: one hour for the first wait is already absurd on a LAN.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// Largest `-a`: with doubling, 16 attempts is far past any useful wait.
pub const MAX_ATTEMPTS: u32 = 16;

/// A validated command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub interface: String,
    pub dump_file: Option<PathBuf>,
    /// `-t`, `-a`, `-U`/`-W`, `-S`, `-C`: what discovery asks for.
    pub discovery: Settings,
    pub quiet: bool,
    pub json: bool,
    pub session: bool,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Args),
    Help,
    Version,
}

/// A command line we cannot run; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub const USAGE: &str = "\
Usage: rs-pppoe-discovery -I interface [options]
Lists the PPPoE access concentrators that answer on an Ethernet interface.

Options (those of pppd's pppoe-discovery):
   -I if_name     -- interface to use (required)
   -D filename    -- dump every discovery frame sent and received to filename
   -t timeout     -- initial wait for answers in seconds, doubled per attempt
                     (1..3600, default 5)
   -a attempts    -- number of PADIs to send (1..16, default 3)
   -U             -- use the process id as Host-Uniq (the default)
   -W hexstring   -- use these bytes as Host-Uniq (even number of hex digits)
   -S name        -- list only ACs offering this Service-Name
                     (NO-SERVICE-NAME-NON-RFC-COMPLIANT: no Service-Name tag
                     in the PADI, every AC listed)
   -C name        -- list only the AC with this AC-Name
   -Q             -- quiet: list nothing, only set the exit status
   -V             -- print the version and exit
   -h             -- print this help and exit
Extensions:
   --json         -- one JSON object per offer (or per session) on stdout
   --session      -- request a session from the first acceptable offer (PADR),
                     print SESSION_ID:AC_MAC, then end it with a PADT

Exit status: 0 if an acceptable offer (or, with --session, a session) was
obtained; 1 if not (no AC answered, or none matched -S/-C); 2 for a bad
command line, an unusable interface or missing privileges (CAP_NET_RAW).
";

/// Parses `args` (without the program name).
pub fn parse_args<I>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = OsString>,
{
    let mut interface = None;
    let mut dump_file = None;
    let mut discovery = Settings::default();
    let mut use_pid = false;
    let mut host_uniq_hex = None;
    let mut quiet = false;
    let mut json = false;
    let mut session = false;

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let bytes = arg.as_bytes();
        match bytes {
            b"--json" => json = true,
            b"--session" => session = true,
            b"--help" => return Ok(Command::Help),
            b"--version" => return Ok(Command::Version),
            b"--" => {
                if let Some(extra) = args.next() {
                    return Err(extra_argument(&extra));
                }
            }
            [b'-', b'-', ..] => {
                return Err(UsageError(format!(
                    "unknown option '{}'",
                    arg.to_string_lossy()
                )));
            }
            [b'-', flags @ ..] if !flags.is_empty() => {
                // getopt: flags may be bundled (-UQ); an option taking a
                // value uses the rest of this word or the next word.
                for (i, &flag) in flags.iter().enumerate() {
                    let takes_value =
                        matches!(flag, b'I' | b'D' | b't' | b'a' | b'W' | b'S' | b'C');
                    if !takes_value {
                        match flag {
                            b'U' => use_pid = true,
                            b'Q' => quiet = true,
                            b'V' => return Ok(Command::Version),
                            b'h' => return Ok(Command::Help),
                            _ => return Err(unknown_flag(flag)),
                        }
                        continue;
                    }
                    let rest = &flags[i + 1..];
                    let value: Vec<u8> = if !rest.is_empty() {
                        rest.to_vec()
                    } else if let Some(next) = args.next() {
                        next.as_bytes().to_vec()
                    } else {
                        return Err(UsageError(format!(
                            "option -{} needs a value",
                            flag as char
                        )));
                    };
                    match flag {
                        b'I' => interface = Some(utf8_value(b'I', &value)?),
                        b'D' => {
                            dump_file = Some(PathBuf::from(OsString::from(
                                std::ffi::OsStr::from_bytes(&value),
                            )))
                        }
                        b't' => {
                            let secs = number(b't', &value, 1, MAX_TIMEOUT_SECS)?;
                            discovery.timeout = Duration::from_secs(secs);
                        }
                        b'a' => {
                            let n = number(b'a', &value, 1, u64::from(MAX_ATTEMPTS))?;
                            discovery.attempts = n as u32;
                        }
                        b'W' => host_uniq_hex = Some(parse_hex(&value)?),
                        b'S' => discovery.service_name = value,
                        b'C' => discovery.ac_name = Some(value),
                        _ => return Err(unknown_flag(flag)),
                    }
                    break;
                }
            }
            _ => return Err(extra_argument(&arg)),
        }
    }

    let Some(interface) = interface else {
        return Err(UsageError("no interface given; use -I interface".into()));
    };
    discovery.host_uniq = match (use_pid, host_uniq_hex) {
        (true, Some(_)) => {
            return Err(UsageError("-U and -W are mutually exclusive".into()));
        }
        (_, Some(bytes)) => HostUniq::Bytes(bytes),
        (_, None) => HostUniq::Pid,
    };
    Ok(Command::Run(Args {
        interface,
        dump_file,
        discovery,
        quiet,
        json,
        session,
    }))
}

fn unknown_flag(flag: u8) -> UsageError {
    UsageError(format!(
        "unknown option '-{}'",
        String::from_utf8_lossy(&[flag])
    ))
}

fn extra_argument(arg: &OsString) -> UsageError {
    UsageError(format!("extra argument '{}'", arg.to_string_lossy()))
}

fn utf8_value(flag: u8, value: &[u8]) -> Result<String, UsageError> {
    String::from_utf8(value.to_vec())
        .map_err(|_| UsageError(format!("the value of -{} is not valid UTF-8", flag as char)))
}

fn number(flag: u8, value: &[u8], min: u64, max: u64) -> Result<u64, UsageError> {
    let text = String::from_utf8_lossy(value);
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(UsageError(format!(
            "-{} {text}: expected a whole number from {min} to {max}",
            flag as char
        ))),
    }
}

/// `-W`: an even number of hex digits, at least one byte, no `0x`.
fn parse_hex(value: &[u8]) -> Result<Vec<u8>, UsageError> {
    let bad = || {
        UsageError(format!(
            "-W {}: expected an even number of hex digits (e.g. -W 0a1b2c3d)",
            String::from_utf8_lossy(value)
        ))
    };
    if value.is_empty() || value.len() % 2 != 0 {
        return Err(bad());
    }
    value
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16);
            match (digit(pair[0]), digit(pair[1])) {
                (Some(hi), Some(lo)) => Ok((hi * 16 + lo) as u8),
                _ => Err(bad()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<Command, UsageError> {
        parse_args(words.iter().map(OsString::from))
    }

    fn run_args(words: &[&str]) -> Args {
        match parse(words) {
            Ok(Command::Run(args)) => args,
            other => panic!("{words:?} gave {other:?}"),
        }
    }

    #[test]
    fn defaults_are_pppds_five_seconds_three_attempts_pid_host_uniq() {
        let args = run_args(&["-I", "eth0"]);
        assert_eq!(args.interface, "eth0");
        assert_eq!(args.discovery.timeout, Duration::from_secs(5));
        assert_eq!(args.discovery.attempts, 3);
        assert_eq!(args.discovery.host_uniq, HostUniq::Pid);
        assert!(args.discovery.service_name.is_empty() && args.discovery.ac_name.is_none());
        assert!(!args.quiet && !args.json && !args.session);
    }

    #[test]
    fn getopt_forms_attached_values_and_bundled_flags_work() {
        let args = run_args(&["-Ieth1", "-t2", "-a", "4", "-QS", "voip", "-C", "BRAS 1"]);
        assert_eq!(args.interface, "eth1");
        assert_eq!(args.discovery.timeout, Duration::from_secs(2));
        assert_eq!(args.discovery.attempts, 4);
        assert!(args.quiet);
        assert_eq!(args.discovery.service_name, b"voip");
        assert_eq!(args.discovery.ac_name.as_deref(), Some(&b"BRAS 1"[..]));
    }

    #[test]
    fn host_uniq_hex_is_decoded_and_validated() {
        let args = run_args(&["-I", "eth0", "-W", "0A1b"]);
        assert_eq!(args.discovery.host_uniq, HostUniq::Bytes(vec![0x0a, 0x1b]));
        for bad in ["abc", "zz", "", "0x12"] {
            let err = parse(&["-I", "eth0", "-W", bad]).unwrap_err();
            assert!(err.0.contains("hex digits"), "{bad}: {err}");
        }
        let err = parse(&["-I", "eth0", "-U", "-W", "00"]).unwrap_err();
        assert!(err.0.contains("mutually exclusive"));
    }

    #[test]
    fn out_of_range_timeouts_and_attempts_are_usage_errors() {
        for words in [
            &["-I", "e", "-t", "0"][..],
            &["-I", "e", "-t", "3601"],
            &["-I", "e", "-t", "x"],
            &["-I", "e", "-a", "0"],
            &["-I", "e", "-a", "17"],
            &["-I", "e", "-a", "-1"],
        ] {
            let err = parse(words).unwrap_err();
            assert!(
                err.0.contains("expected a whole number"),
                "{words:?}: {err}"
            );
        }
    }

    #[test]
    fn missing_interface_unknown_options_and_extra_words_are_refused() {
        assert!(parse(&[]).unwrap_err().0.contains("-I interface"));
        assert!(parse(&["-I", "e", "-A"]).unwrap_err().0.contains("'-A'"));
        assert!(
            parse(&["-I", "e", "--color"])
                .unwrap_err()
                .0
                .contains("--color")
        );
        assert!(
            parse(&["-I", "e", "stray"])
                .unwrap_err()
                .0
                .contains("extra argument 'stray'")
        );
        assert!(parse(&["-I"]).unwrap_err().0.contains("needs a value"));
    }

    #[test]
    fn help_version_and_extensions() {
        assert_eq!(parse(&["-h"]), Ok(Command::Help));
        assert_eq!(parse(&["-I", "e", "--help"]), Ok(Command::Help));
        assert_eq!(parse(&["-V"]), Ok(Command::Version));
        let args = run_args(&["--json", "-I", "e", "--session", "-D", "/tmp/x"]);
        assert!(args.json && args.session);
        assert_eq!(args.dump_file, Some(PathBuf::from("/tmp/x")));
    }
}
