//! Messages: syslog (daemon facility) when a syslog socket exists, and
//! stderr when it is a terminal (or `--verbose`). pppd runs hooks with
//! stdio on /dev/null and maybe no syslog daemon: then messages go nowhere
//! and the hook still works. Nothing here may block.

use std::io::IsTerminal;
use std::path::Path;

use syslog::{Facility, Formatter3164, Logger, LoggerBackend};

const PROCESS: &str = "rs-pppoe-rule";

pub struct Log {
    syslog: Option<Logger<LoggerBackend, Formatter3164>>,
    stderr: bool,
}

impl Log {
    /// Connect to syslog (`socket`, or the usual /dev/log). Failure to
    /// connect is not an error: we log nowhere.
    pub fn open(socket: Option<&Path>, verbose: bool) -> Log {
        let formatter = Formatter3164 {
            facility: Facility::LOG_DAEMON,
            // With the local socket the daemon adds the host name itself;
            // this also avoids a hostname lookup.
            hostname: None,
            process: PROCESS.into(),
            pid: std::process::id(),
        };
        let logger = match socket {
            Some(path) => syslog::unix_custom(formatter, path),
            None => syslog::unix(formatter),
        };
        let syslog = logger.ok().inspect(|logger| {
            // A stuck syslog daemon must not stall pppd's script: drop
            // messages instead of waiting for buffer space.
            let _ = match &logger.backend {
                LoggerBackend::Unix(socket) => socket.set_nonblocking(true),
                LoggerBackend::UnixStream(stream) => stream.get_ref().set_nonblocking(true),
                _ => Ok(()),
            };
        });
        Log {
            syslog,
            stderr: verbose || std::io::stderr().is_terminal(),
        }
    }

    pub fn info(&mut self, message: &str) {
        if let Some(logger) = &mut self.syslog {
            let _ = logger.info(message);
        }
        if self.stderr {
            eprintln!("{PROCESS}: {message}");
        }
    }

    pub fn warning(&mut self, message: &str) {
        if let Some(logger) = &mut self.syslog {
            let _ = logger.warning(message);
        }
        if self.stderr {
            eprintln!("{PROCESS}: warning: {message}");
        }
    }

    pub fn error(&mut self, message: &str) {
        if let Some(logger) = &mut self.syslog {
            let _ = logger.err(message);
        }
        if self.stderr {
            eprintln!("{PROCESS}: error: {message}");
        }
    }
}
