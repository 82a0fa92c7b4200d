//! The command line: a flag for every question, so setup can be scripted.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::answers::PeerName;
use crate::setup::Options;

pub const USAGE: &str = "\
rs-pppoe-setup: write a pppd peers file and its secrets for rs-pppoe.so

Finds the Ethernet interface a PPPoE access concentrator answers on, asks
for the ISP user name and password (not echoed), shows what it will write,
and writes /etc/ppp/peers/NAME plus the entry in /etc/ppp/chap-secrets and
pap-secrets (mode 0600, every other line kept, the old file kept as .bak).

USAGE
  rs-pppoe-setup [OPTIONS]

OPTIONS
  -I, --interface IFACE    the interface facing the gateway (default: probe
                           every Ethernet interface that is up and ask)
  -u, --user NAME          the ISP user name (default: ask)
  -p, --password-file FILE read the password from the first line of FILE;
                           '-' reads standard input (default: ask, no echo)
  -n, --name PEER          the peers file name: pon PEER (default: rs-pppoe)
  -y, --yes                write without asking for confirmation
  -f, --force              replace an existing /etc/ppp/peers/PEER (kept as .bak)
      --root DIR           write under DIR/etc/ppp instead of /etc/ppp
  -h, --help               this text
  -V, --version            version

Without a terminal every answer must come from a flag, and --yes is needed.

EXIT STATUS  0 written, 1 declined (nothing written), 2 error (nothing written
unless the message says so).
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    Help,
    Version,
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let mut options = Options::default();
    let text = |value: OsString, flag: &str| {
        value
            .into_string()
            .map_err(|_| format!("{flag}: the value is not UTF-8"))
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('I') | Long("interface") => {
                options.interface = Some(text(parser.value().map_err(|e| e.to_string())?, "-I")?);
            }
            Short('u') | Long("user") => {
                options.user = Some(text(parser.value().map_err(|e| e.to_string())?, "--user")?);
            }
            Short('p') | Long("password-file") => {
                options.password_file =
                    Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?));
            }
            Short('n') | Long("name") => {
                let name = text(parser.value().map_err(|e| e.to_string())?, "--name")?;
                options.peer = PeerName::parse(&name).map_err(|e| format!("--name: {e}"))?;
            }
            Short('y') | Long("yes") => options.yes = true,
            Short('f') | Long("force") => options.force = true,
            Long("root") => {
                options.root = PathBuf::from(parser.value().map_err(|e| e.to_string())?);
            }
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(Command::Run(options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::DEFAULT_PEER;

    fn parse_strs(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn no_flags_ask_everything_for_the_default_peer() {
        let Command::Run(options) = parse_strs(&[]).unwrap() else {
            panic!("not a run")
        };
        assert_eq!(options, Options::default());
        assert_eq!(options.peer.as_str(), DEFAULT_PEER);
        assert_eq!(options.root, PathBuf::from("/"));
    }

    #[test]
    fn every_question_has_a_flag() {
        let Command::Run(options) = parse_strs(&[
            "-I",
            "enp1s0",
            "--user=id@isp.ne.jp",
            "--password-file",
            "-",
            "--name",
            "isp",
            "-yf",
            "--root",
            "/tmp/scratch",
        ])
        .unwrap() else {
            panic!("not a run")
        };
        assert_eq!(options.interface.as_deref(), Some("enp1s0"));
        assert_eq!(options.user.as_deref(), Some("id@isp.ne.jp"));
        assert_eq!(options.password_file, Some(PathBuf::from("-")));
        assert_eq!(options.peer.as_str(), "isp");
        assert!(options.yes && options.force);
        assert_eq!(options.root, PathBuf::from("/tmp/scratch"));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        let err = parse_strs(&["--name", "../passwd"]).unwrap_err();
        assert!(err.starts_with("--name: the peer name"), "{err}");
        let err = parse_strs(&["--password", "x"]).unwrap_err();
        assert!(err.contains("--password"), "{err}");
        let err = parse_strs(&["-I"]).unwrap_err();
        assert!(err.contains("-I"), "{err}");
        assert_eq!(parse_strs(&["-h"]), Ok(Command::Help));
    }
}
