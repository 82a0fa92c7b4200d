//! Ending the sessions earlier pppd left behind, and keeping the record of
//! our own.
//!
//! The rules (see `crate::session_record` for the file mechanics):
//!
//! * a record whose lock another process holds is never touched: its pppd
//!   (or the child `updetach` left) still runs, whatever pids say;
//! * a record we could lock is stale: one PADT, sent while we hold the
//!   lock, then the file goes. A record from an earlier boot is stale by
//!   definition; that also decides when the file system cannot lock;
//! * never a PADT for a session some socket on this host is attached to
//!   (`/proc/net/pppoe`): that session is alive, whoever holds it;
//! * a version 1 record (`/run/rs-pppoe/<iface>.session`, earlier builds)
//!   is owned by no lock. Its session is alive exactly when a socket on this
//!   host is attached to it (the old plugin's pppd, perhaps a child after
//!   `updetach` whose pid the record does not know): then it is left to
//!   that pppd, which removes it itself when its session ends. Otherwise
//!   it is stale like any other. Unable to tell, we leave it.

use std::io;
use std::path::Path;
use std::time::Instant;

use super::host::{Host, Level, Network};
use super::send_padt;
use crate::session_record::{
    Claim, ClaimedFile, FORMAT_VERSION, HeldRecord, LEGACY_VERSION, RecordPlaces, RecordStore,
    SessionRecord, claim,
};
use crate::sys::dir::Dir;
use crate::sys::pppox::AttachedSession;
use crate::wire::MacAddr;

/// The plugin's session records.
#[derive(Debug)]
pub(super) struct Recovery {
    store: RecordStore,
    legacy: RecordStore,
    boot_id: Option<String>,
}

impl Recovery {
    pub fn new(places: RecordPlaces) -> Recovery {
        Recovery {
            store: RecordStore::new(places.dir),
            legacy: RecordStore::new(places.legacy_dir),
            boot_id: places.boot_id,
        }
    }

    /// This boot's id, for the records we write.
    pub fn boot_id(&self) -> Option<String> {
        self.boot_id.clone()
    }

    /// Sends one PADT for each stale session recorded on `interface`, then
    /// forgets it. Records held by a live pppd stay as they are. Returns
    /// the ACs that got a PADT, and when (discovery gives them a moment to
    /// release the session).
    pub fn terminate_stale<H: Host, N: Network>(
        &self,
        host: &H,
        net: &mut N,
        interface: &str,
    ) -> Vec<(MacAddr, Instant)> {
        let mut sweep = Sweep {
            host,
            net,
            interface,
            boot_id: self.boot_id.as_deref(),
            attached: None,
            released: Vec::new(),
        };
        match self.store.open(false) {
            Ok(Some(dir)) => sweep.records(&dir, self.store.path()),
            Ok(None) => {}
            Err(e) => host.log(
                Level::Warn,
                &format!(
                    "Cannot use {}: {e}; a session left by a crash cannot be ended",
                    self.store.path().display()
                ),
            ),
        }
        // Earlier builds: at most one record per interface, under /run.
        if let Ok(Some(dir)) = self.legacy.open(false) {
            let name = format!("{interface}.session");
            sweep.one(&dir, self.legacy.path(), &name);
            // Gone once the last one is: then nothing is left to upgrade.
            let _ = std::fs::remove_dir(self.legacy.path());
        }
        sweep.released
    }

    /// Writes and locks the record of the session we now run. `None` (after
    /// a warning) when it cannot be written: the session works, but a PADT
    /// after a crash will not be possible.
    pub fn record<H: Host>(&self, host: &H, record: &SessionRecord) -> Option<HeldRecord> {
        match self.store.save(record) {
            Ok(held) => {
                if !held.is_locked() {
                    host.log(
                        Level::Warn,
                        &format!(
                            "The file system of {} cannot lock files: another pppd on {} \
                             cannot tell whether this session lives, and leaves it alone",
                            self.store.path().display(),
                            record.interface
                        ),
                    );
                }
                Some(held)
            }
            Err(e) => {
                host.log(
                    Level::Warn,
                    &format!(
                        "Cannot write a session record in {} (a PADT after a crash will not \
                         be possible): {e}",
                        self.store.path().display()
                    ),
                );
                None
            }
        }
    }

    /// Removes our record once its session has ended.
    pub fn forget<H: Host>(&self, host: &H, held: HeldRecord) {
        let path = held.path();
        if let Err(e) = held.remove() {
            host.log(
                Level::Warn,
                &format!("Could not remove {}: {e}", path.display()),
            );
        }
    }
}

/// One pass over the records of an interface.
struct Sweep<'a, H, N> {
    host: &'a H,
    net: &'a mut N,
    interface: &'a str,
    boot_id: Option<&'a str>,
    /// `/proc/net/pppoe`, read when first needed.
    attached: Option<io::Result<Vec<AttachedSession>>>,
    /// The PADTs sent: to which AC, when.
    released: Vec<(MacAddr, Instant)>,
}

