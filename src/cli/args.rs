//! Command-line parsing for `rs-pppoe-discovery`: pppd's `pppoe-discovery`
//! flags, getopt style (`-I eth0`, `-Ieth0`, `-UQ`), plus `--json`,
//! `--session`, `--all`, `--probe-vlans[=LIST]`, `--terminate
//! SESSION:AC-MAC`, `--help` and `--version`.

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::discovery::{HostUniq, Settings};
use crate::scan::DEFAULT_PROBE_VLANS;
use crate::wire::{MAX_VLAN_ID, MacAddr};

/// Largest `-t`: one hour for the first wait is already absurd on a LAN.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// Largest `-a`: with doubling, 16 attempts is far past any useful wait.
pub const MAX_ATTEMPTS: u32 = 16;
/// Most VLAN ids `--probe-vlans` takes at once: every one costs a PADI per
/// attempt on the wire.
pub const MAX_PROBE_VLANS: usize = 256;

/// What the run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// List the ACs that answer on `-I` (pppoe-discovery's job).
    List,
    /// `--session`: PADR to the first acceptable offer, print
    /// `SESSION_ID:AC_MAC`, end it with a PADT.
    Session,
    /// `--all`: list, per Ethernet interface that is up, the ACs that answer.
    All,
    /// `--probe-vlans`: tagged PADIs on these VLANs of `-I` (and an untagged
    /// one), and on which an AC answered.
    ProbeVlans(Vec<u16>),
    /// `--terminate`: a PADT for a session left behind.
    Terminate { session_id: u16, ac_mac: MacAddr },
}

/// A validated command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `-I`; absent only with `--all`.
    pub interface: Option<String>,
    pub dump_file: Option<PathBuf>,
    /// `-t`, `-a`, `-U`/`-W`, `-S`, `-C`: what discovery asks for.
    pub discovery: Settings,
    pub quiet: bool,
    pub json: bool,
    pub action: Action,
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
   --json         -- one JSON object per offer (or per session, interface,
                     VLAN) on stdout
   --session      -- request a session from the first acceptable offer (PADR),
                     print SESSION_ID:AC_MAC, then end it with a PADT
   --all          -- probe every Ethernet interface that is up, all at once,
                     and list per interface the ACs that answered (no -I)
   --probe-vlans[=LIST]
                  -- send PADIs tagged for each 802.1Q VLAN in LIST (ids and
                     ranges, e.g. 7,35,100-110; default: the ids ISPs use
                     most, see rs-pppoe-discovery(8)) and report on which
                     VLANs an AC answered
   --terminate SESSION:AC-MAC
                  -- send a PADT for a session left behind (like pppoe -k -e);
                     refused for a session this host still holds

When no AC answers, the last line on stderr says why: no PPPoE frame at all,
answers seen only on a VLAN, error tags, offers not matching -S/-C, ...

