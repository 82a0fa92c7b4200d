//! The packet code against frames captured from the real Debian tools
//! (`pppoe-server`, `pppoe`, `pppoe-discovery`); see tests/vectors/README.md
//! for how each file was captured.
//!
//! For every vector: parsing gives the fields the capture notes say, and
//! emitting the parsed frame gives back exactly the captured bytes.

use std::time::{Duration, Instant};

use rs_pppoe::{
    discovery::{Client, Config, Event, Mode, Outcome, Rejection},
    wire::{Code, DiscoveryFrame, MacAddr, TagType},
};

const CLIENT: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x0c, 0x01]);
const AC: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x0a, 0x01]);

fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{name}.bin", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_reemits_exactly(raw: &[u8]) -> DiscoveryFrame<'_> {
    let frame = DiscoveryFrame::parse(raw).unwrap();
    assert_eq!(
        frame.to_bytes().unwrap(),
        raw,
        "emit(parse(raw)) != raw for {frame}"
    );
    frame
}

fn text(frame: &DiscoveryFrame<'_>, tag: TagType) -> Vec<String> {
    frame
        .tag_values(tag)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[test]
fn padi_from_pppoe_discovery() {
    let raw = vector("padi");
    let padi = assert_reemits_exactly(&raw);
    assert_eq!(
        (padi.code, padi.dst, padi.src, padi.session_id),
        (Code::Padi, MacAddr::BROADCAST, CLIENT, 0)
    );
    assert_eq!(text(&padi, TagType::ServiceName), [""]);
    assert_eq!(padi.tag_value(TagType::HostUniq), Some(&b"rspp"[..]));
}

#[test]
fn our_padi_is_byte_for_byte_the_one_pppoe_discovery_sent() {
    // Same interface MAC and Host-Uniq as the capture (`-W 72737070`).
    let now = Instant::now();
    let mut client = Client::new(Config::new(CLIENT, b"rspp".to_vec()), now).unwrap();
    assert_eq!(client.poll_transmit(now), Some(vector("padi")));
}

#[test]
fn padi_padded_by_a_nic_parses_the_same() {
    let raw = vector("padi");
    let mut padded = raw.clone();
    padded.resize(60, 0);
    let frame = DiscoveryFrame::parse(&padded).unwrap();
    assert_eq!(frame, DiscoveryFrame::parse(&raw).unwrap());
    assert_eq!(frame.to_bytes().unwrap(), raw);
}

#[test]
fn pado_with_cookie_and_two_services_from_pppoe_server() {
    let raw = vector("pado_cookie_two_services");
    let pado = assert_reemits_exactly(&raw);
    assert_eq!((pado.code, pado.src, pado.dst), (Code::Pado, AC, CLIENT));
    assert_eq!(text(&pado, TagType::AcName), ["rsp-test-ac"]);
    assert_eq!(text(&pado, TagType::ServiceName), ["internet", "voip"]);
    assert_eq!(pado.tag_value(TagType::AcCookie).map(<[u8]>::len), Some(20));
    assert_eq!(pado.tag_value(TagType::HostUniq), Some(&b"rspp"[..]));
}

#[test]
fn padr_pads_and_padts_from_the_real_exchange() {
    let padr_raw = vector("padr");
    let padr = assert_reemits_exactly(&padr_raw);
    assert_eq!((padr.code, padr.dst), (Code::Padr, AC));
    assert!(padr.tag(TagType::AcCookie).is_some());

    let pads_raw = vector("pads");
    let pads = assert_reemits_exactly(&pads_raw);
    assert_eq!((pads.code, pads.session_id), (Code::Pads, 1));

    let error_raw = vector("pads_ac_system_error");
    let error = assert_reemits_exactly(&error_raw);
    assert_eq!(error.session_id, 0);
    assert_eq!(
        text(&error, TagType::AcSystemError),
        ["RP-PPPoE: Server: No client slots available"]
    );

    for name in ["padt_from_client", "padt_from_ac"] {
        let raw = vector(name);
        let padt = assert_reemits_exactly(&raw);
        assert_eq!((padt.code, padt.session_id), (Code::Padt, 1), "{name}");
        assert!(padt.tag(TagType::GenericError).is_some(), "{name}");
    }
}

#[test]
fn every_vector_reemits_exactly() {
    let dir = format!("{}/tests/vectors", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            let raw = std::fs::read(&path).unwrap();
            assert_reemits_exactly(&raw);
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} vectors found");
}

/// A client configured like the captured `pppoe -W 72737070 -S voip` run.
fn voip_client(now: Instant) -> Client {
    let mut config = Config::new(CLIENT, b"72737070".to_vec());
    config.service_name = b"voip".to_vec();
    config.mode = Mode::Session;
    let mut client = Client::new(config, now).unwrap();
    while client.poll_transmit(now).is_some() {}
    client
}

#[test]
fn real_server_pado_and_pads_give_a_session_and_our_padr_matches_pppoes() {
    let now = Instant::now();
    let mut client = voip_client(now);
    let Event::Offer(offer) = client.handle_frame(now, &vector("pado_for_voip")) else {
        panic!("real PADO refused")
    };
    assert_eq!(offer.ac_name, b"rsp-test-ac");
    // Our PADR carries the same tags, in the same order, as the one `pppoe`
    // sent in the capture (Service-Name, Host-Uniq, AC-Cookie).
    let ours = client.poll_transmit(now).expect("PADR");
    assert_eq!(ours, vector("padr"));
    let Event::Confirmed(session) = client.handle_frame(now, &vector("pads")) else {
        panic!("real PADS refused")
    };
    assert_eq!((session.session_id, session.ac_mac), (1, AC));
}

#[test]
fn real_no_slots_pads_is_reported_with_the_servers_text_and_the_padr_repeats_after_1_s() {
    let now = Instant::now();
    let mut client = voip_client(now);
    client.handle_frame(now, &vector("pado_for_voip"));
    client.poll_transmit(now);
    let answered = now + Duration::from_millis(1);
    let event = client.handle_frame(answered, &vector("pads_ac_system_error"));
    let Event::AcError {
        from,
        reason,
        retry_in,
    } = event
    else {
        panic!("{event:?}")
    };
    assert_eq!(from, AC);
    assert!(
        matches!(reason, Rejection::ErrorTag { .. }),
        "error tag is named, not just the bad id"
    );
    assert_eq!(
        reason.to_string(),
        "PADS: AC-System-Error: RP-PPPoE: Server: No client slots available"
    );
    assert_eq!(retry_in, Some(Duration::from_secs(1)));
    assert_eq!(client.poll_at(), Some(answered + Duration::from_secs(1)));
    assert!(client.outcome().is_none());
}

#[test]
fn listing_the_real_two_service_pado_reports_both_services() {
    let now = Instant::now();
    let mut config = Config::new(CLIENT, b"rspp".to_vec());
    config.mode = Mode::ListOffers;
    config.attempts = 1;
    let mut client = Client::new(config, now).unwrap();
    while client.poll_transmit(now).is_some() {}
    assert!(matches!(
        client.handle_frame(now, &vector("pado_cookie_two_services")),
        Event::Offer(_)
    ));
    client.poll_transmit(now + Duration::from_secs(5));
    let Some(Outcome::Offers(offers)) = client.outcome() else {
        panic!()
    };
    assert_eq!(
        offers[0].service_names,
        [b"internet".to_vec(), b"voip".to_vec()]
    );
}
