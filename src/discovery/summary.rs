//! Why a discovery got nothing, in one line, and a budget for the log
//! lines other hosts' frames cause.
//!
//! [`Summary`] is a pure observer: whoever runs discovery feeds it the
//! frames sent and received, the meaning of each ([`Event`]) and the tagged
//! frames the VLAN watcher saw, and asks it at the end for one line that
//! names the likely cause: nothing on the wire at all, answers only on a
//! VLAN, error tags, offers that do not match what was asked, … Everything
//! it keeps is bounded, whatever the peers send.
//!
//! [`RefusalLog`] decides which "ignoring frame" lines get written: a few
//! per kind of refusal, then one per interval, with a count of what was
//! held back, so a host that learned our Host-Uniq cannot fill the log.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::mem::Discriminant;
use std::time::{Duration, Instant};

use super::{Event, Failure, Rejection, Settings};
use crate::wire::{Code, EthernetHeader, MacAddr, PppoeHeader, printable};

/// Distinct hosts counted by name; more are counted as "more than".
const MAX_HOSTS: usize = 64;
/// Examples kept per kind of refusal.
const MAX_SAMPLES: usize = 3;
/// Distinct VLAN ids remembered.
const MAX_VLANS: usize = 8;
/// Bytes of AC text kept per example (before escaping).
const MAX_TEXT: usize = 64;
/// Service-Names kept per example.
const MAX_SERVICES: usize = 4;
/// Bytes an 802.1Q tag adds after the MAC addresses.
const VLAN_TAG_LEN: usize = 4;

/// What the user calls the AC-Name and Service-Name filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterNames {
    pub service: &'static str,
    pub ac_name: &'static str,
}

impl FilterNames {
    /// `rs-pppoe-discovery`'s flags.
    pub const CLI: FilterNames = FilterNames {
        service: "-S",
        ac_name: "-C",
    };
    /// The plugin's pppd options.
    pub const PLUGIN: FilterNames = FilterNames {
        service: "pppoe-service",
        ac_name: "pppoe-ac",
    };
}

/// One refusal kept as an example: who, and the (escaped, shortened)
/// detail.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sample {
    from: MacAddr,
    detail: String,
}

/// Refusals of one kind: how many, and the first few distinct examples.
#[derive(Debug, Clone, Default)]
struct Refusals {
    count: u32,
    samples: Vec<Sample>,
}

impl Refusals {
    fn add(&mut self, from: MacAddr, detail: impl FnOnce() -> String) {
        self.count = self.count.saturating_add(1);
        if self.samples.len() < MAX_SAMPLES {
            let sample = Sample {
                from,
                detail: detail(),
            };
            if !self.samples.contains(&sample) {
                self.samples.push(sample);
            }
        }
    }

    /// `"N <what> (example; example)"`, or nothing when there were none.
    fn describe(&self, what: &str, out: &mut Vec<String>) {
        if self.count == 0 {
            return;
        }
        let mut text = format!("{} {what}", self.count);
        let examples: Vec<String> = self
            .samples
            .iter()
            .map(|s| {
                if s.detail.is_empty() {
                    s.from.to_string()
                } else {
                    format!("{}: {}", s.from, s.detail)
                }
            })
            .collect();
        if !examples.is_empty() {
            let _ = write!(text, " ({})", examples.join("; "));
        }
        out.push(text);
    }
}

/// Tagged discovery frames seen on one VLAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct VlanSeen {
    vid: u16,
    /// Frames an access concentrator sends (PADO, PADS, PADT).
    answers: u32,
    /// Other hosts' requests (PADI, PADR): someone uses PPPoE there.
    requests: u32,
}

/// What one discovery saw, for the line that explains a failure. See the
/// module docs.
#[derive(Debug, Clone)]
pub struct Summary {
    names: FilterNames,
    wanted_service: Vec<u8>,
    wanted_ac_name: Option<Vec<u8>>,
    padis: u32,
    padrs: u32,
    frames: u32,
    hosts: HashSet<MacAddr>,
    more_hosts: bool,
    wrong_host_uniq: Refusals,
    error_tags: Refusals,
    mismatches: Refusals,
    padr_too_long: Refusals,
    malformed: Refusals,
    other: Refusals,
    vlans: Vec<VlanSeen>,
}

