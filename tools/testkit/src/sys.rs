//! The syscalls the test kit needs and the product does not: a packet
//! socket that sees every frame of an interface (both directions, with
//! the VLAN tag the kernel took off), batched sending, and entering a
//! network namespace from one thread. The only module here with `unsafe`;
//! every block carries a `// SAFETY:` line.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rs_pppoe::sys::ethernet_link;
use rs_pppoe::sys::packet::{set_int_option, vlan_of};

/// Most frames handed to the kernel in one `sendmmsg` call.
pub const MAX_BATCH: usize = 256;

/// A raw packet socket bound to one interface.
#[derive(Debug)]
pub struct RawSocket {
    fd: OwnedFd,
    ifindex: i32,
    mac: [u8; 6],
}

/// One frame taken from a [`RawSocket::tap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes in the buffer (an 802.1Q tag the kernel took off is not among
    /// them: see `vlan`).
    pub len: usize,
    /// The frame's VLAN id, if it carried a tag with a non-zero id.
    pub vlan: Option<u16>,
    /// Sent by this host (another program on the interface), not received.
    pub outgoing: bool,
}

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn link_address(ifindex: i32, protocol: u16) -> libc::sockaddr_ll {
    // SAFETY: all-zero is a valid `sockaddr_ll`.
    let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = protocol.to_be();
    addr.sll_ifindex = ifindex;
    addr
}

impl RawSocket {
    /// A socket on `ifname` that sees every frame of the interface, sent
    /// or received, with its VLAN id ([`RawSocket::recv`]).
    pub fn tap(ifname: &str) -> io::Result<RawSocket> {
        let socket = RawSocket::open(ifname, libc::ETH_P_ALL as u16)?;
        set_int_option(&socket.fd, libc::SOL_PACKET, libc::PACKET_AUXDATA, 1)?;
        Ok(socket)
    }

    /// A socket on `ifname` that only sends: bound to protocol 0, the
    /// kernel queues nothing for it. Frames skip the interface's queueing
    /// discipline when the kernel allows it (`PACKET_QDISC_BYPASS`), as a
    /// traffic generator's do.
    pub fn sender(ifname: &str) -> io::Result<RawSocket> {
        let socket = RawSocket::open(ifname, 0)?;
        let _ = set_int_option(&socket.fd, libc::SOL_PACKET, libc::PACKET_QDISC_BYPASS, 1);
        let _ = set_int_option(&socket.fd, libc::SOL_SOCKET, libc::SO_SNDBUF, 4 << 20);
        Ok(socket)
    }

