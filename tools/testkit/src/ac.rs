//! The hostile access concentrator: how it answers a client's PADI and
//! PADR in each [`Case`], as pure functions from the client's frame to the
//! frames to send back.
//!
//! It plays two MACs besides whatever runs on the interface:
//! [`HOSTILE`] (the AC of every case) and [`OTHER`] (a second AC for tag
//! mixing and forged PADS). In the *refused* cases every offer it makes
//! must be refused and a real AC next to it (pppoe-server) must win; in the
//! *chosen* cases it is the only AC and confirms the session itself.

use std::time::Duration;

use rs_pppoe::wire::{Code, DiscoveryFrame, MAX_PPPOE_PAYLOAD, MacAddr, TagType};

use crate::frames::{
    discovery, max_payload, tag, tagged, with_length, with_raw_tail, with_ver_type,
};
use crate::monitor::Monitor;
use crate::sys::RawSocket;

/// The hostile AC's MAC.
pub const HOSTILE: MacAddr = MacAddr([0x02, 0xba, 0xd0, 0x00, 0x00, 0x0a]);
/// The second hostile AC's MAC.
pub const OTHER: MacAddr = MacAddr([0x02, 0xba, 0xd0, 0x00, 0x00, 0x0b]);
/// The session id a chosen hostile AC confirms.
pub const SESSION_ID: u16 = 0x1234;
/// A session id that looks plausible but is never confirmed by the AC the
/// client chose (forged PADS, foreign PADT).
pub const FORGED_SESSION_ID: u16 = 0x0bad;
/// The VLAN of the tagged offers.
pub const VLAN: u16 = 7;
/// The AC-Name the tag-mixing offer uses, which a client asking for
/// another AC refuses.
pub const EVIL_NAME: &[u8] = b"evil-ac";
/// Values that may appear in a PADR or PADT only if the client chose the AC
/// that sent them (the monitor checks where they go).
pub const EVIL_COOKIE: &[u8] = b"cookie-of-evil-ac";
pub const EVIL_RELAY: &[u8] = b"relay-of-evil-ac";
pub const EVIL_MAX_PAYLOAD: u16 = 1497;
pub const OTHER_COOKIE: &[u8] = b"cookie-of-other-ac";
pub const OTHER_RELAY: &[u8] = b"relay-of-other-ac";
pub const OTHER_MAX_PAYLOAD: u16 = 1498;
/// The values a chosen hostile AC repeats after the first of each.
pub const SECOND_COOKIE: &[u8] = b"second-cookie";
pub const SECOND_RELAY: &[u8] = b"second-relay";

/// One way of being hostile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// Offers with our Host-Uniq altered, missing, or hidden after an
    /// End-Of-List tag.
    WrongHostUniq,
    /// Offers from the broadcast MAC and from a multicast MAC.
    NonUnicastSource,
    /// Offers with each of the three error tags (text with control and
    /// non-ASCII bytes), each also carrying a cookie, a relay id and
    /// PPP-Max-Payload.
    ErrorTags,
    /// A tag whose length runs past the payload, a LENGTH field longer than
    /// the frame, a payload that ends inside a tag header, version/type 0x21.
    Malformed,
    /// Host-Uniq twice: another value first, ours second.
    RepeatedHostUniq,
    /// Two ACs whose offers carry cookies, relay ids and PPP-Max-Payload
    /// but are refused (another AC-Name; an error tag): none of it may
    /// reach the PADR to the AC that wins (CVE-2022-29867 class).
    TagMixing,
    /// A PADT to us from a foreign MAC while we wait for offers.
    PadtInDiscovery,
    /// An otherwise acceptable offer tagged for VLAN 7.
    VlanTagged,
    /// An offer (empty AC-Name, long cookie) whose PADR would not fit in a
    /// frame when the client sends PPP-Max-Payload.
    OverLong,
    /// Chosen: every tag of the offer twice (AC-Name, Service-Name,
    /// AC-Cookie, Relay-Session-Id, PPP-Max-Payload); only the first of
    /// each may be echoed, once.
    RepeatedTags,
    /// Chosen: the PADR is answered with PADS from another AC, with
    /// session 0 and 0xFFFF, with an error tag and with a wrong Host-Uniq,
    /// then with a good PADS for [`SESSION_ID`].
    BadPads,
    /// Chosen: an offer of the largest size a frame holds (the cookie
    /// fills it); its PADR, without PPP-Max-Payload, still fits.
    MaxSize,
}

