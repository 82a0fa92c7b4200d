//! A wire monitor for the rule the hostile cases are about: **what a
//! client echoes to an access concentrator comes from that AC's own
//! acceptable offer**. It sees every discovery frame on the AC side of the
//! link (the kit's own, a real AC's, the client's) and checks each PADR and
//! PADT the client sends:
//!
//! * every AC-Cookie, Relay-Session-Id and PPP-Max-Payload in a PADR to AC
//!   `M` is one `M` offered in a PADO the client may accept (parseable,
//!   untagged, unicast source, no error tag, the client's Host-Uniq), or
//!   (PPP-Max-Payload) the client's own from its PADI; each at most once;
//! * a PADT goes to an AC the client sent a PADR to, for a session id that
//!   AC confirmed in a valid PADS, with that AC's cookie and relay id.
//!
//! Anything else is a violation: tags of a refused or foreign offer in the
//! session (the C plugin's tag mixing), a session id or MAC from a forged
//! PADS, a PADT to the wrong place.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use rs_pppoe::wire::{Code, DiscoveryFrame, MacAddr, TagType, hex, printable};

/// What one AC offered or confirmed to the client.
#[derive(Debug, Default, Clone)]
struct Offered {
    cookies: HashSet<Vec<u8>>,
    relays: HashSet<Vec<u8>>,
    max_payloads: HashSet<Vec<u8>>,
    sessions: HashSet<u16>,
}

/// Counts and findings; see the module docs.
#[derive(Debug, Default, Clone)]
pub struct Monitor {
    client: Option<MacAddr>,
    host_uniq: Option<Vec<u8>>,
    own_max_payloads: HashSet<Vec<u8>>,
    offered: HashMap<MacAddr, Offered>,
    requested: HashSet<MacAddr>,
    /// Frames seen per code name.
    pub counts: Vec<(String, u32)>,
    /// One line per PADR and PADT the client sent.
    pub client_frames: Vec<String>,
    /// The client's PADRs and PADTs as sent.
    pub padrs: Vec<Vec<u8>>,
    pub padts: Vec<Vec<u8>>,
    pub violations: Vec<String>,
}

impl Monitor {
    /// The client, once its first PADI was seen.
    pub fn client(&self) -> Option<MacAddr> {
        self.client
    }

    fn count(&mut self, what: &str) {
        match self.counts.iter_mut().find(|(name, _)| name == what) {
            Some((_, n)) => *n += 1,
            None => self.counts.push((what.to_owned(), 1)),
        }
    }

    /// Feeds one frame seen on the link (`vlan`: the tag it carried).
    pub fn observe(&mut self, bytes: &[u8], vlan: Option<u16>) {
        let Ok(frame) = DiscoveryFrame::parse(bytes) else {
            if bytes.get(12..14) == Some(&[0x88, 0x63]) {
                self.count("unparseable");
            }
            return;
        };
        self.count(&frame.code.to_string());
        if frame.code == Code::Padi && frame.dst.is_broadcast() && vlan.is_none() {
            // The first PADI names the client; later ones refresh its tags.
            if self.client.is_none_or(|c| c == frame.src) {
                self.client = Some(frame.src);
                self.host_uniq = frame.tag_value(TagType::HostUniq).map(<[u8]>::to_vec);
                self.own_max_payloads
                    .extend(frame.tag_values(TagType::PppMaxPayload).map(<[u8]>::to_vec));
            }
            return;
        }
        let Some(client) = self.client else { return };
        if frame.src == client {
            match frame.code {
                Code::Padr => self.check_padr(&frame, bytes, vlan),
                Code::Padt => self.check_padt(&frame, bytes, vlan),
                _ => {}
            }
        } else if frame.dst == client && vlan.is_none() && frame.src.is_unicast() {
            self.record_answer(&frame);
        }
    }

    fn acceptable(&self, frame: &DiscoveryFrame<'_>) -> bool {
        frame.error_tag().is_none()
            && frame.tag_value(TagType::HostUniq) == self.host_uniq.as_deref()
    }

