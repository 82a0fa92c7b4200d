//! The AF_PPPOX session socket that pppd's generic channel code drives.
//!
//! This kernel build may lack PPPoE (`socket` then fails with
//! EAFNOSUPPORT/EPROTONOSUPPORT); only the address layout is testable here.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use super::{IfName, cvt};

/// `PX_PROTO_OE` from `<linux/if_pppox.h>`.
pub const PX_PROTO_OE: libc::c_int = 0;

/// Size of the kernel's packed `struct sockaddr_pppox` for PPPoE.
pub const SOCKADDR_PPPOX_LEN: usize = 30;

/// Builds the packed `struct sockaddr_pppox` by hand, field by field, so
/// no Rust struct layout can drift from the kernel's: `sa_family` u16 @0,
/// `sa_protocol` u32 @2 (both native-endian), session id big-endian u16 @6,
/// remote MAC @8, device name (NUL-padded, 16 bytes) @14.
pub fn sockaddr_pppox(
    session_id: u16,
    ac_mac: [u8; 6],
    ifname: &IfName,
) -> [u8; SOCKADDR_PPPOX_LEN] {
    let mut addr = [0u8; SOCKADDR_PPPOX_LEN];
    addr[0..2].copy_from_slice(&(libc::AF_PPPOX as u16).to_ne_bytes());
    addr[2..6].copy_from_slice(&(PX_PROTO_OE as u32).to_ne_bytes());
    addr[6..8].copy_from_slice(&session_id.to_be_bytes());
    addr[8..14].copy_from_slice(&ac_mac);
    addr[14..30].copy_from_slice(ifname.padded());
    addr
}

/// A PPPoE session socket (`AF_PPPOX`, `PX_PROTO_OE`), close-on-exec.
#[derive(Debug)]
pub struct PppoxSocket {
    fd: OwnedFd,
    ifname: IfName,
}

impl PppoxSocket {
    /// Opens an unconnected session socket for `ifname`.
    pub fn open(ifname: &IfName) -> io::Result<PppoxSocket> {
        // SAFETY: socket(2) takes no pointers; the result is checked.
        let raw = cvt(unsafe {
            libc::socket(
                libc::AF_PPPOX,
                libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
                PX_PROTO_OE,
            )
        })?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(PppoxSocket {
            fd,
            ifname: ifname.clone(),
        })
    }

    /// Binds the socket to session `session_id` with the AC at `ac_mac`;
    /// from now on the kernel carries the session's PPP frames.
    pub fn connect(&self, session_id: u16, ac_mac: [u8; 6]) -> io::Result<()> {
        self.connect_raw(&sockaddr_pppox(session_id, ac_mac, &self.ifname))
    }

    /// Detaches the socket from its session (connect with session id 0).
    /// EALREADY, which the kernel returns when the AC already ended the
    /// session, is not an error.
    pub fn disconnect(&self) -> io::Result<()> {
        match self.connect_raw(&sockaddr_pppox(0, [0; 6], &self.ifname)) {
            Err(e) if e.raw_os_error() == Some(libc::EALREADY) => Ok(()),
            other => other,
        }
    }

    fn connect_raw(&self, addr: &[u8; SOCKADDR_PPPOX_LEN]) -> io::Result<()> {
        // SAFETY: `addr` is SOCKADDR_PPPOX_LEN readable bytes laid out as
        // the kernel's packed sockaddr_pppox (no alignment requirement);
        // it outlives the call.
        cvt(unsafe {
            libc::connect(
                self.fd.as_raw_fd(),
                addr.as_ptr().cast(),
                SOCKADDR_PPPOX_LEN as libc::socklen_t,
            )
        })?;
        Ok(())
    }

    /// Gives up ownership: pppd closes the descriptor when the link ends.
    pub fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

/// A session some AF_PPPOX socket on this host is attached to, as the
/// kernel lists it in `/proc/net/pppoe` (for this network namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedSession {
    pub session_id: u16,
    pub peer_mac: [u8; 6],
    pub interface: String,
}

/// The sessions attached on this host. Without the `pppoe` module there is
/// no `/proc/net/pppoe`, and no session: an empty list.
pub fn attached_sessions() -> io::Result<Vec<AttachedSession>> {
    match std::fs::read_to_string("/proc/net/pppoe") {
        Ok(text) => Ok(parse_proc_net_pppoe(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Parses `/proc/net/pppoe`: a header line, then `%08X %pM %8s` per
/// attached socket. The kernel prints the big-endian session id as a
/// host-order number, so it is read back the same way. Lines that do not
/// parse are skipped.
pub fn parse_proc_net_pppoe(text: &str) -> Vec<AttachedSession> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let raw = u32::from_str_radix(fields.next()?, 16).ok()?;
            let session_id = u16::from_be(u16::try_from(raw).ok()?);
            let mut peer_mac = [0u8; 6];
            let mut octets = fields.next()?.split(':');
            for byte in &mut peer_mac {
                *byte = u8::from_str_radix(octets.next()?, 16).ok()?;
            }
            if octets.next().is_some() {
                return None;
            }
            let interface = fields.next()?.to_owned();
            Some(AttachedSession {
                session_id,
                peer_mac,
                interface,
            })
        })
        .collect()
}

impl AsFd for PppoxSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddr_pppox_matches_the_kernels_packed_layout() {
        let name = IfName::new("eth0.7").unwrap();
        let addr = sockaddr_pppox(0x1234, [0x02, 0, 0, 0, 0x0a, 0x01], &name);
        let mut expected = [0u8; 30];
        expected[0..2].copy_from_slice(&24u16.to_ne_bytes()); // AF_PPPOX
        expected[2..6].copy_from_slice(&0u32.to_ne_bytes()); // PX_PROTO_OE
        expected[6..8].copy_from_slice(&[0x12, 0x34]); // session id, network order
        expected[8..14].copy_from_slice(&[0x02, 0, 0, 0, 0x0a, 0x01]);
        expected[14..20].copy_from_slice(b"eth0.7");
        assert_eq!(addr, expected);
    }

    #[test]
    fn proc_net_pppoe_session_ids_are_read_back_in_network_order() {
        let id = |session: u16| format!("{:08X}", u16::from_be(session));
        let text = format!(
            "Id       Address              Device\n\
             {} 02:ab:cd:00:00:01  rsg-cli\n\
             {} 02:AB:CD:00:00:09 eth0.7\n\
             garbage line\n",
            id(0x002a),
            id(0x1234)
        );
        assert_eq!(
            parse_proc_net_pppoe(&text),
            vec![
                AttachedSession {
                    session_id: 0x2a,
                    peer_mac: [0x02, 0xab, 0xcd, 0, 0, 1],
                    interface: "rsg-cli".into()
                },
                AttachedSession {
                    session_id: 0x1234,
                    peer_mac: [0x02, 0xab, 0xcd, 0, 0, 9],
                    interface: "eth0.7".into()
                },
            ]
        );
    }

    #[test]
    fn disconnect_address_has_session_zero_and_keeps_the_device() {
        let name = IfName::new("fifteen-bytes-x").unwrap();
        let addr = sockaddr_pppox(0, [0; 6], &name);
        assert_eq!(&addr[6..14], &[0; 8]);
        assert_eq!(&addr[14..29], b"fifteen-bytes-x");
        assert_eq!(addr[29], 0, "device name stays NUL-terminated");
    }
}
