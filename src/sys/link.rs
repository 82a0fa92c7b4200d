//! Interface look-ups (`SIOCGIFINDEX`, `SIOCGIFHWADDR`, `SIOCGIFMTU`,
//! `SIOCGIFFLAGS`, `ETHTOOL_GLINK`) and the list of interfaces.
//!
//! These ioctls work on a socket of any family. [`ethernet_link`] and
//! [`link_state`] use a throwaway AF_UNIX datagram socket: it needs no
//! privileges and, unlike an AF_PACKET socket, costs nothing to close
//! (closing a packet socket waits for an RCU grace period, several
//! milliseconds).

use std::fmt;
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
    query(&ioctl_socket(ifname)?, &name)
}

/// A socket to run interface ioctls on.
fn ioctl_socket(ifname: &str) -> Result<OwnedFd, InterfaceError> {
    // SAFETY: socket(2) takes no pointers; the result is checked.
    let raw = cvt(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })
        .map_err(|source| InterfaceError::Io {
            what: "socket(AF_UNIX)",
            name: ifname.to_owned(),
            source,
        })?;
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Whether the link behind an interface has a carrier (a cable plugged
/// into a live port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    Up,
    Down,
    /// The driver does not say (no `ETHTOOL_GLINK`, and its operational
    /// state is not conclusive). Never a reason to refuse the interface.
    Unknown,
}

/// What the kernel says about an interface's link, for the pre-flight
/// check before discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkState {
    /// `IFF_UP`: the administrator brought it up (`ip link set IF up`).
    pub admin_up: bool,
    pub carrier: Carrier,
    /// `IFF_SLAVE`: a bond's member; the bond, not the member, carries
    /// traffic.
    pub enslaved: bool,
}

/// Why discovery on an interface cannot work right now, in words a user
/// can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkProblem {
    /// Administratively down.
    Down { interface: String },
    /// Up, but the driver reports no carrier.
    NoCarrier { interface: String },
}

impl LinkState {
    /// The reason discovery on `interface` would only send into the void,
    /// if there is one. An unknown carrier is no reason: some drivers never
    /// report one.
    pub fn problem(&self, interface: &str) -> Option<LinkProblem> {
        let interface = interface.to_owned();
        if !self.admin_up {
            Some(LinkProblem::Down { interface })
        } else if self.carrier == Carrier::Down {
            Some(LinkProblem::NoCarrier { interface })
        } else {
            None
        }
    }
}

impl fmt::Display for LinkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkProblem::Down { interface } => write!(
                f,
                "{interface} is down: bring it up with 'ip link set {interface} up' (or in \
                 the network configuration) and try again"
            ),
            LinkProblem::NoCarrier { interface } => write!(
                f,
                "{interface} has no carrier: is the cable to the gateway plugged in, and is \
                 the gateway on?"
            ),
        }
    }
}

impl std::error::Error for LinkProblem {}

/// The link problem behind a failed send on `ifname`, if that is what it
/// was: `ENETDOWN` (the interface went down) or `ENOBUFS` (veth and some
/// drivers drop every frame while the carrier is gone, and the packet
/// socket reports the drop as "No buffer space available").
pub fn link_problem_behind(ifname: &str, error: &io::Error) -> Option<LinkProblem> {
    let errno = error.raw_os_error()?;
    if errno != libc::ENETDOWN && errno != libc::ENOBUFS {
        return None;
    }
    let state = link_state(ifname).ok();
    state.and_then(|state| state.problem(ifname)).or_else(|| {
        (errno == libc::ENETDOWN).then(|| LinkProblem::Down {
            interface: ifname.to_owned(),
        })
    })
}

/// `ETHTOOL_GLINK` from `linux/ethtool.h`: "get link status".
const ETHTOOL_GLINK: u32 = 0x0000_000a;

/// `struct ethtool_value` from `linux/ethtool.h`.
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// Reads whether `ifname` is up and has a carrier. Needs no privileges.
///
/// The carrier comes from `ETHTOOL_GLINK`, which reads the driver's carrier
/// bit directly (the `IFF_RUNNING` flag lags behind it by up to a second,
/// the kernel's link-watch delay). Without ethtool support, `IFF_RUNNING`
/// says "up" when set; when it is clear the carrier is reported unknown,
/// because the flag alone cannot tell a dead cable from a dormant link.
pub fn link_state(ifname: &str) -> Result<LinkState, InterfaceError> {
    let name = IfName::new(ifname)?;
    let fd = ioctl_socket(ifname)?;
    let flags = match ifreq_ioctl(&fd, &name, libc::SIOCGIFFLAGS) {
        // SAFETY: SIOCGIFFLAGS filled the `ifru_flags` member.
        Ok(req) => i32::from(unsafe { req.ifr_ifru.ifru_flags }) & 0xffff,
        Err(e) if e.raw_os_error() == Some(libc::ENODEV) => {
            return Err(InterfaceError::NoSuchInterface {
                name: ifname.to_owned(),
            });
        }
        Err(source) => {
            return Err(InterfaceError::Io {
                what: "SIOCGIFFLAGS",
                name: ifname.to_owned(),
                source,
            });
        }
    };
    let running = flags & libc::IFF_RUNNING != 0;
    let carrier = match ethtool_link(&fd, &name) {
        Some(true) => Carrier::Up,
        Some(false) => Carrier::Down,
        None if running => Carrier::Up,
        None => Carrier::Unknown,
    };
    Ok(LinkState {
        admin_up: flags & libc::IFF_UP != 0,
        carrier,
        enslaved: flags & libc::IFF_SLAVE != 0,
    })
}

