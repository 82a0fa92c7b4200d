//! Session records: what lets a new pppd end a session an earlier one left
//! behind.
//!
//! When pppd dies without running its disconnect (SIGKILL, the OOM killer,
//! a crash, a power cut), the access concentrator keeps the session until
//! its own timers expire, and many ACs refuse a new session for the same
//! line meanwhile. So the plugin writes one record per session under
//! `/var/lib/rs-pppoe/` (persistent: a reboot is the commonest way a
//! session is left behind) and keeps it locked while the session lives; the
//! next connect on the interface sends a PADT for every record whose lock is
//! free, then removes it.
//!
//! * [`format`]: the versioned text of a record (no secrets in it);
//! * [`store`]: the directory, the atomic write, and the lock rules that
//!   make "held" mean "its owner lives" and let exactly one sweeper handle
//!   a stale record.

mod format;
mod store;

use std::path::PathBuf;

pub use format::{FORMAT_VERSION, LEGACY_VERSION, SessionRecord, is_boot_id};
pub use store::{Claim, ClaimedFile, HeldRecord, RecordStore, claim};

/// Where records live.
pub const DEFAULT_DIR: &str = "/var/lib/rs-pppoe";
/// Where builds before record format 2 kept theirs (one per interface,
/// `<iface>.session`, owned by pid + comm). Read once, on upgrade.
pub const LEGACY_DIR: &str = "/run/rs-pppoe";
/// The kernel's id of the running boot.
pub const BOOT_ID_PATH: &str = "/proc/sys/kernel/random/boot_id";

/// Where the plugin keeps and finds records, and which boot it runs in.
#[derive(Debug, Clone)]
pub struct RecordPlaces {
    /// Records of format 2.
    pub dir: PathBuf,
    /// Records of format 1 (`<iface>.session`).
    pub legacy_dir: PathBuf,
    /// This boot's id (`None` when the kernel would not say).
    pub boot_id: Option<String>,
}

impl RecordPlaces {
    /// The system's places and this boot's id.
    pub fn system() -> RecordPlaces {
        RecordPlaces {
            dir: PathBuf::from(DEFAULT_DIR),
            legacy_dir: PathBuf::from(LEGACY_DIR),
            boot_id: std::fs::read_to_string(BOOT_ID_PATH)
                .ok()
                .map(|text| text.trim().to_owned())
                .filter(|id| is_boot_id(id)),
        }
    }
}
