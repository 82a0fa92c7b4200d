//! `/etc/ppp/rs-pppoe-rule.conf` and the table scheme.
//!
//! Format (dependency-free, parsed here):
//!
//! ```text
//! # comments start with '#' or ';'
//! table = 100        # base table (ppp0's table)
//! priority = 200     # base priority (ppp0's priority)
//!
//! [ppp1]             # per-interface override, any interface name
//! table = 150
//! priority = 250
//! ```
//!
//! Forwarded servers (containers, LAN hosts behind DNAT; see
//! [`crate::forward`]) have their own keys: `forward = yes|no`, `mark`,
//! `mark_mask` (top level only), `fwmark_priority` and `rp_filter =
//! loose|keep` (top level only). `pppN` gets mark `mark + N x (lowest bit of
//! mark_mask)` and fwmark rule priority `fwmark_priority + N`.
//!
//! Table scheme: interface `pppN` (or, for other names, pppd's `UNIT=N`) gets
//! table `table + N` and priority `priority + N`, so `ppp0` keeps exactly the
//! article's 100/200 and `ppp1` gets 101/201. A `[name]` section sets either
//! value for that interface exactly; command-line flags beat everything.

use std::collections::BTreeMap;
use std::fmt;

use crate::forward::{self, Mark};
use crate::plan::Slot;

/// Default base table: the article's `table 100`.
pub const DEFAULT_TABLE: u32 = 100;
/// Default base priority: the article's `priority 200`.
pub const DEFAULT_PRIORITY: u32 = 200;
/// Where the optional configuration file lives.
pub const DEFAULT_PATH: &str = "/etc/ppp/rs-pppoe-rule.conf";
/// Default base connection mark (ppp0's) and the bits the hook owns:
/// bits 24-27, clear of kube-proxy (0x4000, 0x8000), wg-quick (0xca6c),
/// Tailscale (0xff0000) and Docker (low bits, swarm only).
pub const DEFAULT_MARK: Mark = Mark {
    value: 0x0100_0000,
    mask: 0x0f00_0000,
};
/// Default base priority of the fwmark rules (ppp0's): after the source
/// rules at 200 + N, well before the main table (32766).
pub const DEFAULT_FWMARK_PRIORITY: u32 = 300;

/// Table/priority (and forwarding) values, each optional (unset = derived).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Values {
    pub table: Option<u32>,
    pub priority: Option<u32>,
    pub forward: Option<bool>,
    pub mark: Option<u32>,
    pub fwmark_priority: Option<u32>,
}

/// What to do when strict reverse-path filtering is in effect on pppN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RpFilterPolicy {
    /// Set pppN's own `rp_filter` to 2 (loose); the host-wide values stay.
    #[default]
    Loose,
    /// Leave it; only warn.
    Keep,
}

/// The parsed configuration file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Top-level `table`/`priority`: the base of the scheme.
    pub base: Values,
    /// Top-level `mark_mask`.
    pub mark_mask: Option<u32>,
    /// Top-level `rp_filter`.
    pub rp_filter: Option<RpFilterPolicy>,
    /// `[iface]` sections.
    pub interfaces: BTreeMap<String, Values>,
}

/// Forwarded-server replies for one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Forwarding {
    /// `forward = no`.
    Off,
    /// On, with this mark and fwmark rule priority.
    On {
        mark: Mark,
        fwmark_priority: u32,
        rp_filter: RpFilterPolicy,
    },
    /// On, but the scheme gives this interface no usable mark or priority:
    /// the source rule still goes in, with this warning.
    Unavailable(String),
}

/// A configuration error with its line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// True for a name the kernel could give an interface: 1..=15 bytes, no
/// '/', no whitespace, not "." or "..".
pub fn is_valid_ifname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name != "."
        && name != ".."
        && !name.contains(|c: char| c == '/' || c == ':' || c.is_whitespace() || c.is_control())
}