/// `ETHTOOL_GLINK`: `Some(carrier)`, or `None` when the driver has no
/// ethtool link report (or the interface is down, where some drivers fail).
fn ethtool_link(fd: &OwnedFd, name: &IfName) -> Option<bool> {
    let mut value = EthtoolValue {
        cmd: ETHTOOL_GLINK,
        data: 0,
    };
    // SAFETY: all-zero is a valid `ifreq`.
    let mut req: libc::ifreq = unsafe { mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name.padded()) {
        *dst = *src as libc::c_char;
    }
    req.ifr_ifru.ifru_data = (&raw mut value).cast();
    // SAFETY: `ifr_name` is NUL terminated; `ifru_data` points at `value`,
    // a live `ethtool_value` the kernel reads `cmd` from and writes `data`
    // into, and which outlives the call.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCETHTOOL, &raw mut req) }).ok()?;
    Some(value.data != 0)
}

/// The names of every network interface of this network namespace, in
/// index order.
pub fn interface_names() -> io::Result<Vec<String>> {
    // SAFETY: if_nameindex takes no arguments; it returns a heap array
    // ending with a zero entry, or null on failure.
    let list = unsafe { libc::if_nameindex() };
    if list.is_null() {
        return Err(io::Error::last_os_error());
    }
    let mut names = Vec::new();
    let mut entry = list;
    loop {
        // SAFETY: `entry` points into the array, which ends with an entry
        // whose index is 0; we stop there and never read past it.
        let item = unsafe { &*entry };
        if item.if_index == 0 || item.if_name.is_null() {
            break;
        }
        // SAFETY: `if_name` is a NUL-terminated string owned by the array.
        let name = unsafe { std::ffi::CStr::from_ptr(item.if_name) };
        if let Ok(name) = name.to_str() {
            names.push(name.to_owned());
        }
        // SAFETY: this entry was not the terminator, so the next one exists.
        entry = unsafe { entry.add(1) };
    }
    // SAFETY: `list` came from if_nameindex and is freed exactly once.
    unsafe { libc::if_freenameindex(list) };
    Ok(names)
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
    fn loopback_is_listed_and_its_state_readable_and_missing_names_are_refused() {
        assert!(interface_names().unwrap().iter().any(|n| n == "lo"));
        let state = link_state("lo").expect("lo exists in every namespace");
        assert!(!state.enslaved);
        assert!(matches!(
            link_state("rsp-no-such0"),
            Err(InterfaceError::NoSuchInterface { .. })
        ));
    }

    #[test]
    fn an_unknown_carrier_is_never_a_problem_but_down_and_no_carrier_are() {
        let state = |admin_up, carrier| LinkState {
            admin_up,
            carrier,
            enslaved: false,
        };
        assert_eq!(state(true, Carrier::Unknown).problem("enp1s0"), None);
        assert_eq!(state(true, Carrier::Up).problem("enp1s0"), None);
        let down = state(false, Carrier::Unknown).problem("enp1s0").unwrap();
        assert!(down.to_string().starts_with("enp1s0 is down: "), "{down}");
        let unplugged = state(true, Carrier::Down).problem("enp1s0").unwrap();
        assert_eq!(
            unplugged.to_string(),
            "enp1s0 has no carrier: is the cable to the gateway plugged in, and is the \
             gateway on?"
        );
        // Down wins: a down interface reports no carrier too.
        assert!(matches!(
            state(false, Carrier::Down).problem("eth0"),
            Some(LinkProblem::Down { .. })
        ));
    }

    #[test]
    fn a_missing_interface_is_named_in_the_error() {
        let err = ethernet_link("rsp-no-such0").unwrap_err();
        assert!(matches!(err, InterfaceError::NoSuchInterface { .. }));
        assert_eq!(err.to_string(), "no such interface: \"rsp-no-such0\"");
    }
}
