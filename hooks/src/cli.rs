//! Command line: what pppd (or a person) asked for. Pure: the caller passes
//! argv and the few environment variables that matter.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::config::Values;
use crate::plan::Mode;

pub const USAGE: &str = "\
rs-pppoe-rule: pppd ip-up/ip-down hook for source policy routing

Replies to connections that arrive on a PPP interface leave by that
interface, while the LAN keeps the main default route:
  up:   ip rule add from ADDR/32 lookup TABLE priority PRIO
        ip route add default dev IFACE src ADDR table TABLE
        and, for servers behind DNAT (containers, LAN hosts), a conntrack
        mark in the nftables table ip rs-pppoe-rule-IFACE with
        ip rule add fwmark MARK/MASK lookup TABLE priority FWPRIO
  down: deletes exactly those (the route if still there)

USAGE
  rs-pppoe-rule [OPTIONS] [up|down] IFACE DEVICE SPEED LOCAL-IP REMOTE-IP [IPPARAM]
  rs-pppoe-rule [OPTIONS] [up|down] IFACE LOCAL-IP
  rs-pppoe-rule [OPTIONS] [up|down]            (IFNAME, IPLOCAL from the environment)
  rs-pppoe-rule [OPTIONS] show [IFACE]

Without 'up'/'down' the mode comes from where it was run: a path under
ip-up.d (or named ip-up*) means up, under ip-down.d (ip-down*) means down.
Install as /etc/ppp/ip-up.d/10-rule and /etc/ppp/ip-down.d/10-rule
(Debian: run-parts skips names with a dot); on Arch as 10-rule.sh.

TABLE SCHEME
  pppN gets table BASE_TABLE+N and priority BASE_PRIO+N (defaults 100 and
  200): ppp0 -> table 100 priority 200, ppp1 -> 101/201, ...  Interfaces not
  named pppN use pppd's UNIT variable, else need a [name] section.
  Tables 0/253/254/255 and priorities outside 1..=32765 are refused.
  Marks: pppN gets MARK + N x (lowest bit of MASK), default 0x1000000 in
  0xf000000, and fwmark rule priority 300+N.

CONFIG  /etc/ppp/rs-pppoe-rule.conf (optional)
  table = 100
  priority = 200
  forward = yes            (no: source rule only)
  mark = 0x1000000
  mark_mask = 0xf000000
  fwmark_priority = 300
  rp_filter = loose        (keep: only warn about strict rp_filter on IFACE)
  [ppp1]
  table = 150
  priority = 250

OPTIONS
  -n, --dry-run          print the operations as ip/nft/sysctl commands; change nothing
  -c, --config PATH      configuration file (default /etc/ppp/rs-pppoe-rule.conf)
      --table N          table for this interface (beats the config file)
      --priority N       rule priority for this interface (beats the config file)
  -v, --verbose          messages on stderr even without a terminal
      --syslog-socket P  syslog socket (default /dev/log, then /var/run/syslog)
  -h, --help             this text
  -V, --version          version

EXIT STATUS  0 done (or nothing to do), 1 the kernel refused or the interface
is missing, 2 bad arguments, address or configuration. No nftables, or a
refused table: the source rule still goes in, a warning, status 0.
";

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `up` / `down` with the interface and address as given (validated
    /// later, so that the error can be logged with what was given).
    Hook {
        mode: Mode,
        iface: Option<String>,
        addr: Option<String>,
    },
    /// `show [IFACE]`.
    Show {
        iface: Option<String>,
    },
    Help,
    Version,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub command: Command,
    pub dry_run: bool,
    pub verbose: bool,
    pub config_path: Option<PathBuf>,
    pub syslog_socket: Option<PathBuf>,
    pub flags: Values,
}

/// The environment variables pppd sets that we read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PppEnv {
    pub ifname: Option<String>,
    pub iplocal: Option<String>,
}

/// Mode from the path we were run as: `.../ip-up.d/10-rule` or
/// `.../ip-up*` means up; the same with `ip-down` means down.
pub fn mode_from_argv0(argv0: &Path) -> Option<Mode> {
    let file = argv0.file_name().and_then(|n| n.to_str());
    let dir = argv0
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str());
    let by = |name: &str| {
        if name.starts_with("ip-up") {
            Some(Mode::Up)
        } else if name.starts_with("ip-down") {
            Some(Mode::Down)
        } else {
            None
        }
    };
    dir.and_then(by).or_else(|| file.and_then(by))
}

