//! Leaving the slow part of closing packet sockets to someone else.
//!
//! Releasing an AF_PACKET socket makes the kernel wait for an RCU grace
//! period (`synchronize_net()` in `packet_release`): 8–18 ms here, longer
//! than the whole PADI…PADT exchange. A short-lived tool pays it at exit,
//! before its caller's `wait` returns. [`close_after_exit`] hands the last
//! references to a child process that drops them only once we are gone, so
//! the caller sees our exit status as soon as the work is done.
//!
//! This file is **not part of the library** (`sys/mod.rs` does not declare
//! it): `fork` without `exec` has no business inside pppd, where the plugin
//! lives. Only the `rs-pppoe-discovery` binary compiles it in
//! (`#[path]` in `src/bin/rs-pppoe-discovery.rs`); it sits here with the
//! other syscall wrappers so that `unsafe` stays in `src/sys/`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};

/// Closes `fds` in a child process after this process has exited.
///
/// Only for single-threaded processes about to exit (`fork` copies only the
/// calling thread). The child closes stdin/stdout/stderr at once, so a
/// caller reading our output through a pipe sees end-of-file when we exit,
/// not when the child does. If anything fails, `fds` are simply closed here.
pub fn close_after_exit(fds: Vec<OwnedFd>) {
    if fds.is_empty() {
        return;
    }
    let mut ends = [0; 2];
    // SAFETY: `ends` is a valid two-int array for pipe2 to fill.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    // SAFETY: pipe2 succeeded, so both are fresh descriptors owned by no one else.
    let (wait_end, exit_end) =
        unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    // SAFETY: the caller is single-threaded (see above); the child only makes
    // async-signal-safe calls (close, read, _exit) before it exits.
    match unsafe { libc::fork() } {
        0 => {
            for stdio in 0..3 {
                // SAFETY: closing the standard descriptors touches no memory.
                unsafe { libc::close(stdio) };
            }
            // SAFETY: closing our copy of the write end, so EOF on the read
            // end means the parent (the last writer) has exited.
            unsafe { libc::close(exit_end.as_raw_fd()) };
            let mut byte = 0u8;
            // SAFETY: reads at most one byte into a live local; blocks until
            // the parent's exit closes the pipe. The result does not matter.
            while unsafe { libc::read(wait_end.as_raw_fd(), (&raw mut byte).cast(), 1) } < 0
                && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
            {}
            // SAFETY: _exit ends the child without running the parent's
            // destructors or flushing its buffers; the kernel closes `fds`.
            unsafe { libc::_exit(0) }
        }
        -1 => drop(fds),
        _ => {
            // Our references go now; the child's are the last ones. The
            // write end stays open until we exit, which is what wakes the
            // child.
            drop(fds);
            let _ = exit_end.into_raw_fd();
        }
    }
}