impl Config {
    /// Parse the text of a configuration file.
    pub fn parse(text: &str) -> Result<Config, ParseError> {
        let mut config = Config::default();
        let mut section: Option<String> = None;
        let mut mark_lines = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let error = |message: String| ParseError {
                line: line_no,
                message,
            };
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest
                    .strip_suffix(']')
                    .ok_or_else(|| error(format!("section header without ']': {line:?}")))?
                    .trim();
                if !is_valid_ifname(name) {
                    return Err(error(format!("not an interface name: {name:?}")));
                }
                if config.interfaces.contains_key(name) {
                    return Err(error(format!("section [{name}] appears twice")));
                }
                config.interfaces.insert(name.to_owned(), Values::default());
                section = Some(name.to_owned());
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| error(format!("expected 'key = value', got {line:?}")))?;
            let (key, value) = (key.trim(), value.trim());
            let top_level = section.is_none();
            let values = match &section {
                Some(name) => config.interfaces.get_mut(name).expect("section inserted"),
                None => &mut config.base,
            };
            let twice = || error(format!("{key} set twice"));
            match key {
                "table" => {
                    let number = parse_number(key, value).map_err(&error)?;
                    check_table(number).map_err(&error)?;
                    set_once(&mut values.table, number).map_err(|_| twice())?;
                }
                "priority" | "fwmark_priority" => {
                    let number = parse_number(key, value).map_err(&error)?;
                    check_priority(number).map_err(&error)?;
                    let slot = if key == "priority" {
                        &mut values.priority
                    } else {
                        &mut values.fwmark_priority
                    };
                    set_once(slot, number).map_err(|_| twice())?;
                }
                "forward" => {
                    let on = match value {
                        "yes" | "on" | "true" | "1" => true,
                        "no" | "off" | "false" | "0" => false,
                        _ => {
                            return Err(error(format!(
                                "forward: expected yes or no, got {value:?}"
                            )));
                        }
                    };
                    set_once(&mut values.forward, on).map_err(|_| twice())?;
                }
                "mark" => {
                    let number = parse_number(key, value).map_err(&error)?;
                    if number == 0 {
                        return Err(error("mark: 0 means unmarked".into()));
                    }
                    set_once(&mut values.mark, number).map_err(|_| twice())?;
                    mark_lines.push((number, line_no));
                }
                "mark_mask" | "rp_filter" if !top_level => {
                    return Err(error(format!(
                        "{key} applies to every interface: set it above the first section"
                    )));
                }
                "mark_mask" => {
                    let number = parse_number(key, value).map_err(&error)?;
                    if number == 0 {
                        return Err(error("mark_mask: needs at least one bit".into()));
                    }
                    set_once(&mut config.mark_mask, number).map_err(|_| twice())?;
                }
                "rp_filter" => {
                    let policy = match value {
                        "loose" => RpFilterPolicy::Loose,
                        "keep" => RpFilterPolicy::Keep,
                        _ => {
                            return Err(error(format!(
                                "rp_filter: expected loose or keep, got {value:?}"
                            )));
                        }
                    };
                    set_once(&mut config.rp_filter, policy).map_err(|_| twice())?;
                }
                _ => {
                    return Err(error(format!(
                        "unknown key {key:?} (known: table, priority, forward, mark, mark_mask, \
                         fwmark_priority, rp_filter)"
                    )));
                }
            }
        }
        // Checked at the end: mark_mask may come after a mark.
        let mask = config.mark_mask.unwrap_or(DEFAULT_MARK.mask);
        if let Some((mark, line)) = mark_lines.into_iter().find(|(mark, _)| mark & !mask != 0) {
            return Err(ParseError {
                line,
                message: format!("mark {mark:#x} has bits outside mark_mask {mask:#x}"),
            });
        }
        Ok(config)
    }

    /// The table and priority for `iface`.
    ///
    /// `unit` is pppd's `UNIT` variable, used when the interface is not
    /// named `pppN`; `flags` are the command-line overrides.
    pub fn slot_for(&self, iface: &str, unit: Option<&str>, flags: Values) -> Result<Slot, String> {
        let section = self.interfaces.get(iface).copied().unwrap_or_default();
        let number = unit_number(iface).or_else(|| unit.and_then(parse_unit));
        let derive = |base: Option<u32>, default: u32, what: &str| -> Result<u32, String> {
            let base = base.unwrap_or(default);
            let n = number.ok_or_else(|| {
                format!(
                    "interface {iface} is not named pppN and pppd gave no UNIT: \
                     set its {what} in a [{iface}] section of the config file or with --{what}"
                )
            })?;
            base.checked_add(n)
                .ok_or_else(|| format!("{what} {base} + unit {n} overflows"))
        };
        let table = match flags.table.or(section.table) {
            Some(table) => table,
            None => derive(self.base.table, DEFAULT_TABLE, "table")?,
        };
        let priority = match flags.priority.or(section.priority) {
            Some(priority) => priority,
            None => derive(self.base.priority, DEFAULT_PRIORITY, "priority")?,
        };
        check_table(table).map_err(|e| format!("interface {iface}: {e}"))?;
        check_priority(priority).map_err(|e| format!("interface {iface}: {e}"))?;
        Ok(Slot { table, priority })
    }

    /// `iface`'s fwmark rule priority, whether forwarding is on or not (to
    /// sweep a rule left from when it was); `None` when it has none.
    pub fn fwmark_priority_for(&self, iface: &str, unit: Option<&str>) -> Option<u32> {
        match self.forwarding_for_any(iface, unit) {
            Forwarding::On {
                fwmark_priority, ..
            } => Some(fwmark_priority),
            Forwarding::Off | Forwarding::Unavailable(_) => None,
        }
    }

    /// Whether and how `iface`'s forwarded servers get their replies back:
    /// its mark (`mark + N x step`, or the section's `mark`) and its fwmark
    /// rule priority (`fwmark_priority + N`, or the section's).
    pub fn forwarding_for(&self, iface: &str, unit: Option<&str>) -> Forwarding {
        let section = self.interfaces.get(iface).copied().unwrap_or_default();
        if !section.forward.or(self.base.forward).unwrap_or(true) {
            return Forwarding::Off;
        }
        self.forwarding_for_any(iface, unit)
    }

    /// [`Config::forwarding_for`] as if `forward = yes`.
    fn forwarding_for_any(&self, iface: &str, unit: Option<&str>) -> Forwarding {
        let section = self.interfaces.get(iface).copied().unwrap_or_default();
        let number = unit_number(iface).or_else(|| unit.and_then(parse_unit));
        let base = Mark {
            value: self.base.mark.unwrap_or(DEFAULT_MARK.value),
            mask: self.mark_mask.unwrap_or(DEFAULT_MARK.mask),
        };
        let missing = |what: &str| {
            Forwarding::Unavailable(format!(
                "interface {iface} is not named pppN and pppd gave no UNIT: set its {what} in a \
                 [{iface}] section of the config file"
            ))
        };
        let mark = match (section.mark, number) {
            (Some(value), _) => Mark { value, ..base },
            (None, Some(n)) => match forward::mark_for(base, n) {
                Ok(mark) => mark,
                Err(problem) => {
                    return Forwarding::Unavailable(format!(
                        "{problem}: give [{iface}] its own mark"
                    ));
                }
            },
            (None, None) => return missing("mark"),
        };
        let fwmark_priority = match (section.fwmark_priority, number) {
            (Some(priority), _) => priority,
            (None, Some(n)) => {
                let base = self.base.fwmark_priority.unwrap_or(DEFAULT_FWMARK_PRIORITY);
                match base.checked_add(n).filter(|p| check_priority(*p).is_ok()) {
                    Some(priority) => priority,
                    None => {
                        return Forwarding::Unavailable(format!(
                            "fwmark_priority {base} + {n} is outside 1..=32765: give [{iface}] \
                             its own fwmark_priority"
                        ));
                    }
                }
            }
            (None, None) => return missing("fwmark_priority"),
        };
        Forwarding::On {
            mark,
            fwmark_priority,
            rp_filter: self.rp_filter.unwrap_or_default(),
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), ()> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(()),
    }
}