impl Summary {
    /// An empty summary for a discovery asking for `settings`, explained
    /// in terms of the filters `names`.
    pub fn new(settings: &Settings, names: FilterNames) -> Summary {
        Summary {
            names,
            wanted_service: settings.service_name.clone(),
            wanted_ac_name: settings.ac_name.clone(),
            padis: 0,
            padrs: 0,
            frames: 0,
            hosts: HashSet::new(),
            more_hosts: false,
            wrong_host_uniq: Refusals::default(),
            error_tags: Refusals::default(),
            mismatches: Refusals::default(),
            padr_too_long: Refusals::default(),
            malformed: Refusals::default(),
            other: Refusals::default(),
            vlans: Vec::new(),
        }
    }

    /// A frame we sent (untagged or tagged alike).
    pub fn sent(&mut self, frame: &[u8]) {
        match discovery_code(frame) {
            Some(Code::Padi) => self.padis = self.padis.saturating_add(1),
            Some(Code::Padr) => self.padrs = self.padrs.saturating_add(1),
            _ => {}
        }
    }

    /// A frame the discovery socket received (only frames addressed to us
    /// get that far).
    pub fn received(&mut self, frame: &[u8]) {
        self.frames = self.frames.saturating_add(1);
        let Ok(eth) = EthernetHeader::new_checked(frame) else {
            return;
        };
        if self.hosts.len() < MAX_HOSTS {
            self.hosts.insert(eth.src());
        } else if !self.hosts.contains(&eth.src()) {
            self.more_hosts = true;
        }
    }

    /// The meaning of a received frame.
    pub fn event(&mut self, event: &Event) {
        let (Event::Rejected { from, reason } | Event::AcError { from, reason, .. }) = event else {
            return;
        };
        let from = *from;
        match reason {
            Rejection::WrongHostUniq => self.wrong_host_uniq.add(from, String::new),
            Rejection::ErrorTag { code, tag, text } => self.error_tags.add(from, || {
                format!("{code}: {}: '{}'", tag.name(), shortened(text))
            }),
            Rejection::AcNameMismatch { offered, services } => self
                .mismatches
                .add(from, || describe_offer(offered, services)),
            Rejection::ServiceMismatch { offered, ac_name } => self
                .mismatches
                .add(from, || describe_offer(ac_name, offered)),
            Rejection::PadrTooLong { len } => self
                .padr_too_long
                .add(from, || format!("{len} bytes of PPPoE payload")),
            Rejection::Malformed(e) => self.malformed.add(from, || e.to_string()),
            other => self.other.add(from, || other.to_string()),
        }
    }

    /// A tagged discovery frame the VLAN watcher saw on VLAN `vid`.
    pub fn tagged(&mut self, vid: u16, frame: &[u8]) {
        let answer = matches!(
            discovery_code(frame),
            Some(Code::Pado | Code::Pads | Code::Padt)
        );
        let index = match self.vlans.iter().position(|v| v.vid == vid) {
            Some(index) => index,
            None if self.vlans.len() < MAX_VLANS => {
                self.vlans.push(VlanSeen {
                    vid,
                    answers: 0,
                    requests: 0,
                });
                self.vlans.len() - 1
            }
            None => return,
        };
        let seen = &mut self.vlans[index];
        if answer {
            seen.answers = seen.answers.saturating_add(1);
        } else {
            seen.requests = seen.requests.saturating_add(1);
        }
    }

    /// PADIs sent so far.
    pub fn padis_sent(&self) -> u32 {
        self.padis
    }

    /// The VLAN ids on which an access concentrator answered, most
    /// answers first.
    pub fn answering_vlans(&self) -> Vec<u16> {
        let mut vlans: Vec<&VlanSeen> = self.vlans.iter().filter(|v| v.answers > 0).collect();
        vlans.sort_by_key(|v| std::cmp::Reverse(v.answers));
        vlans.iter().map(|v| v.vid).collect()
    }

