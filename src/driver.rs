//! The one blocking loop: pumps sans-IO [`Client`]s over [`PacketSocket`]s
//! with `poll(2)` and the monotonic clock.
//!
//! The loop sends whatever the clients want sent, sleeps in `ppoll` until a
//! frame arrives or the next deadline, feeds the queued frames to the
//! client they belong to, and stops as soon as every client has an
//! outcome — so a PADR goes out in the same wake-up that received the
//! PADO, and the caller gets control back the moment the PADS is in.
//!
//! Usually there is one client on one interface ([`run_with_hooks`]).
//! [`run_probes`] runs several at once, one poll loop for all: one per
//! interface for `rs-pppoe-discovery --all`, one per VLAN for
//! `--probe-vlans`. A client on a VLAN sends its frames tagged and hears
//! its answers through the interface's VLAN watcher; every other tagged
//! frame the watcher sees goes to [`Hooks::tagged_frame`], for hints only,
//! never to a client.
//!
//! A peer cannot make the loop spin on its frames: each wake-up reads at
//! most [`FRAME_BUDGET`] frames per socket before deadlines, cancellation
//! and the other sockets get their turn.

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use crate::discovery::{Client, Event};
use crate::sys::PacketSocket;
use crate::sys::packet::{Readiness, wait_any};
use crate::wire::{ETHERTYPE_VLAN, with_vlan_tag};

/// Receive buffer: the largest discovery frame is 14 bytes of Ethernet
/// header + 6 of PPPoE header + 1494 of tags = 1514; a little slack lets a
/// too-long frame show up as too long instead of silently cut.
const RECV_BUFFER_LEN: usize = 1536;

/// Longest single sleep. A signal that lands after the `cancelled` check but
/// before `ppoll` starts does not interrupt it; this bounds how late such a
/// cancellation is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// Most frames read from one socket in one wake-up.
pub const FRAME_BUDGET: usize = 64;

/// Which way a frame went, for packet dumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// What the caller wants to hear about while discovery runs.
pub trait Hooks {
    /// Called with the meaning of every received frame.
    fn event(&mut self, event: &Event);

    /// Checked before every sleep and after every interrupted one; `true`
    /// ends the run with [`DriverError::Cancelled`].
    fn cancelled(&mut self) -> bool {
        false
    }

    /// Every frame sent or received, before it is acted on (for `-D`).
    fn frame(&mut self, _direction: Direction, _frame: &[u8]) {}

    /// A tagged discovery frame the VLAN watcher saw on VLAN `vid`
    /// (addressed to us or broadcast). Never an answer for the client.
    fn tagged_frame(&mut self, _vid: u16, _frame: &[u8]) {}
}

/// Why the loop stopped before the client finished.
#[derive(Debug)]
pub enum DriverError {
    /// `cancelled` returned true (e.g. pppd got SIGTERM).
    Cancelled,
    /// A socket call failed.
    Io {
        what: &'static str,
        source: io::Error,
    },
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriverError::Cancelled => f.write_str("discovery cancelled"),
            DriverError::Io { what, source } => write!(f, "{what} failed: {source}"),
        }
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DriverError::Cancelled => None,
            DriverError::Io { source, .. } => Some(source),
        }
    }
}

/// When an interface's VLAN watcher opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchFrom {
    /// Never: no VLAN hints, no VLAN probes.
    Never,
    /// With the first PADI.
    Start,
    /// Once the first wait for offers has ended: an interface that answers
    /// at once never pays for the watcher (closing an AF_PACKET socket
    /// costs an RCU grace period, several milliseconds).
    FirstWaitEnd,
}

/// An interface's VLAN watcher ([`PacketSocket::vlan_watcher`]), opened
/// when [`WatchFrom`] says. Opening is best effort: a watcher that cannot
/// be opened only costs the hints.
#[derive(Debug)]
pub struct VlanWatch {
    ifname: String,
    from: WatchFrom,
    socket: Option<PacketSocket>,
    tried: bool,
}

