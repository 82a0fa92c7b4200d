//! What `rs-pppoe-discovery` prints: offers the way pppd 2.5's
//! `pppoe-discovery` prints them, JSON lines, and `-D` packet dumps.
//! Everything here is pure (returns strings) so it is unit-tested.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::discovery::{Offer, Session};
use crate::driver::Direction;
use crate::scan::{InterfaceScan, VlanScan};
use crate::wire::{EthernetHeader, PppoeHeader, printable};

/// The separator pppd prints after every offer.
pub const SEPARATOR: &str = "--------------------------------------------------";

/// Bytes as `"3d 7d d6"`, the way pppd prints cookies.
fn spaced_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// One offer as pppd 2.5's `pppoe-discovery` lists it, ending with the
/// dashed line. AC-controlled text goes through [`printable`].
pub fn offer_text(offer: &Offer) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Access-Concentrator: {}", printable(&offer.ac_name));
    for name in &offer.service_names {
        let _ = writeln!(out, "Service-Name: {}", printable(name));
    }
    if let Some(cookie) = &offer.cookie {
        let _ = writeln!(out, "Cookie: {}", spaced_hex(cookie));
    }
    if let Some(relay) = &offer.relay_id {
        let _ = writeln!(out, "Relay-ID: {}", spaced_hex(relay));
    }
    if let Some(max) = offer.max_payload {
        let _ = writeln!(out, "Max-Payload: {max}");
    }
    let _ = writeln!(out, "AC-Ethernet-Address: {}", offer.ac_mac);
    out.push_str(SEPARATOR);
    out.push('\n');
    out
}

/// A JSON string literal of AC text in [`printable`] form (which is pure
/// printable ASCII, so only `"` and `\` need escaping).
pub(super) fn json_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for c in printable(bytes).chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn json_hex(bytes: Option<&Vec<u8>>) -> String {
    match bytes {
        Some(b) => format!("\"{}\"", crate::wire::hex(b)),
        None => "null".to_owned(),
    }
}

fn json_number(n: Option<u16>) -> String {
    n.map_or_else(|| "null".to_owned(), |n| n.to_string())
}

/// One offer as a single-line JSON object.
pub fn offer_json(offer: &Offer) -> String {
    let mut line = offer_object(offer);
    line.push('\n');
    line
}

/// An offer as a JSON object, without the newline.
fn offer_object(offer: &Offer) -> String {
    let services: Vec<String> = offer.service_names.iter().map(|s| json_string(s)).collect();
    format!(
        "{{\"ac_name\":{},\"ac_mac\":\"{}\",\"service_names\":[{}],\"cookie\":{},\"relay_id\":{},\"max_payload\":{}}}",
        json_string(&offer.ac_name),
        offer.ac_mac,
        services.join(","),
        json_hex(offer.cookie.as_ref()),
        json_hex(offer.relay_id.as_ref()),
        json_number(offer.max_payload),
    )
}

/// `--all`, one interface: a heading line, then its offers as
/// [`offer_text`] lists them, or why there were none.
pub fn interface_scan_text(scan: &InterfaceScan) -> String {
    let mut out = format!("Interface: {}\n", scan.interface);
    match &scan.result {
        Ok(offers) if !offers.is_empty() => {
            for offer in offers {
                out.push_str(&offer_text(offer));
            }
            return out;
        }
        Ok(_) => {
            let why = scan.diagnosis.as_deref().unwrap_or("no answer");
            let _ = writeln!(out, "No access concentrator answered: {why}");
        }
        Err(e) => {
            let _ = writeln!(out, "Not probed: {e}");
        }
    }
    out.push_str(SEPARATOR);
    out.push('\n');
    out
}

