//! `discovery`: the state machine fed an arbitrary configuration and an
//! arbitrary sequence of received frames and clock jumps, the way
//! `rs_pppoe::driver` runs it (every transmit drained after every event).
//!
//! The input is decoded with `arbitrary` into a [`Scenario`]. Frames are
//! built from a small vocabulary that makes the interesting ones likely —
//! addressed to us, our Host-Uniq, the configured AC-Name and Service-Name,
//! one of three AC MACs (one of them a group address), error tags,
//! oversized values — then optionally damaged; the captured frames of
//! `tests/vectors/` and raw bytes are fed too. The clock only moves
//! forwards (`Instant` cannot go back): by milliseconds, seconds, to just
//! before, at or past the client's deadline, and by huge jumps.
//!
//! Invariants checked after every call, beyond "never panics":
//!
//! * every frame the client sends parses, re-emits to itself, fits the
//!   protocol's limits (PADI ≤ 1484 octets, PADR payload ≤ 1494), comes
//!   from our MAC with session 0 and carries exactly the configured
//!   Service-Name (none in the PADI when told to omit it; then the PADR asks
//!   for the offer's first), Host-Uniq and PPP-Max-Payload (in the PADR no
//!   more than the offer's); at most `attempts` PADIs and `attempts` PADRs
//!   plus the early repeats announced, and a PADR only to the chosen AC;
//! * an accepted offer meets every acceptance rule, and its fields are that
//!   one PADO's own; the PADR and the confirmed session carry that PADO's
//!   AC-Cookie and Relay-Session-Id and nothing from any other frame (the
//!   tag-mixing class of NetBSD CVE-2022-29867); a session is confirmed
//!   only by a PADS from the chosen AC with our Host-Uniq, no error tag and
//!   a usable session id;
//! * a frame not addressed to us is ignored, and an ignored or refused frame
//!   never moves the deadline;
//! * the chosen AC's error PADS (our Host-Uniq) is reported
//!   (`Event::AcError`) at most once per PADR; an early PADR repeat it
//!   announces is the new deadline, never sooner than `QUICK_RETRY_DELAY`
//!   nor later than the longer of that and `RELEASE_WAIT`, the first one
//!   to an AC in `Config::released` not before `RELEASE_WAIT` after its
//!   PADT, none after Service-Name-Error, at most `QUICK_RETRIES` of them;
//! * `poll_at` never lies: once its deadline has passed, the next
//!   `poll_transmit` sends the next frame or ends discovery, and afterwards
//!   the deadline lies in the future; the PADR follows an accepted offer at
//!   once; at most one frame per instant (no busy loop);
//! * once `outcome()` is `Some` it never changes, nothing more is sent and
//!   every frame is ignored; the failure counts match the refusals seen; a
//!   listing outcome holds exactly the accepted offers;
//! * with up to 64 attempts, discovery ends within `2 × attempts` deadlines.

use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use rs_pppoe::discovery::{
    Client, Config, ConfigError, Event, Failure, Mode, Offer, Outcome, QUICK_RETRIES,
    QUICK_RETRY_DELAY, RELEASE_WAIT, Rejection,
};
use rs_pppoe::wire::{
    Code, DiscoveryFrame, MAX_PADI_PACKET_LEN, MAX_PPPOE_PAYLOAD, MIN_ETHERNET_FRAME_LEN, MacAddr,
    PPPOE_HEADER_LEN, Tag, TagType,
};

/// The client and AC of the captures in `tests/vectors/`.
const CAPTURE_CLIENT: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x0c, 0x01]);
/// Access concentrators: the captured one, another, and a group address
/// (which must never be accepted).
const ACS: [MacAddr; 3] = [
    MacAddr([0x02, 0x00, 0x00, 0x00, 0x0a, 0x01]),
    MacAddr([0x02, 0x00, 0x00, 0x00, 0x0a, 0x02]),
    MacAddr([0x03, 0x00, 0x00, 0x00, 0x0a, 0x03]),
];
/// The captured frames (tests/vectors/README.md).
const VECTORS: [&[u8]; 10] = [
    include_bytes!("../../tests/vectors/padi.bin"),
    include_bytes!("../../tests/vectors/padi_service_voip.bin"),
    include_bytes!("../../tests/vectors/pado_cookie_two_services.bin"),
    include_bytes!("../../tests/vectors/pado_for_voip.bin"),
    include_bytes!("../../tests/vectors/pado_one_service.bin"),
    include_bytes!("../../tests/vectors/padr.bin"),
    include_bytes!("../../tests/vectors/pads.bin"),
    include_bytes!("../../tests/vectors/pads_ac_system_error.bin"),
    include_bytes!("../../tests/vectors/padt_from_ac.bin"),
    include_bytes!("../../tests/vectors/padt_from_client.bin"),
];

const ETHERNET_HEADER_LEN: usize = 14;
/// Steps of one scenario that are run (the rest is ignored).
const MAX_STEPS: usize = 256;
/// Longest generated tag value: enough to cross every size limit.
const MAX_FILL: usize = 2048;
/// How far the harness's own jumps move the clock from the start: far
/// beyond any uptime, and representable by `Instant`. Only the client's own
/// deadlines may lie further out.
const HORIZON: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// With at most this many attempts, discovery must be seen to end.
const BOUNDED_ATTEMPTS: u32 = 64;

