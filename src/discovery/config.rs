//! What discovery asks for and accepts: the user's [`Settings`] (shared by
//! the plugin's options and `rs-pppoe-discovery`'s flags) and the
//! [`Config`] one client runs with on one interface.

use std::fmt;
use std::time::{Duration, Instant};

use crate::wire::{self, MacAddr};

/// Default initial wait for PADO and PADS (pppd's `PADI_TIMEOUT`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of PADIs, and of PADRs (pppd's `MAX_PADI_ATTEMPTS`).
pub const DEFAULT_ATTEMPTS: u32 = 3;
/// Without PPP-Max-Payload, PPPoE carries 1500 − 8 bytes of PPP (RFC 2516).
pub const DEFAULT_MAX_PAYLOAD: u16 = 1492;
/// The Service-Name value that makes every upstream plugin (and
/// `pppoe-discovery -S`) send its PADI without a Service-Name tag, for access
/// concentrators that refuse a PADI carrying one.
pub const NO_SERVICE_NAME: &[u8] = b"NO-SERVICE-NAME-NON-RFC-COMPLIANT";

/// What the client is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The first acceptable PADO wins; go on with PADR and wait for PADS.
    Session,
    /// Collect every acceptable offer until a wait window closes with at
    /// least one (what `pppoe-discovery` does); never send PADR.
    ListOffers,
}

/// Which Host-Uniq to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostUniq {
    /// The 4 bytes of the process id in host byte order (pppd's default,
    /// and `pppoe-discovery -U`).
    Pid,
    /// These bytes (`pppoe-host-uniq`, `pppoe-discovery -W`).
    Bytes(Vec<u8>),
}

impl HostUniq {
    /// The tag's value for a process with id `pid`.
    pub fn bytes(&self, pid: u32) -> Vec<u8> {
        match self {
            HostUniq::Pid => pid.to_ne_bytes().to_vec(),
            HostUniq::Bytes(bytes) => bytes.clone(),
        }
    }
}

/// What the user chose: the values the plugin's pppd options and
/// `rs-pppoe-discovery`'s flags have in common. [`Config::from_settings`]
/// turns them into one client's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Service-Name to request; empty means any service, and
    /// [`NO_SERVICE_NAME`] means any service without a Service-Name tag in
    /// the PADI.
    pub service_name: Vec<u8>,
    /// Only accept a PADO whose AC-Name is exactly this.
    pub ac_name: Option<Vec<u8>>,
    /// Only accept a PADO from this MAC.
    pub ac_mac: Option<MacAddr>,
    /// The Host-Uniq to send and require back.
    pub host_uniq: HostUniq,
    /// First wait; doubled for every further attempt.
    pub timeout: Duration,
    /// PADIs to send before giving up, and likewise PADRs.
    pub attempts: u32,
}

impl Default for Settings {
    /// pppd's defaults: any service, any AC, the pid as Host-Uniq, 5 s, 3
    /// attempts.
    fn default() -> Settings {
        Settings {
            service_name: Vec::new(),
            ac_name: None,
            ac_mac: None,
            host_uniq: HostUniq::Pid,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
        }
    }
}

/// What to ask for and what to accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Our interface's MAC: the source of our frames, the destination of
    /// acceptable answers.
    pub our_mac: MacAddr,
    /// Host-Uniq we send and require back. Must not be empty.
    pub host_uniq: Vec<u8>,
    /// Service-Name to request; empty means any service.
    pub service_name: Vec<u8>,
    /// Send the PADI without a Service-Name tag and take any offer, with or
    /// without Service-Name tags; the PADR then asks for the chosen offer's
    /// first Service-Name (empty if it had none). `service_name` is empty.
    pub omit_service_name: bool,
    /// Only accept a PADO whose AC-Name is exactly this.
    pub ac_name: Option<Vec<u8>>,
    /// Only accept a PADO from this MAC (pppd's `pppoe-mac`).
    pub ac_mac: Option<MacAddr>,
    /// First wait; doubled for every further attempt.
    pub timeout: Duration,
    /// PADIs to send before giving up, and likewise PADRs.
    pub attempts: u32,
    /// RFC 4638: advertise PPP-Max-Payload with this value in PADI and PADR
    /// (only values above 1492 are sent).
    pub max_payload: Option<u16>,
    /// Session or listing.
    pub mode: Mode,
    /// ACs we sent a PADT for a stale session just before this discovery,
    /// and when: they may answer "busy" while they release it.
    pub released: Vec<(MacAddr, Instant)>,
}

impl Config {
    /// pppd's defaults: any service, any AC, 5 s, 3 attempts, session mode.
    pub fn new(our_mac: MacAddr, host_uniq: Vec<u8>) -> Config {
        Config {
            our_mac,
            host_uniq,
            service_name: Vec::new(),
            omit_service_name: false,
            ac_name: None,
            ac_mac: None,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            max_payload: None,
            mode: Mode::Session,
            released: Vec::new(),
        }
    }

