//! "Where does an access concentrator answer?": discovery on several
//! interfaces, or several VLANs of one interface, at once — one socket per
//! interface, one poll loop ([`crate::driver::run_probes`]).
//!
//! [`scan_interfaces`] is what `rs-pppoe-discovery --all` and
//! `rs-pppoe-setup` use to find the port the gateway is on;
//! [`probe_vlans`] is `rs-pppoe-discovery --probe-vlans`. Both run
//! discovery in listing mode (PADI → PADO, never a PADR), so nothing is
//! left open on any AC.
//!
//! ```no_run
//! use rs_pppoe::discovery::Settings;
//! use rs_pppoe::scan::{candidate_interfaces, scan_interfaces};
//!
//! let interfaces = candidate_interfaces().unwrap_or_default();
//! for scan in scan_interfaces(&interfaces, &Settings::default()) {
//!     match &scan.result {
//!         Ok(offers) if !offers.is_empty() => println!("{}: {} AC(s)", scan.interface, offers.len()),
//!         Ok(_) => println!("{}: {}", scan.interface, scan.diagnosis.as_deref().unwrap_or("")),
//!         Err(e) => println!("{}: {e}", scan.interface),
//!     }
//! }
//! ```

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::time::Instant;

use crate::discovery::{
    Client, Config, ConfigError, Event, FilterNames, Mode, Offer, Outcome, Settings, Summary,
};
use crate::driver::{self, Direction, DriverError, Port, Probe, ProbeHooks, VlanWatch, WatchFrom};
use crate::sys::{
    InterfaceError, LinkProblem, PacketSocket, ethernet_link, interface_names, link_problem_behind,
    link_state,
};
use crate::wire::MacAddr;

/// VLAN ids `--probe-vlans` tries when given no list: the ids ISPs hand
/// PPPoE over most often (sources in `rs-pppoe-discovery(8)`): 6 Movistar
/// and O2 (Spain), 7 Deutsche Telekom (and its resellers), 10 New Zealand's
/// UFB fibre, Ireland's open eir, Singtel, 11 and 621 Maxis (Malaysia), 12
/// MEO (Portugal), 35 Orange Polska, 100 Vodafone Portugal, 500 Unifi
/// (Malaysia), 1103 M1 (Singapore).
pub const DEFAULT_PROBE_VLANS: &[u16] = &[6, 7, 10, 11, 12, 35, 100, 500, 621, 1103];

