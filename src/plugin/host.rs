//! What the plugin needs from pppd and from the network, as traits.
//!
//! The plugin logic in [`super::Plugin`] only talks to these two traits.
//! `ffi` implements [`Host`] with calls into pppd (through the C shim) and
//! [`SysNetwork`](super::SysNetwork) implements [`Network`] with real
//! sockets; the tests use fakes of both, so no test ever links against a
//! pppd symbol.

use std::fmt;
use std::io;
use std::os::fd::RawFd;

use crate::discovery::{Config, Outcome};
use crate::driver::Hooks;
use crate::sys::pppox::AttachedSession;
use crate::sys::{InterfaceError, LinkProblem, LinkState};
use crate::wire::MacAddr;

/// pppd's log levels, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `dbglog`: only shown with pppd's `debug` option.
    Debug,
    /// `info`.
    Info,
    /// `notice`.
    Notice,
    /// `warn`.
    Warn,
    /// `error`.
    Error,
}

/// pppd's LCP MRU settings (`lcp_wantoptions[0].mru` and
/// `lcp_allowoptions[0].mru`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LcpMru {
    /// The MRU we ask the peer to respect (pppd's `mru` option).
    pub want_mru: i32,
    /// The largest MRU we let the peer ask for, i.e. our MTU (pppd's `mtu`
    /// option).
    pub allow_mtu: i32,
}

/// The services pppd offers a channel plugin.
pub trait Host {
    /// Logs one line through pppd (never a format string).
    fn log(&self, level: Level, message: &str);
    /// Reports an option error (stderr while parsing, and syslog).
    fn option_error(&self, message: &str);
    /// pppd's "ppp device name", shown as "Connect: ppp0 <--> eth0".
    fn set_ppp_devnam(&mut self, name: &str);
    /// pppd's remote number: the AC's MAC, as the radius plugin's
    /// Calling-Station-Id and `allow-number` expect it.
    fn set_remote_number(&mut self, number: &str);
    /// pppd's session number (the PPPoE session id).
    fn set_session_number(&mut self, number: i32);
    /// Sets a variable in the environment of pppd's scripts.
    fn script_setenv(&mut self, name: &str, value: &str);
    /// Reads pppd's LCP MRU settings.
    fn lcp_mru(&self) -> LcpMru;
    /// Writes pppd's LCP MRU settings.
    fn set_lcp_mru(&mut self, mru: LcpMru);
    /// True once pppd has been told to terminate: stop discovery.
    fn sigterm_seen(&self) -> bool;
    /// True when pppd's `debug` option is on: log every discovery frame.
    fn debug_on(&self) -> bool {
        false
    }
    /// pppd's process id, the default Host-Uniq.
    fn pid(&self) -> u32 {
        std::process::id()
    }
}

/// What the plugin learns about an Ethernet interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// The interface's own MAC: the source of our discovery frames.
    pub mac: MacAddr,
    /// The interface MTU; PPP gets 8 bytes less (PPPoE + PPP headers).
    pub mtu: u32,
}

/// Why discovery could not run to an [`Outcome`].
#[derive(Debug)]
pub enum DiscoveryError {
    /// pppd was told to terminate while discovery ran.
    Cancelled,
    /// The discovery socket could not be opened on the interface.
    Interface(InterfaceError),
    /// The configuration cannot produce valid frames.
    Config(crate::discovery::ConfigError),
    /// Sending failed because the link went down or lost its carrier.
    Link(LinkProblem),
    /// Sending or receiving failed.
    Io(io::Error),
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryError::Cancelled => f.write_str("discovery interrupted by a signal"),
            DiscoveryError::Interface(e) => write!(f, "{e}"),
            DiscoveryError::Config(e) => write!(f, "{e}"),
            DiscoveryError::Link(e) => write!(f, "{e}"),
            DiscoveryError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// A PPPoE session socket (AF_PPPOX), owned by the plugin until pppd's
/// `disconnect`.
pub trait SessionSocket {
    /// Attaches the socket to a session: the kernel carries its frames.
    fn connect(&mut self, session_id: u16, ac_mac: MacAddr) -> io::Result<()>;
    /// Detaches it again (tolerating "already detached").
    fn disconnect(&mut self) -> io::Result<()>;
    /// The descriptor pppd's generic establish attaches to a PPP channel.
    fn raw_fd(&self) -> RawFd;
}

/// The network operations of a connection attempt.
pub trait Network {
    /// The session socket type.
    type Session: SessionSocket;
    /// Checks that `ifname` is an Ethernet interface PPPoE can use and
    /// reads its MAC address and MTU.
    fn interface(&mut self, ifname: &str) -> Result<InterfaceInfo, InterfaceError>;
    /// Whether `ifname` is up and has a carrier (the pre-flight check
    /// before each discovery).
    fn link_state(&mut self, ifname: &str) -> Result<LinkState, InterfaceError>;
    /// Opens an unconnected session socket on `ifname`.
    fn open_session(&mut self, ifname: &str) -> io::Result<Self::Session>;
    /// Runs discovery on `ifname` to its end. `hooks.cancelled()` is
    /// polled between waits; `hooks` sees every event, every frame, and
    /// the tagged frames seen on the interface (for the VLAN hint).
    fn discover(
        &mut self,
        ifname: &str,
        config: Config,
        hooks: &mut dyn Hooks,
    ) -> Result<Outcome, DiscoveryError>;
    /// Sends one discovery frame (a PADT) on `ifname`.
    fn send_discovery_frame(&mut self, ifname: &str, frame: &[u8]) -> io::Result<()>;
    /// The sessions some AF_PPPOX socket on this host is attached to (ours
    /// or another process's): those are alive, whatever a record says.
    fn attached_sessions(&mut self) -> io::Result<Vec<AttachedSession>>;
}
