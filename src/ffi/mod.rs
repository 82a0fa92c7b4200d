//! pppd ABI glue: the plugin's two exported symbols and the callbacks the C
//! shim calls.
//!
//! * `pppd_version` and `plugin_init` are the only symbols the plugin
//!   exports (a cdylib exports only Rust `#[no_mangle]` items; the shim is
//!   built with hidden visibility). `tests/exports.rs` checks this.
//! * The shim reaches Rust only through the [`CALLBACKS`] table handed over
//!   in `plugin_init`, never by symbol name.
//! * Every entry point runs inside [`boundary`]: a panic is caught, logged
//!   through pppd's `error`, and turned into that entry point's failure
//!   value. Unwinding into pppd's C frames would abort pppd without its
//!   teardown (no PADT, no ip-down). That needs `panic = "unwind"`: a
//!   build with `panic = "abort"` stops with a `compile_error!`
//!   (`unwind_required.rs`).
#![allow(unsafe_code)]

mod bindings;
mod host;
mod unwind_required;

use std::ffi::{CStr, c_char, c_int};
use std::sync::{Mutex, PoisonError};

use crate::plugin::{Level, Plugin, RawOptions, SysNetwork, panic_boundary};
use host::PppdHost;

/// The version string of the pppd headers this build is for.
const PPPD_VERSION: &str = env!("RS_PPPOE_PPPD_VERSION");
const PPPD_VERSION_NUL: &[u8] = concat!(env!("RS_PPPOE_PPPD_VERSION"), "\0").as_bytes();

const fn nul_terminated<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// pppd refuses a plugin whose `pppd_version` is not exactly its own
/// version (`strcmp`), so this is the headers' string, NUL-terminated.
#[unsafe(no_mangle)]
#[allow(non_upper_case_globals)]
pub static pppd_version: [u8; PPPD_VERSION_NUL.len()] = nul_terminated(PPPD_VERSION_NUL);

type PppdPlugin = Plugin<PppdHost, SysNetwork>;

/// The plugin's state. pppd is single-threaded; the mutex only makes the
/// static sound.
static PLUGIN: Mutex<Option<PppdPlugin>> = Mutex::new(None);

static CALLBACKS: bindings::rs_callbacks = bindings::rs_callbacks {
    device_word: Some(device_word),
    check_options: Some(check_options),
    connect: Some(connect),
    disconnect: Some(disconnect),
};

/// Runs one entry point's body; a panic is logged through pppd's `error`
/// and becomes `on_panic`.
fn boundary<R>(entry_point: &str, on_panic: R, body: impl FnOnce() -> R) -> R {
    panic_boundary::guard(
        entry_point,
        on_panic,
        |message| host::log(Level::Error, message),
        body,
    )
}

fn with_plugin<R>(body: impl FnOnce(&mut PppdPlugin) -> R) -> Option<R> {
    let mut guard = PLUGIN.lock().unwrap_or_else(PoisonError::into_inner);
    guard.as_mut().map(body)
}

/// pppd calls this once after loading the plugin.
#[unsafe(no_mangle)]
pub extern "C" fn plugin_init() {
    boundary("plugin_init", (), || {
        // SAFETY: returns a pointer to a string literal in the shim.
        let headers = unsafe { CStr::from_ptr(bindings::rs_shim_pppd_version()) };
        if headers.to_bytes() != PPPD_VERSION.as_bytes() {
            host::log(
                Level::Error,
                &format!(
                    "rs-pppoe: built for pppd {PPPD_VERSION} but the shim says {}",
                    headers.to_string_lossy()
                ),
            );
        }
        // SAFETY: we are inside pppd (it called plugin_init).
        let host = unsafe { PppdHost::new() };
        *PLUGIN.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Plugin::new(host, SysNetwork::default()));
        let banner = host::c_string(&format!(
            "rs-pppoe {} PPPoE plugin for pppd {PPPD_VERSION}",
            env!("CARGO_PKG_VERSION")
        ));
        // SAFETY: CALLBACKS is a static (lives forever) whose functions
        // never unwind; `banner` is NUL-terminated and outlives the call,
        // which logs it with "%s".
        unsafe { bindings::rs_shim_plugin_init(&CALLBACKS, banner.as_ptr()) };
    });
}