impl VlanWatch {
    pub fn new(ifname: &str, from: WatchFrom) -> VlanWatch {
        VlanWatch {
            ifname: ifname.to_owned(),
            from,
            socket: None,
            tried: false,
        }
    }

    /// No watcher.
    pub fn off() -> VlanWatch {
        VlanWatch::new("", WatchFrom::Never)
    }

    /// The socket, if it was opened (to close it, or hand it on).
    pub fn into_socket(self) -> Option<PacketSocket> {
        self.socket
    }

    /// When it is due to open, for a run that started at `start` with a
    /// first wait of `first_wait`; `None` once opened or never.
    fn due(&self, start: Instant, first_wait: Duration) -> Option<Instant> {
        if self.tried {
            return None;
        }
        match self.from {
            WatchFrom::Never => None,
            WatchFrom::Start => Some(start),
            WatchFrom::FirstWaitEnd => Some(start + first_wait),
        }
    }

    fn open(&mut self) {
        self.tried = true;
        self.socket = PacketSocket::vlan_watcher(&self.ifname).ok();
    }
}

/// One interface of a run: its discovery socket and its VLAN watcher.
#[derive(Debug)]
pub struct Port<'a> {
    pub socket: &'a PacketSocket,
    pub watch: &'a mut VlanWatch,
    /// Set when the interface's socket failed; its probes stop, the others
    /// go on.
    pub failure: Option<DriverError>,
}

impl<'a> Port<'a> {
    pub fn new(socket: &'a PacketSocket, watch: &'a mut VlanWatch) -> Port<'a> {
        Port {
            socket,
            watch,
            failure: None,
        }
    }
}

/// One client of a run: on which port, untagged or on which VLAN.
#[derive(Debug)]
pub struct Probe<'a> {
    /// Index into the run's ports.
    pub port: usize,
    pub vlan: Option<u16>,
    pub client: &'a mut Client,
}

/// [`Hooks`] for a run of several probes: each call says which probe (or,
/// for tagged frames no probe waits for, which port) it is about.
pub trait ProbeHooks {
    fn event(&mut self, probe: usize, event: &Event);
    fn cancelled(&mut self) -> bool {
        false
    }
    fn frame(&mut self, _probe: usize, _direction: Direction, _frame: &[u8]) {}
    fn tagged_frame(&mut self, _port: usize, _vid: u16, _frame: &[u8]) {}
}

/// Runs `client` to completion over `sock`, calling `observer` with the
/// meaning of every received frame. On `Ok`, `client.outcome()` is `Some`.
pub fn run(
    sock: &PacketSocket,
    client: &mut Client,
    observer: impl FnMut(&Event),
    cancelled: impl Fn() -> bool,
) -> Result<(), DriverError> {
    struct Closures<O, C> {
        observer: O,
        cancelled: C,
    }
    impl<O: FnMut(&Event), C: Fn() -> bool> Hooks for Closures<O, C> {
        fn event(&mut self, event: &Event) {
            (self.observer)(event)
        }
        fn cancelled(&mut self) -> bool {
            (self.cancelled)()
        }
    }
    run_with_hooks(
        sock,
        client,
        &mut Closures {
            observer,
            cancelled,
        },
    )
}

/// [`run`] with every hook, including the packet dump.
pub fn run_with_hooks(
    sock: &PacketSocket,
    client: &mut Client,
    hooks: &mut impl Hooks,
) -> Result<(), DriverError> {
    run_watching(sock, &mut VlanWatch::off(), client, hooks)
}

