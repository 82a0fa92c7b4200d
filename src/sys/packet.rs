//! The AF_PACKET socket PPPoE discovery runs over.
//!
//! Opening order matters. The socket is created with protocol 0, which the
//! kernel treats as "deliver nothing", then the socket filter is attached,
//! and only `bind` names the ethertype and interface. So no frame can be
//! queued before the filter is in place, and we never have to drain
//! frames for other hosts that slipped in between `socket` and
//! `SO_ATTACH_FILTER`.
//!
//! Two kinds of socket:
//!
//! * the **discovery socket** ([`PacketSocket::discovery`]), bound to
//!   ethertype 0x8863, sees only untagged frames addressed to us;
//! * the **VLAN watcher** ([`PacketSocket::vlan_watcher`]), bound to every
//!   protocol, sees only 802.1Q-tagged discovery frames addressed to us or
//!   broadcast, with their VLAN id. The kernel moves a VLAN tag into the
//!   packet's metadata before any packet socket sees the frame, and for a
//!   VLAN without a VLAN device it *clears* the tag before protocol-bound
//!   sockets see it (marking the frame "for another host"), so only a tap
//!   bound to every protocol can still read the VLAN id.

use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::link::{EthernetLink, ethernet_link};
use super::{IfName, InterfaceError, cvt};

/// A raw (whole Ethernet frame) packet socket bound to one interface and
/// one ethertype, seeing only frames addressed to the interface's own MAC.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    ifname: IfName,
    ifindex: i32,
    mac: [u8; 6],
    mtu: u32,
}

/// Bytes of receive queue asked for (the kernel doubles it for its
/// bookkeeping). A flood addressed to us arrives in bursts faster than one
/// wake-up drains, and the kernel drops whatever finds the queue full —
/// the access concentrator's one PADO among it. The default queue
/// (`net.core.rmem_default`, 208 KiB) holds about 270 small frames, a few
/// milliseconds of a 100 000 frames/s flood; this holds about 2 700.
const RECEIVE_BUFFER: libc::c_int = 1 << 20;

/// The PPPoE discovery ethertype (RFC 2516).
pub const ETHERTYPE_PPPOE_DISCOVERY: u16 = 0x8863;

/// One frame taken from a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes written to the buffer (the tag, if any, is not among them).
    pub len: usize,
    /// The 802.1Q VLAN id the frame carried (VLAN watcher only; priority
    /// tags, VLAN 0, count as untagged).
    pub vlan: Option<u16>,
}

impl PacketSocket {
    /// Opens the PPPoE discovery socket (ethertype 0x8863) on `ifname`.
    pub fn discovery(ifname: &str) -> Result<PacketSocket, InterfaceError> {
        PacketSocket::open(ifname, ETHERTYPE_PPPOE_DISCOVERY)
    }

    /// Opens a packet socket for `ethertype` on the Ethernet interface
    /// `ifname`, close-on-exec, filtered to untagged frames sent to its MAC.
    pub fn open(ifname: &str, ethertype: u16) -> Result<PacketSocket, InterfaceError> {
        PacketSocket::open_filtered(
            ifname,
            ethertype,
            |mac| filter_program(mac, ethertype).to_vec(),
            &[],
        )
    }

    /// Opens the VLAN watcher on `ifname`: 802.1Q-tagged PPPoE discovery
    /// frames addressed to the interface's MAC or broadcast, each with its
    /// VLAN id ([`PacketSocket::recv_frame`]). It taps every received frame
    /// of the interface (the kernel filter drops all others), so it is
    /// meant for the length of a discovery, not a session; frames we send
    /// are not even offered to it (`PACKET_IGNORE_OUTGOING`).
    pub fn vlan_watcher(ifname: &str) -> Result<PacketSocket, InterfaceError> {
        PacketSocket::open_filtered(
            ifname,
            libc::ETH_P_ALL as u16,
            |mac| vlan_filter_program(mac, ETHERTYPE_PPPOE_DISCOVERY).to_vec(),
            &[
                (libc::PACKET_AUXDATA, true),
                // Kernels before 4.20 lack it; the filter drops our own
                // frames anyway.
                (libc::PACKET_IGNORE_OUTGOING, false),
            ],
        )
    }

