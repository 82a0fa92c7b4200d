//! The plugin's pppd options, checked.
//!
//! pppd stores the raw option values (the C shim owns the slots, see
//! `c-shim/shim.c`); [`PluginOptions::from_raw`] turns them into checked
//! values once, in pppd's `check_options` phase, after *all* option sources
//! have been read. That is what makes the options independent of their
//! order: the reference plugin sampled some of them when it saw the
//! interface name and silently ignored later ones.
//!
//! The shim registers the integer options without limits, as every upstream
//! plugin does, so pppd's own number parser (decimal, `0x` hex, leading-`0`
//! octal) hands over whatever the user wrote. Each integer option then has
//! three classes of values, fixed by its [`IntRule`]:
//!
//! * **taken** as given, with upstream's meaning;
//! * **clamped** to the nearest value taken, with a warning in pppd's log
//!   ([`Adjusted`]): values upstream takes that are merely unusual;
//! * **refused** with an [`OptionError`] (pppd exits with status 2): values
//!   with which the upstream plugin misbehaves (no PADI sent, no wait).
//!
//! A string option's value is refused when upstream would misparse it or
//! could never connect with it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::discovery::{HostUniq, MAX_WAIT, NO_SERVICE_NAME, Settings};
use crate::wire::{MAX_PADI_PACKET_LEN, MacAddr, PPPOE_HEADER_LEN};

/// What an integer option does with values outside its taken range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outside {
    /// An option error; the text says what upstream would do with it.
    Refused(&'static str),
    /// The nearest taken value, and a warning; the text says why.
    Clamped(&'static str),
}

/// How one integer option treats the values pppd parsed for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRule {
    /// The option's name (its aliases share the rule).
    pub option: &'static str,
    /// The smallest value taken as given.
    pub min: i32,
    /// The largest value taken as given.
    pub max: i32,
    /// Values below `min`.
    pub below: Outside,
    /// Values above `max`.
    pub above: Outside,
}

/// Longest first wait: no discovery wait is longer than [`MAX_WAIT`].
const MAX_PADI_TIMEOUT: i32 = MAX_WAIT.as_secs() as i32;

/// `pppoe-verbose`: pppd.8 says "2 or bigger" dumps packets, so every
/// value from 2 up means the same; a negative one is as quiet as 0 (the
/// upstream plugin compares with `>= 1`).
pub const VERBOSE_RULE: IntRule = IntRule {
    option: "pppoe-verbose",
    min: 0,
    max: i32::MAX,
    below: Outside::Clamped("a negative level is as quiet as 0"),
    above: Outside::Clamped("no larger level exists"),
};

/// `pppoe-padi-timeout`, seconds (default 5).
pub const PADI_TIMEOUT_RULE: IntRule = IntRule {
    option: "pppoe-padi-timeout",
    min: 1,
    max: MAX_PADI_TIMEOUT,
    below: Outside::Refused("pppd's own plugin would not wait at all for an answer to its PADIs"),
    above: Outside::Clamped("no discovery wait is longer than 300 seconds"),
};

/// `pppoe-padi-attempts` (default 3). Above 64 the doubling waits, capped
/// at 300 s, already add up to about five hours per discovery phase at the
/// default timeout;
/// pppd's `persist` is the way to keep trying after that.
pub const PADI_ATTEMPTS_RULE: IntRule = IntRule {
    option: "pppoe-padi-attempts",
    min: 1,
    max: 64,
    below: Outside::Refused("pppd's own plugin would not send a single PADI"),
    above: Outside::Clamped(
        "64 attempts already take hours; pppd's persist option keeps trying after that",
    ),
};

/// An integer value taken, but not as given: logged as a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjusted {
    /// The rule that clamped it.
    pub rule: IntRule,
    /// What pppd parsed.
    pub given: i32,
    /// What the plugin uses.
    pub used: i32,
}

impl fmt::Display for Adjusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (relation, why) = if self.given < self.rule.min {
            ("less", self.rule.below)
        } else {
            ("more", self.rule.above)
        };
        let why = match why {
            Outside::Clamped(why) | Outside::Refused(why) => why,
        };
        write!(
            f,
            "{} {} is {relation} than {}; using {} ({why})",
            self.rule.option, self.given, self.used, self.used
        )
    }
}

