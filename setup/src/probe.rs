//! Finding the interface the access concentrator answers on: a PADI on
//! every Ethernet interface that is up, at once, and the offers that came
//! back on each.
//!
//! Setup sees this through the [`FindAc`] trait. [`LibraryProbe`] builds
//! it from the `rs-pppoe` library's public pieces (packet socket,
//! discovery client in listing mode, driver loop); when the library grows
//! its own all-interfaces probe (`rs-pppoe-discovery --all`),
//! `LibraryProbe::probe_all` becomes a call to it.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use rs_pppoe::discovery::{Client, Config, Mode, Offer, Outcome, Settings};
use rs_pppoe::driver;
use rs_pppoe::sys::PacketSocket;
use rs_pppoe::wire::{MacAddr, printable};

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
        let interfaces = ethernet_interfaces_up(Path::new("/sys/class/net"));
        std::thread::scope(|scope| {
            let probes: Vec<_> = interfaces
                .iter()
                .map(|name| scope.spawn(move || self.probe(name)))
                .collect();
            probes
                .into_iter()
                .zip(&interfaces)
                .map(|(probe, name)| {
                    probe.join().unwrap_or_else(|_| Found {
                        interface: name.clone(),
                        result: Err("the probe failed".into()),
                        diagnosis: None,
                    })
                })
                .collect()
        })
    }

    fn probe(&self, interface: &str) -> Found {
        Found {
            interface: interface.to_owned(),
            result: list_offers(interface, &self.settings),
            diagnosis: None,
        }
    }
}

fn list_offers(interface: &str, settings: &Settings) -> Result<Vec<Offer>, String> {
    let sock = PacketSocket::discovery(interface).map_err(|e| e.to_string())?;
    let config = Config::from_settings(
        MacAddr(sock.mac()),
        settings,
        std::process::id(),
        Mode::ListOffers,
    );
    let mut client = Client::new(config, Instant::now()).map_err(|e| e.to_string())?;
    driver::run(&sock, &mut client, |_| {}, || false).map_err(|e| e.to_string())?;
    Ok(match client.into_outcome() {
        Some(Outcome::Offers(offers)) => offers,
        _ => Vec::new(),
    })
}

/// `ARPHRD_ETHER` in `/sys/class/net/*/type`.
const ARPHRD_ETHER: u32 = 1;
/// `IFF_UP` in `/sys/class/net/*/flags`.
const IFF_UP: u32 = 0x1;

/// Names of the Ethernet interfaces that are administratively up, sorted,
/// from a sysfs `class/net` directory.
pub fn ethernet_interfaces_up(class_net: &Path) -> Vec<String> {
    let read = |name: &str, attribute: &str| -> Option<u32> {
        let text = fs::read_to_string(class_net.join(name).join(attribute)).ok()?;
        let text = text.trim();
        match text.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        }
    };
    let mut names: Vec<String> = fs::read_dir(class_net)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            read(name, "type") == Some(ARPHRD_ETHER)
                && read(name, "flags").is_some_and(|flags| flags & IFF_UP != 0)
        })
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    #[test]
    fn only_ethernet_interfaces_that_are_up_are_probed() {
        let scratch = Scratch::new("sysfs");
        let dir = &scratch.0;
        for (name, kind, flags) in [
            ("lo", "772", "0x9"),
            ("enp1s0", "1", "0x1003"),
            ("enp2s0", "1", "0x1002"),
            ("eth0", "1", "0x1003"),
            ("tun0", "65534", "0x1091"),
        ] {
            fs::create_dir_all(dir.join(name)).unwrap();
            fs::write(dir.join(name).join("type"), format!("{kind}\n")).unwrap();
            fs::write(dir.join(name).join("flags"), format!("{flags}\n")).unwrap();
        }
        fs::write(dir.join("bonding_masters"), "\n").unwrap();
        assert_eq!(ethernet_interfaces_up(dir), ["enp1s0", "eth0"]);
    }

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
