//! The plugin's pppd options, checked.
//!
//! pppd stores the raw option values (the C shim owns the slots, see
//! `c-shim/shim.c`); [`PluginOptions::from_raw`] turns them into checked
//! values once, in pppd's `check_options` phase, after *all* option sources
//! have been read. That is what makes the options independent of their
//! order: the reference plugin sampled some of them when it saw the
//! interface name and silently ignored later ones.
//!
//! Every value is range-checked; a bad one is an [`OptionError`], which the
//! shim turns into pppd's option-error exit (status 2).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::discovery::{HostUniq, Settings};
use crate::wire::{MAX_PADI_PACKET_LEN, MacAddr, PPPOE_HEADER_LEN};

/// `pppoe-padi-timeout` range, in seconds (pppd's default is 5).
pub const PADI_TIMEOUT_RANGE: std::ops::RangeInclusive<i32> = 1..=3600;
/// `pppoe-padi-attempts` range (pppd's default is 3).
pub const PADI_ATTEMPTS_RANGE: std::ops::RangeInclusive<i32> = 1..=16;
/// `pppoe-verbose` range.
pub const VERBOSE_RANGE: std::ops::RangeInclusive<i32> = 0..=2;
/// Session ids a `pppoe-sess` value may name: RFC 2516 reserves 0 and 0xFFFF.
pub const SESSION_ID_RANGE: std::ops::RangeInclusive<u32> = 1..=0xFFFE;

/// Tag header size (type + length).
const TAG_HEADER_LEN: usize = 4;
/// Room a PADI has for the Service-Name and Host-Uniq values together: the
/// PADI limit minus the PPPoE header, the two tag headers and a
/// PPP-Max-Payload tag (4 + 2).
pub const PADI_ROOM_FOR_SERVICE_AND_HOST_UNIQ: usize =
    MAX_PADI_PACKET_LEN - PPPOE_HEADER_LEN - 2 * TAG_HEADER_LEN - (TAG_HEADER_LEN + 2);

/// The option values as pppd stored them (`None`: not given). Strings are
/// raw bytes: pppd does not promise UTF-8.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOptions {
    /// `pppoe-service` / `rp_pppoe_service`.
    pub service: Option<Vec<u8>>,
    /// `pppoe-ac` / `rp_pppoe_ac`.
    pub ac_name: Option<Vec<u8>>,
    /// `pppoe-sess` / `rp_pppoe_sess`: `<session id>:<AC MAC>`.
    pub existing_session: Option<Vec<u8>>,
    /// `pppoe-mac`: only accept offers from this AC MAC.
    pub ac_mac: Option<Vec<u8>>,
    /// `pppoe-host-uniq` / `host-uniq`: hex.
    pub host_uniq: Option<Vec<u8>>,
    /// `pppoe-verbose` / `rp_pppoe_verbose`.
    pub verbose: i32,
    /// `pppoe-padi-timeout`, seconds.
    pub padi_timeout: i32,
    /// `pppoe-padi-attempts`.
    pub padi_attempts: i32,
}

impl RawOptions {
    /// pppd's defaults: nothing given, timeout 5 s, 3 attempts.
    pub fn defaults() -> RawOptions {
        RawOptions {
            padi_timeout: 5,
            padi_attempts: 3,
            ..RawOptions::default()
        }
    }
}

/// A `pppoe-sess` value: attach to a session that already exists (what
/// `pppoe-server -k` passes to the pppd it starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExistingSession {
    /// The PPPoE session id.
    pub session_id: u16,
    /// The peer's MAC.
    pub peer_mac: MacAddr,
}

/// Checked plugin options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginOptions {
    /// `pppoe-service`, `pppoe-ac`, `pppoe-mac`, `pppoe-host-uniq`,
    /// `pppoe-padi-timeout`, `pppoe-padi-attempts`: what discovery asks
    /// for (the same settings `rs-pppoe-discovery`'s flags give).
    pub discovery: Settings,
    /// Skip discovery and attach to this session.
    pub existing_session: Option<ExistingSession>,
    /// 0 quiet, 1 log offers, 2 also log rejected frames.
    pub verbose: u8,
}

/// A bad option value; the message names the option and what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError(pub String);

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptionError {}

