//! `wire`: any bytes as a received Ethernet frame.
//!
//! Invariants: parsing never panics; what parses re-emits to exactly
//! [`DiscoveryFrame::buffer_len`] bytes that are the input's own bytes (no
//! padding kept, nothing invented; only LENGTH changes when tags followed
//! End-Of-List), and parse again gives the same frame; emit refuses exactly
//! the frames over the protocol's size limits and never writes past a short
//! buffer.

use rs_pppoe::wire::{
    Code, DiscoveryFrame, Error, MAX_PADI_PACKET_LEN, MAX_PPPOE_PAYLOAD, PPPOE_HEADER_LEN, TagType,
};

const ETHERNET_HEADER_LEN: usize = 14;
/// Byte range of the PPPoE LENGTH field in a frame.
const LENGTH_FIELD: std::ops::Range<usize> = 18..20;

pub fn run(data: &[u8]) {
    let frame = match DiscoveryFrame::parse(data) {
        Ok(frame) => frame,
        Err(error) => {
            check_parse_error(data, error);
            return;
        }
    };
    // The log line is built from AC-controlled bytes: it must not panic
    // and must stay one line.
    let line = frame.to_string();
    assert!(
        !line.contains(['\n', '\r']),
        "log line spans lines: {line:?}"
    );

    let len = frame.buffer_len();
    assert!(
        len <= data.len(),
        "parse invented bytes: {len} > {}",
        data.len()
    );
    let limit = ETHERNET_HEADER_LEN
        + if frame.code == Code::Padi {
            MAX_PADI_PACKET_LEN
        } else {
            PPPOE_HEADER_LEN + MAX_PPPOE_PAYLOAD
        };
    let bytes = match frame.to_bytes() {
        Ok(bytes) => bytes,
        Err(Error::FrameTooLong { .. }) => {
            assert!(len > limit, "a {len}-byte frame refused as too long");
            return;
        }
        Err(error) => panic!("emit of a parsed frame failed: {error}"),
    };
    assert!(len <= limit, "a {len}-byte frame emitted (limit {limit})");
    assert_eq!(bytes.len(), len, "emit wrote other than buffer_len bytes");
    let ended_early = frame.tags.iter().any(|t| t.tag_type == TagType::EndOfList);
    if ended_early {
        // Tags after End-Of-List are dropped, so only LENGTH may differ.
        assert_eq!(bytes[..LENGTH_FIELD.start], data[..LENGTH_FIELD.start]);
        assert_eq!(bytes[LENGTH_FIELD.end..], data[LENGTH_FIELD.end..len]);
    } else {
        assert_eq!(
            bytes[..],
            data[..len],
            "emit(parse(x)) is not a prefix of x"
        );
    }
    let again = DiscoveryFrame::parse(&bytes).expect("an emitted frame parses");
    assert_eq!(again, frame, "parse(emit(parse(x))) != parse(x)");

    // A short buffer is an error, not a partial write or a panic.
    let mut short = vec![0u8; len - 1];
    assert_eq!(frame.emit(&mut short), Err(Error::BufferTooSmall));
    assert!(
        short.iter().all(|&b| b == 0),
        "emit wrote into a short buffer"
    );
}

/// The error names the first thing wrong, in the order the headers come.
fn check_parse_error(data: &[u8], error: Error) {
    let ethertype = data.get(12..14).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let expected_kind = match ethertype {
        None => "Truncated",
        Some(0x8863) if data.len() < ETHERNET_HEADER_LEN + PPPOE_HEADER_LEN => "Truncated",
        Some(0x8863) if data[14] != 0x11 => "BadVersionType",
        Some(0x8863) => {
            let length = usize::from(u16::from_be_bytes([data[18], data[19]]));
            if length > data.len() - ETHERNET_HEADER_LEN - PPPOE_HEADER_LEN {
                "LengthExceedsFrame"
            } else {
                "TagOverrun"
            }
        }
        Some(_) => "NotDiscovery",
    };
    let kind = format!("{error:?}");
    assert!(
        kind.starts_with(expected_kind),
        "parse error {error:?}, expected {expected_kind}"
    );
}

pub fn describe(data: &[u8]) -> String {
    match DiscoveryFrame::parse(data) {
        Ok(frame) => format!("{} bytes: {frame}", data.len()),
        Err(error) => format!("{} bytes: {error}", data.len()),
    }
}