    /// The common opening sequence; `options` are `SOL_PACKET` options set
    /// to 1, each with whether failing to set it is an error.
    fn open_filtered(
        ifname: &str,
        ethertype: u16,
        program: impl FnOnce([u8; 6]) -> Vec<libc::sock_filter>,
        options: &[(libc::c_int, bool)],
    ) -> Result<PacketSocket, InterfaceError> {
        let name = IfName::new(ifname)?;
        // Interface problems first: they are what a user most needs to hear
        // about, and finding them needs no privileges.
        let EthernetLink { ifindex, mac, mtu } = ethernet_link(ifname)?;
        let io_error = |what: &'static str, source: io::Error| InterfaceError::Io {
            what,
            name: ifname.to_owned(),
            source,
        };

        // SAFETY: socket(2) takes no pointers; the result is checked below.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        let fd = match cvt(raw) {
            // SAFETY: `raw` is a fresh descriptor that nothing else owns.
            Ok(raw) => unsafe { OwnedFd::from_raw_fd(raw) },
            Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES)) => {
                return Err(InterfaceError::NeedsCapNetRaw { source: e });
            }
            Err(e) => return Err(io_error("socket(AF_PACKET)", e)),
        };

        for &(option, required) in options {
            match set_packet_option(&fd, option) {
                Err(e) if required => return Err(io_error("setsockopt(SOL_PACKET)", e)),
                _ => {}
            }
        }
        attach_filter(&fd, &program(mac)).map_err(|e| io_error("SO_ATTACH_FILTER", e))?;
        enlarge_receive_queue(&fd);

        // SAFETY: all-zero is a valid `sockaddr_ll`.
        let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = ethertype.to_be();
        addr.sll_ifindex = ifindex;
        // SAFETY: `addr` is a valid sockaddr_ll that outlives the call, and
        // the length passed is its size.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&raw const addr).cast(),
                mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })
        .map_err(|e| io_error("bind(AF_PACKET)", e))?;

        Ok(PacketSocket {
            fd,
            ifname: name,
            ifindex,
            mac,
            mtu,
        })
    }

    pub fn ifname(&self) -> &IfName {
        &self.ifname
    }

    pub fn ifindex(&self) -> i32 {
        self.ifindex
    }

    /// The interface's own MAC address, the source of every frame we send.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// The interface MTU (`SIOCGIFMTU`) at the time the socket was opened.
    pub fn mtu(&self) -> u32 {
        self.mtu
    }

    /// Sends one whole Ethernet frame out of the bound interface.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        send_whole(frame.len(), || {
            // SAFETY: `frame` is a valid readable buffer of `frame.len()` bytes.
            unsafe { libc::send(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) }
        })
    }

    /// Sends one whole Ethernet frame whose ethertype field is `ethertype`
    /// (e.g. 0x8100 for a frame carrying its own 802.1Q tag),
    /// so the kernel and the driver see the frame for what it is.
    pub fn send_as(&self, frame: &[u8], ethertype: u16) -> io::Result<()> {
        // SAFETY: all-zero is a valid `sockaddr_ll`.
        let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = ethertype.to_be();
        addr.sll_ifindex = self.ifindex;
        addr.sll_halen = 6;
        addr.sll_addr[..6].copy_from_slice(frame.get(..6).unwrap_or(&[0; 6]));
        send_whole(frame.len(), || {
            // SAFETY: `frame` is a valid readable buffer of `frame.len()`
            // bytes; `addr` is a valid sockaddr_ll of the size passed.
            unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    frame.as_ptr().cast(),
                    frame.len(),
                    0,
                    (&raw const addr).cast(),
                    mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
                )
            }
        })
    }

    /// Receives one frame without blocking, with its VLAN id when the
    /// socket is a VLAN watcher. `Ok(None)` means nothing is queued. Like
    /// [`PacketSocket::try_recv`], a frame longer than `buf` is cut.
    pub fn recv_frame(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        // Room for one `tpacket_auxdata` control message (u64-aligned).
        let mut control = [0u64; 8];
        loop {
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            // SAFETY: all-zero is a valid `msghdr` (no name, no buffers).
            let mut msg: libc::msghdr = unsafe { mem::zeroed() };
            msg.msg_iov = &raw mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = mem::size_of_val(&control);
            // SAFETY: `msg` points at one iovec over `buf` and at `control`,
            // all live and writable for the lengths given.
            let got =
                unsafe { libc::recvmsg(self.fd.as_raw_fd(), &raw mut msg, libc::MSG_DONTWAIT) };
            if got >= 0 {
                return Ok(Some(Received {
                    len: (got as usize).min(buf.len()),
                    // SAFETY: recvmsg just filled `msg`, its control
                    // buffer `control` still live.
                    vlan: unsafe { vlan_of(&msg) },
                }));
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return Ok(None),
                _ => return Err(err),
            }
        }
    }

    /// Receives one frame without blocking. `Ok(None)` means nothing is
    /// queued. A frame longer than `buf` is cut to `buf.len()` bytes; the
    /// PPPoE length field then tells the parser it is incomplete.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        loop {
            // SAFETY: `buf` is a valid writable buffer of `buf.len()` bytes.
            let got = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if got >= 0 {
                return Ok(Some((got as usize).min(buf.len())));
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return Ok(None),
                _ => return Err(err),
            }
        }
    }

    /// The pending socket error (`SO_ERROR`), e.g. after the interface vanished.
    fn take_error(&self) -> io::Error {
        let mut value: libc::c_int = 0;
        let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are valid for writes and `len` holds
        // the size of `value`.
        let ret = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&raw mut value).cast(),
                &mut len,
            )
        };
        match cvt(ret) {
            Ok(_) if value != 0 => io::Error::from_raw_os_error(value),
            Ok(_) => io::Error::other("packet socket reported an error condition"),
            Err(e) => e,
        }
    }
}