impl PluginOptions {
    /// Checks every value; the first bad one is the error.
    pub fn from_raw(raw: &RawOptions) -> Result<PluginOptions, OptionError> {
        let verbose = in_range("pppoe-verbose", raw.verbose, VERBOSE_RANGE)?;
        let padi_timeout = in_range("pppoe-padi-timeout", raw.padi_timeout, PADI_TIMEOUT_RANGE)?;
        let padi_attempts = in_range(
            "pppoe-padi-attempts",
            raw.padi_attempts,
            PADI_ATTEMPTS_RANGE,
        )?;

        let ac_mac = raw.ac_mac.as_deref().map(parse_ac_mac).transpose()?;
        let existing_session = raw
            .existing_session
            .as_deref()
            .map(parse_existing_session)
            .transpose()?;
        let host_uniq = raw.host_uniq.as_deref().map(parse_host_uniq).transpose()?;
        let service_name = raw.service.clone().unwrap_or_default();
        let ac_name = match &raw.ac_name {
            Some(name) if name.is_empty() => {
                return Err(OptionError(
                    "pppoe-ac must not be empty: give the AC-Name to accept".into(),
                ));
            }
            other => other.clone(),
        };

        let together = service_name.len() + host_uniq.as_ref().map_or(4, Vec::len);
        if together > PADI_ROOM_FOR_SERVICE_AND_HOST_UNIQ {
            return Err(OptionError(format!(
                "pppoe-service and pppoe-host-uniq are {together} bytes together; \
                 a PADI has room for {PADI_ROOM_FOR_SERVICE_AND_HOST_UNIQ}"
            )));
        }

        Ok(PluginOptions {
            discovery: Settings {
                service_name,
                ac_name,
                ac_mac,
                host_uniq: host_uniq.map_or(HostUniq::Pid, HostUniq::Bytes),
                timeout: Duration::from_secs(u64::from(padi_timeout.unsigned_abs())),
                attempts: padi_attempts.unsigned_abs(),
            },
            existing_session,
            verbose: u8::try_from(verbose).unwrap_or(u8::MAX),
        })
    }
}

fn in_range(
    name: &str,
    value: i32,
    range: std::ops::RangeInclusive<i32>,
) -> Result<i32, OptionError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(OptionError(format!(
            "{name} value must be between {} and {} (got {value})",
            range.start(),
            range.end()
        )))
    }
}

fn parse_mac(text: &str) -> Option<MacAddr> {
    MacAddr::from_str(text.trim()).ok()
}

fn parse_ac_mac(value: &[u8]) -> Result<MacAddr, OptionError> {
    let text = String::from_utf8_lossy(value);
    let mac = parse_mac(&text).ok_or_else(|| {
        OptionError(format!(
            "cannot parse pppoe-mac option value '{text}': expected six hex bytes \
             separated by colons, e.g. 00:11:22:33:44:55"
        ))
    })?;
    if !mac.is_unicast() {
        return Err(OptionError(format!(
            "pppoe-mac {mac} is a group address; an access concentrator answers \
             from a unicast MAC"
        )));
    }
    Ok(mac)
}

fn parse_existing_session(value: &[u8]) -> Result<ExistingSession, OptionError> {
    let text = String::from_utf8_lossy(value);
    let bad = |why: &str| {
        OptionError(format!(
            "Illegal value for pppoe-sess option '{text}': {why} \
             (expected <session id>:<MAC>, e.g. 4711:00:11:22:33:44:55)"
        ))
    };
    let (id, mac) = text
        .split_once(':')
        .ok_or_else(|| bad("no ':' after the session id"))?;
    let id: u32 = id
        .trim()
        .parse()
        .map_err(|_| bad("the session id is not a decimal number"))?;
    if !SESSION_ID_RANGE.contains(&id) {
        return Err(bad("the session id must be between 1 and 65534"));
    }
    let peer_mac = parse_mac(mac).ok_or_else(|| bad("the MAC address does not parse"))?;
    if !peer_mac.is_unicast() {
        return Err(bad("the MAC address is a group address"));
    }
    Ok(ExistingSession {
        session_id: u16::try_from(id).map_err(|_| bad("session id out of range"))?,
        peer_mac,
    })
}

