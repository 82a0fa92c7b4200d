//! What the plugin writes to pppd's log while discovery runs, in the words
//! and at the levels of pppd 2.5.x's own PPPoE plugin, so that scripts
//! grepping pppd's log keep working after the plugin is swapped. Pure: each
//! function returns the lines, [`super::DiscoveryLog`] logs them.
//!
//! The one intended difference: text an access concentrator controls
//! (AC-Name, Service-Name, error tag texts) goes through
//! [`printable`], never raw. Where we add detail pppd's plugin lacks (who
//! sent a refused frame, and why), it is a separate line, so pppd's own
//! line stays exactly as it was.

use std::fmt::Write as _;

use super::Level;
use crate::discovery::{Offer, Rejection, Session};
use crate::driver::Direction;
use crate::wire::{self, Code, ETHERTYPE_DISCOVERY, ETHERTYPE_SESSION, MacAddr, TagType};
use crate::wire::{TagIter, printable};

/// The line pppd's plugin writes after each offer it lists.
pub const OFFER_SEPARATOR: &str = "--------------------------------------------------";

/// How many bytes of a cookie or relay id pppd's plugin shows.
const PREVIEW_BYTES: usize = 20;
/// How many bytes of a binary tag pppd's packet dump shows.
const DUMP_TAG_BYTES: usize = 32;
/// Bytes per line of pppd's hex dump.
const HEX_LINE_BYTES: usize = 16;

/// Offers are listed at info with `pppoe-verbose` 1 or more, else in the
/// debug log (which pppd shows only with `debug`).
fn listing_level(verbose: u8) -> Level {
    if verbose >= 1 {
        Level::Info
    } else {
        Level::Debug
    }
}

/// `"Cookie: 3d 7d d6"`, the first 20 bytes and `...` if there are more.
fn preview(label: &str, bytes: &[u8]) -> String {
    let mut line = format!("{label}:");
    for b in bytes.iter().take(PREVIEW_BYTES) {
        let _ = write!(line, " {b:02x}");
    }
    if bytes.len() > PREVIEW_BYTES {
        line.push_str("...");
    }
    line
}

/// The chosen offer, as pppd's plugin lists each PADO with `pppoe-verbose`
/// 1: AC-Name, Service-Names, Cookie, Relay-ID, Max-Payload (at info
/// whatever the level, as pppd's plugin logs it), AC MAC, separator.
/// Upstream follows the PADO's tag order; this is one fixed order.
pub fn offer_lines(offer: &Offer, verbose: u8) -> Vec<(Level, String)> {
    let level = listing_level(verbose);
    let mut lines = vec![(
        level,
        format!("Access-Concentrator: {}", printable(&offer.ac_name)),
    )];
    for service in offer.service_names.iter().filter(|s| !s.is_empty()) {
        lines.push((level, format!("Service-Name: {}", printable(service))));
    }
    if let Some(cookie) = &offer.cookie {
        lines.push((level, preview("Cookie", cookie)));
    }
    if let Some(relay) = &offer.relay_id {
        // pppd's plugin means to print these bytes too, but a printf/sprintf
        // slip sends them to pppd's stdout and logs the bare label.
        lines.push((level, preview("Relay-ID", relay)));
    }
    if let Some(max_payload) = offer.max_payload {
        lines.push((Level::Info, format!("Max-Payload: {max_payload}")));
    }
    lines.push((level, format!("AC-Ethernet-Address: {}", offer.ac_mac)));
    lines.push((level, OFFER_SEPARATOR.to_owned()));
    lines
}

/// The confirmed session's Service-Name, as pppd's plugin logs the PADS's.
pub fn confirmation_lines(session: &Session, verbose: u8) -> Vec<(Level, String)> {
    if session.service_name.is_empty() {
        return Vec::new();
    }
    vec![(
        listing_level(verbose),
        format!("PADS: Service-Name: '{}'", printable(&session.service_name)),
    )]
}

