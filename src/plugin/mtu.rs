//! MTU/MRU rules, as pppd 2.5.3's plugin applies them (RFC 2516, RFC 4638),
//! for every pppd version.
//!
//! 1. `check_options`: the configured values (pppd's `mru`/`mtu` options)
//!    are remembered as they are. pppd 2.4.9 … 2.5.2's plugins capped both
//!    at 1500 here, which made RFC 4638 jumbo sessions impossible; 2.5.3
//!    dropped that cap and so do we.
//! 2. Each connect starts again from the remembered values (a small
//!    PPP-Max-Payload from an earlier session must not stick), capped at the
//!    interface MTU − 8.
//! 3. PPP-Max-Payload is advertised in the PADI when both are above 1492;
//!    the PADR's value is lowered to the chosen PADO's (discovery does that).
//! 4. After PADS, both are capped at the payload the AC agreed to, or at
//!    1492 when it agreed to none.
//!
//! So with pppd's defaults (`mru` 1500) nothing changes: 1492 on a plain
//! Ethernet link, 1500 on a baby-jumbo (1508) link whose AC agrees. Only a
//! user who sets `mru`/`mtu` above 1500 on a jumbo-frame link asks for more.

use super::host::LcpMru;
use crate::discovery::DEFAULT_MAX_PAYLOAD;

/// PPPoE header (6) + PPP protocol field (2).
pub const PPPOE_OVERHEAD: u32 = 8;
/// The interface MTU below which pppd's plugin warns: RFC 2516's 1500.
pub const MIN_INTERFACE_MTU: u32 = 1500;

/// pppd's two error lines for an interface whose MTU is below 1500, word
/// for word (logged at every discovery, as pppd's plugin does).
pub fn interface_mtu_warning(interface: &str, interface_mtu: u32) -> Option<[String; 2]> {
    (interface_mtu < MIN_INTERFACE_MTU).then(|| {
        [
            format!(
                "Interface {interface} has MTU of {interface_mtu} -- should be at least \
                 {MIN_INTERFACE_MTU}."
            ),
            "This may cause serious connection problems.".to_owned(),
        ]
    })
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
        let on_link = cap_to_interface(PPPD_DEFAULT, 1500);
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
        let on_link = cap_to_interface(PPPD_DEFAULT, 1508);
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
        let on_link = cap_to_interface(PPPD_DEFAULT, 9000);
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
        let on_link = cap_to_interface(user, 1500);
        assert_eq!(on_link, user);
        assert_eq!(max_payload_to_advertise(on_link), None);
        assert_eq!(cap_to_session(on_link, 1492), user);
    }

    #[test]
    fn pppd_defaults_on_a_jumbo_link_still_ask_for_1500_only() {
        // `mru` 1500 is pppd's default: the PADI asks for 1500, and an AC
        // agreeing to more does not raise what we receive.
        let on_link = cap_to_interface(PPPD_DEFAULT, 9000);
        assert_eq!(max_payload_to_advertise(on_link), Some(1500));
        assert_eq!(cap_to_session(on_link, 9000).want_mru, 1500);
    }

    #[test]
    fn rfc4638_above_1500_when_configured_on_a_jumbo_link_and_the_ac_agrees() {
        // `mru 9000 mtu 9000` on a 9000-byte link, as pppd 2.5.3 allows.
        let user = LcpMru {
            want_mru: 9000,
            allow_mtu: 9000,
        };
        let on_link = cap_to_interface(user, 9000);
        assert_eq!(
            on_link,
            LcpMru {
                want_mru: 8992,
                allow_mtu: 8992
            }
        );
        assert_eq!(max_payload_to_advertise(on_link), Some(8992));
        assert_eq!(
            cap_to_session(on_link, 8992),
            on_link,
            "the AC agreed: jumbo PPP"
        );
        assert_eq!(
            cap_to_session(on_link, 1500),
            LcpMru {
                want_mru: 1500,
                allow_mtu: 1500
            },
            "the AC agreed to less"
        );
        assert_eq!(
            cap_to_session(on_link, DEFAULT_MAX_PAYLOAD),
            LcpMru {
                want_mru: 1492,
                allow_mtu: 1492
            },
            "no answer: RFC 4638's 1492"
        );
    }

    #[test]
    fn an_interface_mtu_below_1500_gets_pppds_two_error_lines() {
        assert_eq!(interface_mtu_warning("eth0", 1500), None);
        assert_eq!(interface_mtu_warning("eth0", 9000), None);
        assert_eq!(
            interface_mtu_warning("eth0", 1492),
            Some([
                "Interface eth0 has MTU of 1492 -- should be at least 1500.".to_owned(),
                "This may cause serious connection problems.".to_owned()
            ])
        );
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