/// Why an interface could not be probed.
#[derive(Debug)]
pub enum ScanError {
    /// Missing, not Ethernet, no privileges, …
    Interface(InterfaceError),
    /// Down, or no carrier.
    Link(LinkProblem),
    /// The settings cannot produce valid frames on it.
    Config(ConfigError),
    /// Its socket failed during the probe.
    Io(io::Error),
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::Interface(e) => write!(f, "{e}"),
            ScanError::Link(e) => write!(f, "{e}"),
            ScanError::Config(e) => write!(f, "{e}"),
            ScanError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ScanError {}

/// What one interface answered.
#[derive(Debug)]
pub struct InterfaceScan {
    pub interface: String,
    /// Every offer that matched the settings' `-S`/`-C` (in the order they
    /// arrived; empty when no AC answered), or why the interface could not
    /// be probed.
    pub result: Result<Vec<Offer>, ScanError>,
    /// When no offer came: one line saying why (see
    /// [`Summary`](crate::discovery::Summary)), e.g. "no PPPoE frame from any
    /// host on enp2s0 (...)" or a VLAN hint.
    pub diagnosis: Option<String>,
}

/// What one VLAN (or the untagged interface) answered.
#[derive(Debug)]
pub struct VlanScan {
    /// `None`: untagged.
    pub vlan: Option<u16>,
    pub offers: Vec<Offer>,
}

/// The interfaces worth probing: Ethernet, up, not a bond's member, and
/// not known to lack a carrier (an unknown carrier is probed).
pub fn candidate_interfaces() -> io::Result<Vec<String>> {
    Ok(interface_names()?
        .into_iter()
        .filter(|name| ethernet_link(name).is_ok())
        .filter(|name| {
            link_state(name).is_ok_and(|state| !state.enslaved && state.problem(name).is_none())
        })
        .collect())
}

/// Probes `interfaces` at once, with `settings` in listing mode, and
/// returns one result per interface, in the same order. Takes as long as
/// the slowest interface: one wait window when an AC answers, all of
/// `settings.attempts` (doubling from `settings.timeout`) when none does.
///
/// Needs CAP_NET_RAW. Closing its sockets costs the kernel several
/// milliseconds each; [`scan_interfaces_keeping`] leaves that to the
/// caller.
pub fn scan_interfaces(interfaces: &[String], settings: &Settings) -> Vec<InterfaceScan> {
    scan_interfaces_keeping(interfaces, settings, &mut Vec::new())
}

/// [`scan_interfaces`], handing its sockets to `keep` instead of closing
/// them.
pub fn scan_interfaces_keeping(
    interfaces: &[String],
    settings: &Settings,
    keep: &mut Vec<OwnedFd>,
) -> Vec<InterfaceScan> {
    let now = Instant::now();
    let mut results: Vec<InterfaceScan> = Vec::with_capacity(interfaces.len());
    // The probed interfaces: their slot in `results` and their socket.
    let mut opened: Vec<(usize, PacketSocket)> = Vec::new();
    let mut clients: Vec<Client> = Vec::new();
    for name in interfaces {
        let slot = results.len();
        results.push(InterfaceScan {
            interface: name.clone(),
            result: Ok(Vec::new()),
            diagnosis: None,
        });
        match open_probe(name, settings, now) {
            Ok((socket, client)) => {
                opened.push((slot, socket));
                clients.push(client);
            }
            Err(e) => results[slot].result = Err(e),
        }
    }
    let mut watches: Vec<VlanWatch> = opened
        .iter()
        .map(|(_, socket)| VlanWatch::new(socket.ifname().as_str(), WatchFrom::Start))
        .collect();
    let mut hooks = Observers {
        summaries: (0..opened.len())
            .map(|_| Summary::new(settings, FilterNames::CLI))
            .collect(),
    };
    let failures = {
        let mut ports: Vec<Port<'_>> = opened
            .iter()
            .zip(watches.iter_mut())
            .map(|((_, socket), watch)| Port::new(socket, watch))
            .collect();
        let mut probes: Vec<Probe<'_>> = clients
            .iter_mut()
            .enumerate()
            .map(|(port, client)| Probe {
                port,
                vlan: None,
                client,
            })
            .collect();
        // Nothing here cancels; the only error is cancellation.
        let _ = driver::run_probes(&mut ports, &mut probes, &mut hooks);
        ports.into_iter().map(|p| p.failure).collect::<Vec<_>>()
    };
    for (((slot, socket), client), (failure, summary)) in opened
        .into_iter()
        .zip(clients)
        .zip(failures.into_iter().zip(hooks.summaries))
    {
        let name = socket.ifname().as_str().to_owned();
        let scan = &mut results[slot];
        match (failure, client.into_outcome()) {
            (Some(failure), _) => scan.result = Err(driver_failure(&name, failure)),
            (None, Some(Outcome::Offers(offers))) => scan.result = Ok(offers),
            (None, Some(Outcome::Failed(failure))) => {
                // The cable may have gone while we waited.
                let problem = link_state(&name).ok().and_then(|s| s.problem(&name));
                scan.diagnosis = Some(match problem {
                    Some(problem) => problem.to_string(),
                    None => summary.explain(&name, &failure),
                });
            }
            (None, _) => {}
        }
        keep.push(socket.into());
    }
    for watch in watches {
        if let Some(socket) = watch.into_socket() {
            keep.push(socket.into());
        }
    }
    results
}

/// Probes `interface` untagged and on each VLAN of `vlans` at once, with
/// `settings` in listing mode: tagged PADIs go out on the interface itself,
/// tagged answers come back through its VLAN watcher. Returns the untagged
/// result first, then one per VLAN in the order given. The interface's own
/// problems (missing, down, no carrier) are an error.
pub fn probe_vlans(
    interface: &str,
    vlans: &[u16],
    settings: &Settings,
    keep: &mut Vec<OwnedFd>,
) -> Result<Vec<VlanScan>, ScanError> {
    let (socket, client) = open_probe(interface, settings, Instant::now())?;
    let mut watch = VlanWatch::new(interface, WatchFrom::Start);
    let tags: Vec<Option<u16>> = std::iter::once(None)
        .chain(vlans.iter().copied().map(Some))
        .collect();
    let mut clients: Vec<Client> = tags.iter().map(|_| client.clone()).collect();
    let failure = {
        let mut ports = [Port::new(&socket, &mut watch)];
        let mut probes: Vec<Probe<'_>> = clients
            .iter_mut()
            .zip(&tags)
            .map(|(client, &vlan)| Probe {
                port: 0,
                vlan,
                client,
            })
            .collect();
        let mut hooks = Observers {
            summaries: Vec::new(),
        };
        let _ = driver::run_probes(&mut ports, &mut probes, &mut hooks);
        let [port] = ports;
        port.failure
    };
    keep.push(socket.into());
    if let Some(watcher) = watch.into_socket() {
        keep.push(watcher.into());
    }
    if let Some(failure) = failure {
        return Err(driver_failure(interface, failure));
    }
    Ok(tags
        .into_iter()
        .zip(clients)
        .map(|(vlan, client)| VlanScan {
            vlan,
            offers: match client.into_outcome() {
                Some(Outcome::Offers(offers)) => offers,
                _ => Vec::new(),
            },
        })
        .collect())
}

/// The discovery socket and listing-mode client for one interface, after
/// the pre-flight check.
fn open_probe(
    interface: &str,
    settings: &Settings,
    now: Instant,
) -> Result<(PacketSocket, Client), ScanError> {
    if let Some(problem) = link_state(interface)
        .ok()
        .and_then(|state| state.problem(interface))
    {
        return Err(ScanError::Link(problem));
    }
    let socket = PacketSocket::discovery(interface).map_err(ScanError::Interface)?;
    let config = Config::from_settings(
        MacAddr(socket.mac()),
        settings,
        std::process::id(),
        Mode::ListOffers,
    );
    let client = Client::new(config, now).map_err(ScanError::Config)?;
    Ok((socket, client))
}

/// A port's failure in the user's terms.
fn driver_failure(interface: &str, failure: DriverError) -> ScanError {
    match failure {
        DriverError::Io { source, .. } => match link_problem_behind(interface, &source) {
            Some(problem) => ScanError::Link(problem),
            None => ScanError::Io(source),
        },
        DriverError::Cancelled => ScanError::Io(io::Error::other("cancelled")),
    }
}

/// Feeds each port's summary (the VLAN-probe run keeps none).
struct Observers {
    summaries: Vec<Summary>,
}

impl ProbeHooks for Observers {
    fn event(&mut self, probe: usize, event: &Event) {
        if let Some(summary) = self.summaries.get_mut(probe) {
            summary.event(event);
        }
    }

    fn frame(&mut self, probe: usize, direction: Direction, frame: &[u8]) {
        if let Some(summary) = self.summaries.get_mut(probe) {
            match direction {
                Direction::Sent => summary.sent(frame),
                Direction::Received => summary.received(frame),
            }
        }
    }

    fn tagged_frame(&mut self, port: usize, vid: u16, frame: &[u8]) {
        if let Some(summary) = self.summaries.get_mut(port) {
            summary.tagged(vid, frame);
        }
    }
}
