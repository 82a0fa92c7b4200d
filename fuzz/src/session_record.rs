//! `session_record`: any text as a session record file.
//!
//! The plugin reads the record a killed pppd left behind and sends a PADT
//! from it, so a damaged or planted file must give an error or a record
//! that is safe to act on. Invariants: parsing never panics; a record never
//! carries a reserved session id; writing a parsed record and parsing it
//! again gives the same record; the PADT built from it parses, is a PADT
//! for that session from our MAC to the AC, and fits in a frame.

use rs_pppoe::discovery::padt_frame;
use rs_pppoe::plugin::SessionRecord;
use rs_pppoe::wire::{Code, DiscoveryFrame, MAX_PPPOE_PAYLOAD, PPPOE_HEADER_LEN};

pub fn run(data: &[u8]) {
    // The store reads the file as UTF-8; other bytes never reach the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(record) = SessionRecord::parse(text) else {
        return;
    };
    assert!(
        record.session_id != 0 && record.session_id != 0xffff,
        "a record with reserved session id {}",
        record.session_id
    );
    let written = record.to_text();
    assert_eq!(
        SessionRecord::parse(&written).as_ref(),
        Ok(&record),
        "the record does not survive writing and reading:\n{written}"
    );

    let padt = padt_frame(
        record.our_mac,
        record.ac_mac,
        record.session_id,
        &record.host_uniq,
        record.cookie.as_deref(),
        record.relay_id.as_deref(),
    );
    let frame = DiscoveryFrame::parse(&padt).expect("the PADT of a record parses");
    assert_eq!(frame.code, Code::Padt);
    assert_eq!(frame.session_id, record.session_id);
    assert_eq!((frame.src, frame.dst), (record.our_mac, record.ac_mac));
    assert!(padt.len() <= 14 + PPPOE_HEADER_LEN + MAX_PPPOE_PAYLOAD);
}

pub fn describe(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(text) => format!("{text:?}\n=> {:?}", SessionRecord::parse(text)),
        Err(_) => "(not UTF-8; skipped)".to_string(),
    }
}