/// The device-name hook (see `struct rs_callbacks` in shim.h).
///
/// # Safety
///
/// `word` is NULL or a NUL-terminated string; `ifname_out` is NULL or valid
/// for `ifname_cap` bytes of writes.
unsafe extern "C" fn device_word(
    word: *const c_char,
    doit: c_int,
    ifname_out: *mut c_char,
    ifname_cap: usize,
) -> c_int {
    boundary("the device name hook", 0, || {
        if word.is_null() {
            return 0;
        }
        // SAFETY: pppd passes the option word as a NUL-terminated string.
        let word = unsafe { CStr::from_ptr(word) }.to_bytes();
        let take = doit != 0;
        let Some((ours, name)) = with_plugin(|plugin| plugin.device_word(word, take)) else {
            return 0;
        };
        if let Some(name) = name {
            if ifname_out.is_null() || name.len() >= ifname_cap {
                return 0;
            }
            // SAFETY: `ifname_out` has room for `ifname_cap` > name.len()
            // bytes (checked above), so the name and its NUL fit; the
            // regions cannot overlap (`name` is a fresh Rust String).
            unsafe {
                std::ptr::copy_nonoverlapping(name.as_ptr(), ifname_out.cast::<u8>(), name.len());
                *ifname_out.add(name.len()) = 0;
            }
        }
        c_int::from(ours)
    })
}

/// # Safety
///
/// Each string in `*raw` is NULL or NUL-terminated.
unsafe fn optional_bytes(pointer: *const c_char) -> Option<Vec<u8>> {
    // SAFETY: guaranteed by the caller.
    (!pointer.is_null()).then(|| unsafe { CStr::from_ptr(pointer) }.to_bytes().to_vec())
}

/// pppd's `check_options` for our channel: 1 = fine, 0 = option error
/// (reported; the shim exits with status 2).
///
/// # Safety
///
/// `raw` is NULL or points at a valid `rs_raw_options` whose strings are
/// NULL or NUL-terminated; `ifname` is NULL or NUL-terminated.
unsafe extern "C" fn check_options(
    raw: *const bindings::rs_raw_options,
    ifname: *const c_char,
) -> c_int {
    boundary("check_options", 0, || {
        if raw.is_null() || ifname.is_null() {
            return 0;
        }
        // SAFETY: checked non-NULL; the shim passes a stack struct that
        // lives for this call.
        let raw = unsafe { &*raw };
        // SAFETY: the shim passes its NUL-terminated interface buffer.
        let ifname = unsafe { CStr::from_ptr(ifname) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: the shim's option slots are NULL or pppd-strdup'ed strings.
        let options = unsafe {
            RawOptions {
                service: optional_bytes(raw.service),
                ac_name: optional_bytes(raw.ac_name),
                existing_session: optional_bytes(raw.existing_session),
                ac_mac: optional_bytes(raw.ac_mac),
                host_uniq: optional_bytes(raw.host_uniq),
                verbose: raw.verbose,
                padi_timeout: raw.padi_timeout,
                padi_attempts: raw.padi_attempts,
            }
        };
        with_plugin(|plugin| plugin.check_options(&options, &ifname).is_ok()).map_or(0, c_int::from)
    })
}

/// pppd's `connect`: the session socket, or -1.
unsafe extern "C" fn connect() -> c_int {
    boundary("connect", -1, || {
        with_plugin(PppdPlugin::connect).flatten().unwrap_or(-1)
    })
}

/// pppd's `disconnect`.
unsafe extern "C" fn disconnect() {
    boundary("disconnect", (), || {
        with_plugin(PppdPlugin::disconnect);
    });
}
