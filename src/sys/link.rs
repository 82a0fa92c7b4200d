//! Interface look-ups (`SIOCGIFINDEX`, `SIOCGIFHWADDR`, `SIOCGIFMTU`).
//!
//! These ioctls work on a socket of any family. [`ethernet_link`] uses a
//! throwaway AF_UNIX datagram socket: it needs no privileges and, unlike an
//! AF_PACKET socket, costs nothing to close (closing a packet socket waits
//! for an RCU grace period, several milliseconds).

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::{IfName, InterfaceError, cvt};

/// What the kernel says about an Ethernet interface PPPoE can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetLink {
    pub ifindex: i32,
    /// The interface's own (unicast) MAC address.
    pub mac: [u8; 6],
    /// `SIOCGIFMTU`.
    pub mtu: u32,
}

/// Looks up `ifname` and checks that PPPoE can run on it: it exists, is
/// Ethernet (`ARPHRD_ETHER`) and has a unicast MAC address. Needs no
/// privileges; opening the packet socket is what needs CAP_NET_RAW.
pub fn ethernet_link(ifname: &str) -> Result<EthernetLink, InterfaceError> {
    let name = IfName::new(ifname)?;
    // SAFETY: socket(2) takes no pointers; the result is checked.
    let raw = cvt(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })
        .map_err(|source| InterfaceError::Io {
            what: "socket(AF_UNIX)",
            name: ifname.to_owned(),
            source,
        })?;
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    query(&fd, &name)
}

/// Runs the three look-ups on `fd` (any socket) and checks the answers.
fn query(fd: &OwnedFd, name: &IfName) -> Result<EthernetLink, InterfaceError> {
    let io_error = |what: &'static str, source: io::Error| InterfaceError::Io {
        what,
        name: name.as_str().to_owned(),
        source,
    };
    let ifindex = match ifreq_ioctl(fd, name, libc::SIOCGIFINDEX) {
        // SAFETY: SIOCGIFINDEX filled the `ifru_ifindex` member.
        Ok(req) => unsafe { req.ifr_ifru.ifru_ifindex },
        Err(e) if e.raw_os_error() == Some(libc::ENODEV) => {
            return Err(InterfaceError::NoSuchInterface {
                name: name.as_str().to_owned(),
            });
        }
        Err(e) => return Err(io_error("SIOCGIFINDEX", e)),
    };

    let hwaddr = ifreq_ioctl(fd, name, libc::SIOCGIFHWADDR)
        // SAFETY: SIOCGIFHWADDR filled the `ifru_hwaddr` member.
        .map(|req| unsafe { req.ifr_ifru.ifru_hwaddr })
        .map_err(|e| io_error("SIOCGIFHWADDR", e))?;
    if hwaddr.sa_family != libc::ARPHRD_ETHER {
        return Err(InterfaceError::NotEthernet {
            name: name.as_str().to_owned(),
            hardware_type: hwaddr.sa_family,
        });
    }
    let mut mac = [0u8; 6];
    for (dst, src) in mac.iter_mut().zip(hwaddr.sa_data.iter()) {
        *dst = *src as u8;
    }
    if mac[0] & 1 != 0 || mac == [0; 6] {
        return Err(InterfaceError::UnusableMac {
            name: name.as_str().to_owned(),
            mac,
        });
    }

    let mtu = ifreq_ioctl(fd, name, libc::SIOCGIFMTU)
        // SAFETY: SIOCGIFMTU filled the `ifru_mtu` member.
        .map(|req| unsafe { req.ifr_ifru.ifru_mtu })
        .map_err(|e| io_error("SIOCGIFMTU", e))?;

    Ok(EthernetLink {
        ifindex,
        mac,
        mtu: u32::try_from(mtu).unwrap_or(0),
    })
}

/// Runs an `ifreq` ioctl (`SIOCGIF*`) for `name` and returns the filled request.
fn ifreq_ioctl(fd: &OwnedFd, name: &IfName, request: libc::c_ulong) -> io::Result<libc::ifreq> {
    // SAFETY: all-zero is a valid `ifreq`.
    let mut req: libc::ifreq = unsafe { mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name.padded()) {
        *dst = *src as libc::c_char;
    }
    // SAFETY: every SIOCGIF* request used here reads `ifr_name` (NUL
    // terminated by `IfName`) and writes only within the `ifreq` we own.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), request, &raw mut req) })?;
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Read-only look-ups in whatever namespace the tests run in; no
    // privileges needed, nothing is sent.

    #[test]
    fn loopback_is_refused_as_not_ethernet() {
        match ethernet_link("lo") {
            Err(InterfaceError::NotEthernet { hardware_type, .. }) => {
                assert_eq!(hardware_type, libc::ARPHRD_LOOPBACK);
            }
            other => panic!("lo gave {other:?}"),
        }
    }

    #[test]
    fn a_missing_interface_is_named_in_the_error() {
        let err = ethernet_link("rsp-no-such0").unwrap_err();
        assert!(matches!(err, InterfaceError::NoSuchInterface { .. }));
        assert_eq!(err.to_string(), "no such interface: \"rsp-no-such0\"");
    }
}
