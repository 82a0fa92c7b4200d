//! Ethernet II header view and MAC addresses.

use std::{fmt, str::FromStr};

use super::{Error, Result};

/// PPPoE Discovery stage ethertype (RFC 2516).
pub const ETHERTYPE_DISCOVERY: u16 = 0x8863;
/// PPPoE Session stage ethertype (RFC 2516).
pub const ETHERTYPE_SESSION: u16 = 0x8864;

mod field {
    use std::ops::Range;
    pub const DESTINATION: Range<usize> = 0..6;
    pub const SOURCE: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
    pub const PAYLOAD: usize = 14;
}

/// Length of an Ethernet II header (no VLAN tag: the kernel strips it).
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A 48-bit Ethernet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// ff:ff:ff:ff:ff:ff, where a PADI goes.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// True for the all-ones broadcast address.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// True for an individual (not group) address: the I/G bit is clear.
    /// An access concentrator must answer from one.
    pub fn is_unicast(&self) -> bool {
        self.0[0] & 0x01 == 0
    }

    /// Upper-case, colon-separated: the format pppd's remote number and the
    /// `MACREMOTE` script variable have always used (radius reads it as the
    /// Calling-Station-Id, so it must not change).
    pub fn to_upper(&self) -> String {
        self.to_string().to_ascii_uppercase()
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// Why a textual MAC address was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMacError;

impl fmt::Display for ParseMacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a MAC address like 02:00:5e:10:00:01")
    }
}

impl std::error::Error for ParseMacError {}

impl FromStr for MacAddr {
    type Err = ParseMacError;

    /// Six colon-separated groups of one or two hex digits.
    fn from_str(s: &str) -> core::result::Result<Self, ParseMacError> {
        let mut out = [0u8; 6];
        let mut groups = s.split(':');
        for byte in out.iter_mut() {
            let group = groups.next().ok_or(ParseMacError)?;
            if group.is_empty() || group.len() > 2 || !group.bytes().all(|c| c.is_ascii_hexdigit())
            {
                return Err(ParseMacError);
            }
            *byte = u8::from_str_radix(group, 16).map_err(|_| ParseMacError)?;
        }
        if groups.next().is_some() {
            return Err(ParseMacError);
        }
        Ok(MacAddr(out))
    }
}

/// Read-only view of an Ethernet II header at the start of a buffer.
#[derive(Debug, Clone, Copy)]
pub struct EthernetHeader<'a> {
    bytes: &'a [u8],
}

impl<'a> EthernetHeader<'a> {
    /// Checks that the buffer holds a whole header.
    pub fn new_checked(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(EthernetHeader { bytes })
    }

    fn mac(&self, range: std::ops::Range<usize>) -> MacAddr {
        let mut out = [0u8; 6];
        out.copy_from_slice(&self.bytes[range]);
        MacAddr(out)
    }

    /// Destination address.
    pub fn dst(&self) -> MacAddr {
        self.mac(field::DESTINATION)
    }

    /// Source address.
    pub fn src(&self) -> MacAddr {
        self.mac(field::SOURCE)
    }

    /// Ethertype, host order.
    pub fn ethertype(&self) -> u16 {
        u16::from_be_bytes([
            self.bytes[field::ETHERTYPE.start],
            self.bytes[field::ETHERTYPE.start + 1],
        ])
    }

    /// Everything after the header (may include Ethernet padding).
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[field::PAYLOAD..]
    }
}

/// The 802.1Q tag protocol identifier.
pub const ETHERTYPE_VLAN: u16 = 0x8100;

/// Largest 802.1Q VLAN id (4095 is reserved).
pub const MAX_VLAN_ID: u16 = 4094;

/// `frame` with an 802.1Q tag for VLAN `vid` (priority 0) inserted after
/// the MAC addresses, as a frame sent on the untagged parent of `vid`'s
/// VLAN must look. `None` if the frame has no room for the MAC addresses
/// or `vid` is not a usable VLAN id (1..=4094).
pub fn with_vlan_tag(frame: &[u8], vid: u16) -> Option<Vec<u8>> {
    if !(1..=MAX_VLAN_ID).contains(&vid) {
        return None;
    }
    let (addresses, rest) = frame.split_at_checked(field::ETHERTYPE.start)?;
    let mut tagged = Vec::with_capacity(frame.len() + 4);
    tagged.extend_from_slice(addresses);
    tagged.extend_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
    tagged.extend_from_slice(&vid.to_be_bytes());
    tagged.extend_from_slice(rest);
    Some(tagged)
}

/// Writes an Ethernet header into the first [`HEADER_LEN`] bytes of `buf`.
/// The caller guarantees the length.
pub(crate) fn emit_header(buf: &mut [u8], dst: MacAddr, src: MacAddr, ethertype: u16) {
    buf[field::DESTINATION].copy_from_slice(&dst.0);
    buf[field::SOURCE].copy_from_slice(&src.0);
    buf[field::ETHERTYPE].copy_from_slice(&ethertype.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_parses_both_cases_and_prints_both_ways() {
        let mac: MacAddr = "02:00:5E:1:0a:FF".parse().unwrap();
        assert_eq!(mac, MacAddr([0x02, 0x00, 0x5e, 0x01, 0x0a, 0xff]));
        assert_eq!(mac.to_string(), "02:00:5e:01:0a:ff");
        assert_eq!(mac.to_upper(), "02:00:5E:01:0A:FF");
    }

    #[test]
    fn mac_rejects_malformed_text() {
        for bad in [
            "",
            "02:00:5e:10:00",
            "02:00:5e:10:00:01:02",
            "0g:00:5e:10:00:01",
            "100:0:0:0:0:0",
            "::::::",
            "+1:0:0:0:0:0",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn unicast_and_broadcast_are_told_apart() {
        assert!(MacAddr([0x02, 0, 0, 0, 0, 1]).is_unicast());
        assert!(!MacAddr([0x01, 0, 0x5e, 0, 0, 1]).is_unicast());
        assert!(MacAddr::BROADCAST.is_broadcast());
        assert!(!MacAddr::BROADCAST.is_unicast());
    }

    #[test]
    fn a_vlan_tag_goes_between_the_addresses_and_the_ethertype() {
        let padi = include_bytes!("../../tests/vectors/padi.bin");
        let tagged = with_vlan_tag(padi, 35).unwrap();
        assert_eq!(tagged.len(), padi.len() + 4);
        assert_eq!(tagged[..12], padi[..12]);
        assert_eq!(tagged[12..16], [0x81, 0x00, 0x00, 35]);
        assert_eq!(tagged[16..], padi[12..]);
        assert_eq!(with_vlan_tag(padi, 4094).unwrap()[14..16], [0x0f, 0xfe]);
        for bad in [0, 4095, 0xffff] {
            assert_eq!(with_vlan_tag(padi, bad), None, "VLAN {bad}");
        }
        assert_eq!(with_vlan_tag(&padi[..11], 7), None);
    }

    #[test]
    fn short_buffer_is_truncated_not_a_panic() {
        assert_eq!(
            EthernetHeader::new_checked(&[0; 13]).unwrap_err(),
            Error::Truncated
        );
    }
}
