//! `hook_args`: any argument vector and environment for `rs-pppoe-rule`.
//!
//! Input: NUL-separated fields `IFNAME`, `IPLOCAL`, then argv (argv[0]
//! first), bytes as the kernel passes them (not necessarily UTF-8).
//! Invariants: parsing never panics; an interface name or address taken
//! from the arguments or the environment is never empty; an `up`/`down`
//! invocation's interface, once valid, gets a usable slot or an error under
//! the default scheme with the parsed `--table`/`--priority` flags.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use rs_pppoe_rule::cli::{self, Command, Invocation, PppEnv};
use rs_pppoe_rule::config::{Config, is_valid_ifname};

use super::assert_usable;

fn decode(data: &[u8]) -> (PppEnv, Vec<OsString>) {
    let mut fields = data
        .split(|&b| b == 0)
        .map(|f| OsString::from_vec(f.to_vec()));
    let mut var = || {
        fields
            .next()
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.is_empty())
    };
    let env = PppEnv {
        ifname: var(),
        iplocal: var(),
    };
    (env, fields.collect())
}

pub fn run(data: &[u8]) {
    let (env, args) = decode(data);
    let Ok(invocation) = cli::parse(&args, &env) else {
        return;
    };
    let Invocation { command, flags, .. } = invocation;
    match command {
        Command::Hook { iface, addr, .. } => {
            assert!(
                iface.as_ref().is_none_or(|i| !i.is_empty()),
                "empty interface"
            );
            assert!(addr.as_ref().is_none_or(|a| !a.is_empty()), "empty address");
            if let Some(iface) = iface.filter(|i| is_valid_ifname(i)) {
                if let Ok(slot) = Config::default().slot_for(&iface, None, flags) {
                    assert_usable(slot, &iface);
                }
            }
        }
        Command::Show { iface } => {
            if let Some(iface) = iface {
                if let Ok(slot) = Config::default().slot_for(&iface, None, flags) {
                    assert_usable(slot, &iface);
                }
            }
        }
        Command::Help | Command::Version => {}
    }
}

pub fn describe(data: &[u8]) -> String {
    let (env, args) = decode(data);
    format!("{env:?} {args:?}\n=> {:?}", cli::parse(&args, &env))
}