/// Runs `send` (a `send`/`sendto` of `len` bytes) until a signal does not
/// interrupt it; a frame sent in part is an error.
fn send_whole(len: usize, mut send: impl FnMut() -> isize) -> io::Result<()> {
    loop {
        let sent = send();
        if sent >= 0 {
            return if sent as usize == len {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "packet socket sent a partial frame",
                ))
            };
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// What [`wait_any`] found on one socket.
#[derive(Debug)]
pub enum Readiness {
    Idle,
    Readable,
    /// The socket is in an error state (e.g. its interface vanished).
    Failed(io::Error),
}

/// Waits until one of `sockets` has a frame queued or `timeout` passes.
/// Returns what each socket has. A signal ends the wait early with an
/// `Interrupted` error.
pub fn wait_any(sockets: &[&PacketSocket], timeout: Duration) -> io::Result<Vec<Readiness>> {
    let mut pollfds: Vec<libc::pollfd> = sockets
        .iter()
        .map(|sock| libc::pollfd {
            fd: sock.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let timespec = libc::timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `pollfds` holds `pollfds.len()` valid entries; `timespec`
    // lives until after the call; a null signal mask keeps the current one.
    cvt(unsafe {
        libc::ppoll(
            pollfds.as_mut_ptr(),
            pollfds.len() as libc::nfds_t,
            &timespec,
            std::ptr::null(),
        )
    })?;
    Ok(pollfds
        .iter()
        .zip(sockets)
        .map(|(pollfd, sock)| {
            if pollfd.revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
                Readiness::Failed(sock.take_error())
            } else if pollfd.revents & libc::POLLIN != 0 {
                Readiness::Readable
            } else {
                Readiness::Idle
            }
        })
        .collect())
}

/// The VLAN id in a received message's `PACKET_AUXDATA`, if it has a
/// valid, non-zero one. (Public for the test kit's tap socket.)
///
/// # Safety
///
/// `msg` must have been filled by a successful `recvmsg`, its
/// `msg_control` pointing at a live buffer of `msg_controllen` bytes.
pub unsafe fn vlan_of(msg: &libc::msghdr) -> Option<u16> {
    // SAFETY: `msg` was filled by recvmsg (the caller's promise);
    // CMSG_FIRSTHDR/CMSG_NXTHDR only walk within `msg_control` up to
    // `msg_controllen`.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !cmsg.is_null() {
        // SAFETY: non-null headers returned by the CMSG macros lie within
        // the control buffer.
        let header = unsafe { &*cmsg };
        let data_len = (header.cmsg_len as usize)
            // SAFETY: CMSG_LEN is arithmetic only.
            .saturating_sub(unsafe { libc::CMSG_LEN(0) } as usize);
        if header.cmsg_level == libc::SOL_PACKET
            && header.cmsg_type == libc::PACKET_AUXDATA
            && data_len >= mem::size_of::<libc::tpacket_auxdata>()
        {
            // SAFETY: the kernel wrote a whole `tpacket_auxdata` here (length
            // checked above); it may be unaligned, so it is read unaligned.
            let aux: libc::tpacket_auxdata =
                unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast()) };
            let vid = aux.tp_vlan_tci & 0x0fff;
            return (aux.tp_status & libc::TP_STATUS_VLAN_VALID != 0 && vid != 0).then_some(vid);
        }
        // SAFETY: as above; returns null after the last header.
        cmsg = unsafe { libc::CMSG_NXTHDR(msg, cmsg) };
    }
    None
}

