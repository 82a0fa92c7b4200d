//! The one blocking loop: pumps the sans-IO [`Client`] over a
//! [`PacketSocket`] with `poll(2)` and the monotonic clock.
//!
//! The loop sends whatever the client wants sent, sleeps in `ppoll` until a
//! frame arrives or the client's next deadline, feeds every queued frame to
//! the client, and stops as soon as the client has an outcome — so a PADR
//! goes out in the same wake-up that received the PADO, and the caller gets
//! control back the moment the PADS is in.

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use crate::discovery::{Client, Event};
use crate::sys::PacketSocket;

/// Receive buffer: the largest discovery frame is 14 bytes of Ethernet
/// header + 6 of PPPoE header + 1494 of tags = 1514; a little slack lets a
/// too-long frame show up as too long instead of silently cut.
const RECV_BUFFER_LEN: usize = 1536;

/// Longest single sleep. A signal that lands after the `cancelled` check but
/// before `ppoll` starts does not interrupt it; this bounds how late such a
/// cancellation is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(1);

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
    let mut buf = [0u8; RECV_BUFFER_LEN];
    loop {
        transmit(sock, client, hooks, Instant::now())?;
        let Some(deadline) = client.poll_at() else {
            return Ok(());
        };
        if hooks.cancelled() {
            return Err(DriverError::Cancelled);
        }
        let sleep = deadline.saturating_duration_since(Instant::now());
        match sock.wait_readable(Some(sleep.min(MAX_SLEEP))) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                if hooks.cancelled() {
                    return Err(DriverError::Cancelled);
                }
                continue;
            }
            Err(source) => {
                return Err(DriverError::Io {
                    what: "poll",
                    source,
                });
            }
        }
        // Drain everything queued; after each frame, send what it caused
        // (a PADR right after its PADO) and stop once discovery is over.
        while let Some(len) = sock.try_recv(&mut buf).map_err(|source| DriverError::Io {
            what: "recv",
            source,
        })? {
            let now = Instant::now();
            let frame = &buf[..len];
            hooks.frame(Direction::Received, frame);
            let event = client.handle_frame(now, frame);
            hooks.event(&event);
            transmit(sock, client, hooks, now)?;
            if client.outcome().is_some() {
                return Ok(());
            }
        }
    }
}

fn transmit(
    sock: &PacketSocket,
    client: &mut Client,
    hooks: &mut impl Hooks,
    now: Instant,
) -> Result<(), DriverError> {
    while let Some(frame) = client.poll_transmit(now) {
        hooks.frame(Direction::Sent, &frame);
        sock.send(&frame).map_err(|source| DriverError::Io {
            what: "send",
            source,
        })?;
    }
    Ok(())
}
