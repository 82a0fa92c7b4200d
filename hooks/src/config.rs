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
//! Table scheme: interface `pppN` (or, for other names, pppd's `UNIT=N`) gets
//! table `table + N` and priority `priority + N`, so `ppp0` keeps exactly the
//! article's 100/200 and `ppp1` gets 101/201. A `[name]` section sets either
//! value for that interface exactly; command-line flags beat everything.

use std::collections::BTreeMap;
use std::fmt;

use crate::plan::Slot;

/// Default base table: the article's `table 100`.
pub const DEFAULT_TABLE: u32 = 100;
/// Default base priority: the article's `priority 200`.
pub const DEFAULT_PRIORITY: u32 = 200;
/// Where the optional configuration file lives.
pub const DEFAULT_PATH: &str = "/etc/ppp/rs-pppoe-rule.conf";

/// Table/priority values, each optional (unset = derived).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Values {
    pub table: Option<u32>,
    pub priority: Option<u32>,
}

/// The parsed configuration file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Top-level `table`/`priority`: the base of the scheme.
    pub base: Values,
    /// `[iface]` sections.
    pub interfaces: BTreeMap<String, Values>,
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
            let number: u32 = value
                .parse()
                .map_err(|_| error(format!("{key}: not a number: {value:?}")))?;
            let values = match &section {
                Some(name) => config.interfaces.get_mut(name).expect("section inserted"),
                None => &mut config.base,
            };
            let slot = match key {
                "table" => {
                    check_table(number).map_err(&error)?;
                    &mut values.table
                }
                "priority" => {
                    check_priority(number).map_err(&error)?;
                    &mut values.priority
                }
                _ => {
                    return Err(error(format!(
                        "unknown key {key:?} (known: table, priority)"
                    )));
                }
            };
            if slot.replace(number).is_some() {
                return Err(error(format!("{key} set twice")));
            }
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
            priority: None,
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