    /// The configuration for discovery on the interface whose MAC is
    /// `our_mac`, by the process `pid`, with the user's `settings`. The one
    /// place where the plugin and the CLI turn what the user chose into a
    /// client configuration. [`NO_SERVICE_NAME`] becomes
    /// [`Config::omit_service_name`], as every upstream plugin reads it.
    pub fn from_settings(our_mac: MacAddr, settings: &Settings, pid: u32, mode: Mode) -> Config {
        let omit_service_name = settings.service_name == NO_SERVICE_NAME;
        Config {
            service_name: if omit_service_name {
                Vec::new()
            } else {
                settings.service_name.clone()
            },
            omit_service_name,
            ac_name: settings.ac_name.clone(),
            ac_mac: settings.ac_mac,
            timeout: settings.timeout,
            attempts: settings.attempts,
            mode,
            ..Config::new(our_mac, settings.host_uniq.bytes(pid))
        }
    }

    /// The PPP-Max-Payload value the PADI carries, if any.
    pub(super) fn advertised_max_payload(&self) -> Option<u16> {
        self.max_payload.filter(|&v| v > DEFAULT_MAX_PAYLOAD)
    }

    /// The PPP-Max-Payload value the PADR to an AC offering `offered`
    /// carries: the advertised one lowered to the offer's, as pppd's plugin
    /// does; none once that is 1492 or less.
    pub(super) fn requested_max_payload(&self, offered: Option<u16>) -> Option<u16> {
        let ours = self.advertised_max_payload()?;
        Some(offered.map_or(ours, |theirs| ours.min(theirs))).filter(|&v| v > DEFAULT_MAX_PAYLOAD)
    }

    /// The Service-Name the PADR asks for from an AC offering `offered`.
    pub(super) fn requested_service<'a>(&'a self, offered: &'a [Vec<u8>]) -> &'a [u8] {
        if self.omit_service_name {
            offered.first().map_or(&[][..], Vec::as_slice)
        } else {
            &self.service_name
        }
    }
}

/// A configuration the client cannot run with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Host-Uniq is required to tell our answers from other hosts'.
    EmptyHostUniq,
    /// No attempts, or a zero timeout.
    NoAttempts,
    /// Our own MAC is a group address.
    OurMacNotUnicast(MacAddr),
    /// The PADI or PADR built from this configuration would be too long.
    TooLong(wire::Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::EmptyHostUniq => f.write_str("Host-Uniq must not be empty"),
            ConfigError::NoAttempts => f.write_str("attempts and timeout must be at least 1"),
            ConfigError::OurMacNotUnicast(mac) => {
                write!(f, "interface has broadcast/multicast MAC address {mac}")
            }
            ConfigError::TooLong(e) => write!(f, "discovery packet {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x02]);

    #[test]
    fn default_settings_give_pppds_defaults_with_the_pid_as_host_uniq() {
        let config = Config::from_settings(MAC, &Settings::default(), 0x5ecf, Mode::Session);
        assert_eq!(config, Config::new(MAC, 0x5ecf_u32.to_ne_bytes().to_vec()));
    }

    #[test]
    fn every_setting_reaches_the_configuration() {
        let settings = Settings {
            service_name: b"internet".to_vec(),
            ac_name: Some(b"BRAS-1".to_vec()),
            ac_mac: Some(MacAddr([0x02, 0xac, 0, 0, 0, 1])),
            host_uniq: HostUniq::Bytes(vec![0xc0, 0xff, 0xee]),
            timeout: Duration::from_secs(2),
            attempts: 7,
        };
        let config = Config::from_settings(MAC, &settings, 1, Mode::ListOffers);
        assert_eq!(config.service_name, b"internet");
        assert_eq!(config.ac_name.as_deref(), Some(&b"BRAS-1"[..]));
        assert_eq!(config.ac_mac, settings.ac_mac);
        assert_eq!(config.host_uniq, vec![0xc0, 0xff, 0xee]);
        assert_eq!(config.timeout, Duration::from_secs(2));
        assert_eq!(config.attempts, 7);
        assert_eq!(config.mode, Mode::ListOffers);
        assert_eq!(config.max_payload, None);
        assert!(!config.omit_service_name);
    }

    #[test]
    fn the_no_service_name_value_omits_the_tag_instead_of_naming_a_service() {
        let settings = Settings {
            service_name: NO_SERVICE_NAME.to_vec(),
            ..Settings::default()
        };
        let config = Config::from_settings(MAC, &settings, 1, Mode::Session);
        assert!(config.omit_service_name);
        assert!(config.service_name.is_empty(), "no offer must carry it");
        // Any other spelling is an ordinary service name.
        let settings = Settings {
            service_name: b"no-service-name-non-rfc-compliant".to_vec(),
            ..Settings::default()
        };
        let config = Config::from_settings(MAC, &settings, 1, Mode::Session);
        assert!(!config.omit_service_name);
    }

    #[test]
    fn the_padr_max_payload_is_lowered_to_the_offer() {
        let mut config = Config::new(MAC, vec![1]);
        assert_eq!(config.requested_max_payload(Some(1500)), None);
        config.max_payload = Some(9000);
        assert_eq!(config.requested_max_payload(None), Some(9000));
        assert_eq!(config.requested_max_payload(Some(1500)), Some(1500));
        assert_eq!(config.requested_max_payload(Some(9600)), Some(9000));
        assert_eq!(
            config.requested_max_payload(Some(1492)),
            None,
            "1492 needs no tag"
        );
    }
}