fn parse_host_uniq(value: &[u8]) -> Result<Vec<u8>, OptionError> {
    let bad = |why: &str| {
        OptionError(format!(
            "Illegal value for pppoe-host-uniq option '{}': {why}",
            String::from_utf8_lossy(value)
        ))
    };
    if value.is_empty() {
        return Err(bad("it is empty (Host-Uniq cannot be turned off)"));
    }
    if value.len() % 2 != 0 {
        return Err(bad("expected an even number of hex digits"));
    }
    value
        .chunks_exact(2)
        .map(|pair| match (hex_digit(pair[0]), hex_digit(pair[1])) {
            (Some(high), Some(low)) => Ok(high << 4 | low),
            _ => Err(bad("expected hex digits only (no 0x, no separators)")),
        })
        .collect()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawOptions {
        RawOptions::defaults()
    }

    #[test]
    fn defaults_are_pppds() {
        let options = PluginOptions::from_raw(&raw()).unwrap();
        assert_eq!(options.discovery, Settings::default());
        assert_eq!(options.verbose, 0);
        assert_eq!(options.existing_session, None);
    }

    #[test]
    fn out_of_range_numbers_are_option_errors_naming_the_range() {
        for (raw, needle) in [
            (
                RawOptions {
                    padi_timeout: 0,
                    ..raw()
                },
                "pppoe-padi-timeout value must be between 1 and 3600",
            ),
            (
                RawOptions {
                    padi_timeout: -5,
                    ..raw()
                },
                "pppoe-padi-timeout",
            ),
            (
                RawOptions {
                    padi_attempts: 0,
                    ..raw()
                },
                "pppoe-padi-attempts value must be between 1 and 16",
            ),
            (
                RawOptions {
                    padi_attempts: 17,
                    ..raw()
                },
                "pppoe-padi-attempts",
            ),
            (
                RawOptions {
                    verbose: 3,
                    ..raw()
                },
                "pppoe-verbose value must be between 0 and 2",
            ),
        ] {
            let err = PluginOptions::from_raw(&raw).unwrap_err();
            assert!(err.0.contains(needle), "{err}");
        }
    }

    #[test]
    fn pppoe_mac_must_be_a_unicast_mac() {
        let ok = RawOptions {
            ac_mac: Some(b"00:1A:2b:3c:4d:5e".to_vec()),
            ..raw()
        };
        assert_eq!(
            PluginOptions::from_raw(&ok).unwrap().discovery.ac_mac,
            Some(MacAddr([0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]))
        );
        let garbage = RawOptions {
            ac_mac: Some(b"00:1a:2b".to_vec()),
            ..raw()
        };
        let err = PluginOptions::from_raw(&garbage).unwrap_err();
        assert!(
            err.0
                .starts_with("cannot parse pppoe-mac option value '00:1a:2b'"),
            "{err}"
        );
        let group = RawOptions {
            ac_mac: Some(b"ff:ff:ff:ff:ff:ff".to_vec()),
            ..raw()
        };
        assert!(
            PluginOptions::from_raw(&group)
                .unwrap_err()
                .0
                .contains("group address")
        );
    }

    #[test]
    fn pppoe_sess_takes_a_session_id_and_a_mac() {
        let ok = RawOptions {
            existing_session: Some(b"4711:02:00:00:00:00:01".to_vec()),
            ..raw()
        };
        assert_eq!(
            PluginOptions::from_raw(&ok).unwrap().existing_session,
            Some(ExistingSession {
                session_id: 4711,
                peer_mac: MacAddr([2, 0, 0, 0, 0, 1])
            })
        );
        for bad in [
            &b"0:02:00:00:00:00:01"[..],
            b"65535:02:00:00:00:00:01",
            b"70000:02:00:00:00:00:01",
            b"-1:02:00:00:00:00:01",
            b"12",
            b"12:02:00:00:00:00",
            b"x:02:00:00:00:00:01",
            b"12:01:00:5e:00:00:01",
        ] {
            let raw = RawOptions {
                existing_session: Some(bad.to_vec()),
                ..raw()
            };
            let err = PluginOptions::from_raw(&raw).unwrap_err();
            assert!(
                err.0.starts_with("Illegal value for pppoe-sess option"),
                "{err}"
            );
        }
    }

    #[test]
    fn host_uniq_is_even_length_hex() {
        let ok = RawOptions {
            host_uniq: Some(b"c0FFee".to_vec()),
            ..raw()
        };
        assert_eq!(
            PluginOptions::from_raw(&ok).unwrap().discovery.host_uniq,
            HostUniq::Bytes(vec![0xc0, 0xff, 0xee])
        );
        for bad in [&b""[..], b"abc", b"0xab", b"zz", b"ab cd"] {
            let raw = RawOptions {
                host_uniq: Some(bad.to_vec()),
                ..raw()
            };
            let err = PluginOptions::from_raw(&raw).unwrap_err();
            assert!(
                err.0
                    .starts_with("Illegal value for pppoe-host-uniq option"),
                "{err}"
            );
        }
    }

    #[test]
    fn service_and_host_uniq_must_fit_in_a_padi() {
        let fits = RawOptions {
            service: Some(vec![b's'; PADI_ROOM_FOR_SERVICE_AND_HOST_UNIQ - 4]),
            ..raw()
        };
        assert!(PluginOptions::from_raw(&fits).is_ok());
        let too_long = RawOptions {
            service: Some(vec![b's'; PADI_ROOM_FOR_SERVICE_AND_HOST_UNIQ - 4]),
            host_uniq: Some(b"0011223344".to_vec()),
            ..raw()
        };
        let err = PluginOptions::from_raw(&too_long).unwrap_err();
        assert!(err.0.contains("a PADI has room for"), "{err}");
    }

    #[test]
    fn an_empty_pppoe_ac_is_refused() {
        let raw = RawOptions {
            ac_name: Some(Vec::new()),
            ..raw()
        };
        assert!(
            PluginOptions::from_raw(&raw)
                .unwrap_err()
                .0
                .contains("pppoe-ac")
        );
    }
}
