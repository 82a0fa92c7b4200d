//! The frames discovery sends: PADI, PADR and PADT, built from the
//! configuration and the chosen offer only.

use super::config::Config;
use super::policy::Offer;
use crate::wire::{Code, DiscoveryFrame, MacAddr, Tag, TagType};

/// A configuration's PPP-Max-Payload as the tag value, big-endian (the
/// frames borrow their tag values).
pub(super) fn max_payload_value(config: &Config) -> [u8; 2] {
    config.max_payload.unwrap_or(0).to_be_bytes()
}

/// Tags PADI and PADR share: Service-Name, Host-Uniq, PPP-Max-Payload (if
/// above 1492), in pppd's order.
fn common_tags<'a>(config: &'a Config, max_payload: &'a [u8; 2]) -> Vec<Tag<'a>> {
    let mut tags = vec![
        Tag::new(TagType::ServiceName, &config.service_name),
        Tag::new(TagType::HostUniq, &config.host_uniq),
    ];
    if config.advertised_max_payload().is_some() {
        tags.push(Tag::new(TagType::PppMaxPayload, max_payload));
    }
    tags
}

/// PADI: broadcast, Service-Name, Host-Uniq, PPP-Max-Payload (if > 1492).
pub(super) fn padi<'a>(config: &'a Config, max_payload: &'a [u8; 2]) -> DiscoveryFrame<'a> {
    DiscoveryFrame {
        dst: MacAddr::BROADCAST,
        src: config.our_mac,
        code: Code::Padi,
        session_id: 0,
        tags: common_tags(config, max_payload),
    }
}

/// PADR: to the chosen AC, PADI's tags plus that offer's cookie and relay
/// id.
pub(super) fn padr<'a>(
    config: &'a Config,
    max_payload: &'a [u8; 2],
    offer: &'a Offer,
) -> DiscoveryFrame<'a> {
    let mut tags = common_tags(config, max_payload);
    if let Some(cookie) = &offer.cookie {
        tags.push(Tag::new(TagType::AcCookie, cookie));
    }
    if let Some(relay) = &offer.relay_id {
        tags.push(Tag::new(TagType::RelaySessionId, relay));
    }
    DiscoveryFrame {
        dst: offer.ac_mac,
        src: config.our_mac,
        code: Code::Padr,
        session_id: 0,
        tags,
    }
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