/// One fuzz input, decoded.
#[derive(Arbitrary, Debug)]
pub struct Scenario {
    config: ConfigSpec,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
struct ConfigSpec {
    our_mac: MacSpec,
    host_uniq: Bytes,
    service: ServiceSpec,
    ac_name: Option<Bytes>,
    ac_mac: Option<MacSpec>,
    timeout: DurationSpec,
    attempts: AttemptsSpec,
    max_payload: Option<u16>,
    list_offers: bool,
    /// ACs we "sent a PADT for a stale session", that many ms before the
    /// discovery started: their first error PADS waits for the release.
    released: Vec<(MacSpec, u16)>,
}

/// The Service-Name to ask for, or none at all (pppd's
/// `NO-SERVICE-NAME-NON-RFC-COMPLIANT`).
#[derive(Arbitrary, Debug)]
enum ServiceSpec {
    Named(Bytes),
    Omit,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum MacSpec {
    CaptureClient,
    Ac(u8),
    Raw([u8; 6]),
}

impl MacSpec {
    fn mac(self) -> MacAddr {
        match self {
            MacSpec::CaptureClient => CAPTURE_CLIENT,
            MacSpec::Ac(i) => ACS[usize::from(i) % ACS.len()],
            MacSpec::Raw(bytes) => MacAddr(bytes),
        }
    }
}

/// Byte strings: the ones the captures use, raw ones, and long fills.
#[derive(Arbitrary, Debug, Clone)]
enum Bytes {
    Empty,
    /// `pppoe-discovery -W 72737070`'s Host-Uniq.
    Rspp,
    /// `pppoe -W 72737070`'s Host-Uniq.
    Rspp8,
    Internet,
    Voip,
    RspTestAc,
    Raw(Vec<u8>),
    Fill {
        len: u16,
        byte: u8,
    },
}

impl Bytes {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Bytes::Empty => Vec::new(),
            Bytes::Rspp => b"rspp".to_vec(),
            Bytes::Rspp8 => b"72737070".to_vec(),
            Bytes::Internet => b"internet".to_vec(),
            Bytes::Voip => b"voip".to_vec(),
            Bytes::RspTestAc => b"rsp-test-ac".to_vec(),
            Bytes::Raw(raw) => raw.clone(),
            Bytes::Fill { len, byte } => vec![*byte; usize::from(*len).min(MAX_FILL)],
        }
    }
}

#[derive(Arbitrary, Debug)]
enum DurationSpec {
    Millis(u16),
    Secs(u16),
    Nanos(u64),
    Any { secs: u64, nanos: u32 },
}

