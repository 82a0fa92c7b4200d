//! `rs-pppoe-discovery` command-line logic (owned by the CLI track).

/// Entry point of `rs-pppoe-discovery`.
pub fn main() {}