/// A decimal or `0x` hexadecimal u32.
fn parse_number(key: &str, value: &str) -> Result<u32, String> {
    let parsed = match value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    };
    parsed.ok_or_else(|| format!("{key}: not a number: {value:?}"))
}

/// Every slot this configuration could hand out, for `show`: the sections'
/// slots and the scheme's `base + N` line.
impl Config {
    pub fn manages(&self, slot: Slot) -> bool {
        let base_table = self.base.table.unwrap_or(DEFAULT_TABLE);
        let base_priority = self.base.priority.unwrap_or(DEFAULT_PRIORITY);
        let on_scheme = slot.table >= base_table
            && slot.priority >= base_priority
            && slot.table - base_table == slot.priority - base_priority;
        on_scheme
            || self
                .interfaces
                .keys()
                .any(|name| self.slot_for(name, None, Values::default()).ok() == Some(slot))
    }
}

fn strip_comment(line: &str) -> &str {
    match line.find(['#', ';']) {
        Some(at) => &line[..at],
        None => line,
    }
}

/// `N` of an interface named `pppN` (no sign, no leading zero).
pub fn unit_number(iface: &str) -> Option<u32> {
    iface.strip_prefix("ppp").and_then(parse_unit)
}

fn parse_unit(digits: &str) -> Option<u32> {
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if canonical { digits.parse().ok() } else { None }
}