impl<H: Host, N: Network> Sweep<'_, H, N> {
    fn records(&mut self, dir: &Dir, path: &Path) {
        let candidates = match RecordStore::candidates(dir, self.interface) {
            Ok(candidates) => candidates,
            Err(e) => {
                self.host
                    .log(Level::Warn, &format!("Cannot list {}: {e}", path.display()));
                return;
            }
        };
        // A writer that died between creating and renaming its file.
        for temp in &candidates.temps {
            if let Ok(Claim::Claimed(file)) = claim(dir, temp) {
                let _ = file.remove();
            }
        }
        for name in &candidates.records {
            self.one(dir, path, name);
        }
    }

    fn one(&mut self, dir: &Dir, path: &Path, name: &str) {
        let shown = path.join(name);
        let shown = shown.display();
        match claim(dir, name) {
            Ok(Claim::Gone) => {}
            Ok(Claim::Held) => self.host.log(
                Level::Debug,
                &format!("{shown}: the session's pppd still runs; leaving it"),
            ),
            Ok(Claim::NotARecord) => self.host.log(
                Level::Warn,
                &format!("{shown} is not a session record; leaving it"),
            ),
            Ok(Claim::Claimed(file)) => self.settle(file, &shown.to_string(), None),
            Ok(Claim::Unlockable(file, e)) => self.settle(file, &shown.to_string(), Some(e)),
            Err(e) => self
                .host
                .log(Level::Warn, &format!("Cannot read {shown}: {e}")),
        }
    }

    /// Decides about a record we claimed (holding its lock, unless the file
    /// system has none: `lock_error`).
    fn settle(&mut self, mut file: ClaimedFile<'_>, shown: &str, lock_error: Option<io::Error>) {
        let parsed = file
            .read_text()
            .map_err(|e| e.to_string())
            .and_then(|text| SessionRecord::parse(&text).map_err(|e| e.to_string()))
            .and_then(|parsed| {
                if parsed.record.interface == self.interface {
                    Ok(parsed)
                } else {
                    Err(format!("it is for interface {}", parsed.record.interface))
                }
            });
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(why) => {
                self.host.log(
                    Level::Warn,
                    &format!("Discarding unreadable session record {shown}: {why}"),
                );
                let _ = file.remove();
                return;
            }
        };
        let record = &parsed.record;
        let earlier_boot = parsed.version == FORMAT_VERSION
            && matches!((record.boot_id.as_deref(), self.boot_id), (Some(then), Some(now)) if then != now);
        if let Some(e) = lock_error {
            if !earlier_boot {
                self.host.log(
                    Level::Warn,
                    &format!(
                        "Cannot lock {shown} ({e}): session {} may still belong to a running \
                         pppd; leaving it",
                        record.session_id
                    ),
                );
                return;
            }
        }
        match self.is_attached(record) {
            Ok(false) => {}
            Ok(true) => {
                if earlier_boot {
                    // An old incarnation of a session id that is live again.
                    let _ = file.remove();
                } else {
                    self.host.log(
                        Level::Info,
                        &format!(
                            "PPPoE session {} with {} on {} is in use on this host; leaving it \
                             (no PADT)",
                            record.session_id, record.ac_mac, record.interface
                        ),
                    );
                }
                return;
            }
            Err(e) if parsed.version == LEGACY_VERSION => {
                self.host.log(
                    Level::Warn,
                    &format!(
                        "Cannot tell whether session {} of {shown} lives (/proc/net/pppoe: {e}); \
                         leaving it",
                        record.session_id
                    ),
                );
                return;
            }
            // The lock said stale; that is enough.
            Err(_) => {}
        }
        let whose = if earlier_boot {
            format!("left by pppd {} before the last reboot", record.pid)
        } else if parsed.version == LEGACY_VERSION {
            format!(
                "left by pppd {}, recorded by an earlier rs-pppoe",
                record.pid
            )
        } else {
            format!("left by pppd {}, which is gone", record.pid)
        };
        let why = format!(
            " for stale session {} with {} ({whose})",
            record.session_id, record.ac_mac
        );
        if !send_padt(self.host, self.net, record, &why) {
            // Kept for the next connect to try again.
            return;
        }
        self.released.push((record.ac_mac, Instant::now()));
        if let Err(e) = file.remove() {
            self.host
                .log(Level::Warn, &format!("Could not remove {shown}: {e}"));
        }
    }

    fn is_attached(&mut self, record: &SessionRecord) -> io::Result<bool> {
        let net = &mut *self.net;
        match self.attached.get_or_insert_with(|| net.attached_sessions()) {
            Ok(sessions) => Ok(sessions.iter().any(|s| {
                s.session_id == record.session_id
                    && s.peer_mac == record.ac_mac.0
                    && s.interface == record.interface
            })),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        }
    }
}
