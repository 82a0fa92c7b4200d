//! Wire formats: Ethernet + PPPoE discovery frames (RFC 2516, RFC 4638).
//!
//! # Contract
//!
//! Everything in this module is pure and total:
//!
//! * no function here performs I/O or allocates more than the parsed tag list;
//! * **no function panics, whatever bytes it is given** — malformed input is an
//!   [`Error`], never an index out of bounds (checked by a property test);
//! * the PPPoE payload is bounded by the header's LENGTH field, not by the end
//!   of the Ethernet frame, because Ethernet pads short frames to 60 bytes;
//! * tags are kept in the order they arrived and unknown tags are kept as raw
//!   bytes, so a frame can be echoed exactly: `parse(emit(x)) == x`.
//!
//! Offsets are written down once, as byte ranges in each module's private
//! `field` module; every 16-bit field goes through one big-endian accessor.

mod ethernet;
mod frame;
mod pppoe;
mod tag;

use std::fmt;

pub use ethernet::{
    ETHERTYPE_DISCOVERY, ETHERTYPE_SESSION, ETHERTYPE_VLAN, EthernetHeader,
    HEADER_LEN as ETHERNET_HEADER_LEN, MAX_VLAN_ID, MacAddr, with_vlan_tag,
};
pub use frame::{DiscoveryFrame, MAX_PADI_PACKET_LEN, MAX_PPPOE_PAYLOAD, MIN_ETHERNET_FRAME_LEN};
pub use pppoe::{Code, HEADER_LEN as PPPOE_HEADER_LEN, PppoeHeader};
pub use tag::{Tag, TagIter, TagType, TagWriter};

/// Why a frame could not be parsed or emitted.
///
/// Small and `Copy` so that it can be logged or returned from hot paths
/// without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The buffer ends before a fixed-size header does.
    Truncated,
    /// The Ethernet type is not PPPoE discovery (0x8863).
    NotDiscovery(u16),
    /// The PPPoE version/type byte is not 0x11 (RFC 2516 requires 1/1).
    BadVersionType(u8),
    /// The LENGTH field claims more payload than the frame carries.
    LengthExceedsFrame { length: u16, available: usize },
    /// A tag header or tag value runs past the end of the payload.
    TagOverrun { offset: usize },
    /// A tag value longer than 65535 bytes cannot be encoded.
    TagTooLong,
    /// The frame would exceed the size the protocol allows
    /// (1494 payload bytes; 1484 bytes of PPPoE packet for a PADI).
    FrameTooLong { len: usize, limit: usize },
    /// The output buffer is smaller than [`DiscoveryFrame::buffer_len`].
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated => f.write_str("frame too short for its headers"),
            Error::NotDiscovery(t) => {
                write!(f, "not a PPPoE discovery frame (ethertype 0x{t:04x})")
            }
            Error::BadVersionType(vt) => {
                write!(f, "invalid PPPoE version/type 0x{vt:02x} (expected 0x11)")
            }
            Error::LengthExceedsFrame { length, available } => write!(
                f,
                "bogus PPPoE length field ({length} bytes claimed, {available} present)"
            ),
            Error::TagOverrun { offset } => {
                write!(
                    f,
                    "invalid PPPoE tag length (tag at payload offset {offset} overruns)"
                )
            }
            Error::TagTooLong => f.write_str("tag value longer than 65535 bytes"),
            Error::FrameTooLong { len, limit } => {
                write!(
                    f,
                    "would create too-long packet ({len} bytes, limit {limit})"
                )
            }
            Error::BufferTooSmall => f.write_str("output buffer too small"),
        }
    }
}

impl std::error::Error for Error {}

/// `Result` with this module's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

/// Lower-case hex without separators (`"0a1b2c"`), for logs and JSON.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Text sent by an access concentrator, made safe for a log line, a
/// terminal or a script's environment: printable ASCII is kept, a backslash
/// becomes `\\`, and every other byte becomes `\xNN`.
///
/// The AC controls these bytes; the C plugin passed them to syslog and the
/// environment raw.
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                out.push_str("\\x");
                out.push_str(&hex(&[b]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_unseparated() {
        assert_eq!(hex(&[0x0a, 0xff, 0x00]), "0aff00");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn printable_escapes_control_bytes_and_backslash() {
        assert_eq!(printable(b"BRAS-01"), "BRAS-01");
        assert_eq!(printable(b"a\nb\0\\"), "a\\x0ab\\x00\\\\");
        assert_eq!(printable(&[0xe3, 0x81]), "\\xe3\\x81");
    }
}
