//! The rules of discovery as pure functions: which PADO is acceptable,
//! which PADS confirms a session, and how long to wait between attempts.
//!
//! These are pppd's `discovery.c` rules with its flaws fixed: every frame is
//! judged on its own tags only (nothing of a rejected offer can leak into
//! the PADR), a PADS is taken only from the chosen AC, and RFC 2516's
//! reserved session ids are refused.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use super::config::{Config, DEFAULT_MAX_PAYLOAD};
use super::frames;
use crate::wire::{
    self, Code, DiscoveryFrame, MAX_PPPOE_PAYLOAD, MacAddr, Tag, TagType, printable,
};

/// Longest single wait, however many attempts: doubling is capped here so a
/// large attempt count cannot make one wait last hours.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// Most offers one listing window keeps: any LAN host can answer a
/// broadcast PADI from as many source MACs as it likes.
pub const MAX_LISTED_OFFERS: usize = 64;

/// After the chosen AC answers a PADR with AC-System-Error or
/// Generic-Error, the PADR goes out again this long after that answer...
pub const QUICK_RETRY_DELAY: Duration = Duration::from_secs(1);
/// ...at most this many times per discovery, before the normal backoff.
///
/// An AC that is still releasing our previous session (after the stale
/// PADT) typically says "no free slot" and frees it within a second or two;
/// retrying then saves the rest of the 5 s PADS wait. Never faster than
/// [`QUICK_RETRY_DELAY`], so a flood of error PADS cannot turn into a PADR
/// storm (the reference plugin repeats its PADR at once).
pub const QUICK_RETRIES: u32 = 3;

/// An AC we just sent a PADT for a stale session gets this long from that
/// PADT before our first early repeat. Releasing a session takes an AC a
/// moment: pppoe-server's pppd, for one, waits out an LCP
/// Terminate-Request (1 s at `lcp-restart 1`) and then tears the session
/// down; measured in the test guest it freed the slot 0.9 to 1.4 s after
/// the PADT. A repeat just before that costs a whole extra second.
pub const RELEASE_WAIT: Duration = Duration::from_millis(1500);

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
    /// The Service-Name the PADS confirmed (the one the PADR asked for when
    /// the PADS carries none).
    pub service_name: Vec<u8>,
    /// AC-Cookie from the chosen PADO (echoed in PADT).
    pub cookie: Option<Vec<u8>>,
    /// Relay-Session-Id (the PADS's if it has one, else the PADO's).
    pub relay_id: Option<Vec<u8>>,
    /// PPP-Max-Payload the AC agreed to: the smaller of the PADO's and the
    /// PADS's valid values, or whichever it sent.
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
    /// AC-Name differs from the requested one. `services` are the
    /// Service-Names that AC offered.
    AcNameMismatch {
        offered: Vec<u8>,
        services: Vec<Vec<u8>>,
    },
    /// No Service-Name equals the requested one. `ac_name` is the AC's.
    ServiceMismatch {
        offered: Vec<Vec<u8>>,
        ac_name: Vec<u8>,
    },
    /// The PADR answering this offer would carry `len` bytes of PPPoE
    /// payload, more than a frame holds (an AC-Cookie or Relay-Session-Id
    /// too long to echo next to our own tags).
    PadrTooLong { len: usize },
    /// The listing already holds [`MAX_LISTED_OFFERS`] offers.
    TooManyOffers,
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
            Rejection::AcNameMismatch { offered, .. } => {
                write!(
                    f,
                    "AC-Name '{}' is not the requested one",
                    printable(offered)
                )
            }
            Rejection::ServiceMismatch { offered, .. } => {
                f.write_str("requested Service-Name not offered (offered:")?;
                for name in offered {
                    write!(f, " '{}'", printable(name))?;
                }
                f.write_str(")")
            }
            Rejection::ErrorTag { code, tag, text } => {
                write!(f, "{code}: {}: {}", tag.name(), printable(text))
            }
            Rejection::PadrTooLong { len } => write!(
                f,
                "its PADR would carry {len} bytes of PPPoE payload, more than the \
                 {MAX_PPPOE_PAYLOAD} a frame holds (the AC-Cookie or Relay-Session-Id is too long)"
            ),
            Rejection::TooManyOffers => write!(
                f,
                "more than {MAX_LISTED_OFFERS} offers in one wait; this one is not listed"
            ),
            Rejection::BadSessionId(id) => {
                write!(f, "PADS with session id 0x{id:x}, which RFC 2516 reserves")
            }
            Rejection::NotChosenAc => f.write_str("PADS from an AC we did not choose"),
            Rejection::UnexpectedCode(code) => write!(f, "unexpected {code} during discovery"),
        }
    }
}

