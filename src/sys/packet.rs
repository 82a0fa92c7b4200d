//! The AF_PACKET socket PPPoE discovery runs over.
//!
//! Opening order matters. The socket is created with protocol 0, which the
//! kernel treats as "deliver nothing", then the socket filter is attached,
//! and only `bind` names the ethertype and interface. So no frame can be
//! queued before the filter is in place, and we never have to drain
//! frames for other hosts that slipped in between `socket` and
//! `SO_ATTACH_FILTER`.

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

/// The PPPoE discovery ethertype (RFC 2516).
pub const ETHERTYPE_PPPOE_DISCOVERY: u16 = 0x8863;

impl PacketSocket {
    /// Opens the PPPoE discovery socket (ethertype 0x8863) on `ifname`.
    pub fn discovery(ifname: &str) -> Result<PacketSocket, InterfaceError> {
        PacketSocket::open(ifname, ETHERTYPE_PPPOE_DISCOVERY)
    }

    /// Opens a packet socket for `ethertype` on the Ethernet interface
    /// `ifname`, close-on-exec, filtered to frames sent to its MAC.
    pub fn open(ifname: &str, ethertype: u16) -> Result<PacketSocket, InterfaceError> {
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

        attach_filter(&fd, &filter_program(mac, ethertype))
            .map_err(|e| io_error("SO_ATTACH_FILTER", e))?;

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
        loop {
            // SAFETY: `frame` is a valid readable buffer of `frame.len()` bytes.
            let sent =
                unsafe { libc::send(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
            if sent >= 0 {
                return if sent as usize == frame.len() {
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

    /// Waits until a frame is queued or `timeout` passes (`None`: no limit).
    /// Returns whether the socket is readable. A signal ends the wait early
    /// with an `Interrupted` error, so the caller can check why.
    pub fn wait_readable(&self, timeout: Option<Duration>) -> io::Result<bool> {
        let mut pollfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let timespec = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let timespec_ptr = match &timespec {
            Some(ts) => ts as *const libc::timespec,
            None => std::ptr::null(),
        };
        // SAFETY: `pollfd` is one valid pollfd; `timespec_ptr` is null or
        // points at `timespec`, which lives until after the call; a null
        // signal mask keeps the current one.
        let ready = cvt(unsafe { libc::ppoll(&mut pollfd, 1, timespec_ptr, std::ptr::null()) })?;
        if ready > 0 && pollfd.revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
            return Err(self.take_error());
        }
        Ok(ready > 0)
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

impl From<PacketSocket> for OwnedFd {
    /// The socket's descriptor, e.g. for [`super::process::close_after_exit`].
    fn from(sock: PacketSocket) -> OwnedFd {
        sock.fd
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The classic BPF program: accept a frame only if its destination is
/// `mac` and its ethertype is `ethertype`. Our own transmitted frames
/// (which packet sockets also see) and frames for other hosts on a shared
/// segment are dropped in the kernel without waking us.
fn filter_program(mac: [u8; 6], ethertype: u16) -> [libc::sock_filter; 8] {
    const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const LD_H_ABS: u16 = (libc::BPF_LD | libc::BPF_H | libc::BPF_ABS) as u16;
    const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    let mac_high = u32::from_be_bytes([mac[0], mac[1], mac[2], mac[3]]);
    let mac_low = u32::from(u16::from_be_bytes([mac[4], mac[5]]));
    // Jump offsets count instructions after the jump; 7 is the drop.
    [
        op(LD_W_ABS, 0, 0, 0),                 // 0: A = destination[0..4]
        op(JEQ_K, 0, 5, mac_high),             // 1: not ours → 7
        op(LD_H_ABS, 0, 0, 4),                 // 2: A = destination[4..6]
        op(JEQ_K, 0, 3, mac_low),              // 3: not ours → 7
        op(LD_H_ABS, 0, 0, 12),                // 4: A = ethertype
        op(JEQ_K, 0, 1, u32::from(ethertype)), // 5: other protocol → 7
        op(RET_K, 0, 0, u32::MAX),             // 6: accept the whole frame
        op(RET_K, 0, 0, 0),                    // 7: drop
    ]
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

    /// Runs a classic BPF program the way the kernel would, for the few
    /// instructions `filter_program` uses; returns the accepted length.
    fn run_filter(program: &[libc::sock_filter], frame: &[u8]) -> u32 {
        let load = |at: u32, width: usize| -> Option<u32> {
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
        assert_eq!(run_filter(&program, pado), u32::MAX);
        assert_eq!(run_filter(&program, pads), u32::MAX);
    }

    #[test]
    fn the_filter_drops_broadcasts_other_hosts_and_other_protocols() {
        let program = filter_program(CLIENT_MAC, ETHERTYPE_PPPOE_DISCOVERY);
        // Another client's PADI (broadcast) and a frame to the AC.
        let padi = include_bytes!("../../tests/vectors/padi.bin");
        let padr = include_bytes!("../../tests/vectors/padr.bin");
        assert_eq!(run_filter(&program, padi), 0);
        assert_eq!(run_filter(&program, padr), 0);
        // Addressed to us but PPPoE session traffic (0x8864), and a MAC
        // that differs from ours only in the last byte.
        let mut session = include_bytes!("../../tests/vectors/pads.bin").to_vec();
        session[13] = 0x64;
        assert_eq!(run_filter(&program, &session), 0);
        let mut almost = include_bytes!("../../tests/vectors/pads.bin").to_vec();
        almost[5] ^= 1;
        assert_eq!(run_filter(&program, &almost), 0);
        assert_eq!(run_filter(&program, &[0x02, 0]), 0, "runt frame");
    }
}