impl Case {
    pub const ALL: [Case; 12] = [
        Case::WrongHostUniq,
        Case::NonUnicastSource,
        Case::ErrorTags,
        Case::Malformed,
        Case::RepeatedHostUniq,
        Case::TagMixing,
        Case::PadtInDiscovery,
        Case::VlanTagged,
        Case::OverLong,
        Case::RepeatedTags,
        Case::BadPads,
        Case::MaxSize,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Case::WrongHostUniq => "wrong-host-uniq",
            Case::NonUnicastSource => "non-unicast-source",
            Case::ErrorTags => "error-tags",
            Case::Malformed => "malformed",
            Case::RepeatedHostUniq => "repeated-host-uniq",
            Case::TagMixing => "tag-mixing",
            Case::PadtInDiscovery => "padt-in-discovery",
            Case::VlanTagged => "vlan-tagged",
            Case::OverLong => "over-long",
            Case::RepeatedTags => "repeated-tags",
            Case::BadPads => "bad-pads",
            Case::MaxSize => "max-size",
        }
    }

    pub fn from_name(name: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|case| case.name() == name)
    }

    /// Whether every client refuses this case's offers, so that a real AC
    /// next to the kit wins (all but the chosen cases and
    /// [`Case::OverLong`], refused only by a client sending
    /// PPP-Max-Payload; [`Case::TagMixing`]'s first offer is refused only by
    /// a client asking for another AC-Name).
    pub fn refused(self) -> bool {
        !self.chosen() && self != Case::OverLong
    }

    /// Whether a client may choose this AC (it then answers the PADR).
    pub fn chosen(self) -> bool {
        matches!(self, Case::RepeatedTags | Case::BadPads | Case::MaxSize)
    }
}

/// What the kit needs of a client's PADI or PADR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub client: MacAddr,
    /// The first Host-Uniq tag's value (the kit answers with it).
    pub host_uniq: Option<Vec<u8>>,
    /// The first Service-Name tag's value.
    pub service: Vec<u8>,
}

impl Request {
    pub fn of(frame: &DiscoveryFrame<'_>) -> Request {
        Request {
            client: frame.src,
            host_uniq: frame.tag_value(TagType::HostUniq).map(<[u8]>::to_vec),
            service: frame
                .tag_value(TagType::ServiceName)
                .unwrap_or_default()
                .to_vec(),
        }
    }

    fn host_uniq(&self) -> &[u8] {
        self.host_uniq.as_deref().unwrap_or_default()
    }

    /// Our Host-Uniq with its last byte changed (or one byte if empty).
    fn wrong_host_uniq(&self) -> Vec<u8> {
        let mut wrong = self.host_uniq().to_vec();
        match wrong.last_mut() {
            Some(last) => *last ^= 0xff,
            None => wrong.push(0xff),
        }
        wrong
    }
}