/// The judgement of one frame addressed to us.
pub(super) enum Verdict {
    /// Not a frame for this phase (our own PADI looped back, a late offer).
    Ignore,
    Reject(Rejection),
    Accept(Offer),
    Confirm(Session),
}

/// The offers of one listing window: at most [`MAX_LISTED_OFFERS`], indexed
/// by the AC's MAC so a repeated answer is found without a search.
#[derive(Debug, Clone, Default)]
pub(super) struct OfferList {
    offers: Vec<Offer>,
    /// Positions in `offers`, per AC MAC.
    by_mac: HashMap<MacAddr, Vec<usize>>,
}

impl OfferList {
    /// True if this AC already offered under this name.
    pub fn contains(&self, ac_mac: MacAddr, ac_name: &[u8]) -> bool {
        self.by_mac.get(&ac_mac).is_some_and(|positions| {
            positions
                .iter()
                .any(|&i| self.offers.get(i).is_some_and(|o| o.ac_name == ac_name))
        })
    }

    pub fn is_full(&self) -> bool {
        self.offers.len() >= MAX_LISTED_OFFERS
    }

    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    /// Adds `offer` unless the list is full.
    pub fn push(&mut self, offer: Offer) {
        if self.is_full() {
            return;
        }
        self.by_mac
            .entry(offer.ac_mac)
            .or_default()
            .push(self.offers.len());
        self.offers.push(offer);
    }

    /// The offers in the order they arrived, leaving the list empty.
    pub fn take(&mut self) -> Vec<Offer> {
        self.by_mac.clear();
        std::mem::take(&mut self.offers)
    }
}