/// [`run_with_hooks`] with a VLAN watcher on the same interface, whose
/// frames go to [`Hooks::tagged_frame`].
pub fn run_watching(
    sock: &PacketSocket,
    watch: &mut VlanWatch,
    client: &mut Client,
    hooks: &mut impl Hooks,
) -> Result<(), DriverError> {
    struct One<'h, H>(&'h mut H);
    impl<H: Hooks> ProbeHooks for One<'_, H> {
        fn event(&mut self, _probe: usize, event: &Event) {
            self.0.event(event)
        }
        fn cancelled(&mut self) -> bool {
            self.0.cancelled()
        }
        fn frame(&mut self, _probe: usize, direction: Direction, frame: &[u8]) {
            self.0.frame(direction, frame)
        }
        fn tagged_frame(&mut self, _port: usize, vid: u16, frame: &[u8]) {
            self.0.tagged_frame(vid, frame)
        }
    }
    let mut ports = [Port::new(sock, watch)];
    let mut probes = [Probe {
        port: 0,
        vlan: None,
        client,
    }];
    run_probes(&mut ports, &mut probes, &mut One(hooks))?;
    let [port] = ports;
    match port.failure {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// Runs every probe to completion (or until its port fails), all in one
/// poll loop. Only cancellation is an error here; a port's failure is left
/// in [`Port::failure`] and ends only that port's probes.
pub fn run_probes(
    ports: &mut [Port<'_>],
    probes: &mut [Probe<'_>],
    hooks: &mut impl ProbeHooks,
) -> Result<(), DriverError> {
    let start = Instant::now();
    let first_wait = probes
        .iter()
        .map(|p| p.client.config().timeout)
        .min()
        .unwrap_or_default();
    let mut buf = [0u8; RECV_BUFFER_LEN];
    loop {
        let now = Instant::now();
        // Watchers first: the answers to the PADIs about to go out must
        // find them open.
        for (index, port) in ports.iter_mut().enumerate() {
            let running = probes
                .iter()
                .any(|p| p.port == index && p.client.outcome().is_none());
            let due = port.watch.due(start, first_wait).is_some_and(|t| t <= now);
            if running && port.failure.is_none() && due {
                port.watch.open();
            }
        }
        for index in 0..probes.len() {
            transmit(ports, probes, index, hooks, now);
        }
        let Some(deadline) = next_deadline(ports, probes, start, first_wait) else {
            return Ok(());
        };
        if hooks.cancelled() {
            return Err(DriverError::Cancelled);
        }
        // The sockets to wait on: every live port's, then the open watchers.
        let mut sockets = Vec::with_capacity(ports.len() * 2);
        let mut owners = Vec::with_capacity(ports.len() * 2);
        for (index, port) in ports.iter().enumerate() {
            if port.failure.is_none() {
                sockets.push(port.socket);
                owners.push((index, false));
                if let Some(watcher) = &port.watch.socket {
                    sockets.push(watcher);
                    owners.push((index, true));
                }
            }
        }
        let sleep = deadline.saturating_duration_since(Instant::now());
        let readiness = match wait_any(&sockets, sleep.min(MAX_SLEEP)) {
            Ok(readiness) => readiness,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                if hooks.cancelled() {
                    return Err(DriverError::Cancelled);
                }
                continue;
            }
            Err(source) => {
                // ppoll itself failed: nothing can go on.
                for port in ports.iter_mut() {
                    port.failure.get_or_insert(DriverError::Io {
                        what: "poll",
                        source: io::Error::new(source.kind(), source.to_string()),
                    });
                }
                return Ok(());
            }
        };
        for ((port, watcher), ready) in owners.into_iter().zip(readiness) {
            match ready {
                Readiness::Idle => {}
                Readiness::Readable if watcher => {
                    drain_watcher(ports, probes, port, hooks, &mut buf);
                }
                Readiness::Readable => drain_socket(ports, probes, port, hooks, &mut buf),
                Readiness::Failed(source) if watcher => {
                    // Only the hints are lost.
                    let _ = source;
                    ports[port].watch.socket = None;
                }
                Readiness::Failed(source) => {
                    ports[port].failure.get_or_insert(DriverError::Io {
                        what: "poll",
                        source,
                    });
                }
            }
        }
    }
}

/// The earliest instant anything is due: a client's deadline or a watcher
/// opening. `None` once every probe is finished or stopped.
fn next_deadline(
    ports: &[Port<'_>],
    probes: &[Probe<'_>],
    start: Instant,
    first_wait: Duration,
) -> Option<Instant> {
    let client_deadline = probes
        .iter()
        .filter(|p| ports[p.port].failure.is_none())
        .filter_map(|p| p.client.poll_at())
        .min()?;
    let watcher_due = ports
        .iter()
        .filter(|p| p.failure.is_none())
        .filter_map(|p| p.watch.due(start, first_wait))
        .min();
    Some(watcher_due.map_or(client_deadline, |due| due.min(client_deadline)))
}

/// Sends whatever probe `index` wants sent, tagged for its VLAN.
fn transmit(
    ports: &mut [Port<'_>],
    probes: &mut [Probe<'_>],
    index: usize,
    hooks: &mut impl ProbeHooks,
    now: Instant,
) {
    let probe = &mut probes[index];
    let port = &mut ports[probe.port];
    if port.failure.is_some() {
        return;
    }
    while let Some(frame) = probe.client.poll_transmit(now) {
        let result = match probe.vlan {
            None => {
                hooks.frame(index, Direction::Sent, &frame);
                port.socket.send(&frame)
            }
            Some(vid) => match with_vlan_tag(&frame, vid) {
                Some(tagged) => {
                    hooks.frame(index, Direction::Sent, &tagged);
                    port.socket.send_as(&tagged, ETHERTYPE_VLAN)
                }
                None => Ok(()),
            },
        };
        if let Err(source) = result {
            port.failure = Some(DriverError::Io {
                what: "send",
                source,
            });
            return;
        }
    }
}

/// Feeds up to [`FRAME_BUDGET`] queued frames of port `port`'s discovery
/// socket to its untagged probe.
fn drain_socket(
    ports: &mut [Port<'_>],
    probes: &mut [Probe<'_>],
    port: usize,
    hooks: &mut impl ProbeHooks,
    buf: &mut [u8],
) {
    let untagged = probes
        .iter()
        .position(|p| p.port == port && p.vlan.is_none());
    for _ in 0..FRAME_BUDGET {
        if untagged.is_none_or(|i| probes[i].client.outcome().is_some()) {
            // Nobody left to hear it; later frames stay queued.
            return;
        }
        let len = match ports[port].socket.try_recv(buf) {
            Ok(Some(len)) => len,
            Ok(None) => return,
            Err(source) => {
                ports[port].failure = Some(DriverError::Io {
                    what: "recv",
                    source,
                });
                return;
            }
        };
        if let Some(index) = untagged {
            deliver(ports, probes, index, hooks, &buf[..len]);
        }
    }
}

/// Feeds up to [`FRAME_BUDGET`] frames of port `port`'s VLAN watcher to
/// the probe of their VLAN, or to [`ProbeHooks::tagged_frame`].
fn drain_watcher(
    ports: &mut [Port<'_>],
    probes: &mut [Probe<'_>],
    port: usize,
    hooks: &mut impl ProbeHooks,
    buf: &mut [u8],
) {
    for _ in 0..FRAME_BUDGET {
        let Some(watcher) = &ports[port].watch.socket else {
            return;
        };
        let received = match watcher.recv_frame(buf) {
            Ok(Some(received)) => received,
            Ok(None) => return,
            Err(_) => {
                ports[port].watch.socket = None;
                return;
            }
        };
        let Some(vid) = received.vlan else {
            continue;
        };
        let frame = &buf[..received.len];
        match probes
            .iter()
            .position(|p| p.port == port && p.vlan == Some(vid))
        {
            Some(index) => deliver(ports, probes, index, hooks, frame),
            None => hooks.tagged_frame(port, vid, frame),
        }
    }
}

/// One received frame for probe `index`: judge it, then send what it
/// caused (a PADR right after its PADO).
fn deliver(
    ports: &mut [Port<'_>],
    probes: &mut [Probe<'_>],
    index: usize,
    hooks: &mut impl ProbeHooks,
    frame: &[u8],
) {
    if probes[index].client.outcome().is_some() {
        return;
    }
    let now = Instant::now();
    hooks.frame(index, Direction::Received, frame);
    let event = probes[index].client.handle_frame(now, frame);
    hooks.event(index, &event);
    transmit(ports, probes, index, hooks, now);
}
