//! [`Host`] implemented with pppd's services, through the C shim.

use std::ffi::CString;

use super::bindings;
use crate::plugin::{Host, LcpMru, Level};

/// pppd itself. Only exists inside a loaded plugin (see `ffi::plugin_init`).
#[derive(Debug)]
pub struct PppdHost {
    _private: (),
}

impl PppdHost {
    /// # Safety
    ///
    /// Only inside pppd, after `rs_shim_plugin_init`: every method calls
    /// pppd functions or touches pppd data through the shim.
    pub unsafe fn new() -> PppdHost {
        PppdHost { _private: () }
    }
}

/// A C string for pppd: interior NULs (which a C string cannot hold) are
/// shown as `\0` rather than cutting the text short.
pub fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

/// Logs through pppd (usable before a [`PppdHost`] exists, and by the panic
/// boundary).
pub fn log(level: Level, message: &str) {
    let level = match level {
        Level::Debug => bindings::rs_log_level_RS_LOG_DEBUG,
        Level::Info => bindings::rs_log_level_RS_LOG_INFO,
        Level::Notice => bindings::rs_log_level_RS_LOG_NOTICE,
        Level::Warn => bindings::rs_log_level_RS_LOG_WARN,
        Level::Error => bindings::rs_log_level_RS_LOG_ERROR,
    };
    let message = c_string(message);
    // SAFETY: `message` is a NUL-terminated string that outlives the call;
    // the shim passes it to pppd's logger as a "%s" argument, never as a
    // format.
    unsafe { bindings::rs_shim_log(level, message.as_ptr()) }
}

impl Host for PppdHost {
    fn log(&self, level: Level, message: &str) {
        log(level, message);
    }

    fn option_error(&self, message: &str) {
        let message = c_string(message);
        // SAFETY: as for `log`: a NUL-terminated string used as a "%s" argument.
        unsafe { bindings::rs_shim_option_error(message.as_ptr()) }
    }

    fn set_ppp_devnam(&mut self, name: &str) {
        let name = c_string(name);
        // SAFETY: pppd copies the NUL-terminated string (bounded by its buffer).
        unsafe { bindings::rs_shim_set_ppp_devnam(name.as_ptr()) }
    }

    fn set_remote_number(&mut self, number: &str) {
        let number = c_string(number);
        // SAFETY: pppd copies the NUL-terminated string (bounded by its buffer).
        unsafe { bindings::rs_shim_set_remote_number(number.as_ptr()) }
    }

    fn set_session_number(&mut self, number: i32) {
        // SAFETY: stores an int in pppd's session number.
        unsafe { bindings::rs_shim_set_session_number(number) }
    }

    fn script_setenv(&mut self, name: &str, value: &str) {
        let name = c_string(name);
        let value = c_string(value);
        // SAFETY: both strings are NUL-terminated and outlive the call;
        // pppd copies them into its script environment.
        unsafe { bindings::rs_shim_script_setenv(name.as_ptr(), value.as_ptr()) }
    }

    fn lcp_mru(&self) -> LcpMru {
        // SAFETY: reads two ints from pppd's LCP option records.
        let mru = unsafe { bindings::rs_shim_get_lcp_mru() };
        LcpMru {
            want_mru: mru.want_mru,
            allow_mtu: mru.allow_mtu,
        }
    }

    fn set_lcp_mru(&mut self, mru: LcpMru) {
        let mru = bindings::rs_lcp_mru {
            want_mru: mru.want_mru,
            allow_mtu: mru.allow_mtu,
        };
        // SAFETY: writes two ints into pppd's LCP option records; pppd is
        // single-threaded and is not reading them during our callback.
        unsafe { bindings::rs_shim_set_lcp_mru(mru) }
    }

    fn debug_on(&self) -> bool {
        // SAFETY: reads pppd's debug flag.
        unsafe { bindings::rs_shim_debug_on() != 0 }
    }

    fn sigterm_seen(&self) -> bool {
        // SAFETY: reads pppd's signal flag.
        unsafe { bindings::rs_shim_sigterm_seen() != 0 }
    }
}
