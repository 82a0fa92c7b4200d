//! PPPoE discovery (PADI → PADO → PADR → PADS) as a state machine that does
//! no I/O.
//!
//! The [`Client`] is given the current time and every frame received; it
//! answers with frames to send and the instant it next needs attention. One
//! small driver (`crate::driver`) does the `poll(2)`; tests drive the machine
//! millisecond by millisecond.
//!
//! Behaviour follows pppd's `pppoe.so`, with its flaws fixed:
//!
//! * the wait for PADO is `T, 2T, 4T, …` for `attempts` PADIs, then the same
//!   for PADS after each PADR (`T` = 5 s and 3 attempts by default);
//! * a PADO is acceptable only if it is addressed to us, carries our
//!   Host-Uniq, comes from a unicast MAC (the required one, if set), carries
//!   AC-Name and Service-Name matching what was asked, and no error tag;
//! * the first acceptable PADO wins, and **only that PADO's** AC-Cookie,
//!   Relay-Session-Id and PPP-Max-Payload go into the PADR — nothing from a
//!   rejected offer leaks in (the C plugin's flaw, cf. NetBSD
//!   CVE-2022-29867);
//! * a rejected frame never ends or shortens a wait: one forged error-tag
//!   PADO does not make us give up;
//! * a PADS is taken only from the chosen AC, and session id 0 or 0xFFFF is
//!   refused.

use std::{
    fmt,
    time::{Duration, Instant},
};

use crate::wire::{self, Code, DiscoveryFrame, MacAddr, Tag, TagType, printable};

#[cfg(test)]
mod tests;

/// Default initial wait for PADO and PADS (pppd's `PADI_TIMEOUT`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of PADIs, and of PADRs (pppd's `MAX_PADI_ATTEMPTS`).
pub const DEFAULT_ATTEMPTS: u32 = 3;
/// Longest single wait, however many attempts: doubling is capped here so a
/// large attempt count cannot make one wait last hours.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
/// Without PPP-Max-Payload, PPPoE carries 1500 − 8 bytes of PPP (RFC 2516).
pub const DEFAULT_MAX_PAYLOAD: u16 = 1492;

/// What the client is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The first acceptable PADO wins; go on with PADR and wait for PADS.
    Session,
    /// Collect every acceptable offer until a wait window closes with at
    /// least one (what `pppoe-discovery` does); never send PADR.
    ListOffers,
}

/// What to ask for and what to accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Our interface's MAC: the source of our frames, the destination of
    /// acceptable answers.
    pub our_mac: MacAddr,
    /// Host-Uniq we send and require back. Must not be empty.
    pub host_uniq: Vec<u8>,
    /// Service-Name to request; empty means any service.
    pub service_name: Vec<u8>,
    /// Only accept a PADO whose AC-Name is exactly this.
    pub ac_name: Option<Vec<u8>>,
    /// Only accept a PADO from this MAC (pppd's `pppoe-mac`).
    pub ac_mac: Option<MacAddr>,
    /// First wait; doubled for every further attempt.
    pub timeout: Duration,
    /// PADIs to send before giving up, and likewise PADRs.
    pub attempts: u32,
    /// RFC 4638: advertise PPP-Max-Payload with this value in PADI and PADR
    /// (only values above 1492 are sent).
    pub max_payload: Option<u16>,
    /// Session or listing.
    pub mode: Mode,
}

impl Config {
    /// pppd's defaults: any service, any AC, 5 s, 3 attempts, session mode.
    pub fn new(our_mac: MacAddr, host_uniq: Vec<u8>) -> Config {
        Config {
            our_mac,
            host_uniq,
            service_name: Vec::new(),
            ac_name: None,
            ac_mac: None,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            max_payload: None,
            mode: Mode::Session,
        }
    }

    fn advertised_max_payload(&self) -> Option<u16> {
        self.max_payload.filter(|&v| v > DEFAULT_MAX_PAYLOAD)
    }
}