    /// The one line explaining a discovery on `interface` that ended with
    /// `failure`.
    pub fn explain(&self, interface: &str, failure: &Failure) -> String {
        let mut out = format!("discovery on {interface}: {}", plural(self.padis, "PADI"));
        if let Failure::NoConfirmation { ac_mac, .. } = failure {
            let _ = write!(out, ", {} to {ac_mac}", plural(self.padrs, "PADR"));
        }
        out.push_str(" sent; ");
        let hint = self.vlan_hint(interface);
        if self.frames == 0 {
            let _ = write!(out, "no PPPoE frame from any host on {interface}");
            match hint {
                Some(hint) => {
                    let _ = write!(out, "; {hint}");
                }
                None => {
                    let _ = write!(
                        out,
                        " (is the gateway's PPPoE bridge on, and is {interface} the port \
                         facing it?)"
                    );
                }
            }
            return out;
        }
        let hosts = self.hosts.len();
        let _ = write!(
            out,
            "{} from {}{}",
            plural(self.frames, "PPPoE frame"),
            if self.more_hosts { "more than " } else { "" },
            plural(u32::try_from(hosts).unwrap_or(u32::MAX), "other host")
        );
        let mut refused = Vec::new();
        self.wrong_host_uniq.describe(
            "with a wrong or missing Host-Uniq (answers meant for another client?)",
            &mut refused,
        );
        self.error_tags.describe("with an error tag", &mut refused);
        let filter = self.filter_text();
        self.mismatches.describe(
            &format!(
                "not matching {}",
                filter.as_deref().unwrap_or("the filters")
            ),
            &mut refused,
        );
        self.padr_too_long.describe(
            "whose PADR would not fit in a frame (AC-Cookie or Relay-Session-Id too long)",
            &mut refused,
        );
        self.malformed.describe("malformed", &mut refused);
        self.other
            .describe("refused for other reasons", &mut refused);
        if !refused.is_empty() {
            let _ = write!(out, "; refused: {}", refused.join("; "));
        } else if let Failure::NoConfirmation { ac_mac, .. } = failure {
            let _ = write!(out, "; {ac_mac} offered a session but never confirmed it");
        }
        if let Some(hint) = hint {
            let _ = write!(out, "; {hint}");
        }
        out
    }

