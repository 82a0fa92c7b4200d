//! Finding the interface the access concentrator answers on: a PADI on
//! every Ethernet interface that is up, at once, and the offers that came
//! back on each.
//!
//! Setup sees this through the [`FindAc`] trait (tests script it).
//! [`LibraryProbe`] is the library's own all-interfaces probe, the one
//! behind `rs-pppoe-discovery --all`.

use std::time::Duration;

use rs_pppoe::discovery::{Offer, Settings};
use rs_pppoe::scan::{self, InterfaceScan};
use rs_pppoe::wire::printable;

use crate::answers::{BadAnswer, Interface};

/// What one interface answered.
#[derive(Debug, Clone)]
pub struct Found {
    pub interface: String,
    /// The acceptable offers (none: no AC answered), or why the interface
    /// could not be probed.
    pub result: Result<Vec<Offer>, String>,
    /// When no AC answered and the probe knows why (no carrier, answers on
    /// a VLAN, ...): one line saying so.
    pub diagnosis: Option<String>,
}

impl Found {
    /// The offers, empty when the probe failed.
    pub fn offers(&self) -> &[Offer] {
        self.result.as_deref().unwrap_or(&[])
    }

    /// One line per offer (or the failure), AC text made printable.
    pub fn describe(&self) -> String {
        match &self.result {
            Err(e) => format!("{}: cannot probe: {e}", self.interface),
            Ok(offers) if offers.is_empty() => match &self.diagnosis {
                Some(why) => format!("{}: no access concentrator answered: {why}", self.interface),
                None => format!("{}: no access concentrator answered", self.interface),
            },
            Ok(offers) => offers
                .iter()
                .map(|offer| {
                    let services: Vec<String> = offer
                        .service_names
                        .iter()
                        .filter(|s| !s.is_empty())
                        .map(|s| printable(s))
                        .collect();
                    let services = if services.is_empty() {
                        String::new()
                    } else {
                        format!(", services: {}", services.join(", "))
                    };
                    format!(
                        "{}: access concentrator \"{}\" ({}){services}",
                        self.interface,
                        printable(&offer.ac_name),
                        offer.ac_mac
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// Looks for access concentrators.
pub trait FindAc {
    /// Every Ethernet interface that is up, probed at once.
    fn probe_all(&self) -> Vec<Found>;
    /// One interface.
    fn probe(&self, interface: &str) -> Found;
    /// `name` as an interface PPPoE can run on (by default: as the kernel
    /// describes it, the checks the plugin makes).
    fn interface(&self, name: &str) -> Result<Interface, BadAnswer> {
        Interface::parse(name)
    }
}

/// [`FindAc`] on the library's discovery client, in listing mode.
pub struct LibraryProbe {
    pub settings: Settings,
}

impl Default for LibraryProbe {
    /// One PADI, then a second one: an AC on the LAN answers within
    /// milliseconds, so a quiet interface costs 1 + 2 s.
    fn default() -> LibraryProbe {
        LibraryProbe {
            settings: Settings {
                timeout: Duration::from_secs(1),
                attempts: 2,
                ..Settings::default()
            },
        }
    }
}

impl FindAc for LibraryProbe {
    fn probe_all(&self) -> Vec<Found> {
        let interfaces = scan::candidate_interfaces().unwrap_or_default();
        scan::scan_interfaces(&interfaces, &self.settings)
            .into_iter()
            .map(Found::from)
            .collect()
    }

    fn probe(&self, interface: &str) -> Found {
        scan::scan_interfaces(&[interface.to_owned()], &self.settings)
            .into_iter()
            .next()
            .map_or_else(
                || Found {
                    interface: interface.to_owned(),
                    result: Err("the probe returned nothing".into()),
                    diagnosis: None,
                },
                Found::from,
            )
    }
}

impl From<InterfaceScan> for Found {
    fn from(scan: InterfaceScan) -> Found {
        Found {
            interface: scan.interface,
            result: scan.result.map_err(|e| e.to_string()),
            diagnosis: scan.diagnosis,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rs_pppoe::wire::MacAddr;

    #[test]
    fn ac_text_is_shown_printable() {
        let found = Found {
            interface: "enp1s0".into(),
            result: Ok(vec![Offer {
                ac_mac: MacAddr([2, 0, 0, 0, 0, 1]),
                ac_name: b"BRAS\x1b[2J".to_vec(),
                service_names: vec![Vec::new(), b"internet".to_vec()],
                cookie: None,
                relay_id: None,
                max_payload: None,
            }]),
            diagnosis: None,
        };
        let text = found.describe();
        assert!(!text.contains('\x1b'), "{text:?}");
        assert!(
            text.starts_with("enp1s0: access concentrator \"BRAS"),
            "{text}"
        );
        assert!(
            text.ends_with("(02:00:00:00:00:01), services: internet"),
            "{text}"
        );
    }
}