/// Parse argv (including argv[0]).
pub fn parse(args: &[OsString], env: &PppEnv) -> Result<Invocation, String> {
    let argv0 = args.first().map(PathBuf::from).unwrap_or_default();
    let mut invocation = Invocation {
        command: Command::Help,
        dry_run: false,
        verbose: false,
        config_path: None,
        syslog_socket: None,
        flags: Values::default(),
    };
    let mut words: Vec<String> = Vec::new();
    let mut explicit: Option<String> = None;
    let mut rest = args.iter().skip(1);
    let mut options_done = false;
    while let Some(arg) = rest.next() {
        let arg = arg
            .to_str()
            .ok_or_else(|| format!("argument is not UTF-8: {arg:?}"))?;
        // Options are only recognised before the first pppd argument, so
        // an ipparam that starts with '-' stays an argument.
        if options_done || !words.is_empty() || !arg.starts_with('-') || arg == "-" {
            if explicit.is_none() && words.is_empty() && matches!(arg, "up" | "down" | "show") {
                explicit = Some(arg.to_owned());
            } else {
                words.push(arg.to_owned());
            }
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (arg, None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            match inline.clone() {
                Some(value) => Ok(value),
                None => rest
                    .next()
                    .and_then(|v| v.to_str().map(str::to_owned))
                    .ok_or_else(|| format!("{name} needs {what}")),
            }
        };
        match name {
            "--" => options_done = true,
            "-n" | "--dry-run" => invocation.dry_run = true,
            "-v" | "--verbose" => invocation.verbose = true,
            "-h" | "--help" => {
                return Ok(Invocation {
                    command: Command::Help,
                    ..invocation
                });
            }
            "-V" | "--version" => {
                return Ok(Invocation {
                    command: Command::Version,
                    ..invocation
                });
            }
            "-c" | "--config" => invocation.config_path = Some(value("a path")?.into()),
            "--syslog-socket" => invocation.syslog_socket = Some(value("a path")?.into()),
            "--table" => invocation.flags.table = Some(number(name, &value("a number")?)?),
            "--priority" => invocation.flags.priority = Some(number(name, &value("a number")?)?),
            _ => return Err(format!("unknown option {arg} (see --help)")),
        }
    }

    let mode = match explicit.as_deref() {
        Some("up") => Some(Mode::Up),
        Some("down") => Some(Mode::Down),
        Some(_) => {
            // show
            if words.len() > 1 {
                return Err("show takes at most one interface name".into());
            }
            invocation.command = Command::Show { iface: words.pop() };
            return Ok(invocation);
        }
        None => mode_from_argv0(&argv0),
    };
    let Some(mode) = mode else {
        return Err(format!(
            "cannot tell up from down: run as ip-up.d/.../ip-down.d/... or give 'up' or 'down' \
             (argv[0] is {})",
            argv0.display()
        ));
    };
    let non_empty = |s: &String| !s.is_empty();
    let (iface, addr) = match words.len() {
        0 => (None, None),
        2 => (Some(words[0].clone()), Some(words[1].clone())),
        5 | 6 => (Some(words[0].clone()), Some(words[3].clone())),
        n => {
            return Err(format!(
                "expected pppd's 5 or 6 arguments (IFACE DEVICE SPEED LOCAL-IP REMOTE-IP \
                 [IPPARAM]), or IFACE LOCAL-IP, got {n}"
            ));
        }
    };
    invocation.command = Command::Hook {
        mode,
        iface: iface
            .filter(non_empty)
            .or_else(|| env.ifname.clone().filter(non_empty)),
        addr: addr
            .filter(non_empty)
            .or_else(|| env.iplocal.clone().filter(non_empty)),
    };
    Ok(invocation)
}

fn number(option: &str, text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| format!("{option}: not a number: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(items: &[&str]) -> Vec<OsString> {
        items.iter().map(OsString::from).collect()
    }

    fn hook(mode: Mode, iface: &str, addr: &str) -> Command {
        Command::Hook {
            mode,
            iface: Some(iface.into()),
            addr: Some(addr.into()),
        }
    }

    const PPPD_ARGS: [&str; 6] = ["ppp0", "eth0", "0", "203.0.113.5", "10.64.64.64", ""];

    #[test]
    fn mode_comes_from_the_run_parts_directory() {
        for (path, mode) in [
            ("/etc/ppp/ip-up.d/10-rule", Some(Mode::Up)),
            ("/etc/ppp/ip-down.d/10-rule", Some(Mode::Down)),
            ("/etc/ppp/ip-up.d/10-rule.sh", Some(Mode::Up)),
            ("/etc/ppp/ip-up.local", Some(Mode::Up)),
            ("/etc/ppp/ip-down", Some(Mode::Down)),
            ("/etc/ppp/ipv6-up.d/10-rule", None),
            ("/usr/sbin/rs-pppoe-rule", None),
        ] {
            assert_eq!(mode_from_argv0(Path::new(path)), mode, "{path}");
        }
    }

    #[test]
    fn pppd_six_arguments_from_ip_up_d() {
        let mut args = vec!["/etc/ppp/ip-up.d/10-rule"];
        args.extend(PPPD_ARGS);
        let invocation = parse(&argv(&args), &PppEnv::default()).unwrap();
        assert_eq!(invocation.command, hook(Mode::Up, "ppp0", "203.0.113.5"));
    }

    #[test]
    fn pppd_five_arguments_without_ipparam() {
        let mut args = vec!["/etc/ppp/ip-down.d/10-rule"];
        args.extend(&PPPD_ARGS[..5]);
        let invocation = parse(&argv(&args), &PppEnv::default()).unwrap();
        assert_eq!(invocation.command, hook(Mode::Down, "ppp0", "203.0.113.5"));
    }

    #[test]
    fn explicit_mode_beats_argv0_and_options_go_first() {
        let mut args = vec![
            "/etc/ppp/ip-up.d/10-rule",
            "--dry-run",
            "down",
            "--table=150",
        ];
        args.extend(PPPD_ARGS);
        let invocation = parse(&argv(&args), &PppEnv::default()).unwrap();
        assert_eq!(invocation.command, hook(Mode::Down, "ppp0", "203.0.113.5"));
        assert!(invocation.dry_run);
        assert_eq!(invocation.flags.table, Some(150));
    }

    #[test]
    fn ipparam_that_looks_like_an_option_stays_an_argument() {
        let args = argv(&[
            "x",
            "up",
            "ppp0",
            "eth0",
            "0",
            "203.0.113.5",
            "10.64.64.64",
            "-n",
        ]);
        let invocation = parse(&args, &PppEnv::default()).unwrap();
        assert!(!invocation.dry_run);
        assert_eq!(invocation.command, hook(Mode::Up, "ppp0", "203.0.113.5"));
    }

    #[test]
    fn environment_fills_in_missing_arguments() {
        let env = PppEnv {
            ifname: Some("ppp1".into()),
            iplocal: Some("198.51.100.7".into()),
        };
        let invocation = parse(&argv(&["/etc/ppp/ip-up.d/10-rule"]), &env).unwrap();
        assert_eq!(invocation.command, hook(Mode::Up, "ppp1", "198.51.100.7"));
        let args = argv(&["x", "up", "ppp1", "eth0", "0", "", "10.64.64.64"]);
        let invocation = parse(&args, &env).unwrap();
        assert_eq!(invocation.command, hook(Mode::Up, "ppp1", "198.51.100.7"));
    }

    #[test]
    fn missing_everything_is_reported_later_not_guessed() {
        let invocation = parse(&argv(&["x", "up"]), &PppEnv::default()).unwrap();
        assert_eq!(
            invocation.command,
            Command::Hook {
                mode: Mode::Up,
                iface: None,
                addr: None
            }
        );
    }

    #[test]
    fn bad_command_lines_are_refused() {
        for args in [
            &["/usr/sbin/rs-pppoe-rule", "ppp0", "203.0.113.5"][..],
            &["x", "up", "ppp0", "eth0", "0"],
            &["x", "up", "--bogus"],
            &["x", "--table", "many", "up"],
            &["x", "--table"],
            &["x", "show", "ppp0", "ppp1"],
        ] {
            assert!(parse(&argv(args), &PppEnv::default()).is_err(), "{args:?}");
        }
    }

    #[test]
    fn show_takes_an_optional_interface() {
        let invocation = parse(&argv(&["x", "show"]), &PppEnv::default()).unwrap();
        assert_eq!(invocation.command, Command::Show { iface: None });
        let invocation = parse(
            &argv(&["x", "-c", "/tmp/c", "show", "ppp1"]),
            &PppEnv::default(),
        )
        .unwrap();
        assert_eq!(
            invocation.command,
            Command::Show {
                iface: Some("ppp1".into())
            }
        );
        assert_eq!(invocation.config_path, Some(PathBuf::from("/tmp/c")));
    }
}