    /// `-C 'name' -S 'service'` as far as they were given.
    fn filter_text(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(name) = &self.wanted_ac_name {
            parts.push(format!("{} '{}'", self.names.ac_name, shortened(name)));
        }
        if !self.wanted_service.is_empty() {
            parts.push(format!(
                "{} '{}'",
                self.names.service,
                shortened(&self.wanted_service)
            ));
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// What the VLAN watcher suggests, if anything.
    fn vlan_hint(&self, interface: &str) -> Option<String> {
        if let Some(&vid) = self.answering_vlans().first() {
            let also = self.vlans_other_than(vid);
            return Some(format!(
                "PPPoE answers were seen on VLAN {vid}{also}: try the interface {interface}.{vid}"
            ));
        }
        let busiest = self.vlans.iter().max_by_key(|v| v.requests)?;
        let also = self.vlans_other_than(busiest.vid);
        Some(format!(
            "other hosts' PPPoE discovery was seen on VLAN {}{also}: try the interface \
             {interface}.{}",
            busiest.vid, busiest.vid
        ))
    }

    fn vlans_other_than(&self, vid: u16) -> String {
        let others: Vec<String> = self
            .vlans
            .iter()
            .filter(|v| v.vid != vid)
            .map(|v| v.vid.to_string())
            .collect();
        if others.is_empty() {
            String::new()
        } else {
            format!(" (and {})", others.join(", "))
        }
    }
}

/// The PPPoE code of a discovery frame, untagged or carrying one 802.1Q
/// tag.
fn discovery_code(frame: &[u8]) -> Option<Code> {
    let eth = EthernetHeader::new_checked(frame).ok()?;
    let payload = if eth.ethertype() == crate::wire::ETHERTYPE_VLAN {
        frame.get(crate::wire::ETHERNET_HEADER_LEN + VLAN_TAG_LEN..)?
    } else {
        eth.payload()
    };
    PppoeHeader::new_checked(payload).ok().map(|h| h.code())
}

/// AC text for a summary: at most [`MAX_TEXT`] bytes, escaped.
fn shortened(text: &[u8]) -> String {
    match text.get(..MAX_TEXT) {
        Some(head) if text.len() > MAX_TEXT => format!("{}...", printable(head)),
        _ => printable(text),
    }
}

/// `'name' offers 'a', 'b'` for an offer that did not match.
fn describe_offer(ac_name: &[u8], services: &[Vec<u8>]) -> String {
    let mut text = format!("'{}' offers", shortened(ac_name));
    for (i, service) in services.iter().take(MAX_SERVICES).enumerate() {
        let sep = if i == 0 { " " } else { ", " };
        let _ = write!(text, "{sep}'{}'", shortened(service));
    }
    if services.len() > MAX_SERVICES {
        let _ = write!(text, " and {} more", services.len() - MAX_SERVICES);
    }
    if services.iter().all(|s| s.is_empty()) {
        text.push_str(" (any service)");
    }
    text
}

fn plural(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Lines the budget let through for one frame: the count of similar lines
/// held back since the last one, if any, then the frame's own line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Log the frame's line, after saying that `held_back` similar lines
    /// were not logged.
    Log { held_back: u64 },
    /// Do not log it.
    HoldBack,
}

/// A token bucket: `burst` lines at once, then one per `interval`.
#[derive(Debug, Clone)]
struct LineBudget {
    tokens: u32,
    refilled: Option<Instant>,
    held_back: u64,
}

/// Per-kind budgets for the "ignoring frame from …" lines: see the module
/// docs. One budget per kind of [`Rejection`], so a flood of one kind
/// cannot hide a rarer, more telling one.
#[derive(Debug, Clone)]
pub struct RefusalLog {
    burst: u32,
    interval: Duration,
    budgets: Vec<(Discriminant<Rejection>, LineBudget)>,
}

impl Default for RefusalLog {
    /// Five lines per kind, then one every ten seconds.
    fn default() -> RefusalLog {
        RefusalLog::new(5, Duration::from_secs(10))
    }
}

impl RefusalLog {
    pub fn new(burst: u32, interval: Duration) -> RefusalLog {
        RefusalLog {
            burst,
            interval,
            budgets: Vec::new(),
        }
    }

    /// Whether the line for a frame refused for `reason` at `now` may be
    /// logged.
    pub fn admit(&mut self, reason: &Rejection, now: Instant) -> Admission {
        let kind = std::mem::discriminant(reason);
        let index = match self.budgets.iter().position(|(k, _)| *k == kind) {
            Some(index) => index,
            None => {
                // Bounded by the number of `Rejection` variants.
                self.budgets.push((
                    kind,
                    LineBudget {
                        tokens: self.burst,
                        refilled: Some(now),
                        held_back: 0,
                    },
                ));
                self.budgets.len() - 1
            }
        };
        let (burst, interval) = (self.burst, self.interval);
        let budget = &mut self.budgets[index].1;
        let since = budget
            .refilled
            .map_or(interval, |t| now.saturating_duration_since(t));
        if budget.tokens == 0 && since >= interval {
            budget.tokens = 1.min(burst);
            budget.refilled = Some(now);
        }
        if budget.tokens == 0 {
            budget.held_back = budget.held_back.saturating_add(1);
            return Admission::HoldBack;
        }
        budget.tokens -= 1;
        Admission::Log {
            held_back: std::mem::take(&mut budget.held_back),
        }
    }

    /// Lines held back and not yet reported; resets the count.
    pub fn take_held_back(&mut self) -> u64 {
        self.budgets
            .iter_mut()
            .map(|(_, budget)| std::mem::take(&mut budget.held_back))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::Settings;
    use crate::wire::TagType;

    const AC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x0a, 0x01]);
    const AC2: MacAddr = MacAddr([0x02, 0, 0, 0, 0x0a, 0x02]);

    fn no_offer() -> Failure {
        Failure::NoOffer {
            rejected: 0,
            mismatched: 0,
        }
    }

    fn frame(src: MacAddr, code: u8) -> Vec<u8> {
        let mut frame = vec![0x02, 0, 0, 0, 0x0c, 0x01];
        frame.extend_from_slice(&src.0);
        frame.extend_from_slice(&[0x88, 0x63, 0x11, code, 0, 0, 0, 0]);
        frame
    }

    fn refused(summary: &mut Summary, from: MacAddr, reason: Rejection) {
        summary.received(&frame(from, 0x07));
        summary.event(&Event::Rejected { from, reason });
    }

    #[test]
    fn silence_says_no_frame_from_any_host_and_asks_about_the_bridge() {
        let mut summary = Summary::new(&Settings::default(), FilterNames::CLI);
        for _ in 0..3 {
            summary.sent(&frame(MacAddr([0x02, 0, 0, 0, 0x0c, 1]), 0x09));
        }
        assert_eq!(
            summary.explain("enp1s0", &no_offer()),
            "discovery on enp1s0: 3 PADIs sent; no PPPoE frame from any host on enp1s0 \
             (is the gateway's PPPoE bridge on, and is enp1s0 the port facing it?)"
        );
    }

    #[test]
    fn answers_on_a_vlan_become_a_hint_naming_the_vlan_interface() {
        let mut summary = Summary::new(&Settings::default(), FilterNames::PLUGIN);
        summary.sent(&frame(AC, 0x09));
        summary.tagged(35, &frame(AC, 0x07));
        summary.tagged(35, &frame(AC, 0x07));
        summary.tagged(7, &frame(AC2, 0x09));
        assert_eq!(summary.answering_vlans(), [35]);
        assert_eq!(
            summary.explain("enp1s0", &no_offer()),
            "discovery on enp1s0: 1 PADI sent; no PPPoE frame from any host on enp1s0; \
             PPPoE answers were seen on VLAN 35 (and 7): try the interface enp1s0.35"
        );
        let mut requests_only = Summary::new(&Settings::default(), FilterNames::PLUGIN);
        requests_only.tagged(10, &frame(AC2, 0x09));
        assert!(requests_only.explain("eth0", &no_offer()).ends_with(
            "other hosts' PPPoE discovery was seen on VLAN 10: try the interface eth0.10"
        ),);
    }

    #[test]
    fn error_tags_are_counted_with_escaped_shortened_examples() {
        let mut summary = Summary::new(&Settings::default(), FilterNames::CLI);
        summary.sent(&frame(AC, 0x09));
        let long = [b'x'; 100];
        for text in [&b"no\nslots"[..], &b"no\nslots"[..], &long[..]] {
            let reason = Rejection::ErrorTag {
                code: Code::Pado,
                tag: TagType::AcSystemError,
                text: text.to_vec(),
            };
            refused(&mut summary, AC, reason);
        }
        let line = summary.explain("eth0", &no_offer());
        assert_eq!(
            line,
            format!(
                "discovery on eth0: 1 PADI sent; 3 PPPoE frames from 1 other host; refused: \
                 3 with an error tag (02:00:00:00:0a:01: PADO: AC-System-Error: 'no\\x0aslots'; \
                 02:00:00:00:0a:01: PADO: AC-System-Error: '{}...')",
                "x".repeat(MAX_TEXT)
            )
        );
    }

    #[test]
    fn mismatches_say_what_was_asked_and_what_each_ac_offers() {
        let settings = Settings {
            ac_name: Some(b"ac-three".to_vec()),
            ..Settings::default()
        };
        let mut summary = Summary::new(&settings, FilterNames::CLI);
        refused(
            &mut summary,
            AC,
            Rejection::AcNameMismatch {
                offered: b"ac-one".to_vec(),
                services: vec![b"internet".to_vec()],
            },
        );
        refused(
            &mut summary,
            AC2,
            Rejection::AcNameMismatch {
                offered: b"ac-two".to_vec(),
                services: vec![Vec::new()],
            },
        );
        let line = summary.explain("eth0", &no_offer());
        assert!(
            line.ends_with(
                "2 PPPoE frames from 2 other hosts; refused: 2 not matching -C 'ac-three' \
                 (02:00:00:00:0a:01: 'ac-one' offers 'internet'; 02:00:00:00:0a:02: 'ac-two' \
                 offers '' (any service))"
            ),
            "{line}"
        );
        let plugin = Summary::new(
            &Settings {
                service_name: b"voip".to_vec(),
                ..settings
            },
            FilterNames::PLUGIN,
        );
        assert_eq!(
            plugin.filter_text().as_deref(),
            Some("pppoe-ac 'ac-three' pppoe-service 'voip'")
        );
    }

    #[test]
    fn every_kind_of_refusal_has_its_words_and_memory_stays_bounded() {
        let mut summary = Summary::new(&Settings::default(), FilterNames::CLI);
        for i in 0..10_000u32 {
            let mac = MacAddr([0x02, 0, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            refused(&mut summary, mac, Rejection::WrongHostUniq);
            summary.tagged((i % 4000 + 1) as u16, &frame(mac, 0x07));
        }
        refused(&mut summary, AC, Rejection::PadrTooLong { len: 1500 });
        refused(
            &mut summary,
            AC,
            Rejection::Malformed(crate::wire::Error::Truncated),
        );
        refused(&mut summary, AC, Rejection::NoAcName);
        assert_eq!(summary.hosts.len(), MAX_HOSTS);
        assert_eq!(summary.vlans.len(), MAX_VLANS);
        assert!(summary.wrong_host_uniq.samples.len() <= MAX_SAMPLES);
        let line = summary.explain("eth0", &no_offer());
        for words in [
            "10003 PPPoE frames from more than 64 other hosts",
            "10000 with a wrong or missing Host-Uniq (answers meant for another client?) \
             (02:00:00:00:00:00; 02:00:00:00:00:01; 02:00:00:00:00:02)",
            "1 whose PADR would not fit in a frame",
            "1 malformed (02:00:00:00:0a:01: frame too short for its headers)",
            "1 refused for other reasons (02:00:00:00:0a:01: PADO with no AC-Name tag)",
        ] {
            assert!(line.contains(words), "{words}: {line}");
        }
    }

    #[test]
    fn an_unconfirmed_session_names_the_ac_and_its_padrs() {
        let mut summary = Summary::new(&Settings::default(), FilterNames::CLI);
        summary.sent(&frame(AC, 0x09));
        summary.sent(&frame(AC, 0x19));
        summary.sent(&frame(AC, 0x19));
        summary.received(&frame(AC, 0x07));
        let failure = Failure::NoConfirmation {
            ac_mac: AC,
            rejected: 0,
        };
        assert_eq!(
            summary.explain("eth0", &failure),
            "discovery on eth0: 1 PADI, 2 PADRs to 02:00:00:00:0a:01 sent; 1 PPPoE frame from \
             1 other host; 02:00:00:00:0a:01 offered a session but never confirmed it"
        );
    }

    #[test]
    fn the_refusal_log_lets_a_burst_through_then_one_per_interval_per_kind() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut log = RefusalLog::new(3, Duration::from_secs(10));
        let flood = Rejection::WrongHostUniq;
        let mut logged = 0;
        for ms in 0..1000 {
            if matches!(log.admit(&flood, at(ms)), Admission::Log { .. }) {
                logged += 1;
            }
        }
        assert_eq!(logged, 3, "a burst of three in the first second");
        let rare = Rejection::NoAcName;
        assert_eq!(
            log.admit(&rare, at(1000)),
            Admission::Log { held_back: 0 },
            "a flood of one kind does not silence another"
        );
        assert_eq!(
            log.admit(&flood, at(10_001)),
            Admission::Log { held_back: 997 },
            "the next line allowed says how many were held back"
        );
        assert_eq!(log.admit(&flood, at(10_002)), Admission::HoldBack);
        assert_eq!(log.take_held_back(), 1);
        assert_eq!(log.take_held_back(), 0);
    }
}