/// pppd's name for an error tag in its "PADO: …-Error: text" lines.
fn error_tag_name(tag: TagType) -> &'static str {
    match tag {
        TagType::AcSystemError => "System-Error",
        TagType::GenericError => "Generic-Error",
        _ => "Service-Name-Error",
    }
}

/// The line pppd's plugin writes for a refused frame, if it writes one.
fn pppd_rejection_line(reason: &Rejection) -> Option<(Level, String)> {
    let error = |text: String| Some((Level::Error, text));
    match reason {
        Rejection::ErrorTag { code, tag, text } => error(format!(
            "{}: {}: {}",
            code,
            error_tag_name(*tag),
            printable(text)
        )),
        Rejection::NonUnicastSource => {
            error("Ignoring PADO packet from non-unicast MAC address".into())
        }
        Rejection::WrongAcMac => Some((
            Level::Warn,
            "Ignoring PADO packet from wrong MAC address".into(),
        )),
        Rejection::NoAcName => error("Ignoring PADO packet with no AC-Name tag".into()),
        Rejection::NoServiceName => error("Ignoring PADO packet with no Service-Name tag".into()),
        // pppd's plugin goes on with such a session; we refuse the PADS.
        Rejection::BadSessionId(id) => error(format!(
            "Access concentrator used a session value of {id:x} -- the AC is violating RFC 2516"
        )),
        Rejection::Malformed(wire::Error::LengthExceedsFrame { length, .. }) => {
            error(format!("Bogus PPPoE length field ({length})"))
        }
        Rejection::Malformed(wire::Error::BadVersionType(ver_type)) if ver_type >> 4 != 1 => {
            error(format!("Invalid PPPoE version ({})", ver_type >> 4))
        }
        Rejection::Malformed(wire::Error::BadVersionType(ver_type)) => {
            error(format!("Invalid PPPoE type ({})", ver_type & 0x0f))
        }
        // Frames pppd's plugin skips silently (another host's Host-Uniq, an
        // AC-Name or service not asked for, a late or unexpected code).
        _ => None,
    }
}

/// A refused frame: pppd's own line at its level where it has one, then our
/// line naming the sender and the reason — at info with `pppoe-verbose` 2
/// (or 1, for offers of an AC or service not asked for: upstream lists
/// those too), else in the debug log.
pub fn rejection_lines(from: MacAddr, reason: &Rejection, verbose: u8) -> Vec<(Level, String)> {
    let detail_level = if verbose >= 2 || (verbose >= 1 && reason.is_mismatch()) {
        Level::Info
    } else {
        Level::Debug
    };
    pppd_rejection_line(reason)
        .into_iter()
        .chain([(
            detail_level,
            format!("Ignoring discovery frame from {from}: {reason}"),
        )])
        .collect()
}

/// A frame as pppd's plugin dumps it with pppd's `debug` (the caller logs
/// every line at debug level): a summary line, the MACs, with `hex` (pppd
/// 2.5's `pppoe-verbose` 2) the payload in hex and ASCII, then the tags.
pub fn packet_dump(direction: Direction, frame: &[u8], hex: bool) -> Vec<String> {
    let prefix = match direction {
        Direction::Sent => "Send ",
        Direction::Received => "Recv ",
    };
    let Ok(eth) = wire::EthernetHeader::new_checked(frame) else {
        return vec![format!("{prefix}frame of {} bytes", frame.len())];
    };
    let packet = eth.payload();
    let (Some(&ver_type), Some(&code), Some(session), Some(length)) = (
        packet.first(),
        packet.get(1),
        packet.get(2..4),
        packet.get(4..6),
    ) else {
        return vec![format!(
            "{prefix}frame of {} bytes (ethertype 0x{:04x})",
            frame.len(),
            eth.ethertype()
        )];
    };
    let session = u16::from_be_bytes([session[0], session[1]]);
    let length = u16::from_be_bytes([length[0], length[1]]);
    let (version, kind) = (ver_type >> 4, ver_type & 0x0f);
    let summary = match eth.ethertype() {
        ETHERTYPE_DISCOVERY => {
            let code = match Code::from(code) {
                Code::Unknown(other) => format!("unknown code {other:x}"),
                known => known.to_string(),
            };
            format!(
                "PPPOE Discovery V{version}T{kind} {code} session 0x{session:x} length {length}"
            )
        }
        ETHERTYPE_SESSION => format!(
            "PPPOE Session V{version}T{kind} code 0x{code:x} session 0x{session:x} length {length}"
        ),
        other => format!("Unknown ethernet frame with proto = 0x{other:x}"),
    };
    let mut lines = vec![
        format!("{prefix}{summary}"),
        format!(" dst {}  src {}", eth.dst(), eth.src()),
    ];
    // Bounded by what arrived, whatever LENGTH claims.
    let payload = packet
        .get(6..)
        .map_or(&[][..], |rest| &rest[..rest.len().min(usize::from(length))]);
    if hex {
        lines.extend(payload.chunks(HEX_LINE_BYTES).map(hex_line));
    }
    if eth.ethertype() == ETHERTYPE_DISCOVERY {
        let tags: String = TagIter::new(payload)
            .map_while(Result::ok)
            .map(|tag| dump_tag(tag.tag_type, tag.value))
            .collect();
        if !tags.is_empty() {
            lines.push(tags);
        }
    }
    lines
}

