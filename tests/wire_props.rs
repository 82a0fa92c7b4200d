//! Property tests for the packet code's contract: parsing any bytes never
//! panics, and every frame we can emit parses back to itself.

use proptest::prelude::*;
use rs_pppoe::{
    discovery::{Client, Config, Mode},
    wire::{Code, DiscoveryFrame, MacAddr, Tag, TagType},
};
use std::time::Instant;

fn mac() -> impl Strategy<Value = MacAddr> {
    any::<[u8; 6]>().prop_map(MacAddr)
}

/// Tag types other than End-Of-List (which ends a tag walk, so tags after it
/// cannot round-trip by design).
fn tag_type() -> impl Strategy<Value = TagType> {
    (1u16..=u16::MAX).prop_map(TagType::from)
}

fn owned_tags() -> impl Strategy<Value = Vec<(TagType, Vec<u8>)>> {
    prop::collection::vec(
        (tag_type(), prop::collection::vec(any::<u8>(), 0..64)),
        0..12,
    )
}

/// A raw discovery frame: valid headers, then arbitrary (maybe broken) bytes,
/// with a LENGTH field that may lie.
fn raw_frame() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<[u8; 12]>(),
        any::<u8>(),
        any::<u16>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(macs, code, sid, len, body)| {
            let mut out = macs.to_vec();
            out.extend_from_slice(&0x8863u16.to_be_bytes());
            out.extend_from_slice(&[0x11, code]);
            out.extend_from_slice(&sid.to_be_bytes());
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&body);
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..1600)) {
        let _ = DiscoveryFrame::parse(&bytes);
    }

    #[test]
    fn parsing_near_valid_frames_never_panics_and_reemits_a_prefix(bytes in raw_frame()) {
        if let Ok(frame) = DiscoveryFrame::parse(&bytes) {
            // What parsed re-emits to a prefix of the input (padding and
            // anything after End-Of-List are dropped, nothing is invented).
            if let Ok(emitted) = frame.to_bytes() {
                if frame.tags.iter().all(|t| t.tag_type != TagType::EndOfList) {
                    prop_assert_eq!(&emitted[..], &bytes[..emitted.len()]);
                }
                prop_assert_eq!(DiscoveryFrame::parse(&emitted).unwrap(), frame);
            }
        }
    }

    #[test]
    fn parse_of_emit_is_identity(
        dst in mac(), src in mac(), code in any::<u8>(), session_id in any::<u16>(),
        tags in owned_tags(), end_of_list in any::<bool>(),
    ) {
        let mut tags: Vec<Tag<'_>> = tags.iter().map(|(t, v)| Tag::new(*t, v)).collect();
        if end_of_list {
            tags.push(Tag::new(TagType::EndOfList, b""));
        }
        let frame = DiscoveryFrame { dst, src, code: Code::from(code), session_id, tags };
        let bytes = frame.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), frame.buffer_len());
        prop_assert_eq!(DiscoveryFrame::parse(&bytes).unwrap(), frame);
    }

    #[test]
    fn discovery_client_survives_any_frame(frames in prop::collection::vec(raw_frame(), 1..20)) {
        let start = Instant::now();
        let mut config = Config::new(MacAddr([2, 0, 0, 0, 0, 1]), vec![1, 2, 3, 4]);
        config.mode = Mode::Session;
        let mut client = Client::new(config, start).unwrap();
        while client.poll_transmit(start).is_some() {}
        for mut bytes in frames {
            // Address half of them to us so they get past the first check.
            if bytes[0] & 1 == 0 { bytes[..6].copy_from_slice(&[2, 0, 0, 0, 0, 1]); }
            let _ = client.handle_frame(start, &bytes);
            while client.poll_transmit(start).is_some() {}
        }
    }
}
