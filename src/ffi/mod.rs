//! pppd ABI glue (owned by the plugin track).
#![allow(unsafe_code)]
