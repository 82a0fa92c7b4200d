//! [`Network`] over the real sockets: `sys::packet` for discovery and
//! PADT, `sys::pppox` for the session, `driver` for the wait loop.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use super::host::{DiscoveryError, InterfaceInfo, Network, SessionSocket};
use crate::discovery::{Client, Config, Event, Outcome};
use crate::driver::{self, Direction, DriverError, Hooks, VlanWatch, WatchFrom};
use crate::sys::pppox::{self, AttachedSession};
use crate::sys::{
    IfName, InterfaceError, LinkState, PacketSocket, PppoxSocket, ethernet_link,
    link_problem_behind, link_state,
};

/// Most stale frames thrown away before a discovery: a host flooding the
/// segment must not keep us draining forever (the driver reads the rest
/// within its budget, and they are judged like any other frame).
const MAX_STALE_FRAMES: usize = 256;
use crate::wire::MacAddr;

/// The kernel's sockets.
///
/// The discovery socket is kept open from one discovery to the next PADT and
/// reused: releasing an AF_PACKET socket makes the kernel wait for an RCU
/// grace period (8–18 ms measured here), which would otherwise sit between
/// the PADS and LCP on every connect.
#[derive(Debug, Default)]
pub struct SysNetwork {
    discovery: Option<PacketSocket>,
}

impl SysNetwork {
    /// The discovery socket for `ifname`, reused while it still matches the
    /// interface (same name, same MAC: the kernel filter is built on it).
    fn discovery_socket(&mut self, ifname: &str) -> Result<&PacketSocket, InterfaceError> {
        let link = ethernet_link(ifname)?;
        let reusable = self.discovery.as_ref().is_some_and(|sock| {
            sock.ifname().as_str() == ifname
                && sock.ifindex() == link.ifindex
                && sock.mac() == link.mac
        });
        if !reusable {
            self.discovery = None;
            self.discovery = Some(PacketSocket::discovery(ifname)?);
        }
        // Both branches leave a socket in place.
        self.discovery
            .as_ref()
            .ok_or(InterfaceError::NoSuchInterface {
                name: ifname.to_owned(),
            })
    }
}

/// An AF_PPPOX socket.
#[derive(Debug)]
pub struct SysSession(PppoxSocket);

impl SessionSocket for SysSession {
    fn connect(&mut self, session_id: u16, ac_mac: MacAddr) -> io::Result<()> {
        self.0.connect(session_id, ac_mac.0)
    }

    fn disconnect(&mut self) -> io::Result<()> {
        self.0.disconnect()
    }

    fn raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Network for SysNetwork {
    type Session = SysSession;

    fn interface(&mut self, ifname: &str) -> Result<InterfaceInfo, InterfaceError> {
        // Called for every word pppd cannot match, so it must be cheap and
        // quiet: plain ioctls, no packet socket.
        let link = ethernet_link(ifname)?;
        Ok(InterfaceInfo {
            mac: MacAddr(link.mac),
            mtu: link.mtu,
        })
    }

    fn link_state(&mut self, ifname: &str) -> Result<LinkState, InterfaceError> {
        link_state(ifname)
    }

    fn open_session(&mut self, ifname: &str) -> io::Result<SysSession> {
        let name = IfName::new(ifname).map_err(io::Error::other)?;
        PppoxSocket::open(&name).map(SysSession)
    }

    fn discover(
        &mut self,
        ifname: &str,
        config: Config,
        hooks: &mut dyn Hooks,
    ) -> Result<Outcome, DiscoveryError> {
        let socket = self
            .discovery_socket(ifname)
            .map_err(DiscoveryError::Interface)?;
        // Frames that queued up since the last use (the AC's PADT, late
        // offers) belong to an earlier exchange.
        let mut stale = [0u8; 1536];
        for _ in 0..MAX_STALE_FRAMES {
            if !matches!(socket.try_recv(&mut stale), Ok(Some(_))) {
                break;
            }
        }
        let mut client =
            Client::new(config, std::time::Instant::now()).map_err(DiscoveryError::Config)?;
        // Tagged answers are looked for only once the first wait went
        // unanswered: a discovery that succeeds at once never opens (and
        // never pays for closing) the watcher.
        let mut watch = VlanWatch::new(ifname, WatchFrom::FirstWaitEnd);
        driver::run_watching(socket, &mut watch, &mut client, &mut ForwardHooks(hooks)).map_err(
            |e| match e {
                DriverError::Cancelled => DiscoveryError::Cancelled,
                DriverError::Io { what, source } => match link_problem_behind(ifname, &source) {
                    Some(problem) => DiscoveryError::Link(problem),
                    None => DiscoveryError::Io(io::Error::new(
                        source.kind(),
                        format!("{what}: {source}"),
                    )),
                },
            },
        )?;
        client.into_outcome().ok_or_else(|| {
            DiscoveryError::Io(io::Error::other("discovery ended without an outcome"))
        })
    }

    fn send_discovery_frame(&mut self, ifname: &str, frame: &[u8]) -> io::Result<()> {
        let socket = self.discovery_socket(ifname).map_err(io::Error::other)?;
        socket.send(frame)
    }

    fn attached_sessions(&mut self) -> io::Result<Vec<AttachedSession>> {
        pppox::attached_sessions()
    }
}

/// `driver::run_with_hooks` wants a sized `Hooks`; this forwards to ours.
struct ForwardHooks<'a>(&'a mut dyn Hooks);

impl Hooks for ForwardHooks<'_> {
    fn event(&mut self, event: &Event) {
        self.0.event(event);
    }

    fn cancelled(&mut self) -> bool {
        self.0.cancelled()
    }

    fn frame(&mut self, direction: Direction, frame: &[u8]) {
        self.0.frame(direction, frame);
    }

    fn tagged_frame(&mut self, vid: u16, frame: &[u8]) {
        self.0.tagged_frame(vid, frame);
    }
}
