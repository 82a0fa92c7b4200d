//! `hook_config`: any text as `/etc/ppp/rs-pppoe-rule.conf`.
//!
//! Invariants: parsing never panics; an error names a line of the file;
//! a parsed file holds only valid interface names and usable tables and
//! priorities, and every lookup (`pppN`, renamed interfaces with and
//! without pppd's `UNIT`, each section) gives a usable slot or an error,
//! with command-line flags beating the file.

use rs_pppoe_rule::config::{Config, is_valid_ifname};

use super::{assert_usable, check_lookup};

/// Interfaces looked up in every parsed file, besides its sections.
const PROBES: [&str; 6] = ["ppp0", "ppp1", "ppp152", "ppp4294967295", "wan0", "ppp01"];

pub fn run(data: &[u8]) {
    // The hook reads the file as UTF-8; other bytes never reach the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = match Config::parse(text) {
        Ok(config) => config,
        Err(error) => {
            let lines = text.lines().count();
            assert!(
                (1..=lines).contains(&error.line),
                "error on line {} of {lines}: {error}",
                error.line
            );
            return;
        }
    };
    for (name, values) in &config.interfaces {
        assert!(is_valid_ifname(name), "section [{name:?}] accepted");
        if let (Some(table), Some(priority)) = (values.table, values.priority) {
            assert_usable(rs_pppoe_rule::plan::Slot { table, priority }, name);
        }
    }
    let sections = config.interfaces.keys().map(String::as_str);
    for iface in PROBES.into_iter().chain(sections) {
        for unit in [None, Some("3"), Some("4294967295"), Some("x")] {
            check_lookup(&config, iface, unit);
        }
    }
}

pub fn describe(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(text) => format!("{text:?}\n=> {:?}", Config::parse(text)),
        Err(_) => "(not UTF-8; skipped)".to_string(),
    }
}
