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
//!   CVE-2022-29867); the PADR's PPP-Max-Payload is lowered to the
//!   offer's, as pppd's plugin does;
//! * `NO-SERVICE-NAME-NON-RFC-COMPLIANT` as the service omits the PADI's
//!   Service-Name tag (as every upstream plugin does) and takes any offer;
//!   unlike upstream, whose PADO check then wants that literal name offered
//!   back and whose PADR asks for it, the PADR asks for the offer's own
//!   first Service-Name, so the option actually connects;
//! * a rejected frame never ends or shortens a wait: one forged error-tag
//!   PADO does not make us give up;
//! * a PADS is taken only from the chosen AC, and session id 0 or 0xFFFF is
//!   refused;
//! * when the chosen AC answers the PADR with AC-System-Error or
//!   Generic-Error (typically "no free slot" while it still releases our
//!   previous session), the PADR goes out again 1 s later, up to 3 times,
//!   before the normal backoff — never faster, however many error PADS
//!   arrive; the first repeat to an AC we just sent a stale PADT waits until
//!   [`RELEASE_WAIT`] after it. Service-Name-Error gets no quick repeat (see
//!   `policy::is_transient_error`). Each PADR's error answer is reported
//!   once ([`Event::AcError`]); more before the next PADR are a flood and
//!   come as plain rejections.
//!
//! The pieces: `config` (what the user asked for), `policy` (which
//! frames are acceptable, how long to wait), `frames` (what we send),
//! `summary` (why a discovery got nothing, for the user) and the
//! [`Client`] state machine here that ties them together.

mod config;
mod frames;
mod policy;
mod summary;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use crate::wire::{self, DiscoveryFrame, MacAddr};

pub use config::{
    Config, ConfigError, DEFAULT_ATTEMPTS, DEFAULT_MAX_PAYLOAD, DEFAULT_TIMEOUT, HostUniq, Mode,
    NO_SERVICE_NAME, Settings,
};
pub use frames::padt_frame;
use policy::{Attempts, OfferList, QuickRetry, Verdict};
pub use policy::{
    MAX_LISTED_OFFERS, MAX_WAIT, Offer, QUICK_RETRIES, QUICK_RETRY_DELAY, RELEASE_WAIT, Rejection,
    Session,
};
pub use summary::{Admission, FilterNames, RefusalLog, Summary};

/// What a received frame meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Not for us (another host's frame, our own PADI, a late duplicate).
    Ignored,
    /// Addressed to us but refused.
    Rejected { from: MacAddr, reason: Rejection },
    /// An acceptable offer. In session mode, a PADR to it follows.
    Offer(Offer),
    /// The chosen AC answered our PADR with an error tag (`reason` is a
    /// [`Rejection::ErrorTag`]). Once per PADR; further error PADS before
    /// the next PADR come as [`Event::Rejected`]. `retry_in`: the PADR goes
    /// out again that soon; `None`: the normal backoff decides.
    AcError {
        from: MacAddr,
        reason: Rejection,
        retry_in: Option<Duration>,
    },
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

impl Failure {
    /// pppd's discovery phase that failed: 1 (PADI/PADO) or 2 (PADR/PADS).
    pub fn phase(&self) -> u8 {
        match self {
            Failure::NoOffer { .. } => 1,
            Failure::NoConfirmation { .. } => 2,
        }
    }

    /// pppd's own line for this failure, word for word: what log scrapers
    /// match. [`Display`](std::fmt::Display) adds the details.
    pub fn pppd_line(&self) -> &'static str {
        match self {
            Failure::NoOffer { .. } => "Timeout waiting for PADO packets",
            Failure::NoConfirmation { .. } => "Timeout waiting for PADS packets",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

#[derive(Debug, Clone)]
enum State {
    /// Sending PADIs, waiting for PADOs.
    Offering {
        attempts: Attempts,
        offers: OfferList,
        rejected: u32,
        mismatched: u32,
    },
    /// Sending PADRs to the chosen AC, waiting for its PADS.
    Requesting {
        attempts: Attempts,
        offer: Offer,
        rejected: u32,
        quick: QuickRetry,
    },
    /// Finished.
    Done(Outcome),
}

/// The discovery state machine. See the module docs.
#[derive(Debug, Clone)]
pub struct Client {
    config: Config,
    /// The PADI's PPP-Max-Payload, big-endian, for borrowing into its tag.
    padi_max_payload: Option<[u8; 2]>,
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
                offers: OfferList::default(),
                rejected: 0,
                mismatched: 0,
            },
            padi_max_payload: config.advertised_max_payload().map(u16::to_be_bytes),
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
        let padr_max_payload = client.padi_max_payload;
        frames::padr(&client.config, padr_max_payload.as_ref(), &worst_offer)
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
                        let offers = offers.take();
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
                quick,
            } => {
                if now >= attempts.deadline {
                    if quick.pending {
                        // The early repeat: the same attempt again, with
                        // its full wait after it.
                        quick.pending = false;
                        attempts.repeat(now);
                    } else if !attempts.next(now, limit) {
                        let failure = Failure::NoConfirmation {
                            ac_mac: offer.ac_mac,
                            rejected: *rejected,
                        };
                        self.state = State::Done(Outcome::Failed(failure));
                        return None;
                    }
                }
                if attempts.unsent {
                    quick.reported = false;
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
            (State::Requesting { offer, .. }, Frame::Padr) => {
                let max_payload = self
                    .config
                    .requested_max_payload(offer.max_payload)
                    .map(u16::to_be_bytes);
                frames::padr(&self.config, max_payload.as_ref(), offer).to_bytes()
            }
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
            State::Offering { offers, .. } => policy::judge_offer(&self.config, &frame, offers),
            State::Requesting { offer, .. } => {
                policy::judge_confirmation(&self.config, &frame, offer)
            }
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
                    State::Requesting {
                        rejected,
                        attempts,
                        quick,
                        ..
                    } => {
                        *rejected += 1;
                        if let Rejection::ErrorTag { tag, .. } = &reason {
                            // Only the chosen AC's answer, with our
                            // Host-Uniq, gets this far (policy).
                            if !quick.reported {
                                quick.reported = true;
                                let first = quick.left == QUICK_RETRIES;
                                let retry_in = (policy::is_transient_error(*tag) && quick.left > 0)
                                    .then(|| {
                                        quick.left -= 1;
                                        quick.pending = true;
                                        let mut due =
                                            policy::deadline_after(now, QUICK_RETRY_DELAY);
                                        // Give an AC that is releasing the
                                        // session we just ended time to finish.
                                        for (mac, padt) in &self.config.released {
                                            if first && *mac == frame.src {
                                                due = due.max(policy::deadline_after(
                                                    *padt,
                                                    RELEASE_WAIT,
                                                ));
                                            }
                                        }
                                        attempts.deadline = due;
                                        due - now
                                    });
                                return Event::AcError {
                                    from: frame.src,
                                    reason,
                                    retry_in,
                                };
                            }
                        }
                    }
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
                            quick: QuickRetry::new(),
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

    fn padi(&self) -> DiscoveryFrame<'_> {
        frames::padi(&self.config, self.padi_max_payload.as_ref())
    }
}

#[derive(Debug, Clone, Copy)]
enum Frame {
    Padi,
    Padr,
}
