//! Keeps panics out of pppd.
//!
//! Since Rust 1.81 a panic unwinding out of an `extern "C"` function aborts
//! the process: pppd would die without its teardown (no LCP terminate, no
//! ip-down, no PADT). Every entry point pppd calls therefore runs its body
//! through [`guard`], which catches the panic, reports it, and returns that
//! entry point's failure value instead — e.g. `-1` from `connect`, so pppd
//! counts one failed attempt and carries on.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `body`; if it panics, calls `report` with a one-line description
/// naming `entry_point` and returns `on_panic`.
pub fn guard<R>(
    entry_point: &str,
    on_panic: R,
    report: impl FnOnce(&str),
    body: impl FnOnce() -> R,
) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            let message = format!(
                "rs-pppoe: internal error in {entry_point}: {}",
                panic_message(payload.as_ref())
            );
            // A panicking reporter must not escape either.
            let _ = catch_unwind(AssertUnwindSafe(|| report(&message)));
            on_panic
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn a_panicking_connect_fails_the_attempt_and_is_reported() {
        let reported = RefCell::new(Vec::new());
        let fd = guard(
            "connect",
            -1,
            |m| reported.borrow_mut().push(m.to_owned()),
            || -> i32 { panic!("session id {} out of range", 70000) },
        );
        assert_eq!(fd, -1);
        assert_eq!(
            reported.into_inner(),
            vec!["rs-pppoe: internal error in connect: session id 70000 out of range".to_owned()]
        );
    }

    #[test]
    fn a_normal_return_passes_through_unreported() {
        let fd = guard("connect", -1, |m| panic!("reported {m}"), || 7);
        assert_eq!(fd, 7);
    }

    #[test]
    fn a_panicking_reporter_is_contained_too() {
        let value = guard(
            "check_options",
            0,
            |_| panic!("logger broke"),
            || -> i32 { panic!("first") },
        );
        assert_eq!(value, 0);
    }
}
