//! The frames discovery sends: PADI, PADR and PADT, built from the
//! configuration and the chosen offer only.

use super::config::Config;
use super::policy::Offer;
use crate::wire::{Code, DiscoveryFrame, MacAddr, Tag, TagType};

/// Tags PADI and PADR share, in pppd's order: Service-Name (unless
/// `service` is `None`), Host-Uniq, PPP-Max-Payload (if given). The frames
/// borrow their tag values, so the caller owns the big-endian payload value.
fn common_tags<'a>(
    config: &'a Config,
    service: Option<&'a [u8]>,
    max_payload: Option<&'a [u8; 2]>,
) -> Vec<Tag<'a>> {
    let mut tags = Vec::with_capacity(5);
    if let Some(service) = service {
        tags.push(Tag::new(TagType::ServiceName, service));
    }
    tags.push(Tag::new(TagType::HostUniq, &config.host_uniq));
    if let Some(value) = max_payload {
        tags.push(Tag::new(TagType::PppMaxPayload, value));
    }
    tags
}

/// PADI: broadcast, Service-Name (none with
/// [`Config::omit_service_name`]), Host-Uniq, PPP-Max-Payload (the
/// big-endian [`Config::advertised_max_payload`], if any).
pub(super) fn padi<'a>(config: &'a Config, max_payload: Option<&'a [u8; 2]>) -> DiscoveryFrame<'a> {
    let service = (!config.omit_service_name).then_some(config.service_name.as_slice());
    DiscoveryFrame {
        dst: MacAddr::BROADCAST,
        src: config.our_mac,
        code: Code::Padi,
        session_id: 0,
        tags: common_tags(config, service, max_payload),
    }
}

/// PADR: to the chosen AC, always with a Service-Name (RFC 2516 requires
/// one; [`Config::requested_service`]), Host-Uniq, PPP-Max-Payload (the
/// big-endian [`Config::requested_max_payload`], if any), then that offer's
/// cookie and relay id.
pub(super) fn padr<'a>(
    config: &'a Config,
    max_payload: Option<&'a [u8; 2]>,
    offer: &'a Offer,
) -> DiscoveryFrame<'a> {
    let service = config.requested_service(&offer.service_names);
    let mut tags = common_tags(config, Some(service), max_payload);
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

/// The PPPoE payload length of the PADR `config` would send to `offer`:
/// our tags plus the offer's AC-Cookie and Relay-Session-Id, which an AC
/// can make long enough that an offer fitting in its PADO yields a PADR
/// that does not fit in a frame.
pub(super) fn padr_payload_len(config: &Config, offer: &Offer) -> usize {
    let max_payload = config
        .requested_max_payload(offer.max_payload)
        .map(u16::to_be_bytes);
    padr(config, max_payload.as_ref(), offer).payload_len()
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
