//! Syscall wrappers: the only module besides `ffi` allowed to use `unsafe`.
//!
//! * [`packet`] — the AF_PACKET socket discovery runs over: bound to one
//!   interface and ethertype, close-on-exec, with a kernel filter so frames
//!   for other hosts never wake us; and the VLAN watcher.
//! * `process.rs` — handing sockets' slow release to a child at exit. Not a
//!   module of the library (the plugin must not fork): only the
//!   `rs-pppoe-discovery` binary compiles it in.
//! * [`pppox`] — the AF_PPPOX session socket the plugin hands to pppd.
//! * [`dir`] — files reached only through a directory descriptor
//!   (`openat`/`renameat`/`unlinkat`, no symlinks followed) and `flock`, for
//!   the session records.
//! * [`link`] — interface index, MAC and MTU, and the checks that PPPoE
//!   can use the interface, without a packet socket.
//! * [`IfName`] — a checked Linux interface name, and [`InterfaceError`],
//!   the errors a user can act on (typo in the name, not root, wrong kind of
//!   interface).
//!
//! Every `unsafe` block carries a `// SAFETY:` comment; every wrapper returns
//! `io::Result` or [`InterfaceError`], never panics on kernel answers.
#![allow(unsafe_code)]

pub mod dir;
pub mod link;
pub mod packet;
pub mod pppox;

use std::fmt;
use std::io;

pub use link::{
    Carrier, EthernetLink, LinkProblem, LinkState, ethernet_link, interface_names,
    link_problem_behind, link_state,
};
pub use packet::PacketSocket;
pub use pppox::PppoxSocket;

/// `IFNAMSIZ`: Linux interface names are at most 15 bytes plus a NUL.
pub const IFNAMSIZ: usize = 16;

/// A Linux interface name that fits the kernel's `IFNAMSIZ` buffers.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IfName {
    /// NUL-padded, exactly as `ifreq.ifr_name` and `sockaddr_pppox.dev` want it.
    padded: [u8; IFNAMSIZ],
    len: usize,
}

impl IfName {
    /// Checks `name` against what the kernel can represent: 1 to 15 bytes
    /// with no NUL. Whether such an interface exists is checked later, by
    /// the ioctl that needs it.
    pub fn new(name: &str) -> Result<IfName, InterfaceError> {
        let bytes = name.as_bytes();
        if bytes.is_empty() {
            return Err(InterfaceError::EmptyName);
        }
        if bytes.len() >= IFNAMSIZ {
            return Err(InterfaceError::NameTooLong {
                name: name.to_owned(),
            });
        }
        if bytes.contains(&0) {
            return Err(InterfaceError::NameContainsNul {
                name: name.to_owned(),
            });
        }
        let mut padded = [0u8; IFNAMSIZ];
        padded[..bytes.len()].copy_from_slice(bytes);
        Ok(IfName {
            padded,
            len: bytes.len(),
        })
    }

    pub fn as_str(&self) -> &str {
        // The bytes were copied from a `&str` and never modified.
        std::str::from_utf8(&self.padded[..self.len]).unwrap_or_default()
    }

    /// The name NUL-padded to `IFNAMSIZ` bytes (always NUL-terminated).
    pub fn padded(&self) -> &[u8; IFNAMSIZ] {
        &self.padded
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Why an interface cannot carry PPPoE discovery, in terms a user can act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum InterfaceError {
    EmptyName,
    /// 16 bytes or more: the kernel's `IFNAMSIZ` buffers cannot hold it.
    NameTooLong {
        name: String,
    },
    NameContainsNul {
        name: String,
    },
    /// `socket(AF_PACKET)` failed with EPERM/EACCES.
    NeedsCapNetRaw {
        source: io::Error,
    },
    NoSuchInterface {
        name: String,
    },
    /// The interface exists but its hardware type is not `ARPHRD_ETHER`
    /// (loopback, tun, ppp, ...).
    NotEthernet {
        name: String,
        hardware_type: u16,
    },
    /// The interface's own address is multicast/broadcast or all zeroes, so
    /// no AC could answer it.
    UnusableMac {
        name: String,
        mac: [u8; 6],
    },
    /// Any other failure of the syscall named in `what`.
    Io {
        what: &'static str,
        name: String,
        source: io::Error,
    },
}

impl InterfaceError {
    /// True when the fix is "run as root" rather than "pick another interface".
    pub fn is_permission(&self) -> bool {
        matches!(self, InterfaceError::NeedsCapNetRaw { .. })
    }
}

impl fmt::Display for InterfaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterfaceError::EmptyName => f.write_str("interface name is empty"),
            InterfaceError::NameTooLong { name } => write!(
                f,
                "interface name {name:?} is {} bytes long; Linux interface names \
                 have at most {} bytes (IFNAMSIZ is {IFNAMSIZ} including the NUL)",
                name.len(),
                IFNAMSIZ - 1
            ),
            InterfaceError::NameContainsNul { name } => {
                write!(f, "interface name {name:?} contains a NUL byte")
            }
            InterfaceError::NeedsCapNetRaw { source } => write!(
                f,
                "opening a packet socket needs CAP_NET_RAW (run as root): {source}"
            ),
            InterfaceError::NoSuchInterface { name } => write!(f, "no such interface: {name:?}"),
            InterfaceError::NotEthernet {
                name,
                hardware_type,
            } => write!(
                f,
                "{name:?} is not an Ethernet interface (ARP hardware type {hardware_type}); \
                 PPPoE needs Ethernet"
            ),
            InterfaceError::UnusableMac { name, mac } => write!(
                f,
                "{name:?} has MAC address {} which is not a unicast address; PPPoE needs one",
                format_mac(mac)
            ),
            InterfaceError::Io { what, name, source } => write!(f, "{what} on {name:?}: {source}"),
        }
    }
}

impl std::error::Error for InterfaceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InterfaceError::NeedsCapNetRaw { source } | InterfaceError::Io { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}

fn format_mac(mac: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    )
}

/// Converts a `-1` return into the thread's `errno`.
fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_16_bytes_or_more_are_refused_naming_the_limit() {
        let err = IfName::new("sixteen-bytes-xx").unwrap_err();
        assert!(matches!(err, InterfaceError::NameTooLong { .. }));
        let text = err.to_string();
        assert!(text.contains("16 bytes long"), "{text}");
        assert!(text.contains("IFNAMSIZ"), "{text}");
    }

    #[test]
    fn a_15_byte_name_fits_and_stays_nul_terminated() {
        let name = IfName::new("fifteen-bytes-x").unwrap();
        assert_eq!(name.as_str(), "fifteen-bytes-x");
        assert_eq!(name.padded()[15], 0);
        assert_eq!(&name.padded()[..15], b"fifteen-bytes-x");
    }

    #[test]
    fn empty_and_nul_names_are_refused() {
        assert!(matches!(IfName::new(""), Err(InterfaceError::EmptyName)));
        assert!(matches!(
            IfName::new("eth\0"),
            Err(InterfaceError::NameContainsNul { .. })
        ));
    }

    #[test]
    fn permission_errors_tell_the_user_to_run_as_root() {
        let err = InterfaceError::NeedsCapNetRaw {
            source: io::Error::from_raw_os_error(libc::EPERM),
        };
        assert!(err.is_permission());
        assert!(err.to_string().contains("CAP_NET_RAW (run as root)"));
    }
}