impl From<PacketSocket> for OwnedFd {
    /// The socket's descriptor, e.g. for `rs-pppoe-discovery` to hand its
    /// slow release to a child (`src/sys/process.rs`).
    fn from(sock: PacketSocket) -> OwnedFd {
        sock.fd
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const LD_H_ABS: u16 = (libc::BPF_LD | libc::BPF_H | libc::BPF_ABS) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

/// The `k` of a load of the kernel's packet metadata (`SKF_AD_*`).
const fn ancillary(field: libc::c_int) -> u32 {
    (libc::SKF_AD_OFF + field) as u32
}

fn op(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// The two halves of a MAC address as the filter compares them.
fn mac_words(mac: [u8; 6]) -> (u32, u32) {
    (
        u32::from_be_bytes([mac[0], mac[1], mac[2], mac[3]]),
        u32::from(u16::from_be_bytes([mac[4], mac[5]])),
    )
}

/// The classic BPF program of the discovery socket: accept a frame only if
/// the kernel classed it "to this host", its destination is `mac` and its
/// ethertype is `ethertype`. Our own transmitted frames (which packet
/// sockets also see), frames for other hosts on a shared segment, and
/// frames that came tagged for a VLAN this host has no device for (the
/// kernel strips the tag and classes them "other host") are dropped in the
/// kernel without waking us — the kernel's own PPPoE code drops the last
/// kind too.
fn filter_program(mac: [u8; 6], ethertype: u16) -> [libc::sock_filter; 10] {
    let (mac_high, mac_low) = mac_words(mac);
    let host = u32::from(libc::PACKET_HOST);
    // Jump offsets count instructions after the jump; 9 is the drop.
    [
        op(LD_W_ABS, 0, 0, ancillary(libc::SKF_AD_PKTTYPE)), // 0: A = packet type
        op(JEQ_K, 0, 7, host),                               // 1: not "to us" → 9
        op(LD_W_ABS, 0, 0, 0),                               // 2: A = destination[0..4]
        op(JEQ_K, 0, 5, mac_high),                           // 3: not ours → 9
        op(LD_H_ABS, 0, 0, 4),                               // 4: A = destination[4..6]
        op(JEQ_K, 0, 3, mac_low),                            // 5: not ours → 9
        op(LD_H_ABS, 0, 0, 12),                              // 6: A = ethertype
        op(JEQ_K, 0, 1, u32::from(ethertype)),               // 7: other protocol → 9
        op(RET_K, 0, 0, u32::MAX),                           // 8: accept the whole frame
        op(RET_K, 0, 0, 0),                                  // 9: drop
    ]
}

/// The classic BPF program of the VLAN watcher: accept a frame only if it
/// carried a VLAN tag, its inner protocol is `ethertype`, and it is
/// addressed to `mac` or broadcast.
fn vlan_filter_program(mac: [u8; 6], ethertype: u16) -> [libc::sock_filter; 13] {
    let (mac_high, mac_low) = mac_words(mac);
    // Jump offsets count instructions after the jump; 11 accepts, 12 drops.
    [
        op(LD_W_ABS, 0, 0, ancillary(libc::SKF_AD_VLAN_TAG_PRESENT)), // 0: A = tagged?
        op(JEQ_K, 10, 0, 0),                                          // 1: untagged → 12
        op(LD_W_ABS, 0, 0, ancillary(libc::SKF_AD_PROTOCOL)),         // 2: A = inner protocol
        op(JEQ_K, 0, 8, u32::from(ethertype)),                        // 3: other → 12
        op(LD_W_ABS, 0, 0, 0),                                        // 4: A = destination[0..4]
        op(JEQ_K, 0, 2, u32::MAX),                                    // 5: not broadcast → 8
        op(LD_H_ABS, 0, 0, 4),                                        // 6: A = destination[4..6]
        op(JEQ_K, 3, 4, 0xffff),                                      // 7: broadcast → 11, else 12
        op(JEQ_K, 0, 3, mac_high),                                    // 8: not ours → 12
        op(LD_H_ABS, 0, 0, 4),                                        // 9: A = destination[4..6]
        op(JEQ_K, 0, 1, mac_low),                                     // 10: not ours → 12
        op(RET_K, 0, 0, u32::MAX),                                    // 11: accept
        op(RET_K, 0, 0, 0),                                           // 12: drop
    ]
}

/// Sets the `SOL_PACKET` option `option` to 1.
fn set_packet_option(fd: &OwnedFd, option: libc::c_int) -> io::Result<()> {
    set_int_option(fd, libc::SOL_PACKET, option, 1)
}

/// Sets the integer socket option `option` of `level`. (Public for the
/// test kit's sockets.)
pub fn set_int_option(
    fd: &OwnedFd,
    level: libc::c_int,
    option: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` is a live c_int and the length passed is its size.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            option,
            (&raw const value).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Gives the socket a receive queue of [`RECEIVE_BUFFER`] bytes: past
/// `net.core.rmem_max` when we may (`SO_RCVBUFFORCE`, root), else as far
/// as the limit allows. Best effort: a small queue only loses more frames
/// of a flood.
fn enlarge_receive_queue(fd: &OwnedFd) {
    let _ = set_int_option(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, RECEIVE_BUFFER)
        .or_else(|_| set_int_option(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, RECEIVE_BUFFER));
}

fn attach_filter(fd: &OwnedFd, program: &[libc::sock_filter]) -> io::Result<()> {
    let prog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points at `program`, which outlives the call; the
    // kernel copies the instructions and does not write through the pointer.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&raw const prog).cast(),
            mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the kernel knows about a frame besides its bytes.
    #[derive(Clone, Copy)]
    struct Meta {
        pkttype: u8,
        /// The inner protocol (host order), as `SKF_AD_PROTOCOL` reports it.
        protocol: u16,
        vlan: Option<u16>,
    }

    /// An untagged frame the kernel classed "to us".
    fn to_us(frame: &[u8]) -> Meta {
        Meta {
            pkttype: libc::PACKET_HOST,
            protocol: u16::from_be_bytes([frame[12], frame[13]]),
            vlan: None,
        }
    }

    /// Runs a classic BPF program the way the kernel would, for the few
    /// instructions our programs use; returns the accepted length.
    fn run_filter(program: &[libc::sock_filter], frame: &[u8], meta: Meta) -> u32 {
        let load = |at: u32, width: usize| -> Option<u32> {
            if at >= ancillary(0) {
                return match at - ancillary(0) {
                    f if f == libc::SKF_AD_PKTTYPE as u32 => Some(u32::from(meta.pkttype)),
                    f if f == libc::SKF_AD_PROTOCOL as u32 => Some(u32::from(meta.protocol)),
                    f if f == libc::SKF_AD_VLAN_TAG_PRESENT as u32 => {
                        Some(u32::from(meta.vlan.is_some()))
                    }
                    other => panic!("unexpected ancillary load {other}"),
                };
            }
            let bytes = frame.get(at as usize..at as usize + width)?;
            Some(bytes.iter().fold(0, |acc, &b| acc << 8 | u32::from(b)))
        };
        let (mut pc, mut a) = (0usize, 0u32);
        loop {
            let insn = program[pc];
            let code = u32::from(insn.code);
            pc += 1;
            match code {
                c if c == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS => match load(insn.k, 4) {
                    Some(v) => a = v,
                    None => return 0, // out-of-bounds load: the kernel drops
                },
                c if c == libc::BPF_LD | libc::BPF_H | libc::BPF_ABS => match load(insn.k, 2) {
                    Some(v) => a = v,
                    None => return 0,
                },
                c if c == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K => {
                    pc += usize::from(if a == insn.k { insn.jt } else { insn.jf });
                }
                c if c == libc::BPF_RET | libc::BPF_K => return insn.k,
                other => panic!("unexpected BPF opcode {other:#x}"),
            }
        }
    }

    const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0c, 0x01];

    #[test]
    fn the_filter_accepts_discovery_frames_addressed_to_us() {
        let program = filter_program(CLIENT_MAC, ETHERTYPE_PPPOE_DISCOVERY);
        let pado = include_bytes!("../../tests/vectors/pado_cookie_two_services.bin");
        let pads = include_bytes!("../../tests/vectors/pads.bin");
        assert_eq!(run_filter(&program, pado, to_us(pado)), u32::MAX);
        assert_eq!(run_filter(&program, pads, to_us(pads)), u32::MAX);
    }

    #[test]
    fn the_filter_drops_broadcasts_other_hosts_and_other_protocols() {
        let program = filter_program(CLIENT_MAC, ETHERTYPE_PPPOE_DISCOVERY);
        // Another client's PADI (broadcast) and a frame to the AC.
        let padi = include_bytes!("../../tests/vectors/padi.bin");
        let padr = include_bytes!("../../tests/vectors/padr.bin");
        let broadcast = Meta {
            pkttype: libc::PACKET_BROADCAST,
            ..to_us(padi)
        };
        assert_eq!(run_filter(&program, padi, broadcast), 0);
        let other_host = Meta {
            pkttype: libc::PACKET_OTHERHOST,
            ..to_us(padr)
        };
        assert_eq!(run_filter(&program, padr, other_host), 0);
        // Addressed to us but PPPoE session traffic (0x8864), and a MAC
        // that differs from ours only in the last byte.
        let mut session = include_bytes!("../../tests/vectors/pads.bin").to_vec();
        session[13] = 0x64;
        assert_eq!(run_filter(&program, &session, to_us(&session)), 0);
        let mut almost = include_bytes!("../../tests/vectors/pads.bin").to_vec();
        almost[5] ^= 1;
        assert_eq!(run_filter(&program, &almost, to_us(&almost)), 0);
        let runt = [0x02, 0];
        assert_eq!(run_filter(&program, &runt, to_us(&[0; 14])), 0);
    }

    #[test]
    fn the_filter_drops_a_pado_that_came_tagged_for_a_vlan_without_a_device() {
        // What the kernel hands a protocol-bound socket for a PADO tagged
        // VLAN 7 on an interface without a VLAN 7 device: the tag is gone,
        // the bytes are those of a PADO to us, the packet type says
        // "other host". Taken as an answer, it would list an AC that exists
        // only on VLAN 7.
        let program = filter_program(CLIENT_MAC, ETHERTYPE_PPPOE_DISCOVERY);
        let pado = include_bytes!("../../tests/vectors/pado_cookie_two_services.bin");
        let stripped = Meta {
            pkttype: libc::PACKET_OTHERHOST,
            ..to_us(pado)
        };
        assert_eq!(run_filter(&program, pado, stripped), 0);
        for kind in [libc::PACKET_MULTICAST, libc::PACKET_OUTGOING] {
            let meta = Meta {
                pkttype: kind,
                ..to_us(pado)
            };
            assert_eq!(run_filter(&program, pado, meta), 0, "packet type {kind}");
        }
    }

    #[test]
    fn the_vlan_watcher_takes_tagged_discovery_to_us_or_broadcast_only() {
        let program = vlan_filter_program(CLIENT_MAC, ETHERTYPE_PPPOE_DISCOVERY);
        let pado = include_bytes!("../../tests/vectors/pado_cookie_two_services.bin");
        let padi = include_bytes!("../../tests/vectors/padi.bin");
        let padr = include_bytes!("../../tests/vectors/padr.bin");
        let tagged = |frame: &[u8], vlan| Meta {
            vlan: Some(vlan),
            ..to_us(frame)
        };
        assert_eq!(run_filter(&program, pado, tagged(pado, 35)), u32::MAX);
        assert_eq!(
            run_filter(&program, padi, tagged(padi, 35)),
            u32::MAX,
            "another client's tagged PADI shows the VLAN is in use"
        );
        assert_eq!(run_filter(&program, padr, tagged(padr, 35)), 0, "to the AC");
        assert_eq!(run_filter(&program, pado, to_us(pado)), 0, "untagged");
        let session = Meta {
            protocol: 0x8864,
            ..tagged(pado, 35)
        };
        assert_eq!(run_filter(&program, pado, session), 0, "session traffic");
        let mut half_broadcast = padi.to_vec();
        half_broadcast[5] = 0;
        assert_eq!(
            run_filter(&program, &half_broadcast, tagged(padi, 35)),
            0,
            "ff:ff:ff:ff:ff:00 is neither broadcast nor ours"
        );
    }
}