/// A configuration the client cannot run with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Host-Uniq is required to tell our answers from other hosts'.
    EmptyHostUniq,
    /// No attempts, or a zero timeout.
    NoAttempts,
    /// Our own MAC is a group address.
    OurMacNotUnicast(MacAddr),
    /// The PADI or PADR built from this configuration would be too long.
    TooLong(wire::Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::EmptyHostUniq => f.write_str("Host-Uniq must not be empty"),
            ConfigError::NoAttempts => f.write_str("attempts and timeout must be at least 1"),
            ConfigError::OurMacNotUnicast(mac) => {
                write!(f, "interface has broadcast/multicast MAC address {mac}")
            }
            ConfigError::TooLong(e) => write!(f, "discovery packet {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// An acceptable PADO, reduced to what the user and the PADR need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The AC's MAC (the PADO's source).
    pub ac_mac: MacAddr,
    /// AC-Name.
    pub ac_name: Vec<u8>,
    /// Every Service-Name tag, in order.
    pub service_names: Vec<Vec<u8>>,
    /// AC-Cookie, to echo in PADR and PADT.
    pub cookie: Option<Vec<u8>>,
    /// Relay-Session-Id, to echo in PADR and PADT.
    pub relay_id: Option<Vec<u8>>,
    /// PPP-Max-Payload, if the AC sent a valid one (two bytes, ≥ 1492).
    pub max_payload: Option<u16>,
}

/// A confirmed session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SESSION_ID from the PADS (never 0 or 0xFFFF).
    pub session_id: u16,
    /// The AC's MAC.
    pub ac_mac: MacAddr,
    /// AC-Name from the chosen PADO.
    pub ac_name: Vec<u8>,
    /// The Service-Name we requested.
    pub service_name: Vec<u8>,
    /// AC-Cookie from the chosen PADO (echoed in PADT).
    pub cookie: Option<Vec<u8>>,
    /// Relay-Session-Id (the PADS's if it has one, else the PADO's).
    pub relay_id: Option<Vec<u8>>,
    /// PPP-Max-Payload the AC agreed to (the PADS's, else the PADO's).
    pub max_payload: Option<u16>,
}

impl Session {
    /// The MTU/MRU this session allows: RFC 4638's agreed payload, else 1492.
    pub fn payload_limit(&self) -> u16 {
        self.max_payload.unwrap_or(DEFAULT_MAX_PAYLOAD)
    }
}

/// Why a frame addressed to us was refused. Logged; never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The frame does not parse.
    Malformed(wire::Error),
    /// Host-Uniq missing or not ours.
    WrongHostUniq,
    /// PADO from a broadcast/multicast MAC.
    NonUnicastSource,
    /// PADO from a MAC other than the required one.
    WrongAcMac,
    /// PADO without AC-Name.
    NoAcName,
    /// PADO without Service-Name.
    NoServiceName,
    /// AC-Name differs from the requested one.
    AcNameMismatch { offered: Vec<u8> },
    /// No Service-Name equals the requested one.
    ServiceMismatch { offered: Vec<Vec<u8>> },
    /// The AC sent an error tag.
    ErrorTag {
        code: Code,
        tag: TagType,
        text: Vec<u8>,
    },
    /// PADS with session id 0 or 0xFFFF (RFC 2516 reserves them).
    BadSessionId(u16),
    /// PADS from an AC we did not choose.
    NotChosenAc,
    /// A code we do not expect now (e.g. PADS before PADR, PADT during
    /// discovery).
    UnexpectedCode(Code),
}

impl Rejection {
    /// True when the only fault is not matching `-S`/`-C`: such an AC did
    /// answer, it just does not offer what was asked.
    pub fn is_mismatch(&self) -> bool {
        matches!(
            self,
            Rejection::AcNameMismatch { .. } | Rejection::ServiceMismatch { .. }
        )
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Malformed(e) => write!(f, "malformed frame: {e}"),
            Rejection::WrongHostUniq => f.write_str("Host-Uniq missing or not ours"),
            Rejection::NonUnicastSource => f.write_str("PADO from a non-unicast MAC address"),
            Rejection::WrongAcMac => f.write_str("PADO from a MAC other than the required one"),
            Rejection::NoAcName => f.write_str("PADO with no AC-Name tag"),
            Rejection::NoServiceName => f.write_str("PADO with no Service-Name tag"),
            Rejection::AcNameMismatch { offered } => {
                write!(
                    f,
                    "AC-Name '{}' is not the requested one",
                    printable(offered)
                )
            }
            Rejection::ServiceMismatch { offered } => {
                f.write_str("requested Service-Name not offered (offered:")?;
                for name in offered {
                    write!(f, " '{}'", printable(name))?;
                }
                f.write_str(")")
            }
            Rejection::ErrorTag { code, tag, text } => {
                write!(f, "{code}: {}: {}", tag.name(), printable(text))
            }
            Rejection::BadSessionId(id) => {
                write!(f, "PADS with session id 0x{id:x}, which RFC 2516 reserves")
            }
            Rejection::NotChosenAc => f.write_str("PADS from an AC we did not choose"),
            Rejection::UnexpectedCode(code) => write!(f, "unexpected {code} during discovery"),
        }
    }
}