/// `--all --json`, one interface: `{"interface":…,"offers":[…],"error":…,
/// "diagnosis":…}` on one line.
pub fn interface_scan_json(scan: &InterfaceScan) -> String {
    let (offers, error) = match &scan.result {
        Ok(offers) => (offers.iter().map(offer_object).collect::<Vec<_>>(), None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let text_or_null =
        |text: Option<&str>| text.map_or_else(|| "null".to_owned(), |t| json_string(t.as_bytes()));
    format!(
        "{{\"interface\":{},\"offers\":[{}],\"error\":{},\"diagnosis\":{}}}\n",
        json_string(scan.interface.as_bytes()),
        offers.join(","),
        text_or_null(error.as_deref()),
        text_or_null(scan.diagnosis.as_deref()),
    )
}

/// `--probe-vlans`, one VLAN that answered: a heading line, then its
/// offers.
pub fn vlan_scan_text(scan: &VlanScan) -> String {
    let mut out = match scan.vlan {
        Some(vid) => format!("VLAN: {vid}\n"),
        None => "VLAN: none (untagged)\n".to_owned(),
    };
    for offer in &scan.offers {
        out.push_str(&offer_text(offer));
    }
    out
}

/// `--probe-vlans --json`, one VLAN (answered or not): `{"interface":…,
/// "vlan":35,"offers":[…]}` (`"vlan":null` for untagged).
pub fn vlan_scan_json(interface: &str, scan: &VlanScan) -> String {
    let offers: Vec<String> = scan.offers.iter().map(offer_object).collect();
    format!(
        "{{\"interface\":{},\"vlan\":{},\"offers\":[{}]}}\n",
        json_string(interface.as_bytes()),
        json_number(scan.vlan),
        offers.join(","),
    )
}

/// `--session`: `SESSION_ID:AC_MAC`, the format of `pppoe -d`.
pub fn session_text(session: &Session) -> String {
    format!("{}:{}\n", session.session_id, session.ac_mac)
}

/// `--session --json`.
pub fn session_json(session: &Session) -> String {
    format!(
        "{{\"session_id\":{},\"ac_mac\":\"{}\",\"ac_name\":{},\"service_name\":{},\"cookie\":{},\"relay_id\":{},\"max_payload\":{}}}\n",
        session.session_id,
        session.ac_mac,
        json_string(&session.ac_name),
        json_string(&session.service_name),
        json_hex(session.cookie.as_ref()),
        json_hex(session.relay_id.as_ref()),
        json_number(session.max_payload),
    )
}

/// UTC wall-clock time of day, `HH:MM:SS.mmm`.
pub fn time_of_day(now: SystemTime) -> String {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        since_epoch.subsec_millis()
    )
}

/// One `-D` dump record: a summary line like pppd 2.4.9's
/// (`HH:MM:SS.mmm SENT PPPoE Discovery (8863) PADI sess-id 0 length 12`),
/// the MACs, then the whole frame in hex, 16 bytes a line.
pub fn dump_record(time: &str, direction: Direction, frame: &[u8]) -> String {
    let verb = match direction {
        Direction::Sent => "SENT",
        Direction::Received => "RCVD",
    };
    let mut out = String::new();
    match EthernetHeader::new_checked(frame) {
        Ok(eth) => {
            let summary = match PppoeHeader::new_checked(eth.payload()) {
                Ok(pppoe) => format!(
                    "{} sess-id {} length {}",
                    pppoe.code(),
                    pppoe.session_id(),
                    pppoe.length()
                ),
                Err(e) => format!("unparsable: {e}"),
            };
            let _ = writeln!(
                out,
                "{time} {verb} PPPoE Discovery ({:04x}) {summary}",
                eth.ethertype()
            );
            let _ = writeln!(out, " dst {}  src {}", eth.dst(), eth.src());
        }
        Err(e) => {
            let _ = writeln!(out, "{time} {verb} unparsable frame: {e}");
        }
    }
    for line in frame.chunks(16) {
        let _ = writeln!(out, "  {}", spaced_hex(line));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::MacAddr;
    use std::time::Duration;

    fn offer() -> Offer {
        Offer {
            ac_mac: MacAddr([0x02, 0, 0, 0, 0x0a, 0x01]),
            ac_name: b"rsp-test-ac".to_vec(),
            service_names: vec![b"internet".to_vec(), b"vo\"ip\n".to_vec()],
            cookie: Some(vec![0x3d, 0x7d, 0xd6]),
            relay_id: None,
            max_payload: Some(1500),
        }
    }

    #[test]
    fn offers_are_listed_like_pppoe_discovery_with_ac_text_escaped() {
        assert_eq!(
            offer_text(&offer()),
            "Access-Concentrator: rsp-test-ac\n\
             Service-Name: internet\n\
             Service-Name: vo\"ip\\x0a\n\
             Cookie: 3d 7d d6\n\
             Max-Payload: 1500\n\
             AC-Ethernet-Address: 02:00:00:00:0a:01\n\
             --------------------------------------------------\n"
        );
    }

    #[test]
    fn json_offer_is_one_line_with_hex_cookie_and_nulls() {
        assert_eq!(
            offer_json(&offer()),
            "{\"ac_name\":\"rsp-test-ac\",\"ac_mac\":\"02:00:00:00:0a:01\",\
             \"service_names\":[\"internet\",\"vo\\\"ip\\\\x0a\"],\"cookie\":\"3d7dd6\",\
             \"relay_id\":null,\"max_payload\":1500}\n"
        );
    }

    #[test]
    fn session_line_matches_pppoe_dash_d() {
        let session = Session {
            session_id: 1,
            ac_mac: MacAddr([0x02, 0, 0, 0, 0x0a, 0x01]),
            ac_name: b"ac".to_vec(),
            service_name: Vec::new(),
            cookie: None,
            relay_id: None,
            max_payload: None,
        };
        assert_eq!(session_text(&session), "1:02:00:00:00:0a:01\n");
        assert!(
            session_json(&session)
                .starts_with("{\"session_id\":1,\"ac_mac\":\"02:00:00:00:0a:01\"")
        );
    }

    #[test]
    fn dump_record_summarises_then_hexdumps_the_frame() {
        let padi = include_bytes!("../../tests/vectors/padi.bin");
        let time = time_of_day(UNIX_EPOCH + Duration::from_millis(3_723_004));
        assert_eq!(time, "01:02:03.004");
        let record = dump_record(&time, Direction::Sent, padi);
        let mut lines = record.lines();
        assert_eq!(
            lines.next(),
            Some("01:02:03.004 SENT PPPoE Discovery (8863) PADI sess-id 0 length 12")
        );
        assert_eq!(
            lines.next(),
            Some(" dst ff:ff:ff:ff:ff:ff  src 02:00:00:00:0c:01")
        );
        assert_eq!(
            lines.next(),
            Some("  ff ff ff ff ff ff 02 00 00 00 0c 01 88 63 11 09")
        );
        assert_eq!(
            lines.next(),
            Some("  00 00 00 0c 01 01 00 00 01 03 00 04 72 73 70 70")
        );
    }
}