/// Tables 0 (unspec), 253 (default), 254 (main) and 255 (local) belong to
/// the kernel.
fn check_table(table: u32) -> Result<(), String> {
    match table {
        0 | 253..=255 => Err(format!(
            "table {table} is reserved (0 unspec, 253 default, 254 main, 255 local)"
        )),
        _ => Ok(()),
    }
}

/// Priority 0 is the local table's rule; 32766/32767 are main/default.
fn check_priority(priority: u32) -> Result<(), String> {
    match priority {
        1..=32765 => Ok(()),
        _ => Err(format!(
            "priority {priority} is outside 1..=32765 (0, 32766 and 32767 are the kernel's)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(table: u32, priority: u32) -> Slot {
        Slot { table, priority }
    }

    #[test]
    fn no_config_gives_ppp0_exactly_the_articles_100_200() {
        let config = Config::default();
        assert_eq!(
            config.slot_for("ppp0", None, Values::default()),
            Ok(slot(100, 200))
        );
    }

    #[test]
    fn ppp_n_gets_base_plus_n() {
        let config = Config::default();
        assert_eq!(
            config.slot_for("ppp1", None, Values::default()),
            Ok(slot(101, 201))
        );
        assert_eq!(
            config.slot_for("ppp12", Some("3"), Values::default()),
            Ok(slot(112, 212)),
            "the name wins over UNIT"
        );
    }

    #[test]
    fn renamed_interface_uses_pppd_unit_or_needs_a_section() {
        let config = Config::default();
        assert_eq!(
            config.slot_for("wan0", Some("2"), Values::default()),
            Ok(slot(102, 202))
        );
        let error = config
            .slot_for("wan0", None, Values::default())
            .unwrap_err();
        assert!(error.contains("[wan0]"), "{error}");
        assert!(config.slot_for("ppp01", None, Values::default()).is_err());
    }

    #[test]
    fn sections_override_and_flags_override_sections() {
        let config =
            Config::parse("table = 110\npriority=210\n[ppp1]\ntable = 150 # isp two\n").unwrap();
        assert_eq!(
            config.slot_for("ppp0", None, Values::default()),
            Ok(slot(110, 210))
        );
        assert_eq!(
            config.slot_for("ppp1", None, Values::default()),
            Ok(slot(150, 211)),
            "a section sets only what it names"
        );
        let flags = Values {
            table: Some(120),
            ..Values::default()
        };
        assert_eq!(config.slot_for("ppp1", None, flags), Ok(slot(120, 211)));
    }

    #[test]
    fn section_makes_any_name_usable() {
        let config = Config::parse("[wan0]\ntable = 150\npriority = 250\n").unwrap();
        assert_eq!(
            config.slot_for("wan0", None, Values::default()),
            Ok(slot(150, 250))
        );
    }

    #[test]
    fn errors_carry_line_numbers() {
        let cases = [
            ("table = 100\n\nfoo = 1\n", 3, "unknown key"),
            ("table = x\n", 1, "not a number"),
            ("# c\ntable = 254\n", 2, "reserved"),
            ("priority = 0\n", 1, "outside"),
            ("[ppp1\n", 1, "']'"),
            ("[ppp1]\n[ppp1]\n", 2, "twice"),
            ("table = 100\ntable = 101\n", 2, "twice"),
            ("just words\n", 1, "key = value"),
            ("[a/b]\n", 1, "interface name"),
            ("forward = maybe\n", 1, "yes or no"),
            ("mark = 0\n", 1, "unmarked"),
            ("mark = 0x10\n", 1, "outside mark_mask"),
            ("mark_mask = 0xff\n\nmark = 0x100\n", 3, "outside mark_mask"),
            ("[ppp1]\nmark_mask = 0xff\n", 2, "every interface"),
            ("[ppp1]\nrp_filter = loose\n", 2, "every interface"),
            ("rp_filter = strict\n", 1, "loose or keep"),
            ("fwmark_priority = 40000\n", 1, "outside"),
            ("mark = 0xzz\n", 1, "not a number"),
        ];
        for (text, line, needle) in cases {
            let error = Config::parse(text).unwrap_err();
            assert_eq!(error.line, line, "{text:?}: {error}");
            assert!(error.message.contains(needle), "{text:?}: {error}");
        }
    }

    #[test]
    fn scheme_that_lands_on_a_kernel_table_is_refused() {
        let config = Config::default();
        let error = config
            .slot_for("ppp153", None, Values::default())
            .unwrap_err();
        assert!(error.contains("253"), "{error}");
    }

    #[test]
    fn shipped_example_config_is_valid_and_means_the_defaults() {
        let config = Config::parse(include_str!("../rs-pppoe-rule.conf.example")).unwrap();
        assert_eq!(
            config.slot_for("ppp0", None, Values::default()),
            Ok(slot(100, 200))
        );
        assert!(config.interfaces.is_empty());
    }

    fn on(value: u32, mask: u32, fwmark_priority: u32) -> Forwarding {
        Forwarding::On {
            mark: Mark { value, mask },
            fwmark_priority,
            rp_filter: RpFilterPolicy::Loose,
        }
    }

    #[test]
    fn forwarding_is_on_by_default_with_a_mark_and_rule_per_session() {
        let config = Config::default();
        assert_eq!(
            config.forwarding_for("ppp0", None),
            on(0x0100_0000, 0x0f00_0000, 300)
        );
        assert_eq!(
            config.forwarding_for("ppp1", None),
            on(0x0200_0000, 0x0f00_0000, 301)
        );
        assert_eq!(
            config.forwarding_for("wan0", Some("2")),
            on(0x0300_0000, 0x0f00_0000, 302)
        );
    }

    #[test]
    fn forwarding_can_be_switched_off_or_renumbered() {
        let config = Config::parse(
            "forward = no\nmark = 0x10\nmark_mask = 0xf0\nfwmark_priority = 400\n\
             rp_filter = keep\n[ppp1]\nforward = yes\n[wan0]\nforward = yes\nmark = 0x70\n\
             fwmark_priority = 450\n",
        )
        .unwrap();
        assert_eq!(config.forwarding_for("ppp0", None), Forwarding::Off);
        assert_eq!(config.fwmark_priority_for("ppp0", None), Some(400));
        assert_eq!(
            config.forwarding_for("ppp1", None),
            Forwarding::On {
                mark: Mark {
                    value: 0x20,
                    mask: 0xf0
                },
                fwmark_priority: 401,
                rp_filter: RpFilterPolicy::Keep,
            }
        );
        assert!(matches!(
            config.forwarding_for("wan0", None),
            Forwarding::On {
                mark: Mark { value: 0x70, .. },
                fwmark_priority: 450,
                ..
            }
        ));
    }

    #[test]
    fn sessions_beyond_the_masks_bits_lose_forwarding_not_their_source_rule() {
        let config = Config::default();
        let Forwarding::Unavailable(why) = config.forwarding_for("ppp15", None) else {
            panic!("ppp15 has no mark left in 0xf000000");
        };
        assert!(why.contains("[ppp15]"), "{why}");
        assert!(config.slot_for("ppp15", None, Values::default()).is_ok());
        assert!(matches!(
            config.forwarding_for("wan0", None),
            Forwarding::Unavailable(_)
        ));
    }

    #[test]
    fn manages_recognises_scheme_and_section_slots() {
        let config = Config::parse("[wan0]\ntable = 150\npriority = 250\n").unwrap();
        assert!(config.manages(slot(100, 200)));
        assert!(config.manages(slot(103, 203)));
        assert!(config.manages(slot(150, 250)));
        assert!(!config.manages(slot(100, 201)));
        assert!(!config.manages(slot(254, 32766)));
    }
}