/// What a received frame meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Not for us (another host's frame, our own PADI, a late duplicate).
    Ignored,
    /// Addressed to us but refused.
    Rejected { from: MacAddr, reason: Rejection },
    /// An acceptable offer. In session mode, a PADR to it follows.
    Offer(Offer),
    /// The session is confirmed; discovery is over.
    Confirmed(Session),
}

/// Why discovery ended without a session or offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Every PADI went unanswered by an acceptable PADO.
    NoOffer {
        /// Frames addressed to us that were refused.
        rejected: u32,
        /// Of those, offers refused only for not matching AC-Name/Service.
        mismatched: u32,
    },
    /// Every PADR went unanswered by an acceptable PADS.
    NoConfirmation {
        /// The AC we were talking to.
        ac_mac: MacAddr,
        /// Frames refused while waiting (error tags, bad session ids, …).
        rejected: u32,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoOffer { rejected: 0, .. } => {
                f.write_str("Timeout waiting for PADO packets: no access concentrator answered")
            }
            Failure::NoOffer {
                rejected,
                mismatched: 0,
            } => write!(
                f,
                "Timeout waiting for PADO packets: {rejected} frame(s) received, none acceptable"
            ),
            Failure::NoOffer {
                rejected,
                mismatched,
            } => {
                write!(
                    f,
                    "Timeout waiting for PADO packets: {mismatched} offer(s) received, \
                     none matched the requested AC-Name/Service-Name"
                )?;
                match rejected.saturating_sub(*mismatched) {
                    0 => Ok(()),
                    other => write!(f, " ({other} other frame(s) refused)"),
                }
            }
            Failure::NoConfirmation { ac_mac, rejected } => write!(
                f,
                "Timeout waiting for PADS packets from {ac_mac} ({rejected} frame(s) refused)"
            ),
        }
    }
}

/// How discovery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Session mode: a confirmed session.
    Established(Session),
    /// Listing mode: every acceptable offer of the window that had some.
    Offers(Vec<Offer>),
    /// Neither.
    Failed(Failure),
}

/// Retransmission state shared by both phases.
#[derive(Debug, Clone)]
struct Attempts {
    /// 1-based number of the frame last sent (or about to be sent).
    number: u32,
    /// Current wait; doubled per attempt, capped at [`MAX_WAIT`].
    wait: Duration,
    /// When the current wait ends.
    deadline: Instant,
    /// The frame for this attempt has not been handed out yet.
    unsent: bool,
}

impl Attempts {
    fn first(now: Instant, wait: Duration) -> Attempts {
        Attempts {
            number: 1,
            wait,
            deadline: now + wait,
            unsent: true,
        }
    }

    /// Moves to the next attempt if one is left.
    fn next(&mut self, now: Instant, limit: u32) -> bool {
        if self.number >= limit {
            return false;
        }
        self.number += 1;
        self.wait = self.wait.saturating_mul(2).min(MAX_WAIT.max(self.wait));
        self.deadline = now + self.wait;
        self.unsent = true;
        true
    }
}

#[derive(Debug, Clone)]
enum State {
    /// Sending PADIs, waiting for PADOs.
    Offering {
        attempts: Attempts,
        offers: Vec<Offer>,
        rejected: u32,
        mismatched: u32,
    },
    /// Sending PADRs to the chosen AC, waiting for its PADS.
    Requesting {
        attempts: Attempts,
        offer: Offer,
        rejected: u32,
    },
    /// Finished.
    Done(Outcome),
}

/// The discovery state machine. See the module docs.
#[derive(Debug, Clone)]
pub struct Client {
    config: Config,
    /// The advertised PPP-Max-Payload, big-endian, for borrowing into tags.
    max_payload_be: [u8; 2],
    state: State,
}

