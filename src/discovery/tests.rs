//! Timeline tests: the client driven at given milliseconds, asserting what a
//! user would see on the wire and in the outcome.

use std::time::Duration;

use super::*;
use crate::wire::{Code, Tag, TagType};

const HOST: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);
const AC1: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x00, 0xa1]);
const AC2: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x00, 0xa2]);
const HOST_UNIQ: &[u8] = &[0x2a, 0x00, 0x00, 0x00];

/// Milliseconds since the start of the timeline.
struct Timeline {
    start: Instant,
}

impl Timeline {
    fn new() -> Self {
        Timeline {
            start: Instant::now(),
        }
    }
    fn at(&self, ms: u64) -> Instant {
        self.start + Duration::from_millis(ms)
    }
    fn ms(&self, instant: Instant) -> u64 {
        instant.duration_since(self.start).as_millis() as u64
    }
}

fn config() -> Config {
    Config::new(HOST, HOST_UNIQ.to_vec())
}

/// Every frame the client wants to send at `now`, parsed.
fn sent(client: &mut Client, now: Instant) -> Vec<(Code, MacAddr, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(bytes) = client.poll_transmit(now) {
        let frame = DiscoveryFrame::parse(&bytes).expect("client emits valid frames");
        assert_eq!(frame.src, HOST);
        out.push((frame.code, frame.dst, bytes.clone()));
    }
    out
}

fn codes(frames: &[(Code, MacAddr, Vec<u8>)]) -> Vec<Code> {
    frames.iter().map(|f| f.0).collect()
}

/// An access concentrator's frame to HOST.
struct AcFrame<'a> {
    src: MacAddr,
    dst: MacAddr,
    code: Code,
    session_id: u16,
    tags: Vec<Tag<'a>>,
}

impl<'a> AcFrame<'a> {
    fn pado(src: MacAddr, ac_name: &'a [u8]) -> Self {
        AcFrame {
            src,
            dst: HOST,
            code: Code::Pado,
            session_id: 0,
            tags: vec![
                Tag::new(TagType::AcName, ac_name),
                Tag::new(TagType::ServiceName, b""),
                Tag::new(TagType::HostUniq, HOST_UNIQ),
            ],
        }
    }
    fn pads(src: MacAddr, session_id: u16) -> Self {
        AcFrame {
            src,
            dst: HOST,
            code: Code::Pads,
            session_id,
            tags: vec![
                Tag::new(TagType::ServiceName, b""),
                Tag::new(TagType::HostUniq, HOST_UNIQ),
            ],
        }
    }
    fn with(mut self, tag_type: TagType, value: &'a [u8]) -> Self {
        self.tags.push(Tag::new(tag_type, value));
        self
    }
    fn without(mut self, tag_type: TagType) -> Self {
        self.tags.retain(|t| t.tag_type != tag_type);
        self
    }
    fn bytes(&self) -> Vec<u8> {
        DiscoveryFrame {
            dst: self.dst,
            src: self.src,
            code: self.code,
            session_id: self.session_id,
            tags: self.tags.clone(),
        }
        .to_bytes()
        .unwrap()
    }
}