/// One line of pppd's hex dump: 16 bytes in hex, two spaces, the printable
/// ones as characters and the rest as dots.
fn hex_line(chunk: &[u8]) -> String {
    let mut line = String::with_capacity(3 * HEX_LINE_BYTES + 2 + chunk.len());
    for i in 0..HEX_LINE_BYTES {
        match chunk.get(i) {
            Some(b) => {
                let _ = write!(line, "{b:02x} ");
            }
            None => line.push_str("   "),
        }
    }
    line.push_str("  ");
    line.extend(chunk.iter().map(|&b| {
        if b.is_ascii_graphic() || b == b' ' {
            char::from(b)
        } else {
            '.'
        }
    }));
    line
}

/// One tag of pppd's packet dump: ` [name value]`, text tags as text when
/// every byte is printable, anything else as up to 32 hex bytes.
fn dump_tag(tag_type: TagType, value: &[u8]) -> String {
    let (name, text) = match tag_type {
        TagType::EndOfList => ("end-of-list".to_owned(), false),
        TagType::ServiceName => ("service-name".to_owned(), true),
        TagType::AcName => ("AC-name".to_owned(), true),
        TagType::HostUniq => ("host-uniq".to_owned(), false),
        TagType::AcCookie => ("AC-cookie".to_owned(), false),
        TagType::VendorSpecific => ("vendor-specific".to_owned(), false),
        TagType::RelaySessionId => ("relay-session-id".to_owned(), false),
        TagType::PppMaxPayload => ("PPP-max-payload".to_owned(), false),
        TagType::ServiceNameError => ("service-name-error".to_owned(), true),
        TagType::AcSystemError => ("AC-system-error".to_owned(), true),
        TagType::GenericError => ("generic-error".to_owned(), true),
        other => (format!("unknown tag 0x{:x}", u16::from(other)), false),
    };
    let mut out = format!(" [{name}");
    let as_text = text && value.iter().all(|&b| b.is_ascii_graphic() || b == b' ');
    if as_text && !value.is_empty() {
        // Printable ASCII already; `printable` only doubles backslashes.
        let _ = write!(out, " {}", printable(value));
    } else if !as_text {
        for b in value.iter().take(DUMP_TAG_BYTES) {
            let _ = write!(out, " {b:02x}");
        }
        if value.len() > DUMP_TAG_BYTES {
            let _ = write!(out, "... (length {})", value.len());
        }
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{DiscoveryFrame, Tag};

    const AC: MacAddr = MacAddr([0x02, 0xac, 0, 0, 0, 0x0f]);
    const US: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);

    fn offer() -> Offer {
        Offer {
            ac_mac: AC,
            ac_name: b"BRAS\n01".to_vec(),
            service_names: vec![Vec::new(), b"internet".to_vec()],
            cookie: Some((0..25).collect()),
            relay_id: Some(vec![0xab, 0xcd]),
            max_payload: Some(1500),
        }
    }

    fn texts(lines: &[(Level, String)]) -> Vec<&str> {
        lines.iter().map(|(_, text)| text.as_str()).collect()
    }

    #[test]
    fn a_verbose_offer_is_listed_as_pppd_lists_it() {
        let lines = offer_lines(&offer(), 1);
        assert_eq!(
            texts(&lines),
            [
                "Access-Concentrator: BRAS\\x0a01",
                "Service-Name: internet",
                "Cookie: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13...",
                "Relay-ID: ab cd",
                "Max-Payload: 1500",
                "AC-Ethernet-Address: 02:ac:00:00:00:0f",
                OFFER_SEPARATOR,
            ]
        );
        assert!(lines.iter().all(|(level, _)| *level == Level::Info));
    }

    #[test]
    fn a_quiet_offer_goes_to_the_debug_log_but_max_payload_to_info() {
        for (level, text) in offer_lines(&offer(), 0) {
            let expected = if text.starts_with("Max-Payload") {
                Level::Info
            } else {
                Level::Debug
            };
            assert_eq!(level, expected, "{text}");
        }
    }

    #[test]
    fn the_pads_service_name_is_quoted() {
        let session = Session {
            session_id: 1,
            ac_mac: AC,
            ac_name: Vec::new(),
            service_name: b"inter'net".to_vec(),
            cookie: None,
            relay_id: None,
            max_payload: None,
        };
        assert_eq!(
            confirmation_lines(&session, 1),
            [(Level::Info, "PADS: Service-Name: 'inter'net'".to_owned())]
        );
        let unnamed = Session {
            service_name: Vec::new(),
            ..session
        };
        assert!(confirmation_lines(&unnamed, 2).is_empty());
    }

    #[test]
    fn refused_frames_get_pppds_line_at_pppds_level_then_ours() {
        for (reason, pppd) in [
            (
                Rejection::ErrorTag {
                    code: Code::Pado,
                    tag: TagType::ServiceNameError,
                    text: b"no such service\x1b[2J".to_vec(),
                },
                Some((
                    Level::Error,
                    "PADO: Service-Name-Error: no such service\\x1b[2J",
                )),
            ),
            (
                Rejection::ErrorTag {
                    code: Code::Pads,
                    tag: TagType::AcSystemError,
                    text: b"busy".to_vec(),
                },
                Some((Level::Error, "PADS: System-Error: busy")),
            ),
            (
                Rejection::ErrorTag {
                    code: Code::Pado,
                    tag: TagType::GenericError,
                    text: Vec::new(),
                },
                Some((Level::Error, "PADO: Generic-Error: ")),
            ),
            (
                Rejection::NonUnicastSource,
                Some((
                    Level::Error,
                    "Ignoring PADO packet from non-unicast MAC address",
                )),
            ),
            (
                Rejection::WrongAcMac,
                Some((Level::Warn, "Ignoring PADO packet from wrong MAC address")),
            ),
            (
                Rejection::NoAcName,
                Some((Level::Error, "Ignoring PADO packet with no AC-Name tag")),
            ),
            (
                Rejection::NoServiceName,
                Some((
                    Level::Error,
                    "Ignoring PADO packet with no Service-Name tag",
                )),
            ),
            (
                Rejection::BadSessionId(0xffff),
                Some((
                    Level::Error,
                    "Access concentrator used a session value of ffff -- the AC is violating \
                     RFC 2516",
                )),
            ),
            (
                Rejection::Malformed(wire::Error::LengthExceedsFrame {
                    length: 1600,
                    available: 40,
                }),
                Some((Level::Error, "Bogus PPPoE length field (1600)")),
            ),
            (
                Rejection::Malformed(wire::Error::BadVersionType(0x21)),
                Some((Level::Error, "Invalid PPPoE version (2)")),
            ),
            (
                Rejection::Malformed(wire::Error::BadVersionType(0x12)),
                Some((Level::Error, "Invalid PPPoE type (2)")),
            ),
            (Rejection::WrongHostUniq, None),
            (
                Rejection::AcNameMismatch {
                    offered: b"other".to_vec(),
                    services: vec![Vec::new()],
                },
                None,
            ),
        ] {
            let lines = rejection_lines(AC, &reason, 0);
            let ours = (
                Level::Debug,
                format!("Ignoring discovery frame from {AC}: {reason}"),
            );
            let expected: Vec<(Level, String)> = pppd
                .map(|(level, text)| (level, text.to_owned()))
                .into_iter()
                .chain([ours])
                .collect();
            assert_eq!(lines, expected);
        }
    }

    #[test]
    fn verbose_shows_why_frames_were_refused() {
        let mismatch = Rejection::ServiceMismatch {
            offered: vec![b"voip".to_vec()],
            ac_name: b"bras".to_vec(),
        };
        assert_eq!(rejection_lines(AC, &mismatch, 1)[0].0, Level::Info);
        assert_eq!(
            rejection_lines(AC, &Rejection::WrongHostUniq, 1)[0].0,
            Level::Debug
        );
        assert_eq!(
            rejection_lines(AC, &Rejection::WrongHostUniq, 2)[0].0,
            Level::Info
        );
    }

    fn padi() -> Vec<u8> {
        DiscoveryFrame {
            dst: MacAddr::BROADCAST,
            src: US,
            code: Code::Padi,
            session_id: 0,
            tags: vec![
                Tag::new(TagType::ServiceName, b""),
                Tag::new(TagType::HostUniq, &[0xcf, 0x5e, 0, 0]),
            ],
        }
        .to_bytes()
        .unwrap()
    }

    #[test]
    fn a_frame_is_dumped_as_pppd_dumps_it() {
        assert_eq!(
            packet_dump(Direction::Sent, &padi(), false),
            [
                "Send PPPOE Discovery V1T1 PADI session 0x0 length 12",
                " dst ff:ff:ff:ff:ff:ff  src 02:00:00:00:00:01",
                " [service-name] [host-uniq cf 5e 00 00]",
            ]
        );
    }

    #[test]
    fn verbose_2_adds_the_hex_dump() {
        let lines = packet_dump(Direction::Received, &padi(), true);
        assert_eq!(
            lines[0],
            "Recv PPPOE Discovery V1T1 PADI session 0x0 length 12"
        );
        assert_eq!(
            lines[2],
            format!(
                "01 01 00 00 01 03 00 04 cf 5e 00 00 {}  .........^..",
                "   ".repeat(4)
            )
        );
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn ac_text_in_a_dump_is_text_only_when_printable() {
        let pado = DiscoveryFrame {
            dst: US,
            src: AC,
            code: Code::Pado,
            session_id: 0,
            tags: vec![
                Tag::new(TagType::AcName, b"BRAS 1"),
                Tag::new(TagType::ServiceName, b"in\nternet"),
                Tag::new(TagType::AcCookie, &[7; 40]),
                Tag::new(TagType::Hurl, b"x"),
            ],
        }
        .to_bytes()
        .unwrap();
        let lines = packet_dump(Direction::Received, &pado, false);
        assert_eq!(
            lines[2],
            format!(
                " [AC-name BRAS 1] [service-name 69 6e 0a 74 65 72 6e 65 74] [AC-cookie{}... \
                 (length 40)] [unknown tag 0x111 78]",
                " 07".repeat(32)
            )
        );
    }

    #[test]
    fn a_frame_that_lies_about_its_length_is_dumped_as_far_as_it_goes() {
        let mut frame = padi();
        frame[18..20].copy_from_slice(&1600u16.to_be_bytes());
        let lines = packet_dump(Direction::Received, &frame, true);
        assert_eq!(
            lines[0],
            "Recv PPPOE Discovery V1T1 PADI session 0x0 length 1600"
        );
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(
            packet_dump(Direction::Received, &frame[..16], true),
            ["Recv frame of 16 bytes (ethertype 0x8863)"]
        );
        assert_eq!(
            packet_dump(Direction::Received, &frame[..5], true),
            ["Recv frame of 5 bytes"]
        );
    }
}