Exit status: 0 if an acceptable offer (or, with --session, a session) was
obtained, or the PADT sent; 1 if not (no AC answered, or none matched
-S/-C); 2 for a bad command line, an unusable interface (missing, down, no
carrier) or missing privileges (CAP_NET_RAW).
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
    let mut actions: Vec<(&'static str, Action)> = Vec::new();

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let bytes = arg.as_bytes();
        match bytes {
            b"--json" => json = true,
            b"--session" => actions.push(("--session", Action::Session)),
            b"--all" => actions.push(("--all", Action::All)),
            b"--probe-vlans" => actions.push((
                "--probe-vlans",
                Action::ProbeVlans(DEFAULT_PROBE_VLANS.to_vec()),
            )),
            b"--terminate" => {
                let Some(value) = args.next() else {
                    return Err(UsageError(
                        "option --terminate needs a value (SESSION:AC-MAC)".into(),
                    ));
                };
                actions.push(("--terminate", parse_terminate(value.as_bytes())?));
            }
            _ if bytes.starts_with(b"--probe-vlans=") => {
                let list = &bytes[b"--probe-vlans=".len()..];
                actions.push(("--probe-vlans", Action::ProbeVlans(parse_vlans(list)?)));
            }
            _ if bytes.starts_with(b"--terminate=") => {
                let value = &bytes[b"--terminate=".len()..];
                actions.push(("--terminate", parse_terminate(value)?));
            }
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

    let (action, action_flag) = match actions.as_slice() {
        [] => (Action::List, None),
        [(flag, action)] => (action.clone(), Some(*flag)),
        [(first, _), (second, _), ..] => {
            return Err(UsageError(format!(
                "{first} and {second} cannot be combined"
            )));
        }
    };
    match (&action, &interface) {
        (Action::All, Some(_)) => {
            return Err(UsageError(
                "--all probes every interface; leave out -I".into(),
            ));
        }
        (Action::All, None) => {}
        (_, None) => return Err(UsageError("no interface given; use -I interface".into())),
        _ => {}
    }
    let single_discovery = matches!(action, Action::List | Action::Session);
    if let (Some(flag), Some(_)) = (action_flag, &dump_file) {
        if !single_discovery {
            return Err(UsageError(format!("-D cannot be combined with {flag}")));
        }
    }
    if matches!(action, Action::Terminate { .. })
        && (!discovery.service_name.is_empty() || discovery.ac_name.is_some())
    {
        return Err(UsageError(
            "--terminate sends one PADT; -S and -C do not apply".into(),
        ));
    }
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
        action,
    }))
}

/// `--probe-vlans=LIST`: VLAN ids and ranges, comma-separated, each 1 to
/// 4094, at most [`MAX_PROBE_VLANS`] in all, duplicates dropped.
fn parse_vlans(list: &[u8]) -> Result<Vec<u16>, UsageError> {
    let text = String::from_utf8_lossy(list);
    let bad = |what: &str| {
        UsageError(format!(
            "--probe-vlans={text}: {what} (expected VLAN ids from 1 to {MAX_VLAN_ID} and \
             ranges, e.g. --probe-vlans=7,35,100-110)"
        ))
    };
    let id = |word: &str| match word.trim().parse::<u16>() {
        Ok(vid) if (1..=MAX_VLAN_ID).contains(&vid) => Ok(vid),
        _ => Err(bad(&format!("'{word}' is not a VLAN id"))),
    };
    let mut vlans: Vec<u16> = Vec::new();
    for item in text.split(',') {
        let (first, last) = match item.split_once('-') {
            Some((first, last)) => (id(first)?, id(last)?),
            None => (id(item)?, id(item)?),
        };
        if first > last {
            return Err(bad(&format!("the range {item} is backwards")));
        }
        for vid in first..=last {
            if !vlans.contains(&vid) {
                if vlans.len() == MAX_PROBE_VLANS {
                    return Err(bad(&format!("more than {MAX_PROBE_VLANS} VLANs")));
                }
                vlans.push(vid);
            }
        }
    }
    Ok(vlans)
}