impl IntRule {
    /// The value to use, with the warning if it was clamped; or the error
    /// if it is refused.
    pub fn check(&self, given: i32) -> Result<(i32, Option<Adjusted>), OptionError> {
        let (bound, outside, relation) = if given < self.min {
            (self.min, self.below, "at least")
        } else if given > self.max {
            (self.max, self.above, "at most")
        } else {
            return Ok((given, None));
        };
        match outside {
            Outside::Clamped(_) => Ok((
                bound,
                Some(Adjusted {
                    rule: *self,
                    given,
                    used: bound,
                }),
            )),
            Outside::Refused(why) => Err(OptionError(format!(
                "{} value must be {relation} {bound} (got {given}): {why}",
                self.option
            ))),
        }
    }
}

/// Session ids a `pppoe-sess` value may name: RFC 2516 reserves 0 and 0xFFFF.
pub const SESSION_ID_RANGE: std::ops::RangeInclusive<u32> = 1..=0xFFFE;

/// One name the plugin registers with pppd, and the option it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionName {
    /// What a peers file writes.
    pub name: &'static str,
    /// The option it sets (itself, for the main name).
    pub option: &'static str,
}

const fn name(name: &'static str, option: &'static str) -> OptionName {
    OptionName { name, option }
}

/// Every option name any upstream plugin registers: pppd 2.4.9 … 2.5.3's
/// `pppoe.so` (also installed as `rp-pppoe.so`) and rp-pppoe 4.0's
/// `rp-pppoe.so` (whose only extra name is `rp_pppoe_mac`). The C shim's
/// table registers exactly these (a test compares them).
pub const OPTION_NAMES: &[OptionName] = &[
    name("pppoe-service", "pppoe-service"),
    name("rp_pppoe_service", "pppoe-service"),
    name("pppoe-ac", "pppoe-ac"),
    name("rp_pppoe_ac", "pppoe-ac"),
    name("pppoe-sess", "pppoe-sess"),
    name("rp_pppoe_sess", "pppoe-sess"),
    name("pppoe-verbose", "pppoe-verbose"),
    name("rp_pppoe_verbose", "pppoe-verbose"),
    name("pppoe-mac", "pppoe-mac"),
    name("rp_pppoe_mac", "pppoe-mac"),
    name("pppoe-host-uniq", "pppoe-host-uniq"),
    name("host-uniq", "pppoe-host-uniq"),
    name("pppoe-padi-timeout", "pppoe-padi-timeout"),
    name("pppoe-padi-attempts", "pppoe-padi-attempts"),
];

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
    /// `pppoe-mac` / `rp_pppoe_mac`: only accept offers from this AC MAC.
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
    /// 0 quiet, 1 log offers, 2 (`pppoe-verbose` 2 or more) also log
    /// rejected frames and, with pppd's `debug`, hex dumps of every frame.
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
    /// Checks every value; the first refused one is the error. Also returns
    /// the values that were clamped, for pppd's log.
    pub fn from_raw(raw: &RawOptions) -> Result<(PluginOptions, Vec<Adjusted>), OptionError> {
        let mut adjusted = Vec::new();
        let mut int = |rule: IntRule, given: i32| -> Result<u32, OptionError> {
            let (used, note) = rule.check(given)?;
            adjusted.extend(note);
            // Every rule's smallest value is 0 or more.
            Ok(used.unsigned_abs())
        };
        let verbose = int(VERBOSE_RULE, raw.verbose)?;
        let padi_timeout = int(PADI_TIMEOUT_RULE, raw.padi_timeout)?;
        let padi_attempts = int(PADI_ATTEMPTS_RULE, raw.padi_attempts)?;

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

        // NO-SERVICE-NAME-NON-RFC-COMPLIANT takes no room: no tag is sent.
        let service_len = if service_name == NO_SERVICE_NAME {
            0
        } else {
            service_name.len()
        };
        let together = service_len + host_uniq.as_ref().map_or(4, Vec::len);
        if together > PADI_ROOM_FOR_SERVICE_AND_HOST_UNIQ {
            return Err(OptionError(format!(
                "pppoe-service and pppoe-host-uniq are {together} bytes together; \
                 a PADI has room for {PADI_ROOM_FOR_SERVICE_AND_HOST_UNIQ}"
            )));
        }

        let options = PluginOptions {
            discovery: Settings {
                service_name,
                ac_name,
                ac_mac,
                host_uniq: host_uniq.map_or(HostUniq::Pid, HostUniq::Bytes),
                timeout: Duration::from_secs(u64::from(padi_timeout)),
                attempts: padi_attempts,
            },
            existing_session,
            verbose: u8::try_from(verbose.min(2)).unwrap_or(2),
        };
        Ok((options, adjusted))
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
        let (options, adjusted) = PluginOptions::from_raw(&raw()).unwrap();
        assert_eq!(options.discovery, Settings::default());
        assert_eq!(options.verbose, 0);
        assert_eq!(options.existing_session, None);
        assert!(adjusted.is_empty());
    }

    /// What became of one integer value.
    #[derive(Debug, PartialEq)]
    enum Class {
        Taken,
        Clamped(i32),
        Refused,
    }

    fn class(rule: IntRule, given: i32) -> Class {
        match rule.check(given) {
            Ok((used, None)) => {
                assert_eq!(used, given);
                Class::Taken
            }
            Ok((used, Some(note))) => {
                assert_eq!((note.given, note.used), (given, used));
                Class::Clamped(used)
            }
            Err(_) => Class::Refused,
        }
    }

    #[test]
    fn every_integer_value_is_taken_clamped_or_refused() {
        use Class::*;
        for (rule, given, expected) in [
            (VERBOSE_RULE, 0, Taken),
            (VERBOSE_RULE, 2, Taken),
            // pppd.8: "2 or bigger" — upstream takes any level.
            (VERBOSE_RULE, 3, Taken),
            (VERBOSE_RULE, i32::MAX, Taken),
            (VERBOSE_RULE, -1, Clamped(0)),
            (VERBOSE_RULE, i32::MIN, Clamped(0)),
            (PADI_TIMEOUT_RULE, 1, Taken),
            (PADI_TIMEOUT_RULE, 300, Taken),
            (PADI_TIMEOUT_RULE, 301, Clamped(300)),
            (PADI_TIMEOUT_RULE, 3600, Clamped(300)),
            (PADI_TIMEOUT_RULE, i32::MAX, Clamped(300)),
            (PADI_TIMEOUT_RULE, 0, Refused),
            (PADI_TIMEOUT_RULE, -5, Refused),
            (PADI_TIMEOUT_RULE, i32::MIN, Refused),
            (PADI_ATTEMPTS_RULE, 1, Taken),
            (PADI_ATTEMPTS_RULE, 17, Taken),
            (PADI_ATTEMPTS_RULE, 64, Taken),
            (PADI_ATTEMPTS_RULE, 65, Clamped(64)),
            // `4294967295` on the command line: pppd's parser wraps it to -1.
            (PADI_ATTEMPTS_RULE, -1, Refused),
            (PADI_ATTEMPTS_RULE, 0, Refused),
        ] {
            assert_eq!(class(rule, given), expected, "{} {given}", rule.option);
        }
    }

    #[test]
    fn a_clamped_value_is_a_warning_that_says_what_is_used_and_why() {
        let (options, adjusted) = PluginOptions::from_raw(&RawOptions {
            verbose: -1,
            padi_timeout: 3600,
            padi_attempts: 100,
            ..raw()
        })
        .unwrap();
        assert_eq!(options.verbose, 0);
        assert_eq!(options.discovery.timeout, Duration::from_secs(300));
        assert_eq!(options.discovery.attempts, 64);
        let lines: Vec<String> = adjusted.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "pppoe-verbose -1 is less than 0; using 0 (a negative level is as quiet as 0)",
                "pppoe-padi-timeout 3600 is more than 300; using 300 \
                 (no discovery wait is longer than 300 seconds)",
                "pppoe-padi-attempts 100 is more than 64; using 64 (64 attempts already take \
                 hours; pppd's persist option keeps trying after that)",
            ]
        );
    }

    #[test]
    fn a_refused_value_is_an_option_error_naming_the_option_and_the_reason() {
        for (raw, message) in [
            (
                RawOptions {
                    padi_timeout: 0,
                    ..raw()
                },
                "pppoe-padi-timeout value must be at least 1 (got 0): pppd's own plugin \
                 would not wait at all for an answer to its PADIs",
            ),
            (
                RawOptions {
                    padi_attempts: -3,
                    ..raw()
                },
                "pppoe-padi-attempts value must be at least 1 (got -3): pppd's own plugin \
                 would not send a single PADI",
            ),
        ] {
            assert_eq!(PluginOptions::from_raw(&raw).unwrap_err().0, message);
        }
    }

    #[test]
    fn verbose_levels_above_2_mean_2() {
        for (given, level) in [(0, 0), (1, 1), (2, 2), (3, 2), (1000, 2), (-7, 0)] {
            let options = PluginOptions::from_raw(&RawOptions {
                verbose: given,
                ..raw()
            })
            .unwrap()
            .0;
            assert_eq!(options.verbose, level, "pppoe-verbose {given}");
        }
    }

    /// The entries of the shim's option table: (name, value slot, is an alias).
    fn shim_option_table() -> Vec<(String, String, bool)> {
        let source = include_str!("../../c-shim/shim.c");
        let table = source
            .split_once("static option_t rs_options[] = {")
            .and_then(|(_, rest)| rest.split_once("{NULL,"))
            .map(|(table, _)| table)
            .expect("shim.c has its option table");
        table
            .split("},")
            .filter_map(|entry| {
                let entry = entry.trim_start().strip_prefix("{\"")?;
                let (name, rest) = entry.split_once('"')?;
                let slot = rest
                    .split(',')
                    .nth(2)?
                    .trim()
                    .trim_start_matches("(void *)");
                Some((
                    name.to_owned(),
                    slot.to_owned(),
                    entry.contains("OPT_ALIAS"),
                ))
            })
            .collect()
    }

    #[test]
    fn the_shim_registers_every_upstream_name_for_its_option() {
        let table = shim_option_table();
        let slot_of = |name: &str| {
            table
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, slot, _)| slot.clone())
        };
        let mut names: Vec<&str> = table.iter().map(|(n, _, _)| n.as_str()).collect();
        names.sort_unstable();
        let mut expected: Vec<&str> = OPTION_NAMES.iter().map(|o| o.name).collect();
        expected.push("device name");
        expected.sort_unstable();
        assert_eq!(names, expected, "the shim registers exactly these names");
        for OptionName { name, option } in OPTION_NAMES {
            let entry = table.iter().find(|(n, _, _)| n == name).unwrap();
            assert_eq!(
                slot_of(name),
                slot_of(option),
                "{name} writes where {option} does"
            );
            assert_eq!(entry.2, name != option, "{name}: OPT_ALIAS iff an alias");
        }
        // rp-pppoe 4.0's name for pppoe-mac, which pppd's own plugin lacks.
        assert_eq!(slot_of("rp_pppoe_mac").as_deref(), Some("&rs_opt_ac_mac"));
    }

    #[test]
    fn the_manual_and_the_readme_list_every_name() {
        let manual = include_str!("../../docs/rs-pppoe.8").replace("\\-", "-");
        let readme = include_str!("../../README.md");
        for OptionName { name, .. } in OPTION_NAMES {
            assert!(manual.contains(name), "docs/rs-pppoe.8 lacks {name}");
            assert!(
                readme.contains(&format!("`{name}`")),
                "README.md lacks {name}"
            );
        }
    }

    #[test]
    fn pppoe_mac_must_be_a_unicast_mac() {
        let ok = RawOptions {
            ac_mac: Some(b"00:1A:2b:3c:4d:5e".to_vec()),
            ..raw()
        };
        assert_eq!(
            PluginOptions::from_raw(&ok).unwrap().0.discovery.ac_mac,
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
            PluginOptions::from_raw(&ok).unwrap().0.existing_session,
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
            PluginOptions::from_raw(&ok).unwrap().0.discovery.host_uniq,
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
    fn no_service_name_takes_no_room_in_the_padi() {
        let longest_host_uniq = "ab".repeat(PADI_ROOM_FOR_SERVICE_AND_HOST_UNIQ);
        let fits = RawOptions {
            service: Some(NO_SERVICE_NAME.to_vec()),
            host_uniq: Some(longest_host_uniq.clone().into_bytes()),
            ..raw()
        };
        let options = PluginOptions::from_raw(&fits).unwrap().0;
        assert_eq!(options.discovery.service_name, NO_SERVICE_NAME);
        let named = RawOptions {
            service: Some(b"x".to_vec()),
            host_uniq: Some(longest_host_uniq.into_bytes()),
            ..raw()
        };
        assert!(PluginOptions::from_raw(&named).is_err());
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