/// The frames answering a PADI in `case`; `ac_name` is the AC-Name of the
/// offers whose only fault is the case's.
pub fn answer_padi(case: Case, ac_name: &[u8], req: &Request) -> Vec<Vec<u8>> {
    let to = req.client;
    let hu = req.host_uniq();
    let service = req.service.as_slice();
    let pado = |src: MacAddr, tags: &[_]| discovery(Code::Pado, src, to, 0, tags);
    let sn = tag(TagType::ServiceName, service);
    let name = tag(TagType::AcName, ac_name);
    let ours = tag(TagType::HostUniq, hu);
    let cookie = tag(TagType::AcCookie, EVIL_COOKIE);
    let relay = tag(TagType::RelaySessionId, EVIL_RELAY);
    let evil_max = max_payload(EVIL_MAX_PAYLOAD);
    let other_max = max_payload(OTHER_MAX_PAYLOAD);
    match case {
        Case::WrongHostUniq => {
            let wrong = req.wrong_host_uniq();
            vec![
                pado(HOSTILE, &[sn, name, tag(TagType::HostUniq, &wrong), cookie]),
                pado(HOSTILE, &[sn, name, cookie]),
                pado(
                    HOSTILE,
                    &[sn, name, tag(TagType::EndOfList, b""), ours, cookie],
                ),
            ]
        }
        Case::NonUnicastSource => vec![
            pado(MacAddr::BROADCAST, &[sn, name, ours, cookie]),
            pado(
                MacAddr([0x01, 0x00, 0x5e, 0x00, 0x00, 0x0a]),
                &[sn, name, ours, cookie],
            ),
        ],
        Case::ErrorTags => [
            (TagType::ServiceNameError, &b"no such service\n"[..]),
            (TagType::AcSystemError, b"out of sessions\x1b[2J\x00"),
            (TagType::GenericError, b"\xe6\x95\x85\xe9\x9a\x9c \\ busy"),
        ]
        .into_iter()
        .map(|(error, text)| {
            let max = tag(TagType::PppMaxPayload, &evil_max);
            pado(
                HOSTILE,
                &[sn, name, ours, cookie, relay, max, tag(error, text)],
            )
        })
        .collect(),
        Case::Malformed => {
            let good = pado(HOSTILE, &[sn, name, ours, cookie]);
            vec![
                // An AC-Cookie header claiming 200 bytes, 3 present.
                with_raw_tail(good.clone(), &[0x01, 0x04, 0x00, 0xc8, b'a', b'b', b'c']),
                with_length(good.clone(), 1400),
                with_raw_tail(good.clone(), &[0x01, 0x04]),
                with_ver_type(good, 0x21),
            ]
        }
        Case::RepeatedHostUniq => {
            let wrong = req.wrong_host_uniq();
            vec![pado(
                HOSTILE,
                &[sn, name, tag(TagType::HostUniq, &wrong), ours, cookie],
            )]
        }
        Case::TagMixing => vec![
            pado(
                HOSTILE,
                &[
                    sn,
                    tag(TagType::AcName, EVIL_NAME),
                    ours,
                    cookie,
                    relay,
                    tag(TagType::PppMaxPayload, &evil_max),
                ],
            ),
            pado(
                OTHER,
                &[
                    sn,
                    name,
                    ours,
                    tag(TagType::AcCookie, OTHER_COOKIE),
                    tag(TagType::RelaySessionId, OTHER_RELAY),
                    tag(TagType::PppMaxPayload, &other_max),
                    tag(TagType::GenericError, b"try the other one"),
                ],
            ),
        ],
        Case::PadtInDiscovery => vec![
            discovery(Code::Padt, HOSTILE, to, FORGED_SESSION_ID, &[ours]),
            discovery(
                Code::Padt,
                OTHER,
                to,
                0,
                &[tag(TagType::GenericError, b"bye")],
            ),
        ],
        Case::VlanTagged => vec![tagged(&pado(HOSTILE, &[sn, name, ours, cookie]), VLAN)],
        Case::OverLong => {
            // Payload of the offer: exactly a frame's worth. Its PADR drops
            // the AC-Name (4 bytes here) but adds PPP-Max-Payload (6).
            let fixed = [sn, tag(TagType::AcName, b""), ours, relay]
                .iter()
                .map(|t| t.wire_len())
                .sum::<usize>();
            let long = vec![b'L'; MAX_PPPOE_PAYLOAD - fixed - 4];
            vec![pado(
                HOSTILE,
                &[
                    sn,
                    tag(TagType::AcName, b""),
                    ours,
                    relay,
                    tag(TagType::AcCookie, &long),
                ],
            )]
        }
        Case::RepeatedTags => vec![pado(
            HOSTILE,
            &[
                sn,
                tag(TagType::ServiceName, b"second-service"),
                name,
                tag(TagType::AcName, b"second-name"),
                ours,
                cookie,
                tag(TagType::AcCookie, SECOND_COOKIE),
                relay,
                tag(TagType::RelaySessionId, SECOND_RELAY),
                tag(TagType::PppMaxPayload, &evil_max),
                tag(TagType::PppMaxPayload, &other_max),
            ],
        )],
        Case::BadPads => vec![pado(HOSTILE, &[sn, name, ours, cookie, relay])],
        Case::MaxSize => {
            let fixed = [sn, name, ours].iter().map(|t| t.wire_len()).sum::<usize>();
            let long = vec![b'M'; MAX_PPPOE_PAYLOAD - fixed - 4];
            vec![pado(
                HOSTILE,
                &[sn, name, ours, tag(TagType::AcCookie, &long)],
            )]
        }
    }
}

/// The frames answering a PADR to [`HOSTILE`] in `case` (none unless the
/// case is one where the client may choose us).
pub fn answer_padr(case: Case, req: &Request) -> Vec<Vec<u8>> {
    if !case.chosen() {
        return Vec::new();
    }
    let to = req.client;
    let sn = tag(TagType::ServiceName, &req.service);
    let ours = tag(TagType::HostUniq, req.host_uniq());
    let pads =
        |src: MacAddr, session: u16, tags: &[_]| discovery(Code::Pads, src, to, session, tags);
    let good = pads(HOSTILE, SESSION_ID, &[sn, ours]);
    match case {
        Case::BadPads => {
            let wrong = req.wrong_host_uniq();
            vec![
                pads(OTHER, FORGED_SESSION_ID, &[sn, ours]),
                pads(HOSTILE, 0, &[sn, ours]),
                pads(HOSTILE, 0xffff, &[sn, ours]),
                pads(
                    HOSTILE,
                    FORGED_SESSION_ID,
                    &[sn, ours, tag(TagType::ServiceNameError, b"not today")],
                ),
                pads(
                    HOSTILE,
                    FORGED_SESSION_ID,
                    &[sn, tag(TagType::HostUniq, &wrong)],
                ),
                good,
            ]
        }
        _ => vec![good],
    }
}