    fn record_answer(&mut self, frame: &DiscoveryFrame<'_>) {
        if !self.acceptable(frame) {
            return;
        }
        let offered = self.offered.entry(frame.src).or_default();
        let values = |tag_type| frame.tag_values(tag_type).map(<[u8]>::to_vec);
        match frame.code {
            Code::Pado => offered.cookies.extend(values(TagType::AcCookie)),
            Code::Pads if frame.session_id != 0 && frame.session_id != 0xffff => {
                offered.sessions.insert(frame.session_id);
            }
            _ => return,
        }
        // A PADS may add or replace the relay id and agree to a payload.
        offered.relays.extend(values(TagType::RelaySessionId));
        offered.max_payloads.extend(values(TagType::PppMaxPayload));
    }

    fn describe(frame: &DiscoveryFrame<'_>) -> String {
        let mut line = format!(
            "{} from {} to {} session 0x{:x}",
            frame.code, frame.src, frame.dst, frame.session_id
        );
        for t in &frame.tags {
            let value = match t.tag_type {
                TagType::ServiceName | TagType::AcName => format!("'{}'", printable(t.value)),
                _ if t.value.len() > 24 => {
                    format!("{}… ({} bytes)", hex(&t.value[..24]), t.value.len())
                }
                _ => hex(t.value),
            };
            let _ = write!(line, " [{} {value}]", t.tag_type.name());
        }
        line
    }

    /// Every value of `tag_type` in `frame` is in `allowed`, at most one.
    fn check_echo(
        &mut self,
        frame: &DiscoveryFrame<'_>,
        tag_type: TagType,
        allowed: &HashSet<Vec<u8>>,
    ) {
        let values: Vec<&[u8]> = frame.tag_values(tag_type).collect();
        if values.len() > 1 {
            self.violations.push(format!(
                "{} to {} carries {} {} tags",
                frame.code,
                frame.dst,
                values.len(),
                tag_type.name()
            ));
        }
        for value in values {
            if !allowed.contains(value) {
                let owner = self
                    .offered
                    .iter()
                    .find(|(_, o)| {
                        o.cookies.contains(value)
                            || o.relays.contains(value)
                            || o.max_payloads.contains(value)
                    })
                    .map_or("no acceptable offer".to_owned(), |(mac, _)| {
                        format!("{mac}")
                    });
                self.violations.push(format!(
                    "{} to {} carries {} {} that {} did not offer (it came from {owner})",
                    frame.code,
                    frame.dst,
                    tag_type.name(),
                    printable(value),
                    frame.dst
                ));
            }
        }
    }

    fn check_common(&mut self, frame: &DiscoveryFrame<'_>, vlan: Option<u16>) -> Offered {
        if !frame.dst.is_unicast() {
            self.violations
                .push(format!("{} to non-unicast {}", frame.code, frame.dst));
        }
        if let Some(vid) = vlan {
            self.violations
                .push(format!("{} sent tagged for VLAN {vid}", frame.code));
        }
        let offered = self.offered.get(&frame.dst).cloned().unwrap_or_default();
        self.check_echo(frame, TagType::AcCookie, &offered.cookies);
        self.check_echo(frame, TagType::RelaySessionId, &offered.relays);
        offered
    }

    fn check_padr(&mut self, frame: &DiscoveryFrame<'_>, bytes: &[u8], vlan: Option<u16>) {
        self.client_frames.push(Monitor::describe(frame));
        self.padrs.push(bytes.to_vec());
        self.requested.insert(frame.dst);
        let offered = self.check_common(frame, vlan);
        let mut max_payloads = offered.max_payloads;
        max_payloads.extend(self.own_max_payloads.iter().cloned());
        self.check_echo(frame, TagType::PppMaxPayload, &max_payloads);
        if frame.tag_value(TagType::HostUniq) != self.host_uniq.as_deref() {
            self.violations.push(format!(
                "PADR to {} without the PADI's Host-Uniq",
                frame.dst
            ));
        }
    }

