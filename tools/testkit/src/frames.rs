//! Frames the kit sends: well-formed ones built with the product's own
//! `wire` types, and malformed ones made from them by byte surgery on the
//! PPPoE header and payload.

use rs_pppoe::wire::{Code, DiscoveryFrame, MacAddr, Tag, TagType, with_vlan_tag};

/// Offset of the PPPoE version/type byte in an untagged frame.
const VER_TYPE: usize = 14;
/// Offset of the PPPoE LENGTH field in an untagged frame.
const LENGTH: std::ops::Range<usize> = 18..20;

/// A discovery frame from its parts. The kit's frames are small and built
/// from fixed parts, so one that does not fit is a bug in the kit.
pub fn discovery(
    code: Code,
    src: MacAddr,
    dst: MacAddr,
    session_id: u16,
    tags: &[Tag<'_>],
) -> Vec<u8> {
    DiscoveryFrame {
        dst,
        src,
        code,
        session_id,
        tags: tags.to_vec(),
    }
    .to_bytes()
    .unwrap_or_else(|e| panic!("test-kit {code} frame does not fit: {e}"))
}

/// A tag from a type and any bytes.
pub fn tag(tag_type: TagType, value: &[u8]) -> Tag<'_> {
    Tag::new(tag_type, value)
}

/// PPP-Max-Payload's two big-endian bytes.
pub fn max_payload(value: u16) -> [u8; 2] {
    value.to_be_bytes()
}

/// `frame` with the PPPoE LENGTH field set to `length`, whatever the
/// payload really is.
pub fn with_length(mut frame: Vec<u8>, length: u16) -> Vec<u8> {
    if let Some(field) = frame.get_mut(LENGTH) {
        field.copy_from_slice(&length.to_be_bytes());
    }
    frame
}

/// `frame` with `bytes` appended to its payload and LENGTH grown to match
/// (e.g. a tag header whose length runs past the end).
pub fn with_raw_tail(mut frame: Vec<u8>, bytes: &[u8]) -> Vec<u8> {
    frame.extend_from_slice(bytes);
    let payload = frame.len().saturating_sub(LENGTH.end);
    with_length(frame, u16::try_from(payload).unwrap_or(u16::MAX))
}

/// `frame` with another PPPoE version/type byte.
pub fn with_ver_type(mut frame: Vec<u8>, ver_type: u8) -> Vec<u8> {
    if let Some(byte) = frame.get_mut(VER_TYPE) {
        *byte = ver_type;
    }
    frame
}

/// `frame` as sent on VLAN `vid` of the interface.
pub fn tagged(frame: &[u8], vid: u16) -> Vec<u8> {
    with_vlan_tag(frame, vid).unwrap_or_else(|| frame.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rs_pppoe::wire::Error;

    const A: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
    const B: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

    fn pado() -> Vec<u8> {
        discovery(Code::Pado, A, B, 0, &[tag(TagType::AcName, b"ac")])
    }

    #[test]
    fn surgery_makes_exactly_the_fault_the_parser_must_name() {
        assert!(DiscoveryFrame::parse(&pado()).is_ok());
        assert_eq!(
            DiscoveryFrame::parse(&with_length(pado(), 1400)),
            Err(Error::LengthExceedsFrame {
                length: 1400,
                available: 6
            })
        );
        assert_eq!(
            DiscoveryFrame::parse(&with_raw_tail(pado(), &[0x01, 0x04, 0x00, 0xc8, b'x'])),
            Err(Error::TagOverrun { offset: 6 })
        );
        assert_eq!(
            DiscoveryFrame::parse(&with_raw_tail(pado(), &[0x01, 0x04])),
            Err(Error::TagOverrun { offset: 6 })
        );
        assert_eq!(
            DiscoveryFrame::parse(&with_ver_type(pado(), 0x21)),
            Err(Error::BadVersionType(0x21))
        );
        assert_eq!(tagged(&pado(), 7)[12..16], [0x81, 0x00, 0x00, 0x07]);
    }
}
