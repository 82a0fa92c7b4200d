//! The two system calls the hook needs that std does not offer at our MSRV:
//! the run lock and the hand-off of a netlink socket's release. All of the
//! hook's `unsafe` is here.
#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// An exclusive `flock` on a file, held until drop (or the process's end,
/// also a killed one: the kernel releases it with the last descriptor).
pub struct RunLock {
    _file: File,
}

/// Take an exclusive lock on `path` (created 0600 if missing), waiting at
/// most until `deadline`.
pub fn lock(path: &Path, deadline: Instant) -> io::Result<RunLock> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)?;
    let mut pause = Duration::from_micros(100);
    loop {
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if result == 0 {
            return Ok(RunLock { _file: file });
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(error);
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "another rs-pppoe-rule run held the lock too long",
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

/// How long after the hook's exit its netfilter socket is closed: a few
/// grace periods, even on a loaded machine (they took 4-30 ms here).
pub const RELEASE_DELAY: Duration = Duration::from_millis(50);

/// Leave the last close of `socket` to a child that outlives this process.
///
/// The last close of a netfilter netlink socket waits until the kernel has
/// freed what recent nftables transactions in this network namespace
/// deleted (ours, or the previous run's), which takes an RCU grace period
/// (4-30 ms here, several times the rest of the run), and it waits holding
/// the namespace's nftables commit lock, so the next transaction waits
/// too. The child holds a copy of the socket and nothing else, waits for
/// this process to end and then for [`RELEASE_DELAY`], by when the kernel
/// has freed what we deleted, and closes it: neither pppd nor the next
/// hook waits. Best effort: if the fork fails, the process just pays the
/// wait itself.
pub fn release_after_exit(socket: &impl AsRawFd) {
    const DELAY: libc::timespec = libc::timespec {
        tv_sec: 0,
        tv_nsec: RELEASE_DELAY.as_nanos() as libc::c_long,
    };
    let socket = socket.as_raw_fd();
    let mut pipe = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the two-element array.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    let [read_end, write_end] = pipe;
    // SAFETY: the hook is single-threaded (tokio's current-thread runtime
    // runs on this thread only), so the child is a consistent copy; it
    // calls only async-signal-safe functions and ends with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: only descriptor calls and _exit, no allocation, no
        // return into Rust code that the parent also runs.
        unsafe {
            // Keep the socket (as 0) and the pipe (as 1); close everything
            // else: stdout/stderr pipes of whoever waits for the hook, the
            // run lock, the other sockets.
            // (Through high numbers first: either may be 0 or 1 already.)
            let socket = libc::fcntl(socket, libc::F_DUPFD, 10);
            let read_end = libc::fcntl(read_end, libc::F_DUPFD, 10);
            libc::dup2(socket, 0);
            libc::dup2(read_end, 1);
            libc::syscall(libc::SYS_close_range, 2u32, u32::MAX, 0u32);
            // Returns when the parent's write end closes: at its exit.
            let mut byte = 0u8;
            while libc::read(1, (&raw mut byte).cast(), 1) < 0
                && *libc::__errno_location() == libc::EINTR
            {}
            let mut rest = DELAY;
            while libc::nanosleep(&rest, &raw mut rest) != 0 {}
            libc::_exit(0);
        }
    }
    // SAFETY: closing our copy of the read end, which we own.
    unsafe { libc::close(read_end) };
    // The write end stays open (close-on-exec) until this process exits.
    let _ = write_end;
}