impl DurationSpec {
    fn duration(&self) -> Duration {
        match *self {
            DurationSpec::Millis(ms) => Duration::from_millis(ms.into()),
            DurationSpec::Secs(s) => Duration::from_secs(s.into()),
            DurationSpec::Nanos(ns) => Duration::from_nanos(ns),
            DurationSpec::Any { secs, nanos } => {
                Duration::from_secs(secs).saturating_add(Duration::from_nanos(nanos.into()))
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum AttemptsSpec {
    Few(u8),
    Any(u32),
}

#[derive(Arbitrary, Debug)]
enum Step {
    Wait(Jump),
    Receive(FrameSpec),
    /// A captured frame, optionally re-addressed to our MAC.
    Captured {
        index: u8,
        to_us: bool,
    },
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Jump {
    Millis(u16),
    Secs(u32),
    ToDeadline,
    BeforeDeadline(u16),
    PastDeadline(u16),
    Huge(u64),
}

#[derive(Arbitrary, Debug)]
struct FrameSpec {
    dst: DstSpec,
    src: MacSpec,
    code: CodeSpec,
    session_id: u16,
    tags: Vec<TagSpec>,
    damage: Option<Damage>,
}

#[derive(Arbitrary, Debug)]
enum DstSpec {
    Us,
    Broadcast,
    Other(MacSpec),
}

#[derive(Arbitrary, Debug)]
enum CodeSpec {
    Pado,
    Pads,
    Padt,
    Padi,
    Padr,
    Raw(u8),
}

#[derive(Arbitrary, Debug)]
enum TagSpec {
    OurHostUniq,
    HostUniq(Bytes),
    /// The configured AC-Name (or the captured one), or these bytes.
    AcName(Option<Bytes>),
    /// The configured Service-Name, or these bytes.
    ServiceName(Option<Bytes>),
    Cookie(Bytes),
    Relay(Bytes),
    MaxPayload(u16),
    MaxPayloadRaw(Bytes),
    Error {
        kind: u8,
        text: Bytes,
    },
    EndOfList,
    Other {
        tag: u16,
        value: Bytes,
    },
}

/// Ways a frame arrives broken (or merely padded).
#[derive(Arbitrary, Debug)]
enum Damage {
    Truncate(u16),
    Length(u16),
    VersionType(u8),
    Ethertype(u16),
    /// Ethernet padding up to 60 bytes, as a physical NIC delivers it.
    Pad,
}

impl Scenario {
    /// Decodes `data` as libfuzzer-sys decodes a typed target's input.
    pub fn decode(data: &[u8]) -> Option<Scenario> {
        Scenario::arbitrary_take_rest(Unstructured::new(data)).ok()
    }
}

impl ConfigSpec {
    fn config(&self, start: Instant) -> Config {
        Config {
            released: self
                .released
                .iter()
                .filter_map(|&(mac, ms)| {
                    let padt = start.checked_sub(Duration::from_millis(ms.into()))?;
                    Some((mac.mac(), padt))
                })
                .collect(),
            service_name: match &self.service {
                ServiceSpec::Named(name) => name.bytes(),
                ServiceSpec::Omit => Vec::new(),
            },
            omit_service_name: matches!(self.service, ServiceSpec::Omit),
            ac_name: self.ac_name.as_ref().map(Bytes::bytes),
            ac_mac: self.ac_mac.map(MacSpec::mac),
            timeout: self.timeout.duration(),
            attempts: match self.attempts {
                AttemptsSpec::Few(n) => n.into(),
                AttemptsSpec::Any(n) => n,
            },
            max_payload: self.max_payload,
            mode: if self.list_offers {
                Mode::ListOffers
            } else {
                Mode::Session
            },
            ..Config::new(self.our_mac.mac(), self.host_uniq.bytes())
        }
    }
}

impl FrameSpec {
    fn build(&self, config: &Config) -> Vec<u8> {
        let dst = match self.dst {
            DstSpec::Us => config.our_mac,
            DstSpec::Broadcast => MacAddr::BROADCAST,
            DstSpec::Other(mac) => mac.mac(),
        };
        let code = match self.code {
            CodeSpec::Pado => Code::Pado.into(),
            CodeSpec::Pads => Code::Pads.into(),
            CodeSpec::Padt => Code::Padt.into(),
            CodeSpec::Padi => Code::Padi.into(),
            CodeSpec::Padr => Code::Padr.into(),
            CodeSpec::Raw(code) => code,
        };
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&dst.0);
        out.extend_from_slice(&self.src.mac().0);
        out.extend_from_slice(&0x8863u16.to_be_bytes());
        out.extend_from_slice(&[0x11, code]);
        out.extend_from_slice(&self.session_id.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        for tag in &self.tags {
            let (tag_type, mut value) = tag.resolve(config);
            value.truncate(usize::from(u16::MAX));
            out.extend_from_slice(&u16::from(tag_type).to_be_bytes());
            out.extend_from_slice(&(value.len() as u16).to_be_bytes());
            out.extend_from_slice(&value);
        }
        let length = u16::try_from(out.len() - 20).unwrap_or(u16::MAX);
        out[18..20].copy_from_slice(&length.to_be_bytes());
        match self.damage {
            None => {}
            Some(Damage::Truncate(len)) => out.truncate(len.into()),
            Some(Damage::Length(len)) => out[18..20].copy_from_slice(&len.to_be_bytes()),
            Some(Damage::VersionType(vt)) => out[14] = vt,
            Some(Damage::Ethertype(ethertype)) => {
                out[12..14].copy_from_slice(&ethertype.to_be_bytes())
            }
            Some(Damage::Pad) => out.resize(out.len().max(MIN_ETHERNET_FRAME_LEN), 0),
        }
        out
    }
}

impl TagSpec {
    fn resolve(&self, config: &Config) -> (TagType, Vec<u8>) {
        match self {
            TagSpec::OurHostUniq => (TagType::HostUniq, config.host_uniq.clone()),
            TagSpec::HostUniq(b) => (TagType::HostUniq, b.bytes()),
            TagSpec::AcName(None) => (
                TagType::AcName,
                config
                    .ac_name
                    .clone()
                    .unwrap_or_else(|| b"rsp-test-ac".to_vec()),
            ),
            TagSpec::AcName(Some(b)) => (TagType::AcName, b.bytes()),
            TagSpec::ServiceName(None) => (TagType::ServiceName, config.service_name.clone()),
            TagSpec::ServiceName(Some(b)) => (TagType::ServiceName, b.bytes()),
            TagSpec::Cookie(b) => (TagType::AcCookie, b.bytes()),
            TagSpec::Relay(b) => (TagType::RelaySessionId, b.bytes()),
            TagSpec::MaxPayload(v) => (TagType::PppMaxPayload, v.to_be_bytes().to_vec()),
            TagSpec::MaxPayloadRaw(b) => (TagType::PppMaxPayload, b.bytes()),
            TagSpec::Error { kind, text } => {
                let tag = [
                    TagType::ServiceNameError,
                    TagType::AcSystemError,
                    TagType::GenericError,
                ][usize::from(*kind) % 3];
                (tag, text.bytes())
            }
            TagSpec::EndOfList => (TagType::EndOfList, Vec::new()),
            TagSpec::Other { tag, value } => (TagType::from(*tag), value.bytes()),
        }
    }
}

/// Where the harness believes discovery is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Offering,
    /// Session mode, after this offer was accepted.
    Requesting(Offer),
    Done,
}

/// The client under test and what the harness saw happen to it.
struct Run {
    client: Client,
    config: Config,
    start: Instant,
    now: Instant,
    phase: Phase,
    /// Refusals while offering (and of those, AC-Name/Service mismatches),
    /// and while requesting.
    rejected_offering: u32,
    mismatched_offering: u32,
    rejected_requesting: u32,
    padis: u64,
    padrs: u64,
    /// Early PADR repeats the client announced (`Event::AcError`), and
    /// whether the current PADR's error answer was already reported.
    quick_retries: u64,
    ac_error_reported: bool,
    /// Listing mode: every accepted offer, in order.
    offers: Vec<Offer>,
    /// An offer was just accepted in session mode: the next drain must send
    /// its PADR.
    padr_due: bool,
    confirmed: Option<rs_pppoe::discovery::Session>,
    outcome: Option<Outcome>,
}

pub fn run(data: &[u8]) {
    if let Some(scenario) = Scenario::decode(data) {
        scenario.run();
    }
}

pub fn describe(data: &[u8]) -> String {
    match Scenario::decode(data) {
        Some(scenario) => format!(
            "{scenario:#?}\nconfig: {:#?}",
            scenario.config.config(Instant::now())
        ),
        None => "(does not decode; skipped)".to_string(),
    }
}

impl Scenario {
    /// Runs the scenario, checking every invariant; the outcome, unless the
    /// configuration was (rightly) refused.
    pub fn run(&self) -> Option<Outcome> {
        let start = Instant::now();
        let config = self.config.config(start);
        let client = match Client::new(config.clone(), start) {
            Ok(client) => client,
            Err(error) => {
                check_config_error(&config, &error);
                return None;
            }
        };
        let mut run = Run {
            client,
            config,
            start,
            now: start,
            phase: Phase::Offering,
            rejected_offering: 0,
            mismatched_offering: 0,
            rejected_requesting: 0,
            padis: 0,
            padrs: 0,
            quick_retries: 0,
            ac_error_reported: false,
            offers: Vec::new(),
            padr_due: false,
            confirmed: None,
            outcome: None,
        };
        let first = run.drain();
        assert_eq!(
            first,
            Some(Code::Padi),
            "a new client's first frame is a PADI"
        );
        for step in self.steps.iter().take(MAX_STEPS) {
            match step {
                Step::Wait(jump) => {
                    run.jump(jump);
                    run.drain();
                }
                Step::Receive(spec) => run.receive(&spec.build(&run.config)),
                Step::Captured { index, to_us } => {
                    let mut frame = VECTORS[usize::from(*index) % VECTORS.len()].to_vec();
                    if *to_us {
                        frame[..6].copy_from_slice(&run.config.our_mac.0);
                    }
                    run.receive(&frame);
                }
                Step::Raw(bytes) => run.receive(bytes),
            }
        }
        run.finish();
        run.outcome
    }
}

/// `Client::new` refused: for the right reason.
fn check_config_error(config: &Config, error: &ConfigError) {
    match error {
        ConfigError::EmptyHostUniq => assert!(config.host_uniq.is_empty()),
        ConfigError::NoAttempts => assert!(config.attempts == 0 || config.timeout.is_zero()),
        ConfigError::OurMacNotUnicast(mac) => {
            assert_eq!(*mac, config.our_mac);
            assert!(!mac.is_unicast());
        }
        // The PADI, or the PADR with no cookie or relay id, would be too
        // long: only a long Host-Uniq or Service-Name can do that.
        ConfigError::TooLong(_) => assert!(
            config.host_uniq.len() + config.service_name.len() > MAX_PADI_PACKET_LEN - 40,
            "refused as too long: {} + {} bytes",
            config.host_uniq.len(),
            config.service_name.len()
        ),
    }
}

impl Run {
    fn mode(&self) -> Mode {
        self.config.mode
    }

    /// Moves the clock forwards, never past the horizon by its own jumps.
    fn jump(&mut self, jump: &Jump) {
        let deadline = self.client.poll_at();
        let target = match *jump {
            Jump::Millis(ms) => self.now.checked_add(Duration::from_millis(ms.into())),
            Jump::Secs(s) => self.now.checked_add(Duration::from_secs(s.into())),
            Jump::Huge(s) => self.now.checked_add(Duration::from_secs(s)),
            Jump::ToDeadline => deadline,
            Jump::BeforeDeadline(ms) => {
                deadline.and_then(|d| d.checked_sub(Duration::from_millis(u64::from(ms) + 1)))
            }
            Jump::PastDeadline(ms) => {
                deadline.and_then(|d| d.checked_add(Duration::from_millis(ms.into())))
            }
        };
        let Some(target) = target else { return };
        let horizon = self.start + HORIZON;
        let own_deadline = matches!(jump, Jump::ToDeadline);
        let target = if own_deadline {
            target
        } else {
            target.min(horizon)
        };
        if target > self.now {
            self.now = target;
        }
    }

    /// Feeds one frame the way the driver does, then drains what it causes.
    fn receive(&mut self, bytes: &[u8]) {
        let deadline_before = self.client.poll_at();
        let was_done = self.phase == Phase::Done;
        let event = self.client.handle_frame(self.now, bytes);
        let to_us = bytes.get(..6) == Some(&self.config.our_mac.0[..]);
        let parsed = DiscoveryFrame::parse(bytes);
        if was_done || !to_us {
            assert_eq!(
                event,
                Event::Ignored,
                "a frame {} was not ignored",
                if was_done {
                    "after the outcome"
                } else {
                    "to another MAC"
                }
            );
        }
        match &event {
            Event::Ignored => {}
            Event::Rejected { from, reason } => {
                assert_eq!(from.0[..], bytes[6..12], "refusal names another sender");
                // The log line quotes what the sender wrote.
                let line = reason.to_string();
                assert!(
                    !line.contains(['\n', '\r']),
                    "log line spans lines: {line:?}"
                );
                let malformed = matches!(reason, rs_pppoe::discovery::Rejection::Malformed(_));
                assert_eq!(malformed, parsed.is_err(), "{reason} for {parsed:?}");
                match self.phase {
                    Phase::Offering => {
                        self.rejected_offering += 1;
                        if reason.is_mismatch() {
                            self.mismatched_offering += 1;
                        }
                    }
                    Phase::Requesting(_) => self.rejected_requesting += 1,
                    Phase::Done => unreachable!("checked above"),
                }
            }
            Event::Offer(offer) => {
                let frame = parsed.as_ref().expect("an offer from a frame that parses");
                assert_eq!(
                    self.phase,
                    Phase::Offering,
                    "an offer accepted after choosing"
                );
                self.check_offer(frame, offer);
                match self.mode() {
                    Mode::Session => {
                        self.phase = Phase::Requesting(offer.clone());
                        self.padr_due = true;
                    }
                    Mode::ListOffers => self.offers.push(offer.clone()),
                }
            }
            Event::AcError {
                from,
                reason,
                retry_in,
            } => {
                let frame = parsed.as_ref().expect("an error PADS that parses");
                self.check_ac_error(frame, *from, reason, *retry_in, deadline_before);
            }
            Event::Confirmed(session) => {
                let frame = parsed.as_ref().expect("a PADS that parses");
                let Phase::Requesting(chosen) = &self.phase else {
                    panic!("a session confirmed in phase {:?}", self.phase)
                };
                assert_eq!(frame.code, Code::Pads);
                assert_eq!(frame.src, chosen.ac_mac, "PADS from another AC");
                assert_eq!(
                    frame.tag_value(TagType::HostUniq),
                    Some(&self.config.host_uniq[..])
                );
                assert!(frame.error_tag().is_none(), "a PADS with an error tag");
                assert!(
                    frame.session_id != 0 && frame.session_id != 0xffff,
                    "reserved session id"
                );
                assert_eq!(session.session_id, frame.session_id);
                assert_eq!(session.ac_mac, chosen.ac_mac);
                assert_eq!(session.ac_name, chosen.ac_name);
                let service = frame
                    .tag_value(TagType::ServiceName)
                    .map_or_else(|| requested_service(&self.config, chosen), <[u8]>::to_vec);
                assert_eq!(session.service_name, service);
                assert_eq!(
                    session.cookie, chosen.cookie,
                    "cookie not the chosen PADO's"
                );
                let relay = frame
                    .tag_value(TagType::RelaySessionId)
                    .map(<[u8]>::to_vec)
                    .or_else(|| chosen.relay_id.clone());
                assert_eq!(session.relay_id, relay, "relay id from elsewhere");
                let max_payload = match (valid_max_payload(frame), chosen.max_payload) {
                    (Some(pads), Some(pado)) => Some(pads.min(pado)),
                    (pads, pado) => pads.or(pado),
                };
                assert_eq!(
                    session.max_payload, max_payload,
                    "max payload from elsewhere"
                );
                self.confirmed = Some(session.clone());
                self.phase = Phase::Done;
            }
        }
        if matches!(event, Event::Ignored | Event::Rejected { .. }) {
            assert_eq!(
                self.client.poll_at(),
                deadline_before,
                "an ignored or refused frame moved the deadline"
            );
        }
        self.drain();
    }

    /// The chosen AC's error answer to our PADR: reported once per PADR,
    /// and an early repeat is never sooner than `QUICK_RETRY_DELAY` (nor,
    /// the first one, before a released AC had `RELEASE_WAIT`), at most
    /// `QUICK_RETRIES` times, and never later than the longer of the two.
    fn check_ac_error(
        &mut self,
        frame: &DiscoveryFrame<'_>,
        from: MacAddr,
        reason: &Rejection,
        retry_in: Option<Duration>,
        deadline_before: Option<Instant>,
    ) {
        let Phase::Requesting(chosen) = &self.phase else {
            panic!("an AC error in phase {:?}", self.phase)
        };
        assert_eq!(from, chosen.ac_mac, "an AC error from another AC");
        assert_eq!(frame.src, from);
        assert_eq!(frame.code, Code::Pads, "an AC error from a {}", frame.code);
        assert_eq!(
            frame.tag_value(TagType::HostUniq),
            Some(&self.config.host_uniq[..]),
            "an AC error without our Host-Uniq"
        );
        let Rejection::ErrorTag { tag, .. } = reason else {
            panic!("an AC error for {reason:?}")
        };
        assert_eq!(frame.error_tag().map(|t| t.tag_type), Some(*tag));
        assert!(
            !self.ac_error_reported,
            "a second AC error reported for one PADR"
        );
        self.ac_error_reported = true;
        // The failure count includes the reported error answers.
        self.rejected_requesting += 1;
        match retry_in {
            None => assert_eq!(
                self.client.poll_at(),
                deadline_before,
                "an AC error without an early repeat moved the deadline"
            ),
            Some(wait) => {
                assert_ne!(
                    *tag,
                    TagType::ServiceNameError,
                    "an early repeat after Service-Name-Error"
                );
                let first = self.quick_retries == 0;
                self.quick_retries += 1;
                assert!(
                    self.quick_retries <= u64::from(QUICK_RETRIES),
                    "more than {QUICK_RETRIES} early repeats"
                );
                assert!(wait >= QUICK_RETRY_DELAY, "an early repeat after {wait:?}");
                assert!(
                    wait <= QUICK_RETRY_DELAY.max(RELEASE_WAIT),
                    "an early repeat only after {wait:?}"
                );
                let due = self.now + wait;
                assert_eq!(
                    self.client.poll_at(),
                    Some(due),
                    "retry_in is not the deadline"
                );
                if first {
                    for (mac, padt) in &self.config.released {
                        if *mac == from {
                            assert!(
                                due >= *padt + RELEASE_WAIT,
                                "the first early repeat to a released AC came before RELEASE_WAIT"
                            );
                        }
                    }
                }
            }
        }
    }

    /// An accepted PADO meets every rule, and the offer is its own.
    fn check_offer(&self, frame: &DiscoveryFrame<'_>, offer: &Offer) {
        let config = &self.config;
        assert_eq!(frame.code, Code::Pado, "an offer from a {}", frame.code);
        assert_eq!(frame.dst, config.our_mac);
        assert_eq!(
            frame.tag_value(TagType::HostUniq),
            Some(&config.host_uniq[..]),
            "an offer without our Host-Uniq"
        );
        assert!(frame.src.is_unicast(), "an offer from a group address");
        if let Some(mac) = config.ac_mac {
            assert_eq!(frame.src, mac, "an offer from an AC not asked for");
        }
        assert!(frame.error_tag().is_none(), "an offer with an error tag");
        assert_eq!(offer.ac_mac, frame.src);
        assert_eq!(Some(&offer.ac_name[..]), frame.tag_value(TagType::AcName));
        let services: Vec<&[u8]> = frame.tag_values(TagType::ServiceName).collect();
        assert!(
            !services.is_empty() || config.omit_service_name,
            "an offer without Service-Name"
        );
        assert_eq!(offer.service_names, services);
        if let Some(name) = &config.ac_name {
            assert_eq!(
                &offer.ac_name, name,
                "an offer from an AC-Name not asked for"
            );
        }
        if !config.service_name.is_empty() {
            assert!(
                offer.service_names.contains(&config.service_name),
                "an offer without the service asked for"
            );
        }
        assert_eq!(
            offer.cookie.as_deref(),
            frame.tag_value(TagType::AcCookie),
            "the offer's cookie is not its PADO's"
        );
        assert_eq!(
            offer.relay_id.as_deref(),
            frame.tag_value(TagType::RelaySessionId),
            "the offer's relay id is not its PADO's"
        );
        assert_eq!(offer.max_payload, valid_max_payload(frame));
        if self.mode() == Mode::ListOffers {
            assert!(
                !self
                    .offers
                    .iter()
                    .any(|o| o.ac_mac == offer.ac_mac && o.ac_name == offer.ac_name),
                "the same AC offered twice in one listing"
            );
        }
    }

    /// Calls `poll_transmit` until it returns `None`, as the driver does
    /// after every event; returns the code of the frame sent, if any.
    fn drain(&mut self) -> Option<Code> {
        let now = self.now;
        let deadline = self.client.poll_at();
        let due = deadline.is_some_and(|d| now >= d);
        let mut sent = Vec::new();
        while let Some(bytes) = self.client.poll_transmit(now) {
            assert!(sent.is_empty(), "a second frame at the same instant");
            sent.push(self.check_sent(&bytes));
        }
        let code = sent.first().copied();
        if self.padr_due {
            assert_eq!(
                code,
                Some(Code::Padr),
                "no PADR right after accepting an offer"
            );
            self.padr_due = false;
        }
        match self.client.outcome().cloned() {
            Some(outcome) => {
                assert_eq!(self.client.poll_at(), None, "a deadline after the outcome");
                match &self.outcome {
                    Some(known) => {
                        assert_eq!(known, &outcome, "the outcome changed");
                        assert!(code.is_none(), "a frame sent after the outcome");
                    }
                    None => self.check_outcome(&outcome),
                }
                self.outcome = Some(outcome);
                self.phase = Phase::Done;
            }
            None => {
                let next = self.client.poll_at().expect("a deadline until the outcome");
                assert!(
                    next > now,
                    "poll_at lies: deadline {next:?} is not after {now:?}"
                );
                if due {
                    assert!(
                        code.is_some(),
                        "deadline passed, nothing sent, not finished"
                    );
                }
            }
        }
        code
    }

    /// One frame the client sent.
    fn check_sent(&mut self, bytes: &[u8]) -> Code {
        let config = &self.config;
        let frame =
            DiscoveryFrame::parse(bytes).expect("the client sent a frame that does not parse");
        assert_eq!(
            frame.to_bytes().as_deref(),
            Ok(bytes),
            "sent frame not canonical"
        );
        assert_eq!(frame.src, config.our_mac);
        assert_eq!(frame.session_id, 0);
        let values = |t| frame.tag_values(t).collect::<Vec<_>>();
        assert_eq!(values(TagType::HostUniq), [&config.host_uniq[..]]);
        let advertised = config.max_payload.filter(|&v| v > 1492);
        let attempts = u64::from(config.attempts);
        let (service, max_payload, extra_tags) = match frame.code {
            Code::Padi => {
                assert_eq!(
                    self.phase,
                    Phase::Offering,
                    "a PADI after choosing an offer"
                );
                assert!(frame.dst.is_broadcast());
                assert!(bytes.len() <= ETHERNET_HEADER_LEN + MAX_PADI_PACKET_LEN);
                self.padis += 1;
                assert!(self.padis <= attempts, "more PADIs than attempts");
                let service = (!config.omit_service_name).then(|| config.service_name.clone());
                (service, advertised, 0)
            }
            Code::Padr => {
                let Phase::Requesting(chosen) = &self.phase else {
                    panic!("a PADR in phase {:?}", self.phase)
                };
                assert_eq!(frame.dst, chosen.ac_mac, "a PADR to another AC");
                assert!(bytes.len() <= ETHERNET_HEADER_LEN + PPPOE_HEADER_LEN + MAX_PPPOE_PAYLOAD);
                assert_eq!(
                    values(TagType::AcCookie),
                    chosen.cookie.as_deref().into_iter().collect::<Vec<_>>(),
                    "the PADR's cookie is not the chosen PADO's"
                );
                assert_eq!(
                    values(TagType::RelaySessionId),
                    chosen.relay_id.as_deref().into_iter().collect::<Vec<_>>(),
                    "the PADR's relay id is not the chosen PADO's"
                );
                self.padrs += 1;
                self.ac_error_reported = false;
                assert!(
                    self.padrs <= attempts + self.quick_retries,
                    "more PADRs than attempts and announced early repeats"
                );
                // RFC 4638: no more than the AC offered.
                let max_payload = advertised
                    .map(|ours| chosen.max_payload.map_or(ours, |theirs| ours.min(theirs)))
                    .filter(|&v| v > 1492);
                let extra =
                    usize::from(chosen.cookie.is_some()) + usize::from(chosen.relay_id.is_some());
                (Some(requested_service(config, chosen)), max_payload, extra)
            }
            other => panic!("the client sent a {other}"),
        };
        assert_eq!(
            values(TagType::ServiceName),
            service.as_deref().into_iter().collect::<Vec<_>>(),
            "the {} asks for another service",
            frame.code
        );
        let max_payload = max_payload.map(u16::to_be_bytes);
        assert_eq!(
            values(TagType::PppMaxPayload),
            max_payload.iter().map(|v| &v[..]).collect::<Vec<_>>(),
            "the {} advertises another PPP-Max-Payload",
            frame.code
        );
        let expected_tags =
            usize::from(service.is_some()) + 1 + usize::from(max_payload.is_some()) + extra_tags;
        assert_eq!(
            frame.tags.len(),
            expected_tags,
            "extra tags in the {}",
            frame.code
        );
        frame.code
    }

    /// The outcome, when it first appears, matches what happened.
    fn check_outcome(&self, outcome: &Outcome) {
        match outcome {
            Outcome::Established(session) => {
                assert_eq!(self.mode(), Mode::Session);
                assert_eq!(Some(session), self.confirmed.as_ref());
            }
            Outcome::Offers(offers) => {
                assert_eq!(self.mode(), Mode::ListOffers);
                assert!(!offers.is_empty(), "a listing of no offers");
                assert_eq!(
                    offers, &self.offers,
                    "the listing is not the accepted offers"
                );
            }
            Outcome::Failed(Failure::NoOffer {
                rejected,
                mismatched,
            }) => {
                assert_eq!(self.phase, Phase::Offering);
                assert!(self.offers.is_empty(), "offers accepted, yet NoOffer");
                assert_eq!(*rejected, self.rejected_offering);
                assert_eq!(*mismatched, self.mismatched_offering);
            }
            Outcome::Failed(Failure::NoConfirmation { ac_mac, rejected }) => {
                let Phase::Requesting(chosen) = &self.phase else {
                    panic!("NoConfirmation in phase {:?}", self.phase)
                };
                assert_eq!(*ac_mac, chosen.ac_mac);
                assert_eq!(*rejected, self.rejected_requesting);
            }
        }
        // The failure text is built from these numbers; it must not panic.
        if let Outcome::Failed(failure) = outcome {
            let _ = failure.to_string();
        }
    }

    /// Runs the clock deadline by deadline: with a bounded number of
    /// attempts discovery must end.
    fn finish(&mut self) {
        let rounds = 2 * self.config.attempts.min(BOUNDED_ATTEMPTS) + 2;
        for _ in 0..rounds {
            let Some(deadline) = self.client.poll_at() else {
                break;
            };
            self.now = self.now.max(deadline);
            self.drain();
        }
        if self.config.attempts <= BOUNDED_ATTEMPTS {
            assert!(
                self.client.outcome().is_some(),
                "discovery did not end after {rounds} deadlines"
            );
        }
    }
}

/// The Service-Name a PADR asks for: ours, or with none configured the
/// chosen offer's first (empty if it had none).
fn requested_service(config: &Config, chosen: &Offer) -> Vec<u8> {
    if config.omit_service_name {
        chosen.service_names.first().cloned().unwrap_or_default()
    } else {
        config.service_name.clone()
    }
}

/// RFC 4638: a PPP-Max-Payload is two bytes and at least 1492.
fn valid_max_payload(frame: &DiscoveryFrame<'_>) -> Option<u16> {
    frame
        .tag(TagType::PppMaxPayload)
        .and_then(Tag::max_payload)
        .filter(|&v| v >= 1492)
}

#[cfg(test)]
mod tests {
    //! What the target found, as scenarios that keep meaning the same when
    //! the input format changes (byte reproducers decode differently then).

    use super::*;

    fn config(timeout: DurationSpec) -> ConfigSpec {
        ConfigSpec {
            our_mac: MacSpec::CaptureClient,
            host_uniq: Bytes::Rspp,
            service: ServiceSpec::Named(Bytes::Empty),
            ac_name: None,
            ac_mac: None,
            timeout,
            attempts: AttemptsSpec::Few(3),
            max_payload: None,
            list_offers: false,
            released: Vec::new(),
        }
    }

    fn from_ac(ac: u8, code: CodeSpec, session_id: u16, tags: Vec<TagSpec>) -> Step {
        Step::Receive(FrameSpec {
            dst: DstSpec::Us,
            src: MacSpec::Ac(ac),
            code,
            session_id,
            tags,
            damage: None,
        })
    }

    #[test]
    fn timeouts_too_long_for_instant_run_to_the_end() {
        // Attempts added the wait to the clock and panicked: first with
        // Duration::MAX, then (with the first fix) once the deadlines
        // neared the end of Instant's range.
        for timeout in [
            DurationSpec::Any {
                secs: u64::MAX,
                nanos: 999_999_999,
            },
            DurationSpec::Any {
                secs: 288_230_372_611_719_167,
                nanos: 0,
            },
        ] {
            let scenario = Scenario {
                config: config(timeout),
                steps: vec![
                    Step::Wait(Jump::ToDeadline),
                    Step::Wait(Jump::Huge(u64::MAX)),
                ],
            };
            let outcome = scenario.run();
            assert!(
                matches!(outcome, Some(Outcome::Failed(Failure::NoOffer { .. }))),
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn an_early_padr_repeat_with_a_timeout_too_long_for_instant_runs_to_the_end() {
        // The wait after the early PADR repeat (after an error PADS) was
        // added to the clock unchecked and overflowed `Instant`.
        let scenario = Scenario {
            config: config(DurationSpec::Any {
                secs: u64::MAX,
                nanos: 999_999_999,
            }),
            steps: vec![
                from_ac(
                    0,
                    CodeSpec::Pado,
                    0,
                    vec![
                        TagSpec::OurHostUniq,
                        TagSpec::AcName(None),
                        TagSpec::ServiceName(None),
                    ],
                ),
                from_ac(
                    0,
                    CodeSpec::Pads,
                    0,
                    vec![
                        TagSpec::OurHostUniq,
                        TagSpec::Error {
                            kind: 1, // AC-System-Error: repeated early
                            text: Bytes::Empty,
                        },
                    ],
                ),
                Step::Wait(Jump::ToDeadline),
                Step::Wait(Jump::ToDeadline),
            ],
        };
        let outcome = scenario.run();
        assert!(
            matches!(
                outcome,
                Some(Outcome::Failed(Failure::NoConfirmation { rejected: 1, .. }))
            ),
            "{outcome:?}"
        );
    }

    #[test]
    fn an_offer_whose_padr_cannot_be_sent_loses_to_one_that_can() {
        // The first offer was chosen although its relay id left no room in
        // the PADR: no PADR ever went out.
        let offer = |ac, extra| {
            let mut tags = vec![
                TagSpec::OurHostUniq,
                TagSpec::AcName(None),
                TagSpec::ServiceName(None),
            ];
            tags.push(extra);
            from_ac(ac, CodeSpec::Pado, 0, tags)
        };
        let scenario = Scenario {
            config: config(DurationSpec::Secs(5)),
            steps: vec![
                offer(
                    0,
                    TagSpec::Relay(Bytes::Fill {
                        len: 1480,
                        byte: 0xee,
                    }),
                ),
                offer(1, TagSpec::Cookie(Bytes::Rspp8)),
                from_ac(1, CodeSpec::Pads, 7, vec![TagSpec::OurHostUniq]),
            ],
        };
        let Some(Outcome::Established(session)) = scenario.run() else {
            panic!("no session")
        };
        assert_eq!((session.ac_mac, session.session_id), (ACS[1], 7));
        assert_eq!(session.cookie.as_deref(), Some(&b"72737070"[..]));
        assert_eq!(session.relay_id, None);
    }
}