fn rejection(event: Event) -> Rejection {
    match event {
        Event::Rejected { reason, .. } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn padi_is_resent_after_5_10_20_seconds_then_discovery_gives_up() {
    let t = Timeline::new();
    let mut client = Client::new(config(), t.at(0)).unwrap();
    assert_eq!(codes(&sent(&mut client, t.at(0))), [Code::Padi]);
    let mut sends = vec![0];
    for ms in 1..=40_000 {
        let frames = sent(&mut client, t.at(ms));
        if !frames.is_empty() {
            assert_eq!(codes(&frames), [Code::Padi]);
            sends.push(ms);
        }
        if client.outcome().is_some() {
            assert_eq!(ms, 35_000, "gives up when the third wait (20 s) ends");
            break;
        }
    }
    assert_eq!(
        sends,
        [0, 5_000, 15_000],
        "three PADIs, waits of 5, 10 and 20 s"
    );
    assert_eq!(
        client.outcome(),
        Some(&Outcome::Failed(Failure::NoOffer {
            rejected: 0,
            mismatched: 0
        }))
    );
    assert_eq!(client.poll_at(), None);
}

#[test]
fn padi_carries_service_name_host_uniq_and_max_payload_in_order() {
    let t = Timeline::new();
    let mut cfg = config();
    cfg.service_name = b"internet".to_vec();
    cfg.max_payload = Some(1500);
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    let frames = sent(&mut client, t.at(0));
    let padi = DiscoveryFrame::parse(&frames[0].2).unwrap();
    assert_eq!(padi.dst, MacAddr::BROADCAST);
    assert_eq!(
        padi.tags,
        vec![
            Tag::new(TagType::ServiceName, b"internet"),
            Tag::new(TagType::HostUniq, HOST_UNIQ),
            Tag::new(TagType::PppMaxPayload, &[0x05, 0xdc]),
        ]
    );
}

#[test]
fn max_payload_of_1492_or_less_is_not_advertised() {
    let t = Timeline::new();
    let mut cfg = config();
    cfg.max_payload = Some(1492);
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    let padi = sent(&mut client, t.at(0)).remove(0).2;
    assert!(
        DiscoveryFrame::parse(&padi)
            .unwrap()
            .tag(TagType::PppMaxPayload)
            .is_none()
    );
}

#[test]
fn full_exchange_confirms_session_and_padr_echoes_that_offers_cookie() {
    let t = Timeline::new();
    let mut client = Client::new(config(), t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let pado = AcFrame::pado(AC1, b"BRAS-1")
        .with(TagType::AcCookie, b"cookie-1")
        .with(TagType::RelaySessionId, b"relay-1")
        .bytes();
    assert!(matches!(
        client.handle_frame(t.at(3), &pado),
        Event::Offer(_)
    ));
    let frames = sent(&mut client, t.at(3));
    assert_eq!(codes(&frames), [Code::Padr]);
    assert_eq!(frames[0].1, AC1, "PADR is unicast to the chosen AC");
    let padr = DiscoveryFrame::parse(&frames[0].2).unwrap();
    assert_eq!(padr.tag_value(TagType::AcCookie), Some(&b"cookie-1"[..]));
    assert_eq!(
        padr.tag_value(TagType::RelaySessionId),
        Some(&b"relay-1"[..])
    );
    assert_eq!(padr.tag_value(TagType::HostUniq), Some(HOST_UNIQ));

    let event = client.handle_frame(t.at(4), &AcFrame::pads(AC1, 0x1234).bytes());
    let Event::Confirmed(session) = event else {
        panic!("expected confirmation, got {event:?}")
    };
    assert_eq!(session.session_id, 0x1234);
    assert_eq!(session.ac_mac, AC1);
    assert_eq!(session.ac_name, b"BRAS-1");
    assert_eq!(session.cookie.as_deref(), Some(&b"cookie-1"[..]));
    assert_eq!(session.payload_limit(), 1492, "no PPP-Max-Payload → 1492");
    assert_eq!(client.outcome(), Some(&Outcome::Established(session)));
    assert!(
        sent(&mut client, t.at(60_000)).is_empty(),
        "nothing more is sent once done"
    );
}

#[test]
fn rejected_offer_tags_never_leak_into_the_padr() {
    // A hostile host sends a PADO with a cookie, relay id and max payload but
    // the wrong AC-Name; then the real AC answers without any of them. The
    // C plugin would echo the attacker's cookie and relay id.
    let t = Timeline::new();
    let mut cfg = config();
    cfg.ac_name = Some(b"REAL".to_vec());
    cfg.max_payload = Some(1500);
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let forged = AcFrame::pado(AC2, b"EVIL")
        .with(TagType::AcCookie, b"evil-cookie")
        .with(TagType::RelaySessionId, b"evil-relay")
        .with(TagType::PppMaxPayload, &[0x05, 0xdc])
        .bytes();
    assert!(matches!(
        rejection(client.handle_frame(t.at(1), &forged)),
        Rejection::AcNameMismatch { .. }
    ));
    assert!(
        sent(&mut client, t.at(1)).is_empty(),
        "a rejected offer sends nothing"
    );
    client.handle_frame(t.at(2), &AcFrame::pado(AC1, b"REAL").bytes());
    let padr = sent(&mut client, t.at(2)).remove(0).2;
    let padr = DiscoveryFrame::parse(&padr).unwrap();
    assert_eq!(padr.dst, AC1);
    assert!(padr.tag(TagType::AcCookie).is_none());
    assert!(padr.tag(TagType::RelaySessionId).is_none());
    let Event::Confirmed(session) = client.handle_frame(t.at(3), &AcFrame::pads(AC1, 7).bytes())
    else {
        panic!("no session")
    };
    assert_eq!(
        session.max_payload, None,
        "forged PPP-Max-Payload did not stick"
    );
}

#[test]
fn error_tag_pado_neither_ends_nor_shortens_the_wait() {
    let t = Timeline::new();
    let mut client = Client::new(config(), t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let forged = AcFrame::pado(AC2, b"X")
        .with(TagType::ServiceNameError, b"go away")
        .bytes();
    let reason = rejection(client.handle_frame(t.at(10), &forged));
    assert_eq!(reason.to_string(), "PADO: Service-Name-Error: go away");
    assert_eq!(client.poll_at(), Some(t.at(5_000)), "deadline unchanged");
    assert!(sent(&mut client, t.at(4_999)).is_empty());
    client.handle_frame(t.at(4_000), &AcFrame::pado(AC1, b"REAL").bytes());
    assert_eq!(codes(&sent(&mut client, t.at(4_000))), [Code::Padr]);
}

#[test]
fn offers_are_refused_for_each_rule_and_the_reason_is_given() {
    let t = Timeline::new();
    let mut cfg = config();
    cfg.ac_mac = Some(AC1);
    cfg.service_name = b"internet".to_vec();
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let wrong_uniq = AcFrame::pado(AC1, b"A")
        .without(TagType::HostUniq)
        .with(TagType::HostUniq, b"zz");
    let multicast = AcFrame::pado(MacAddr([0x03, 0, 0, 0, 0, 1]), b"A");
    let other_mac = AcFrame::pado(AC2, b"A");
    let no_name = AcFrame::pado(AC1, b"A").without(TagType::AcName);
    let no_service = AcFrame::pado(AC1, b"A").without(TagType::ServiceName);
    let wrong_service = AcFrame::pado(AC1, b"A");
    let cases = [
        (wrong_uniq.bytes(), Rejection::WrongHostUniq),
        (multicast.bytes(), Rejection::NonUnicastSource),
        (other_mac.bytes(), Rejection::WrongAcMac),
        (
            no_name.with(TagType::ServiceName, b"internet").bytes(),
            Rejection::NoAcName,
        ),
        (no_service.bytes(), Rejection::NoServiceName),
        (
            wrong_service.bytes(),
            Rejection::ServiceMismatch {
                offered: vec![Vec::new()],
                ac_name: b"A".to_vec(),
            },
        ),
    ];
    for (i, (bytes, expected)) in cases.into_iter().enumerate() {
        assert_eq!(
            rejection(client.handle_frame(t.at(i as u64), &bytes)),
            expected
        );
    }
    assert!(sent(&mut client, t.at(10)).is_empty());
    let good = AcFrame::pado(AC1, b"A")
        .with(TagType::ServiceName, b"internet")
        .bytes();
    assert!(matches!(
        client.handle_frame(t.at(11), &good),
        Event::Offer(_)
    ));
}

#[test]
fn frames_for_other_hosts_are_ignored_silently() {
    let t = Timeline::new();
    let mut client = Client::new(config(), t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let mut pado = AcFrame::pado(AC1, b"A");
    pado.dst = AC2;
    assert_eq!(client.handle_frame(t.at(1), &pado.bytes()), Event::Ignored);
    assert_eq!(client.handle_frame(t.at(1), &[0u8; 5]), Event::Ignored);
}

#[test]
fn malformed_frame_to_us_is_rejected_with_its_source() {
    let t = Timeline::new();
    let mut client = Client::new(config(), t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let mut bytes = AcFrame::pado(AC1, b"A").bytes();
    bytes[19] = 0xff; // LENGTH low byte: claims more than the frame holds
    let event = client.handle_frame(t.at(1), &bytes);
    assert!(matches!(
        event,
        Event::Rejected {
            from: AC1,
            reason: Rejection::Malformed(wire::Error::LengthExceedsFrame { .. })
        }
    ));
}

#[test]
fn pads_only_from_the_chosen_ac_and_never_with_a_reserved_session_id() {
    let t = Timeline::new();
    let mut client = Client::new(config(), t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    client.handle_frame(t.at(1), &AcFrame::pado(AC1, b"A").bytes());
    assert_eq!(codes(&sent(&mut client, t.at(1))), [Code::Padr]);
    assert_eq!(
        rejection(client.handle_frame(t.at(2), &AcFrame::pads(AC2, 5).bytes())),
        Rejection::NotChosenAc
    );
    assert_eq!(
        rejection(client.handle_frame(t.at(3), &AcFrame::pads(AC1, 0xffff).bytes())),
        Rejection::BadSessionId(0xffff)
    );
    assert_eq!(
        rejection(client.handle_frame(t.at(4), &AcFrame::pads(AC1, 0).bytes())),
        Rejection::BadSessionId(0)
    );
    // None of the above shortened the PADS wait, which started at 1 ms.
    assert_eq!(client.poll_at(), Some(t.at(5_001)));
    assert!(matches!(
        client.handle_frame(t.at(6), &AcFrame::pads(AC1, 9).bytes()),
        Event::Confirmed(Session { session_id: 9, .. })
    ));
}

#[test]
fn padr_is_resent_with_doubling_waits_then_discovery_fails() {
    let t = Timeline::new();
    let mut client = Client::new(config(), t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    client.handle_frame(t.at(100), &AcFrame::pado(AC1, b"A").bytes());
    let mut sends = Vec::new();
    for ms in 100..=40_000 {
        if !sent(&mut client, t.at(ms)).is_empty() {
            sends.push(ms);
        }
        if client.outcome().is_some() {
            assert_eq!(ms, 35_100);
            break;
        }
    }
    assert_eq!(sends, [100, 5_100, 15_100]);
    assert_eq!(
        client.outcome(),
        Some(&Outcome::Failed(Failure::NoConfirmation {
            ac_mac: AC1,
            rejected: 0
        }))
    );
}

#[test]
fn pads_max_payload_is_taken_when_valid() {
    let t = Timeline::new();
    let mut cfg = config();
    cfg.max_payload = Some(1500);
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    client.handle_frame(
        t.at(1),
        &AcFrame::pado(AC1, b"A")
            .with(TagType::PppMaxPayload, &[0x05, 0xdc])
            .bytes(),
    );
    let padr_bytes = sent(&mut client, t.at(1)).remove(0).2;
    let padr = DiscoveryFrame::parse(&padr_bytes).unwrap();
    assert_eq!(
        padr.tag(TagType::PppMaxPayload).and_then(Tag::max_payload),
        Some(1500)
    );
    // The smaller of the PADS's value (1496) and the PADO's (1500).
    let pads = AcFrame::pads(AC1, 3)
        .with(TagType::PppMaxPayload, &[0x05, 0xd8])
        .bytes();
    let Event::Confirmed(session) = client.handle_frame(t.at(2), &pads) else {
        panic!()
    };
    assert_eq!(session.payload_limit(), 1496);
}

/// The PADR sent after `pado` (at 1 ms), and the session its PADS (at 2 ms)
/// confirms.
fn padr_and_session(cfg: Config, pado: &AcFrame<'_>, pads: &AcFrame<'_>) -> (Vec<u8>, Session) {
    let t = Timeline::new();
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    assert!(matches!(
        client.handle_frame(t.at(1), &pado.bytes()),
        Event::Offer(_)
    ));
    let padr = sent(&mut client, t.at(1)).remove(0).2;
    let Event::Confirmed(session) = client.handle_frame(t.at(2), &pads.bytes()) else {
        panic!("no session")
    };
    (padr, session)
}

#[test]
fn padr_max_payload_is_lowered_to_the_offers_and_the_session_takes_the_smaller() {
    let mut cfg = config();
    cfg.max_payload = Some(9000);
    let jumbo = 9000u16.to_be_bytes();
    let baby = 1500u16.to_be_bytes();
    let plain = 1492u16.to_be_bytes();
    for (offered, pads, in_padr, agreed) in [
        (None, None, Some(9000), None),
        (Some(&baby), None, Some(1500), Some(1500)),
        (Some(&jumbo), Some(&baby), Some(9000), Some(1500)),
        (Some(&plain), None, None, Some(1492)),
    ] {
        let mut pado = AcFrame::pado(AC1, b"A");
        if let Some(value) = offered {
            pado = pado.with(TagType::PppMaxPayload, value);
        }
        let mut confirm = AcFrame::pads(AC1, 9);
        if let Some(value) = pads {
            confirm = confirm.with(TagType::PppMaxPayload, value);
        }
        let (padr, session) = padr_and_session(cfg.clone(), &pado, &confirm);
        let padr = DiscoveryFrame::parse(&padr).unwrap();
        assert_eq!(
            padr.tag(TagType::PppMaxPayload).and_then(Tag::max_payload),
            in_padr,
            "PADO offered {offered:?}"
        );
        assert_eq!(
            session.max_payload, agreed,
            "PADO {offered:?}, PADS {pads:?}"
        );
    }
}

#[test]
fn without_a_service_name_tag_the_padi_has_none_and_any_offer_is_taken() {
    let settings = Settings {
        service_name: NO_SERVICE_NAME.to_vec(),
        ..Settings::default()
    };
    let cfg = Config::from_settings(HOST, &settings, 0x2a, Mode::Session);
    assert_eq!(cfg.host_uniq, HOST_UNIQ, "the test's Host-Uniq");
    let t = Timeline::new();
    let mut client = Client::new(cfg.clone(), t.at(0)).unwrap();
    let padi = sent(&mut client, t.at(0)).remove(0).2;
    assert_eq!(
        DiscoveryFrame::parse(&padi).unwrap().tags,
        vec![Tag::new(TagType::HostUniq, HOST_UNIQ)],
        "no Service-Name tag at all"
    );

    // An AC offering a named service: the PADR asks for that service (pppd's
    // plugin would ask for "NO-SERVICE-NAME-NON-RFC-COMPLIANT", after
    // refusing every offer that does not list that very name).
    let pado = AcFrame::pado(AC1, b"A")
        .without(TagType::ServiceName)
        .with(TagType::ServiceName, b"internet")
        .with(TagType::ServiceName, b"voip");
    let pads = AcFrame::pads(AC1, 5).without(TagType::ServiceName);
    let (padr, session) = padr_and_session(cfg.clone(), &pado, &pads);
    let padr = DiscoveryFrame::parse(&padr).unwrap();
    assert_eq!(
        padr.tag_values(TagType::ServiceName).collect::<Vec<_>>(),
        [b"internet"]
    );
    assert_eq!(session.service_name, b"internet");

    // An AC that sends no Service-Name at all is taken too; the PADR still
    // carries the tag RFC 2516 requires, empty (any service).
    let pado = AcFrame::pado(AC1, b"A").without(TagType::ServiceName);
    let (padr, session) = padr_and_session(cfg, &pado, &AcFrame::pads(AC1, 5));
    let padr = DiscoveryFrame::parse(&padr).unwrap();
    assert_eq!(padr.tag_value(TagType::ServiceName), Some(&b""[..]));
    assert_eq!(session.service_name, b"");
}

#[test]
fn the_session_names_the_service_the_pads_confirmed() {
    let mut cfg = config();
    cfg.service_name = b"internet".to_vec();
    let pado = AcFrame::pado(AC1, b"A").with(TagType::ServiceName, b"internet");
    let pads = AcFrame::pads(AC1, 5)
        .without(TagType::ServiceName)
        .with(TagType::ServiceName, b"internet-2");
    assert_eq!(
        padr_and_session(cfg, &pado, &pads).1.service_name,
        b"internet-2"
    );
}

#[test]
fn listing_collects_every_offer_of_the_window_then_stops() {
    let t = Timeline::new();
    let mut cfg = config();
    cfg.mode = Mode::ListOffers;
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    client.handle_frame(t.at(10), &AcFrame::pado(AC1, b"ONE").bytes());
    client.handle_frame(t.at(20), &AcFrame::pado(AC2, b"TWO").bytes());
    assert_eq!(
        client.handle_frame(t.at(30), &AcFrame::pado(AC1, b"ONE").bytes()),
        Event::Ignored
    );
    assert!(
        sent(&mut client, t.at(4_999)).is_empty(),
        "no PADR in listing mode"
    );
    assert!(
        sent(&mut client, t.at(5_000)).is_empty(),
        "window closed with offers: no resend"
    );
    let Some(Outcome::Offers(offers)) = client.outcome() else {
        panic!("{:?}", client.outcome())
    };
    let names: Vec<_> = offers.iter().map(|o| o.ac_name.as_slice()).collect();
    assert_eq!(names, [&b"ONE"[..], &b"TWO"[..]]);
}

#[test]
fn listing_reports_whether_nobody_answered_or_nothing_matched() {
    let t = Timeline::new();
    let mut cfg = config();
    cfg.mode = Mode::ListOffers;
    cfg.attempts = 1;
    cfg.ac_name = Some(b"WANTED".to_vec());
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    client.handle_frame(t.at(10), &AcFrame::pado(AC1, b"OTHER").bytes());
    sent(&mut client, t.at(5_000));
    let Some(Outcome::Failed(failure)) = client.outcome() else {
        panic!()
    };
    assert_eq!(
        *failure,
        Failure::NoOffer {
            rejected: 1,
            mismatched: 1
        }
    );
    assert!(failure.to_string().contains("none matched"), "{failure}");
}

#[test]
fn padt_echoes_host_uniq_cookie_and_relay_id() {
    let bytes = padt_frame(HOST, AC1, 0x42, HOST_UNIQ, Some(b"c"), Some(b"r"));
    let padt = DiscoveryFrame::parse(&bytes).unwrap();
    assert_eq!(
        (padt.code, padt.dst, padt.src, padt.session_id),
        (Code::Padt, AC1, HOST, 0x42)
    );
    let types: Vec<_> = padt.tags.iter().map(|t| t.tag_type).collect();
    assert_eq!(
        types,
        [
            TagType::HostUniq,
            TagType::AcCookie,
            TagType::RelaySessionId
        ]
    );
}

#[test]
fn unusable_configurations_are_refused_up_front() {
    let now = Instant::now();
    assert_eq!(
        Client::new(Config::new(HOST, Vec::new()), now).unwrap_err(),
        ConfigError::EmptyHostUniq
    );
    let mut cfg = config();
    cfg.attempts = 0;
    assert_eq!(Client::new(cfg, now).unwrap_err(), ConfigError::NoAttempts);
    let huge = Config::new(HOST, vec![0xab; 1480]);
    assert!(matches!(
        Client::new(huge, now).unwrap_err(),
        ConfigError::TooLong(_)
    ));
    let group = Config::new(MacAddr([0x01, 0, 0, 0, 0, 1]), HOST_UNIQ.to_vec());
    assert!(matches!(
        Client::new(group, now).unwrap_err(),
        ConfigError::OurMacNotUnicast(_)
    ));
}

#[test]
fn a_timeout_too_long_for_instant_is_a_very_long_wait_not_a_panic() {
    // Found by the `discovery` fuzz target: the second wait overflowed
    // `Instant` (its scenario: `timeouts_too_long_for_instant_run_to_the_end`
    // in fuzz/src/discovery.rs).
    let t = Timeline::new();
    let mut cfg = config();
    cfg.timeout = Duration::MAX;
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    assert_eq!(codes(&sent(&mut client, t.at(0))), [Code::Padi]);
    let deadline = client.poll_at().unwrap();
    assert!(deadline > t.at(0));
    assert_eq!(codes(&sent(&mut client, deadline)), [Code::Padi]);
    assert!(client.poll_at().unwrap() > deadline);
}

#[test]
fn an_early_padr_repeat_with_a_timeout_too_long_for_instant_does_not_panic() {
    // Found by the `discovery` fuzz target: the wait after the early repeat
    // was added to the clock unchecked and overflowed `Instant`.
    let t = Timeline::new();
    let mut cfg = config();
    cfg.timeout = Duration::MAX;
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    client.handle_frame(t.at(100), &AcFrame::pado(AC1, b"A").bytes());
    assert_eq!(codes(&sent(&mut client, t.at(100))), [Code::Padr]);
    let event = error_pads(&mut client, &t, 150, TagType::AcSystemError, b"busy");
    assert!(
        matches!(event, Event::AcError { retry_in: Some(d), .. } if d == Duration::from_secs(1)),
        "{event:?}"
    );
    assert_eq!(codes(&sent(&mut client, t.at(1_150))), [Code::Padr]);
    assert!(client.poll_at().unwrap() > t.at(1_150));
    assert_eq!(client.outcome(), None);
}

#[test]
fn many_attempts_cap_each_wait() {
    let t = Timeline::new();
    let mut cfg = config();
    cfg.attempts = 10;
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let mut last = 0;
    while let Some(deadline) = client.poll_at() {
        let ms = t.ms(deadline);
        assert!(ms - last <= MAX_WAIT.as_millis() as u64);
        last = ms;
        sent(&mut client, deadline);
    }
    assert_eq!(
        last,
        5_000 + 10_000 + 20_000 + 40_000 + 80_000 + 160_000 + 300_000 * 4
    );
}

/// Feeds an error PADS from AC1 at `ms` and returns the event.
fn error_pads(client: &mut Client, t: &Timeline, ms: u64, tag: TagType, text: &[u8]) -> Event {
    let pads = AcFrame::pads(AC1, 0).with(tag, text).bytes();
    client.handle_frame(t.at(ms), &pads)
}

/// The millisecond of every PADR sent from `from` up to `to` (polled each
/// millisecond), with `on_ms` called first at each millisecond.
fn padr_times(
    client: &mut Client,
    t: &Timeline,
    from: u64,
    to: u64,
    mut on_ms: impl FnMut(&mut Client, u64),
) -> Vec<u64> {
    let mut sends = Vec::new();
    for ms in from..=to {
        on_ms(client, ms);
        for frame in sent(client, t.at(ms)) {
            assert_eq!(frame.0, Code::Padr);
            sends.push(ms);
        }
        if client.outcome().is_some() {
            break;
        }
    }
    sends
}

/// A client that got AC1's PADO at 100 ms and sent its PADR then.
fn requesting(t: &Timeline) -> Client {
    let mut client = Client::new(config(), t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    client.handle_frame(t.at(100), &AcFrame::pado(AC1, b"A").bytes());
    assert_eq!(codes(&sent(&mut client, t.at(100))), [Code::Padr]);
    client
}

#[test]
fn an_error_pads_is_reported_with_printable_text_and_a_padr_1_s_later() {
    let t = Timeline::new();
    let mut client = requesting(&t);
    let event = error_pads(
        &mut client,
        &t,
        150,
        TagType::AcSystemError,
        b"No client slots\x07",
    );
    let Event::AcError {
        from,
        reason,
        retry_in,
    } = event
    else {
        panic!("expected AcError, got {event:?}")
    };
    assert_eq!(from, AC1);
    assert_eq!(
        reason.to_string(),
        "PADS: AC-System-Error: No client slots\\x07",
        "AC text is made printable"
    );
    assert_eq!(retry_in, Some(Duration::from_secs(1)));
    assert_eq!(client.poll_at(), Some(t.at(1_150)));
}

#[test]
fn error_pads_answers_get_three_quick_repeats_then_waits_of_5_10_20_s() {
    let t = Timeline::new();
    let mut client = requesting(&t);
    let mut sends = vec![100];
    let mut answered = 0;
    let mut retries = Vec::new();
    for ms in 101..=60_000 {
        // The AC answers each PADR with "no slot", 50 ms after it.
        if sends.len() > answered && ms == sends[answered] + 50 {
            answered += 1;
            let Event::AcError { retry_in, .. } =
                error_pads(&mut client, &t, ms, TagType::AcSystemError, b"busy")
            else {
                panic!("one error report per PADR")
            };
            retries.push(retry_in.map(|d| d.as_millis()));
        }
        for frame in sent(&mut client, t.at(ms)) {
            assert_eq!(frame.0, Code::Padr);
            sends.push(ms);
        }
        if client.outcome().is_some() {
            assert_eq!(ms, 8_250 + 10_000 + 20_000);
            break;
        }
    }
    assert_eq!(
        sends,
        [100, 1_150, 2_200, 3_250, 8_250, 18_250],
        "three quick repeats 1 s after each error, then the normal 5, 10, 20 s"
    );
    assert_eq!(
        retries,
        [Some(1000), Some(1000), Some(1000), None, None, None]
    );
    assert!(matches!(
        client.outcome(),
        Some(Outcome::Failed(Failure::NoConfirmation { rejected: 6, .. }))
    ));
}

#[test]
fn the_session_comes_up_on_the_quick_repeat() {
    let t = Timeline::new();
    let mut client = requesting(&t);
    error_pads(&mut client, &t, 130, TagType::GenericError, b"try later");
    assert!(sent(&mut client, t.at(1_129)).is_empty());
    assert_eq!(codes(&sent(&mut client, t.at(1_130))), [Code::Padr]);
    let event = client.handle_frame(t.at(1_140), &AcFrame::pads(AC1, 0x77).bytes());
    assert!(matches!(
        event,
        Event::Confirmed(Session {
            session_id: 0x77,
            ..
        })
    ));
}

#[test]
fn a_flood_of_error_pads_is_reported_once_per_padr_and_never_speeds_padrs_up() {
    let t = Timeline::new();
    let mut client = requesting(&t);
    let mut reports = 0;
    let mut quiet = 0;
    // An error PADS every 10 ms for 12 s.
    let sends = padr_times(&mut client, &t, 101, 12_000, |client, ms| {
        if ms % 10 == 0 {
            match error_pads(client, &t, ms, TagType::AcSystemError, b"flood") {
                Event::AcError { .. } => reports += 1,
                Event::Rejected {
                    reason: Rejection::ErrorTag { .. },
                    ..
                } => quiet += 1,
                other => panic!("{other:?}"),
            }
        }
    });
    assert_eq!(
        sends,
        [1_110, 2_120, 3_130, 8_130],
        "PADRs at least 1 s apart"
    );
    assert_eq!(reports, 1 + sends.len(), "one report per PADR sent");
    assert!(quiet > 1_000, "the rest are counted quietly: {quiet}");
}

#[test]
fn service_name_error_gets_no_quick_repeat() {
    let t = Timeline::new();
    let mut client = requesting(&t);
    let event = error_pads(
        &mut client,
        &t,
        150,
        TagType::ServiceNameError,
        b"no such service",
    );
    assert!(
        matches!(event, Event::AcError { retry_in: None, .. }),
        "{event:?}"
    );
    assert_eq!(client.poll_at(), Some(t.at(5_100)), "the normal wait");
    let sends = padr_times(&mut client, &t, 101, 6_000, |_, _| {});
    assert_eq!(sends, [5_100]);
}

#[test]
fn the_first_repeat_to_an_ac_we_just_sent_a_stale_padt_waits_until_1_5_s_after_it() {
    let t = Timeline::new();
    let mut cfg = config();
    // The plugin sent AC1 a PADT for a stale session at 0 ms (and AC2 one
    // long ago, which does not matter).
    cfg.released = vec![(AC2, t.at(0)), (AC1, t.at(0))];
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    client.handle_frame(t.at(100), &AcFrame::pado(AC1, b"A").bytes());
    assert_eq!(codes(&sent(&mut client, t.at(100))), [Code::Padr]);
    let Event::AcError { retry_in, .. } =
        error_pads(&mut client, &t, 150, TagType::AcSystemError, b"busy")
    else {
        panic!()
    };
    assert_eq!(retry_in, Some(Duration::from_millis(1_350)));
    let mut answered = 0;
    let sends = padr_times(&mut client, &t, 101, 4_000, |client, ms| {
        // Still busy at the first repeat; the next one is 1 s after that
        // answer, as always.
        if ms == 1_520 && answered == 0 {
            answered += 1;
            let Event::AcError { retry_in, .. } =
                error_pads(client, &t, ms, TagType::AcSystemError, b"busy")
            else {
                panic!()
            };
            assert_eq!(retry_in, Some(Duration::from_secs(1)));
        }
    });
    assert_eq!(sends, [1_500, 2_520]);
}

#[test]
fn an_offer_whose_padr_would_not_fit_is_refused_so_another_can_win() {
    // The PADO fits exactly (1494 bytes of tags: empty AC-Name and
    // Service-Name, our Host-Uniq, a 1474-byte cookie), but our PADR adds
    // PPP-Max-Payload next to the echoed cookie: 1496 bytes. Chosen, it
    // could never be answered and discovery would end in "Timeout waiting
    // for PADS" without a PADR on the wire.
    let t = Timeline::new();
    let mut cfg = config();
    cfg.max_payload = Some(1500);
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let cookie = vec![0xc0; 1474];
    let huge = AcFrame::pado(AC1, b"")
        .with(TagType::AcCookie, &cookie)
        .bytes();
    assert_eq!(DiscoveryFrame::parse(&huge).unwrap().payload_len(), 1494);
    let reason = rejection(client.handle_frame(t.at(1), &huge));
    assert_eq!(reason, Rejection::PadrTooLong { len: 1496 });
    assert!(
        reason
            .to_string()
            .starts_with("its PADR would carry 1496 bytes"),
        "{reason}"
    );
    assert!(sent(&mut client, t.at(1)).is_empty(), "no PADR for it");
    client.handle_frame(t.at(2), &AcFrame::pado(AC2, b"BRAS-2").bytes());
    let frames = sent(&mut client, t.at(2));
    assert_eq!(codes(&frames), [Code::Padr]);
    assert_eq!(frames[0].1, AC2, "the other offer wins");
}

#[test]
fn a_listing_keeps_at_most_its_cap_of_offers_and_ignores_repeats() {
    let t = Timeline::new();
    let mut cfg = config();
    cfg.mode = Mode::ListOffers;
    let mut client = Client::new(cfg, t.at(0)).unwrap();
    sent(&mut client, t.at(0));
    let mut too_many = 0;
    for i in 0..100u8 {
        let ac = MacAddr([0x02, 0, 0, 0, 1, i]);
        for repeat in 0..3 {
            match client.handle_frame(t.at(1), &AcFrame::pado(ac, b"AC").bytes()) {
                Event::Offer(_) => assert_eq!(repeat, 0, "a repeat is not a new offer"),
                Event::Ignored => assert!(repeat > 0),
                Event::Rejected {
                    reason: Rejection::TooManyOffers,
                    ..
                } => too_many += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(too_many, (100 - MAX_LISTED_OFFERS) * 3);
    sent(&mut client, t.at(5_000));
    let Some(Outcome::Offers(offers)) = client.outcome() else {
        panic!("{:?}", client.outcome())
    };
    assert_eq!(offers.len(), MAX_LISTED_OFFERS);
    assert_eq!(offers[0].ac_mac, MacAddr([0x02, 0, 0, 0, 1, 0]), "in order");
}
