//! `session_record`: any text as a session record file
//! ([`rs_pppoe::session_record`]).
//!
//! The plugin reads the record a killed pppd left behind and sends a PADT
//! from it, so a damaged or planted file must give an error or a record
//! that is safe to act on. Invariants: parsing never panics; a record is of
//! a version the plugin knows, never carries a reserved session id, names
//! an interface the PADT can go out on and a boot id only in the kernel's
//! form; writing a parsed record (of either version) and parsing it again
//! gives the same record in the current version; the PADT built from it
//! parses, is a PADT for that session from our MAC to the AC, and fits in
//! a frame.

use rs_pppoe::session_record::{FORMAT_VERSION, LEGACY_VERSION, SessionRecord, is_boot_id};
use rs_pppoe::sys::IFNAMSIZ;
use rs_pppoe::wire::{Code, DiscoveryFrame, MAX_PPPOE_PAYLOAD, PPPOE_HEADER_LEN};

pub fn run(data: &[u8]) {
    // The store reads the file as UTF-8; other bytes never reach the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = SessionRecord::parse(text) else {
        return;
    };
    assert!(
        parsed.version == FORMAT_VERSION || parsed.version == LEGACY_VERSION,
        "a record of unknown version {}",
        parsed.version
    );
    let record = parsed.record;
    assert!(
        record.session_id != 0 && record.session_id != 0xffff,
        "a record with reserved session id {}",
        record.session_id
    );
    let name = &record.interface;
    assert!(
        !name.is_empty()
            && name.len() < IFNAMSIZ
            && name != "."
            && name != ".."
            && !name.contains(['/', '\0']),
        "a record naming no usable interface: {name:?}"
    );
    if let Some(boot_id) = &record.boot_id {
        assert!(is_boot_id(boot_id), "a record with boot id {boot_id:?}");
    }
    let written = record.to_text();
    let again = SessionRecord::parse(&written)
        .unwrap_or_else(|e| panic!("a written record does not parse ({e}):\n{written}"));
    assert_eq!(
        (&again.record, again.version),
        (&record, FORMAT_VERSION),
        "the record does not survive writing and reading:\n{written}"
    );

    // The frame the plugin would send for this record.
    let padt = record.padt_frame();
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