/// Judges a frame received while waiting for offers. `known` are the
/// offers already accepted in this window (an AC answering a retransmitted
/// PADI offers the same thing again).
pub(super) fn judge_offer(
    config: &Config,
    frame: &DiscoveryFrame<'_>,
    known: &OfferList,
) -> Verdict {
    match frame.code {
        Code::Pado => {}
        // Our own broadcast PADI looped back, or other hosts' traffic.
        Code::Padi | Code::Padr => return Verdict::Ignore,
        other => return Verdict::Reject(Rejection::UnexpectedCode(other)),
    }
    if !has_host_uniq(config, frame) {
        return Verdict::Reject(Rejection::WrongHostUniq);
    }
    if !frame.src.is_unicast() {
        return Verdict::Reject(Rejection::NonUnicastSource);
    }
    if config.ac_mac.is_some_and(|mac| mac != frame.src) {
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
    // The user declared the AC non-compliant: it may offer no service.
    if service_names.is_empty() && !config.omit_service_name {
        return Verdict::Reject(Rejection::NoServiceName);
    }
    if let Some(wanted) = &config.ac_name {
        if wanted.as_slice() != ac_name {
            return Verdict::Reject(Rejection::AcNameMismatch {
                offered: ac_name.to_vec(),
                services: service_names,
            });
        }
    }
    let wanted_service = &config.service_name;
    if !wanted_service.is_empty() && !service_names.iter().any(|s| s == wanted_service) {
        return Verdict::Reject(Rejection::ServiceMismatch {
            offered: service_names,
            ac_name: ac_name.to_vec(),
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
    if known.contains(offer.ac_mac, &offer.ac_name) {
        return Verdict::Ignore;
    }
    // Choosing an offer we cannot answer would end in "Timeout waiting for
    // PADS" with no PADR ever sent; refusing it lets another offer win.
    let padr_len = frames::padr_payload_len(config, &offer);
    if padr_len > MAX_PPPOE_PAYLOAD {
        return Verdict::Reject(Rejection::PadrTooLong { len: padr_len });
    }
    if known.is_full() {
        return Verdict::Reject(Rejection::TooManyOffers);
    }
    Verdict::Accept(offer)
}

/// Judges a frame received while waiting for the PADS of `offer`.
pub(super) fn judge_confirmation(
    config: &Config,
    frame: &DiscoveryFrame<'_>,
    offer: &Offer,
) -> Verdict {
    match frame.code {
        Code::Pads => {}
        // Late offers from other ACs (or duplicates) after we chose.
        Code::Pado | Code::Padi | Code::Padr => return Verdict::Ignore,
        other => return Verdict::Reject(Rejection::UnexpectedCode(other)),
    }
    if frame.src != offer.ac_mac {
        return Verdict::Reject(Rejection::NotChosenAc);
    }
    if !has_host_uniq(config, frame) {
        return Verdict::Reject(Rejection::WrongHostUniq);
    }
    if let Some(error) = frame.error_tag() {
        return Verdict::Reject(error_rejection(frame.code, error));
    }
    if frame.session_id == 0 || frame.session_id == 0xffff {
        return Verdict::Reject(Rejection::BadSessionId(frame.session_id));
    }
    let pads_max_payload = valid_max_payload(frame);
    Verdict::Confirm(Session {
        session_id: frame.session_id,
        ac_mac: offer.ac_mac,
        ac_name: offer.ac_name.clone(),
        service_name: frame
            .tag_value(TagType::ServiceName)
            .unwrap_or_else(|| config.requested_service(&offer.service_names))
            .to_vec(),
        cookie: offer.cookie.clone(),
        relay_id: frame
            .tag_value(TagType::RelaySessionId)
            .map(<[u8]>::to_vec)
            .or_else(|| offer.relay_id.clone()),
        max_payload: match (pads_max_payload, offer.max_payload) {
            (Some(pads), Some(pado)) => Some(pads.min(pado)),
            (pads, pado) => pads.or(pado),
        },
    })
}

fn has_host_uniq(config: &Config, frame: &DiscoveryFrame<'_>) -> bool {
    frame.tag_value(TagType::HostUniq) == Some(config.host_uniq.as_slice())
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

/// True for the error tags that may clear up by themselves (the AC is busy
/// or out of resources), so a quick PADR repeat is worth it.
/// Service-Name-Error is the AC refusing what we asked for: repeating the
/// same request at once cannot help, so it waits for the normal backoff
/// (a real AC then stays silent or refuses again, and discovery fails with
/// pppd's usual retry behind it; a forged one cannot end discovery early).
pub(super) fn is_transient_error(tag: TagType) -> bool {
    matches!(tag, TagType::AcSystemError | TagType::GenericError)
}

/// The early PADR repeats of one discovery (see [`QUICK_RETRIES`]).
#[derive(Debug, Clone)]
pub(super) struct QuickRetry {
    /// Early repeats still allowed.
    pub left: u32,
    /// The current deadline is an early repeat, not the end of a wait.
    pub pending: bool,
    /// An error PADS was reported since the last PADR; more before the next
    /// PADR are a flood.
    pub reported: bool,
}

impl QuickRetry {
    pub fn new() -> QuickRetry {
        QuickRetry {
            left: QUICK_RETRIES,
            pending: false,
            reported: false,
        }
    }
}

/// Retransmission state of one phase: pppd's `T, 2T, 4T, …` waits, each an
/// absolute deadline that frames arriving meanwhile do not extend.
#[derive(Debug, Clone)]
pub(super) struct Attempts {
    /// 1-based number of the frame last sent (or about to be sent).
    pub number: u32,
    /// Current wait; doubled per attempt, capped at [`MAX_WAIT`].
    pub wait: Duration,
    /// When the current wait ends.
    pub deadline: Instant,
    /// The frame for this attempt has not been handed out yet.
    pub unsent: bool,
}

impl Attempts {
    pub fn first(now: Instant, wait: Duration) -> Attempts {
        Attempts {
            number: 1,
            wait,
            deadline: deadline_after(now, wait),
            unsent: true,
        }
    }

    /// The same attempt again (an early PADR repeat), with its full wait
    /// after it.
    pub fn repeat(&mut self, now: Instant) {
        self.deadline = deadline_after(now, self.wait);
        self.unsent = true;
    }

    /// Moves to the next attempt if one is left.
    pub fn next(&mut self, now: Instant, limit: u32) -> bool {
        if self.number >= limit {
            return false;
        }
        self.number += 1;
        self.wait = self.wait.saturating_mul(2).min(MAX_WAIT.max(self.wait));
        self.deadline = deadline_after(now, self.wait);
        self.unsent = true;
        true
    }
}

/// `now + wait`, with a wait longer than a century (only a library caller's
/// absurd timeout, such as `Duration::MAX`; the plugin and the CLI allow an
/// hour) cut to a century, so that no deadline overflows `Instant`. (`now`
/// itself would have to be ~3·10¹¹ years past boot for even that to fail.)
pub(super) fn deadline_after(now: Instant, wait: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(wait.min(CENTURY)).unwrap_or(now)
}
