//! [`Network`] over the real sockets: `sys::packet` for discovery and
//! PADT, `sys::pppox` for the session, `driver` for the wait loop.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use super::host::{DiscoveryError, InterfaceInfo, Network, SessionSocket};
use crate::discovery::{Client, Config, Event, Outcome};
use crate::driver::{self, Direction, DriverError, Hooks};
use crate::sys::{IfName, InterfaceError, PacketSocket, PppoxSocket, ethernet_link};
use crate::wire::MacAddr;

/// The kernel's sockets.
#[derive(Debug, Default)]
pub struct SysNetwork;

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
        let socket = PacketSocket::discovery(ifname).map_err(DiscoveryError::Interface)?;
        let mut client =
            Client::new(config, std::time::Instant::now()).map_err(DiscoveryError::Config)?;
        driver::run_with_hooks(&socket, &mut client, &mut ForwardHooks(hooks)).map_err(
            |e| match e {
                DriverError::Cancelled => DiscoveryError::Cancelled,
                DriverError::Io { what, source } => {
                    DiscoveryError::Io(io::Error::new(source.kind(), format!("{what}: {source}")))
                }
            },
        )?;
        client.into_outcome().ok_or_else(|| {
            DiscoveryError::Io(io::Error::other("discovery ended without an outcome"))
        })
    }

    fn send_discovery_frame(&mut self, ifname: &str, frame: &[u8]) -> io::Result<()> {
        let socket = PacketSocket::discovery(ifname).map_err(io::Error::other)?;
        socket.send(frame)
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
}