/// What the hostile AC is told to do.
#[derive(Debug, Clone)]
pub struct Script {
    pub cases: Vec<Case>,
    /// AC-Name of offers whose only fault is the case's.
    pub ac_name: Vec<u8>,
    /// How many PADIs to answer (later ones are left to a real AC).
    pub answers: u32,
}

/// Runs the hostile AC on `socket` until `stop` says so: answers PADIs
/// and PADRs as the script says, feeds every discovery frame on the link
/// to a [`Monitor`], and tells `say` what happened, one line at a time.
pub fn serve(
    socket: &RawSocket,
    script: &Script,
    stop: &dyn Fn() -> bool,
    say: &mut dyn FnMut(&str),
) -> std::io::Result<Monitor> {
    let mut monitor = Monitor::default();
    let mut buf = [0u8; 2048];
    let mut answered = 0u32;
    let mut reported = 0;
    while !stop() {
        let Some(received) = socket.recv(&mut buf, Duration::from_millis(50))? else {
            continue;
        };
        let bytes = &buf[..received.len];
        monitor.observe(bytes, received.vlan);
        for line in &monitor.client_frames[reported..] {
            say(&format!("client sent {line}"));
        }
        reported = monitor.client_frames.len();
        if received.outgoing || received.vlan.is_some() {
            continue;
        }
        let Ok(frame) = DiscoveryFrame::parse(bytes) else {
            continue;
        };
        let replies: Vec<Vec<u8>> = match frame.code {
            Code::Padi if frame.dst.is_broadcast() && answered < script.answers => {
                answered += 1;
                let request = Request::of(&frame);
                let replies: Vec<Vec<u8>> = script
                    .cases
                    .iter()
                    .flat_map(|&case| answer_padi(case, &script.ac_name, &request))
                    .collect();
                say(&format!(
                    "answered PADI {answered} from {} with {} frame(s)",
                    frame.src,
                    replies.len()
                ));
                replies
            }
            Code::Padr if frame.dst == HOSTILE => {
                let request = Request::of(&frame);
                let replies: Vec<Vec<u8>> = script
                    .cases
                    .iter()
                    .flat_map(|&case| answer_padr(case, &request))
                    .collect();
                say(&format!(
                    "answered PADR from {} with {} PADS",
                    frame.src,
                    replies.len()
                ));
                replies
            }
            _ => Vec::new(),
        };
        for reply in &replies {
            socket.send(reply)?;
            monitor.observe(reply, None);
        }
    }
    for violation in &monitor.violations {
        say(&format!("violation: {violation}"));
    }
    say(&monitor.summary());
    Ok(monitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rs_pppoe::wire::{Error, MAX_PPPOE_PAYLOAD};

    fn request() -> Request {
        Request {
            client: MacAddr([2, 0, 0, 0, 0, 0x0c]),
            host_uniq: Some(vec![0x72, 0x73, 0x70, 0x70]),
            service: Vec::new(),
        }
    }

    #[test]
    fn every_case_has_a_name_that_parses_back() {
        for case in Case::ALL {
            assert_eq!(Case::from_name(case.name()), Some(case));
        }
        assert_eq!(Case::from_name("nope"), None);
    }

    #[test]
    fn malformed_offers_fail_to_parse_each_for_its_own_reason() {
        let frames = answer_padi(Case::Malformed, b"ac", &request());
        let errors: Vec<Error> = frames
            .iter()
            .map(|f| DiscoveryFrame::parse(f).expect_err("malformed"))
            .collect();
        assert!(matches!(errors[0], Error::TagOverrun { .. }), "{errors:?}");
        assert!(matches!(
            errors[1],
            Error::LengthExceedsFrame { length: 1400, .. }
        ));
        assert!(matches!(errors[2], Error::TagOverrun { .. }));
        assert_eq!(errors[3], Error::BadVersionType(0x21));
    }

    #[test]
    fn size_cases_fill_a_frame_exactly() {
        for case in [Case::OverLong, Case::MaxSize] {
            let frames = answer_padi(case, b"ac", &request());
            let pado = DiscoveryFrame::parse(&frames[0]).expect("parses");
            assert_eq!(pado.payload_len(), MAX_PPPOE_PAYLOAD, "{case:?}");
        }
    }

    #[test]
    fn only_chosen_cases_answer_a_padr_and_bad_pads_ends_with_a_good_one() {
        for case in Case::ALL {
            assert_eq!(!answer_padr(case, &request()).is_empty(), case.chosen());
        }
        let answers = answer_padr(Case::BadPads, &request());
        let last = DiscoveryFrame::parse(answers.last().expect("answers")).expect("parses");
        assert_eq!((last.src, last.session_id), (HOSTILE, SESSION_ID));
        assert_eq!(last.tag_value(TagType::HostUniq), Some(&b"rspp"[..]));
    }
}