    fn open(ifname: &str, protocol: u16) -> io::Result<RawSocket> {
        let link = ethernet_link(ifname).map_err(io::Error::other)?;
        // SAFETY: socket(2) takes no pointers; the result is checked.
        let raw =
            cvt(unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) })?;
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let addr = link_address(link.ifindex, protocol);
        // SAFETY: `addr` is a valid sockaddr_ll of the size passed.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&raw const addr).cast(),
                mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;
        Ok(RawSocket {
            fd,
            ifindex: link.ifindex,
            mac: link.mac,
        })
    }

    /// The interface's own MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// Sends one whole Ethernet frame, as it is (any source MAC, any
    /// ethertype, an 802.1Q tag in line).
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        let ethertype = frame
            .get(12..14)
            .map_or(0, |t| u16::from_be_bytes([t[0], t[1]]));
        let mut addr = link_address(self.ifindex, ethertype);
        addr.sll_halen = 6;
        addr.sll_addr[..6].copy_from_slice(frame.get(..6).unwrap_or(&[0; 6]));
        // SAFETY: `frame` is readable for its length; `addr` is a valid
        // sockaddr_ll of the size passed.
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&raw const addr).cast(),
                mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Sends up to [`MAX_BATCH`] frames with one `sendmmsg`; returns how
    /// many the kernel took (it stops early when its queue is full).
    pub fn send_batch(&self, frames: &[&[u8]]) -> io::Result<usize> {
        let frames = &frames[..frames.len().min(MAX_BATCH)];
        let mut iovecs: Vec<libc::iovec> = frames
            .iter()
            .map(|frame| libc::iovec {
                iov_base: frame.as_ptr().cast_mut().cast(),
                iov_len: frame.len(),
            })
            .collect();
        let mut messages: Vec<libc::mmsghdr> = iovecs
            .iter_mut()
            .map(|iov| {
                // SAFETY: all-zero is a valid `mmsghdr` (no name, no control).
                let mut message: libc::mmsghdr = unsafe { mem::zeroed() };
                message.msg_hdr.msg_iov = iov;
                message.msg_hdr.msg_iovlen = 1;
                message
            })
            .collect();
        loop {
            // SAFETY: `messages` holds `messages.len()` headers, each
            // pointing at one iovec over a frame that outlives the call;
            // the kernel only reads the frames.
            let sent = unsafe {
                libc::sendmmsg(
                    self.fd.as_raw_fd(),
                    messages.as_mut_ptr(),
                    messages.len() as libc::c_uint,
                    0,
                )
            };
            if sent >= 0 {
                return Ok(sent as usize);
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                // The device queue is full: nothing was taken this time.
                Some(libc::ENOBUFS | libc::EAGAIN) => return Ok(0),
                _ => return Err(err),
            }
        }
    }

    /// Waits up to `timeout` for a frame and takes it.
    pub fn recv(&self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<Received>> {
        let mut pollfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd, count 1.
        match unsafe { libc::poll(&mut pollfd, 1, millis) } {
            0 => return Ok(None),
            n if n < 0 => {
                let err = io::Error::last_os_error();
                return if err.kind() == io::ErrorKind::Interrupted {
                    Ok(None)
                } else {
                    Err(err)
                };
            }
            _ => {}
        }
        let mut control = [0u64; 8];
        // SAFETY: all-zero is a valid `sockaddr_ll`.
        let mut from: libc::sockaddr_ll = unsafe { mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: all-zero is a valid `msghdr`.
        let mut msg: libc::msghdr = unsafe { mem::zeroed() };
        msg.msg_name = (&raw mut from).cast();
        msg.msg_namelen = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = mem::size_of_val(&control);
        // SAFETY: `msg` points at `from`, one iovec over `buf` and
        // `control`, all live and writable for the lengths given.
        let got = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &raw mut msg, libc::MSG_DONTWAIT) };
        if got < 0 {
            let err = io::Error::last_os_error();
            return match err.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(err),
            };
        }
        Ok(Some(Received {
            len: (got as usize).min(buf.len()),
            // SAFETY: recvmsg just filled `msg`, its control buffer
            // `control` still live.
            vlan: unsafe { vlan_of(&msg) },
            outgoing: from.sll_pkttype == libc::PACKET_OUTGOING,
        }))
    }
}

/// Moves the calling thread into the network namespace `ip netns add NAME`
/// made (`/run/netns/NAME`). Sockets it opens afterwards belong there.
pub fn enter_netns(name: &str) -> io::Result<()> {
    let file = File::open(format!("/run/netns/{name}"))?;
    // SAFETY: setns(2) takes a descriptor we own for the duration of the
    // call and a constant; it affects only this thread.
    cvt(unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) }).map(drop)
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn request_stop(_signal: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// From now on SIGTERM and SIGINT only set [`stop_requested`] (and cut
/// short the wait in [`RawSocket::recv`]), so a run can end with its
/// report.
pub fn stop_on_signals() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe; no SA_RESTART, so a blocked poll returns EINTR.
        unsafe {
            let mut action: libc::sigaction = mem::zeroed();
            action.sa_sigaction = request_stop as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Whether SIGTERM or SIGINT arrived since [`stop_on_signals`].
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}