impl Client {
    /// Starts discovery at `now`; the first PADI is due immediately.
    pub fn new(config: Config, now: Instant) -> Result<Client, ConfigError> {
        if config.host_uniq.is_empty() {
            return Err(ConfigError::EmptyHostUniq);
        }
        if config.attempts == 0 || config.timeout.is_zero() {
            return Err(ConfigError::NoAttempts);
        }
        if !config.our_mac.is_unicast() {
            return Err(ConfigError::OurMacNotUnicast(config.our_mac));
        }
        let client = Client {
            state: State::Offering {
                attempts: Attempts::first(now, config.timeout),
                offers: Vec::new(),
                rejected: 0,
                mismatched: 0,
            },
            max_payload_be: config.max_payload.unwrap_or(0).to_be_bytes(),
            config,
        };
        // Refuse up front a configuration whose PADI or PADR cannot be sent,
        // rather than silently sending nothing (what the C plugin does).
        client.padi().to_bytes().map_err(ConfigError::TooLong)?;
        let worst_offer = Offer {
            ac_mac: MacAddr::BROADCAST,
            ac_name: Vec::new(),
            service_names: Vec::new(),
            cookie: None,
            relay_id: None,
            max_payload: None,
        };
        client
            .padr(&worst_offer)
            .to_bytes()
            .map_err(ConfigError::TooLong)?;
        Ok(client)
    }

