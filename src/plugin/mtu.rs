//! MTU/MRU rules, as the reference plugin applies them (RFC 2516, RFC 4638).
//!
//! 1. `check_options`: the configured values are capped at 1500 (pppd
//!    2.4.9–2.5.2 do this) and remembered.
//! 2. Each connect starts again from the remembered values (a small
//!    PPP-Max-Payload from an earlier session must not stick), capped at the
//!    interface MTU − 8.
//! 3. PPP-Max-Payload is advertised in PADI/PADR when both are above 1492.
//! 4. After PADS, both are capped at the payload the AC agreed to, or at
//!    1492 when it agreed to none.

use super::host::LcpMru;
use crate::discovery::DEFAULT_MAX_PAYLOAD;

/// Largest PPP MTU/MRU the plugin configures: 1508 (Ethernet MTU with
/// PPPoE's usual baby-jumbo room) − 8.
pub const MAX_PPPOE_MTU: i32 = 1500;
/// PPPoE header (6) + PPP protocol field (2).
pub const PPPOE_OVERHEAD: u32 = 8;

/// Step 1: the configured values, capped.
pub fn cap_configured(mru: LcpMru) -> LcpMru {
    cap(mru, MAX_PPPOE_MTU)
}

/// Step 2: what the interface can carry.
pub fn cap_to_interface(mru: LcpMru, interface_mtu: u32) -> LcpMru {
    let limit = i32::try_from(interface_mtu.saturating_sub(PPPOE_OVERHEAD)).unwrap_or(i32::MAX);
    cap(mru, limit)
}

/// Step 3: the PPP-Max-Payload to advertise, if any.
pub fn max_payload_to_advertise(mru: LcpMru) -> Option<u16> {
    let smaller = mru.want_mru.min(mru.allow_mtu);
    u16::try_from(smaller)
        .ok()
        .filter(|&v| v > DEFAULT_MAX_PAYLOAD)
}

/// Step 4: what the session allows (`payload_limit`: the agreed
/// PPP-Max-Payload, else 1492).
pub fn cap_to_session(mru: LcpMru, payload_limit: u16) -> LcpMru {
    cap(mru, i32::from(payload_limit))
}

fn cap(mru: LcpMru, limit: i32) -> LcpMru {
    LcpMru {
        want_mru: mru.want_mru.min(limit),
        allow_mtu: mru.allow_mtu.min(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pppd's defaults: `mru` 1500, `mtu` (allow) 16384.
    const PPPD_DEFAULT: LcpMru = LcpMru {
        want_mru: 1500,
        allow_mtu: 16384,
    };

    #[test]
    fn pppd_defaults_on_a_1500_byte_ethernet_end_at_1492_without_rfc4638() {
        let configured = cap_configured(PPPD_DEFAULT);
        assert_eq!(
            configured,
            LcpMru {
                want_mru: 1500,
                allow_mtu: 1500
            }
        );
        let on_link = cap_to_interface(configured, 1500);
        assert_eq!(
            on_link,
            LcpMru {
                want_mru: 1492,
                allow_mtu: 1492
            }
        );
        assert_eq!(max_payload_to_advertise(on_link), None);
        assert_eq!(
            cap_to_session(on_link, DEFAULT_MAX_PAYLOAD),
            LcpMru {
                want_mru: 1492,
                allow_mtu: 1492
            }
        );
    }

    #[test]
    fn baby_jumbo_link_advertises_and_keeps_1500_when_the_ac_agrees() {
        let on_link = cap_to_interface(cap_configured(PPPD_DEFAULT), 1508);
        assert_eq!(max_payload_to_advertise(on_link), Some(1500));
        assert_eq!(
            cap_to_session(on_link, 1500),
            LcpMru {
                want_mru: 1500,
                allow_mtu: 1500
            }
        );
    }

    #[test]
    fn baby_jumbo_link_falls_back_to_1492_when_the_ac_does_not_echo() {
        let on_link = cap_to_interface(cap_configured(PPPD_DEFAULT), 9000);
        assert_eq!(
            cap_to_session(on_link, DEFAULT_MAX_PAYLOAD),
            LcpMru {
                want_mru: 1492,
                allow_mtu: 1492
            }
        );
    }

    #[test]
    fn smaller_user_settings_are_kept() {
        let user = LcpMru {
            want_mru: 1400,
            allow_mtu: 1450,
        };
        let on_link = cap_to_interface(cap_configured(user), 1500);
        assert_eq!(on_link, user);
        assert_eq!(max_payload_to_advertise(on_link), None);
        assert_eq!(cap_to_session(on_link, 1492), user);
    }

    #[test]
    fn a_tiny_interface_mtu_does_not_underflow() {
        assert_eq!(
            cap_to_interface(PPPD_DEFAULT, 4),
            LcpMru {
                want_mru: 0,
                allow_mtu: 0
            }
        );
    }
}
