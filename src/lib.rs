//! rs-pppoe: a memory-safe PPPoE client for pppd.
//!
//! Layers, from the bottom up:
//!
//! * [`wire`] — pure, total packet code: typed views over `&[u8]` plus
//!   parse/emit for Ethernet + PPPoE discovery frames. Never panics.
//! * [`discovery`] — the PADI/PADO/PADR/PADS state machine. It does no I/O:
//!   it takes time and frames and returns frames to send and a deadline.
//! * [`sys`] — the only place that makes syscalls (AF_PACKET, AF_PPPOX,
//!   ioctls); every `unsafe` block there carries a `// SAFETY:` line.
//! * [`driver`] — the one small `poll(2)` loop that pumps [`discovery`]
//!   over a [`sys`] socket.
//! * [`scan`] — discovery on several interfaces or VLANs at once ("where
//!   does an AC answer?").
//! * [`session_record`] — the records of live sessions under
//!   `/var/lib/rs-pppoe`, locked by the pppd that owns each; the plugin
//!   writes and sweeps them, `rs-pppoe-discovery --terminate` respects them.
//! * [`cli`] — `rs-pppoe-discovery`, the diagnostic.
//! * [`plugin`] — the pppd plugin's logic behind a small host trait, so it is
//!   testable without pppd; [`ffi`] binds it to the real pppd ABI.
//!
//! `unsafe` is denied everywhere except `sys` and `ffi`.
#![deny(unsafe_code)]

pub mod cli;
pub mod discovery;
pub mod driver;
#[cfg(pppd_abi)]
mod ffi;
pub mod plugin;
pub mod scan;
pub mod session_record;
pub mod sys;
pub mod wire;
