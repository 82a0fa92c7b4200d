//! The pure parts of `rs-pppoe-rule` — command line, configuration file,
//! plan and the forwarding scheme — as a library, so that the fuzz targets in `fuzz/` can drive the
//! very parsers the hook runs. Not a stable API: the binary is the product.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod forward;
pub mod plan;