/// `--terminate SESSION:AC-MAC`, as `pppoe -k -e` takes it: a decimal
/// session id (1 to 65534, RFC 2516 reserves 0 and 65535) and the AC's
/// unicast MAC.
fn parse_terminate(value: &[u8]) -> Result<Action, UsageError> {
    let text = String::from_utf8_lossy(value);
    let bad = |what: &str| {
        UsageError(format!(
            "--terminate {text}: {what} (expected SESSION:AC-MAC, e.g. 7:02:00:5e:10:00:01)"
        ))
    };
    let (session, mac) = text
        .split_once(':')
        .ok_or_else(|| bad("no ':' after the session id"))?;
    let session_id = match session.parse::<u16>() {
        Ok(id) if id != 0 && id != 0xffff => id,
        _ => return Err(bad("the session id must be a number from 1 to 65534")),
    };
    let ac_mac: MacAddr = mac.parse().map_err(|_| bad("not a MAC address"))?;
    if !ac_mac.is_unicast() {
        return Err(bad("an access concentrator has a unicast MAC address"));
    }
    Ok(Action::Terminate { session_id, ac_mac })
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
        assert_eq!(args.interface.as_deref(), Some("eth0"));
        assert_eq!(args.discovery.timeout, Duration::from_secs(5));
        assert_eq!(args.discovery.attempts, 3);
        assert_eq!(args.discovery.host_uniq, HostUniq::Pid);
        assert!(args.discovery.service_name.is_empty() && args.discovery.ac_name.is_none());
        assert!(!args.quiet && !args.json);
        assert_eq!(args.action, Action::List);
    }

    #[test]
    fn getopt_forms_attached_values_and_bundled_flags_work() {
        let args = run_args(&["-Ieth1", "-t2", "-a", "4", "-QS", "voip", "-C", "BRAS 1"]);
        assert_eq!(args.interface.as_deref(), Some("eth1"));
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
        assert!(args.json);
        assert_eq!(args.action, Action::Session);
        assert_eq!(args.dump_file, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn all_probes_every_interface_and_refuses_an_interface() {
        let args = run_args(&["--all", "-t", "1", "--json"]);
        assert_eq!((args.action, args.interface), (Action::All, None));
        assert!(
            parse(&["--all", "-I", "eth0"])
                .unwrap_err()
                .0
                .contains("leave out -I")
        );
        assert!(
            parse(&["--all", "--session"])
                .unwrap_err()
                .0
                .contains("--all and --session cannot be combined")
        );
        assert!(
            parse(&["--all", "-D", "x"])
                .unwrap_err()
                .0
                .contains("-D cannot")
        );
    }

    #[test]
    fn probe_vlans_takes_the_default_list_or_ids_and_ranges() {
        let args = run_args(&["-I", "eth0", "--probe-vlans"]);
        assert_eq!(
            args.action,
            Action::ProbeVlans(DEFAULT_PROBE_VLANS.to_vec())
        );
        assert!(DEFAULT_PROBE_VLANS.contains(&35));
        let args = run_args(&["-I", "eth0", "--probe-vlans=35,7,100-103,7"]);
        assert_eq!(
            args.action,
            Action::ProbeVlans(vec![35, 7, 100, 101, 102, 103])
        );
        for bad in ["0", "4095", "x", "", "9-3", "1-4094", "35,"] {
            let err = parse(&["-I", "e", &format!("--probe-vlans={bad}")]).unwrap_err();
            assert!(err.0.starts_with("--probe-vlans="), "{bad}: {err}");
        }
        assert!(
            parse(&["--probe-vlans"])
                .unwrap_err()
                .0
                .contains("-I interface")
        );
    }

    #[test]
    fn terminate_takes_session_colon_mac_like_pppoe_k_e() {
        let args = run_args(&["-I", "eth0", "--terminate", "7:02:00:5E:10:00:01"]);
        assert_eq!(
            args.action,
            Action::Terminate {
                session_id: 7,
                ac_mac: MacAddr([0x02, 0, 0x5e, 0x10, 0, 1])
            }
        );
        let same = run_args(&["-I", "eth0", "--terminate=7:02:00:5e:10:00:01"]);
        assert_eq!(same.action, args.action);
        for bad in [
            "7",
            "0:02:00:5e:10:00:01",
            "65535:02:00:5e:10:00:01",
            "x:02:00:5e:10:00:01",
            "7:02:00:5e:10:00",
            "7:ff:ff:ff:ff:ff:ff",
        ] {
            let err = parse(&["-I", "e", "--terminate", bad]).unwrap_err();
            assert!(err.0.starts_with("--terminate "), "{bad}: {err}");
        }
        assert!(
            parse(&["-I", "e", "--terminate"])
                .unwrap_err()
                .0
                .contains("needs a value")
        );
        assert!(
            parse(&["-I", "e", "-C", "x", "--terminate", "7:02:00:5e:10:00:01"])
                .unwrap_err()
                .0
                .contains("do not apply")
        );
    }
}
