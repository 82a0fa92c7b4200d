//! Test support for rs-pppoe, never shipped: what a hostile LAN does to a
//! PPPoE client, built from the product's own `wire` types.
//!
//! * [`ac`] — a hostile access concentrator: one [`ac::Case`] per way of
//!   being hostile (wrong Host-Uniq, non-unicast source, error tags,
//!   malformed and over-long tags, repeated tags, tag mixing across two
//!   ACs, bad PADS, PADT during discovery, VLAN-tagged offers);
//! * [`monitor`] — checks on the wire that nothing of a refused or foreign
//!   offer reaches the client's PADR or PADT;
//! * [`flood`] — a discovery-frame flood generator (`sendmmsg`, qdisc
//!   bypass);
//! * [`sys`] — the raw sockets and namespace switch these need (the only
//!   `unsafe` here).
//!
//! The namespace tests (`tests/netns_hostile.rs`) run the AC in a thread
//! inside their AC namespace; the guest scenarios run the
//! `rs-pppoe-testkit` binary.

pub mod ac;
pub mod flood;
pub mod frames;
pub mod monitor;
pub mod sys;