    /// The configuration this client runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handles expired waits and returns the next frame to send, if any.
    /// Call until it returns `None`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        let limit = self.config.attempts;
        let mode = self.config.mode;
        let (attempts, frame) = match &mut self.state {
            State::Done(_) => return None,
            State::Offering {
                attempts,
                offers,
                rejected,
                mismatched,
            } => {
                if now >= attempts.deadline {
                    let window_had_offers = !offers.is_empty();
                    if mode == Mode::ListOffers && window_had_offers {
                        let offers = std::mem::take(offers);
                        self.state = State::Done(Outcome::Offers(offers));
                        return None;
                    }
                    if !attempts.next(now, limit) {
                        let failure = Failure::NoOffer {
                            rejected: *rejected,
                            mismatched: *mismatched,
                        };
                        self.state = State::Done(Outcome::Failed(failure));
                        return None;
                    }
                }
                (attempts, Frame::Padi)
            }
            State::Requesting {
                attempts,
                offer,
                rejected,
            } => {
                if now >= attempts.deadline && !attempts.next(now, limit) {
                    let failure = Failure::NoConfirmation {
                        ac_mac: offer.ac_mac,
                        rejected: *rejected,
                    };
                    self.state = State::Done(Outcome::Failed(failure));
                    return None;
                }
                (attempts, Frame::Padr)
            }
        };
        if !attempts.unsent {
            return None;
        }
        attempts.unsent = false;
        // Both frames were proven to fit in `new`; a failure here would be a
        // bug, and is reported as "nothing to send" rather than a panic.
        let bytes = match (&self.state, frame) {
            (State::Requesting { offer, .. }, Frame::Padr) => self.padr(offer).to_bytes(),
            _ => self.padi().to_bytes(),
        };
        bytes.ok()
    }

    /// When [`Client::poll_transmit`] next needs calling; `None` once done.
    pub fn poll_at(&self) -> Option<Instant> {
        match &self.state {
            State::Done(_) => None,
            State::Offering { attempts, .. } | State::Requesting { attempts, .. } => {
                Some(attempts.deadline)
            }
        }
    }

    /// How discovery ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.state {
            State::Done(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// Consumes the client, returning the outcome if finished.
    pub fn into_outcome(self) -> Option<Outcome> {
        match self.state {
            State::Done(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// Feeds one received Ethernet frame.
    pub fn handle_frame(&mut self, now: Instant, bytes: &[u8]) -> Event {
        let frame = match DiscoveryFrame::parse(bytes) {
            Ok(frame) => frame,
            Err(e) => return self.reject_malformed(bytes, e),
        };
        if frame.dst != self.config.our_mac || matches!(self.state, State::Done(_)) {
            return Event::Ignored;
        }
        let verdict = match &self.state {
            State::Offering { offers, .. } => self.judge_offer(&frame, offers),
            State::Requesting { offer, .. } => self.judge_confirmation(&frame, offer),
            State::Done(_) => return Event::Ignored,
        };
        match verdict {
            Verdict::Ignore => Event::Ignored,
            Verdict::Reject(reason) => {
                match &mut self.state {
                    State::Offering {
                        rejected,
                        mismatched,
                        ..
                    } => {
                        *rejected += 1;
                        if reason.is_mismatch() {
                            *mismatched += 1;
                        }
                    }
                    State::Requesting { rejected, .. } => *rejected += 1,
                    State::Done(_) => {}
                }
                Event::Rejected {
                    from: frame.src,
                    reason,
                }
            }
            Verdict::Accept(offer) => {
                match (&mut self.state, self.config.mode) {
                    (State::Offering { offers, .. }, Mode::ListOffers) => {
                        offers.push(offer.clone())
                    }
                    (State::Offering { .. }, Mode::Session) => {
                        let attempts = Attempts::first(now, self.config.timeout);
                        self.state = State::Requesting {
                            attempts,
                            offer: offer.clone(),
                            rejected: 0,
                        };
                    }
                    _ => {}
                }
                Event::Offer(offer)
            }
            Verdict::Confirm(session) => {
                self.state = State::Done(Outcome::Established(session.clone()));
                Event::Confirmed(session)
            }
        }
    }

    fn reject_malformed(&mut self, bytes: &[u8], error: wire::Error) -> Event {
        // Only complain about frames that were meant for us; anything else on
        // the wire is none of our business.
        let Ok(eth) = wire::EthernetHeader::new_checked(bytes) else {
            return Event::Ignored;
        };
        if eth.dst() != self.config.our_mac
            || eth.ethertype() != wire::ETHERTYPE_DISCOVERY
            || matches!(self.state, State::Done(_))
        {
            return Event::Ignored;
        }
        if let State::Offering { rejected, .. } | State::Requesting { rejected, .. } =
            &mut self.state
        {
            *rejected += 1;
        }
        Event::Rejected {
            from: eth.src(),
            reason: Rejection::Malformed(error),
        }
    }

    fn has_our_host_uniq(&self, frame: &DiscoveryFrame<'_>) -> bool {
        frame.tag_value(TagType::HostUniq) == Some(self.config.host_uniq.as_slice())
    }

    fn judge_offer(&self, frame: &DiscoveryFrame<'_>, offers: &[Offer]) -> Verdict {
        match frame.code {
            Code::Pado => {}
            // Our own broadcast PADI looped back, or other hosts' traffic.
            Code::Padi | Code::Padr => return Verdict::Ignore,
            other => return Verdict::Reject(Rejection::UnexpectedCode(other)),
        }
        if !self.has_our_host_uniq(frame) {
            return Verdict::Reject(Rejection::WrongHostUniq);
        }
        if !frame.src.is_unicast() {
            return Verdict::Reject(Rejection::NonUnicastSource);
        }
        if self.config.ac_mac.is_some_and(|mac| mac != frame.src) {
            return Verdict::Reject(Rejection::WrongAcMac);
        }
        if let Some(error) = frame.error_tag() {
            return Verdict::Reject(error_rejection(frame.code, error));
        }
        let Some(ac_name) = frame.tag_value(TagType::AcName) else {
            return Verdict::Reject(Rejection::NoAcName);
        };
        let service_names: Vec<Vec<u8>> = frame
            .tag_values(TagType::ServiceName)
            .map(<[u8]>::to_vec)
            .collect();
        if service_names.is_empty() {
            return Verdict::Reject(Rejection::NoServiceName);
        }
        if let Some(wanted) = &self.config.ac_name {
            if wanted.as_slice() != ac_name {
                return Verdict::Reject(Rejection::AcNameMismatch {
                    offered: ac_name.to_vec(),
                });
            }
        }
        let wanted_service = &self.config.service_name;
        if !wanted_service.is_empty() && !service_names.iter().any(|s| s == wanted_service) {
            return Verdict::Reject(Rejection::ServiceMismatch {
                offered: service_names,
            });
        }
        let offer = Offer {
            ac_mac: frame.src,
            ac_name: ac_name.to_vec(),
            service_names,
            cookie: frame.tag_value(TagType::AcCookie).map(<[u8]>::to_vec),
            relay_id: frame.tag_value(TagType::RelaySessionId).map(<[u8]>::to_vec),
            max_payload: valid_max_payload(frame),
        };
        // An AC answering a retransmitted PADI offers the same thing again.
        if offers
            .iter()
            .any(|o| o.ac_mac == offer.ac_mac && o.ac_name == offer.ac_name)
        {
            return Verdict::Ignore;
        }
        Verdict::Accept(offer)
    }

    fn judge_confirmation(&self, frame: &DiscoveryFrame<'_>, offer: &Offer) -> Verdict {
        match frame.code {
            Code::Pads => {}
            // Late offers from other ACs (or duplicates) after we chose.
            Code::Pado | Code::Padi | Code::Padr => return Verdict::Ignore,
            other => return Verdict::Reject(Rejection::UnexpectedCode(other)),
        }
        if frame.src != offer.ac_mac {
            return Verdict::Reject(Rejection::NotChosenAc);
        }
        if !self.has_our_host_uniq(frame) {
            return Verdict::Reject(Rejection::WrongHostUniq);
        }
        if let Some(error) = frame.error_tag() {
            return Verdict::Reject(error_rejection(frame.code, error));
        }
        if frame.session_id == 0 || frame.session_id == 0xffff {
            return Verdict::Reject(Rejection::BadSessionId(frame.session_id));
        }
        Verdict::Confirm(Session {
            session_id: frame.session_id,
            ac_mac: offer.ac_mac,
            ac_name: offer.ac_name.clone(),
            service_name: self.config.service_name.clone(),
            cookie: offer.cookie.clone(),
            relay_id: frame
                .tag_value(TagType::RelaySessionId)
                .map(<[u8]>::to_vec)
                .or_else(|| offer.relay_id.clone()),
            max_payload: valid_max_payload(frame).or(offer.max_payload),
        })
    }

    fn common_tags(&self) -> Vec<Tag<'_>> {
        let mut tags = vec![
            Tag::new(TagType::ServiceName, &self.config.service_name),
            Tag::new(TagType::HostUniq, &self.config.host_uniq),
        ];
        if self.config.advertised_max_payload().is_some() {
            tags.push(Tag::new(TagType::PppMaxPayload, &self.max_payload_be));
        }
        tags
    }

    /// PADI: broadcast, Service-Name, Host-Uniq, PPP-Max-Payload (if > 1492).
    fn padi(&self) -> DiscoveryFrame<'_> {
        DiscoveryFrame {
            dst: MacAddr::BROADCAST,
            src: self.config.our_mac,
            code: Code::Padi,
            session_id: 0,
            tags: self.common_tags(),
        }
    }

    /// PADR: to the chosen AC, PADI's tags plus that offer's cookie and
    /// relay id.
    fn padr<'a>(&'a self, offer: &'a Offer) -> DiscoveryFrame<'a> {
        let mut tags = self.common_tags();
        if let Some(cookie) = &offer.cookie {
            tags.push(Tag::new(TagType::AcCookie, cookie));
        }
        if let Some(relay) = &offer.relay_id {
            tags.push(Tag::new(TagType::RelaySessionId, relay));
        }
        DiscoveryFrame {
            dst: offer.ac_mac,
            src: self.config.our_mac,
            code: Code::Padr,
            session_id: 0,
            tags,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Frame {
    Padi,
    Padr,
}

enum Verdict {
    Ignore,
    Reject(Rejection),
    Accept(Offer),
    Confirm(Session),
}

fn error_rejection(code: Code, tag: &Tag<'_>) -> Rejection {
    Rejection::ErrorTag {
        code,
        tag: tag.tag_type,
        text: tag.value.to_vec(),
    }
}

/// RFC 4638: a PPP-Max-Payload below 1492 is meaningless and ignored.
fn valid_max_payload(frame: &DiscoveryFrame<'_>) -> Option<u16> {
    frame
        .tag(TagType::PppMaxPayload)
        .and_then(Tag::max_payload)
        .filter(|&v| v >= DEFAULT_MAX_PAYLOAD)
}

/// A PADT for `session_id` to `ac_mac`, as the reference plugin sends it:
/// Host-Uniq, then the session's AC-Cookie and Relay-Session-Id.
pub fn padt_frame(
    our_mac: MacAddr,
    ac_mac: MacAddr,
    session_id: u16,
    host_uniq: &[u8],
    cookie: Option<&[u8]>,
    relay_id: Option<&[u8]>,
) -> Vec<u8> {
    let mut tags = Vec::with_capacity(3);
    if !host_uniq.is_empty() {
        tags.push(Tag::new(TagType::HostUniq, host_uniq));
    }
    if let Some(cookie) = cookie {
        tags.push(Tag::new(TagType::AcCookie, cookie));
    }
    if let Some(relay) = relay_id {
        tags.push(Tag::new(TagType::RelaySessionId, relay));
    }
    let padt = DiscoveryFrame {
        dst: ac_mac,
        src: our_mac,
        code: Code::Padt,
        session_id,
        tags,
    };
    // An oversized cookie cannot make the PADT unsendable: drop the tags and
    // still terminate the session.
    padt.to_bytes().unwrap_or_else(|_| {
        DiscoveryFrame {
            tags: Vec::new(),
            ..padt
        }
        .to_bytes()
        .unwrap_or_default()
    })
}