    fn check_padt(&mut self, frame: &DiscoveryFrame<'_>, bytes: &[u8], vlan: Option<u16>) {
        self.client_frames.push(Monitor::describe(frame));
        self.padts.push(bytes.to_vec());
        if !self.requested.contains(&frame.dst) {
            self.violations.push(format!(
                "PADT to {}, which the client never sent a PADR to",
                frame.dst
            ));
        }
        let offered = self.check_common(frame, vlan);
        if !offered.sessions.contains(&frame.session_id) {
            self.violations.push(format!(
                "PADT to {} for session 0x{:x}, which that AC never confirmed",
                frame.dst, frame.session_id
            ));
        }
    }

    /// `monitor: PADI 2, PADO 5, …; PADR 1, PADT 1 checked; N violation(s)`.
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        format!(
            "monitor: frames seen: {}; client PADR {}, PADT {} checked; {} violation(s)",
            if counts.is_empty() {
                "none".to_owned()
            } else {
                counts.join(", ")
            },
            self.padrs.len(),
            self.padts.len(),
            self.violations.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::{discovery, tag};

    const CLIENT: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x0c]);
    const GOOD: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x01]);
    const EVIL: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x0e]);
    const HU: &[u8] = b"hu";

    fn seen(
        monitor: &mut Monitor,
        code: Code,
        src: MacAddr,
        dst: MacAddr,
        sid: u16,
        tags: &[rs_pppoe::wire::Tag<'_>],
    ) {
        monitor.observe(&discovery(code, src, dst, sid, tags), None);
    }

    fn exchange(padr_tags: &[rs_pppoe::wire::Tag<'_>]) -> Monitor {
        let mut m = Monitor::default();
        let hu = tag(TagType::HostUniq, HU);
        seen(&mut m, Code::Padi, CLIENT, MacAddr::BROADCAST, 0, &[hu]);
        // A refused offer (error tag) with a relay id, then the good one.
        seen(
            &mut m,
            Code::Pado,
            EVIL,
            CLIENT,
            0,
            &[
                hu,
                tag(TagType::RelaySessionId, b"evil"),
                tag(TagType::GenericError, b"x"),
            ],
        );
        seen(
            &mut m,
            Code::Pado,
            GOOD,
            CLIENT,
            0,
            &[hu, tag(TagType::AcCookie, b"good")],
        );
        seen(&mut m, Code::Padr, CLIENT, GOOD, 0, padr_tags);
        seen(&mut m, Code::Pads, GOOD, CLIENT, 7, &[hu]);
        seen(
            &mut m,
            Code::Padt,
            CLIENT,
            GOOD,
            7,
            &[hu, tag(TagType::AcCookie, b"good")],
        );
        m
    }

    #[test]
    fn a_clean_exchange_has_no_violation() {
        let hu = tag(TagType::HostUniq, HU);
        let m = exchange(&[hu, tag(TagType::AcCookie, b"good")]);
        assert_eq!(m.violations, Vec::<String>::new());
        assert_eq!((m.padrs.len(), m.padts.len()), (1, 1));
    }

    #[test]
    fn a_relay_id_from_a_refused_offer_is_caught() {
        let hu = tag(TagType::HostUniq, HU);
        let m = exchange(&[
            hu,
            tag(TagType::AcCookie, b"good"),
            tag(TagType::RelaySessionId, b"evil"),
        ]);
        assert_eq!(m.violations.len(), 1, "{:?}", m.violations);
        assert!(
            m.violations[0].contains("Relay-Session-Id evil"),
            "{:?}",
            m.violations
        );
    }

    #[test]
    fn a_padt_for_a_session_nobody_confirmed_is_caught() {
        let mut m = exchange(&[tag(TagType::HostUniq, HU), tag(TagType::AcCookie, b"good")]);
        seen(&mut m, Code::Padt, CLIENT, GOOD, 8, &[]);
        seen(&mut m, Code::Padt, CLIENT, EVIL, 7, &[]);
        assert_eq!(m.violations.len(), 3, "{:?}", m.violations);
    }
}
