//! The directory of session records, and the locking rules around it.
//!
//! * Writing: the text goes into a fresh temporary file (`.tmp.<random>`,
//!   created `O_EXCL`, mode 0600) that we lock *before* anything else, then
//!   it is flushed and renamed to its unique final name
//!   `<interface>:<session>:<ac-mac>:<random>.session`. Readers see a whole
//!   record or none, and the lock is on the file from the moment its final
//!   name exists. Names never collide, so two pppd writing at once on one
//!   interface never lose a record.
//! * Owning: the writer keeps the locked file open ([`HeldRecord`]) for the
//!   session's whole life; the lock ends when the last descriptor closes,
//!   however the process ends.
//! * Claiming (someone else's file): open without following symlinks, try
//!   the lock without waiting ([`Claim::Held`] when another open file
//!   description has it), then check that the name still links to the file
//!   we locked ([`Claim::Gone`] when another process removed or replaced it
//!   meanwhile). Only a claimer who passed both checks acts on the file and
//!   unlinks it, and only while it holds the lock: of several processes
//!   sweeping at once exactly one handles each record.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::format::SessionRecord;
use crate::sys::dir::{self, Dir, FileId};
use crate::wire::MacAddr;

/// Mode of the records directory: root only.
pub const DIR_MODE: u32 = 0o700;
/// Mode of a record file.
pub const FILE_MODE: u32 = 0o600;
/// A record is a few hundred bytes; anything longer is not one of ours.
const MAX_RECORD_LEN: u64 = 4096;
const TEMP_PREFIX: &str = ".tmp.";
const RECORD_SUFFIX: &str = ".session";

/// Why the records directory cannot be used.
#[derive(Debug)]
pub enum StoreError {
    /// Opening, creating, reading or writing failed.
    Io(io::Error),
    /// The directory is not private to us: someone else could plant or
    /// change records.
    Insecure(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Io(e) => write!(f, "{e}"),
            StoreError::Insecure(why) => f.write_str(why),
        }
    }
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> StoreError {
        StoreError::Io(e)
    }
}

/// The session records under one directory.
#[derive(Debug, Clone)]
pub struct RecordStore {
    path: PathBuf,
}

impl RecordStore {
    pub fn new(path: impl Into<PathBuf>) -> RecordStore {
        RecordStore { path: path.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the directory (creating it, mode 0700, when `create`) and
    /// checks that only we can write to it. `Ok(None)`: it does not exist.
    pub fn open(&self, create: bool) -> Result<Option<Dir>, StoreError> {
        let opened = if create {
            Dir::open_or_create(&self.path, DIR_MODE)
        } else {
            Dir::open(&self.path)
        };
        let dir = match opened {
            Ok(dir) => dir,
            Err(e) if !create && e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let status = dir.status()?;
        let uid = dir::effective_uid();
        if status.uid != uid || status.mode & 0o022 != 0 {
            return Err(StoreError::Insecure(format!(
                "{} is owned by uid {} with mode {:o}; it must belong to uid {uid} and be \
                 writable by it alone",
                self.path.display(),
                status.uid,
                status.mode
            )));
        }
        Ok(Some(dir))
    }

    /// Writes `record` under a new unique name and keeps it locked: the
    /// returned [`HeldRecord`] owns the lock until it is removed or dropped
    /// (or the process ends).
    pub fn save(&self, record: &SessionRecord) -> Result<HeldRecord, StoreError> {
        let Some(dir) = self.open(true)? else {
            return Err(io::Error::from(io::ErrorKind::NotFound).into());
        };
        let (temp, mut file, locked) = create_locked_temp(&dir)?;
        let written = file
            .write_all(record.to_text().as_bytes())
            .and_then(|()| file.sync_all());
        let name = record_name(record, unique());
        if let Err(e) = written.and_then(|()| dir.rename(&temp, &name)) {
            let _ = dir.unlink(&temp);
            return Err(e.into());
        }
        // Durable across a power cut: that is when the record matters most.
        // A failure here leaves a record that is merely less durable.
        let _ = dir.sync();
        Ok(HeldRecord {
            file,
            dir: self.path.clone(),
            name,
            locked,
        })
    }

    /// A record of `session_id` with `ac_mac` on `interface` whose lock a
    /// running pppd holds, if there is one: that pppd owns the session, even
    /// before its socket is attached.
    pub fn held_record(
        &self,
        interface: &str,
        session_id: u16,
        ac_mac: MacAddr,
    ) -> Result<Option<PathBuf>, StoreError> {
        let Some(dir) = self.open(false)? else {
            return Ok(None);
        };
        let prefix = format!("{interface}:{session_id}:{}:", mac_hex(ac_mac));
        for name in RecordStore::candidates(&dir, interface)?.records {
            // Claiming a stale one takes its lock for a moment only.
            if name.starts_with(&prefix) && matches!(claim(&dir, &name)?, Claim::Held) {
                return Ok(Some(self.path.join(name)));
            }
        }
        Ok(None)
    }

    /// The names of `interface`'s records, and of every temporary file, in
    /// `dir`.
    pub fn candidates(dir: &Dir, interface: &str) -> io::Result<Candidates> {
        let prefix = format!("{interface}:");
        let mut records = Vec::new();
        let mut temps = Vec::new();
        for name in dir.names()? {
            if !dir::is_plain_name(&name) {
                continue;
            }
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(TEMP_PREFIX) {
                temps.push(name.to_owned());
            } else if name.starts_with(&prefix) && name.ends_with(RECORD_SUFFIX) {
                records.push(name.to_owned());
            }
        }
        records.sort();
        Ok(Candidates { records, temps })
    }
}

/// What [`RecordStore::candidates`] found.
#[derive(Debug, Default)]
pub struct Candidates {
    pub records: Vec<String>,
    /// Temporary files: left behind by a writer that died between creating
    /// and renaming, unless their lock is held (a write in progress).
    pub temps: Vec<String>,
}

/// `<interface>:<session>:<ac-mac hex>:<random>.session`. Interface names
/// cannot contain ':', so the interface prefix is unambiguous.
fn record_name(record: &SessionRecord, unique: u64) -> String {
    format!(
        "{}:{}:{}:{unique:016x}{RECORD_SUFFIX}",
        record.interface,
        record.session_id,
        mac_hex(record.ac_mac)
    )
}

/// `02ac0000000f`: a MAC as file names carry it.
fn mac_hex(mac: MacAddr) -> String {
    mac.0.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A random number for a file name. Only uniqueness matters: if the kernel
/// has no `getrandom`, the pid and the clock stand in.
fn unique() -> u64 {
    dir::random_u64().unwrap_or_else(|_| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        (u64::from(std::process::id()) << 32) ^ nanos
    })
}

/// A new temporary file, locked by us (unless the file system cannot lock
/// at all: `false`). A sweeper may remove a temp in the instant between its
/// creation and our lock; then we start over with a new name.
fn create_locked_temp(dir: &Dir) -> io::Result<(String, File, bool)> {
    let mut last_error = io::Error::from(io::ErrorKind::AlreadyExists);
    for _ in 0..8 {
        let temp = format!("{TEMP_PREFIX}{:016x}", unique());
        let file = match dir.create_new(&temp, FILE_MODE) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                last_error = e;
                continue;
            }
            Err(e) => return Err(e),
        };
        let locked = match dir::try_lock(&file) {
            Ok(true) => true,
            // A sweeper has it: it is about to unlink it.
            Ok(false) => continue,
            Err(_) => false,
        };
        if still_linked(dir, &temp, &file)? {
            return Ok((temp, file, locked));
        }
    }
    Err(io::Error::new(
        last_error.kind(),
        format!("no temporary file could be created and locked: {last_error}"),
    ))
}

/// True when `name` still links to `file`.
fn still_linked(dir: &Dir, name: &str, file: &File) -> io::Result<bool> {
    let ours: FileId = dir::file_status(file)?.id;
    match dir.id_of(name) {
        Ok(id) => Ok(id == ours),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Our own record: written, locked, removed when the session ends.
#[derive(Debug)]
pub struct HeldRecord {
    /// The open, locked file. Closing it (here, in a forked child that
    /// inherited it, or at exit) is what releases the lock.
    file: File,
    dir: PathBuf,
    name: String,
    locked: bool,
}

impl HeldRecord {
    /// Where the record is.
    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    /// False when the file system refused the lock: the record is then only
    /// good for a later boot (see `rs-pppoe(8)`).
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Removes the record, if its name still links to our file (it always
    /// should: only a lock holder unlinks), then releases the lock.
    pub fn remove(self) -> io::Result<()> {
        let dir = Dir::open(&self.dir)?;
        if still_linked(&dir, &self.name, &self.file)? {
            dir.unlink(&self.name)?;
        }
        Ok(())
    }
}

/// The outcome of claiming a file someone else may own.
#[derive(Debug)]
pub enum Claim<'d> {
    /// Another open file description holds the lock: the owner lives.
    Held,
    /// The name was removed, or now links to another file, since it was
    /// listed: another process dealt with it.
    Gone,
    /// Not a regular file (a symlink, a directory): nothing we wrote.
    NotARecord,
    /// Ours to act on: locked by us and still linked at its name.
    Claimed(ClaimedFile<'d>),
    /// Still linked, but the file system cannot lock it: whether its owner
    /// lives cannot be told from the lock.
    Unlockable(ClaimedFile<'d>, io::Error),
}

/// Claims `name` in `dir`: see the module docs.
pub fn claim<'d>(dir: &'d Dir, name: &str) -> io::Result<Claim<'d>> {
    let file = match dir.open_existing(name) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Claim::Gone),
        // O_NOFOLLOW on a symlink.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(Claim::NotARecord),
        Err(e) => return Err(e),
    };
    if !dir::file_status(&file)?.is_regular {
        return Ok(Claim::NotARecord);
    }
    let lock = dir::try_lock(&file);
    if matches!(lock, Ok(false)) {
        return Ok(Claim::Held);
    }
    if !still_linked(dir, name, &file)? {
        return Ok(Claim::Gone);
    }
    let claimed = ClaimedFile {
        dir,
        name: name.to_owned(),
        file,
    };
    Ok(match lock {
        Err(e) => Claim::Unlockable(claimed, e),
        Ok(_) => Claim::Claimed(claimed),
    })
}

/// A file we claimed; dropping it releases the lock and leaves the file.
#[derive(Debug)]
pub struct ClaimedFile<'d> {
    dir: &'d Dir,
    name: String,
    file: File,
}

impl ClaimedFile<'_> {
    /// The file's text, at most [`MAX_RECORD_LEN`] bytes of it (more makes
    /// it no record of ours: `InvalidData`, as for text that is not UTF-8).
    pub fn read_text(&mut self) -> io::Result<String> {
        let mut bytes = Vec::new();
        (&self.file)
            .take(MAX_RECORD_LEN + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_RECORD_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("longer than {MAX_RECORD_LEN} bytes"),
            ));
        }
        String::from_utf8(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
    }

    /// Unlinks the file (we hold its lock, so its name still links to it),
    /// then releases the lock.
    pub fn remove(self) -> io::Result<()> {
        match self.dir.unlink(&self.name) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("rs-pppoe-records-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
        fn store(&self) -> RecordStore {
            RecordStore::new(self.0.join("records"))
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn record(session_id: u16) -> SessionRecord {
        SessionRecord {
            boot_id: None,
            pid: 1,
            interface: "eth0".into(),
            session_id,
            ac_mac: MacAddr([0x02, 0xac, 0, 0, 0, 1]),
            our_mac: MacAddr([0x02, 0, 0, 0, 0, 2]),
            host_uniq: vec![1],
            cookie: None,
            relay_id: None,
        }
    }

    fn names(store: &RecordStore) -> Candidates {
        let dir = store.open(false).unwrap().unwrap();
        RecordStore::candidates(&dir, "eth0").unwrap()
    }

    #[test]
    fn a_saved_record_is_private_held_and_removed_by_its_owner() {
        let scratch = Scratch::new("save");
        let store = scratch.store();
        assert!(
            store.open(false).unwrap().is_none(),
            "not created by a look"
        );
        let held = store.save(&record(7)).unwrap();
        assert!(held.is_locked());
        let meta = std::fs::metadata(store.path()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o700);
        let path = held.path();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.starts_with("eth0:7:02ac00000001:"), "{name}");
        assert_eq!(names(&store).records, std::slice::from_ref(&name));
        assert!(names(&store).temps.is_empty(), "no temporary file left");

        let dir = store.open(false).unwrap().unwrap();
        assert!(matches!(claim(&dir, &name).unwrap(), Claim::Held));
        held.remove().unwrap();
        assert!(!path.exists());
        assert!(matches!(claim(&dir, &name).unwrap(), Claim::Gone));
    }

    #[test]
    fn a_record_whose_owner_is_gone_can_be_claimed_read_and_removed() {
        let scratch = Scratch::new("claim");
        let store = scratch.store();
        let held = store.save(&record(7)).unwrap();
        let name = held
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        drop(held); // the owner died: its descriptor closed
        let dir = store.open(false).unwrap().unwrap();
        let Claim::Claimed(mut claimed) = claim(&dir, &name).unwrap() else {
            panic!("claimable")
        };
        let text = claimed.read_text().unwrap();
        assert_eq!(SessionRecord::parse(&text).unwrap().record, record(7));
        // While we hold it, nobody else can claim it.
        assert!(matches!(claim(&dir, &name).unwrap(), Claim::Held));
        claimed.remove().unwrap();
        assert!(names(&store).records.is_empty());
    }

    #[test]
    fn of_two_racing_claimers_only_the_one_that_locked_first_acts() {
        let scratch = Scratch::new("race");
        let store = scratch.store();
        let name = {
            let held = store.save(&record(7)).unwrap();
            held.path()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        let dir = store.open(false).unwrap().unwrap();
        // The second claimer opened the file before the first removed it...
        let late = dir.open_existing(&name).unwrap();
        let Claim::Claimed(first) = claim(&dir, &name).unwrap() else {
            panic!()
        };
        first.remove().unwrap();
        // ...then gets the lock, but the name no longer links to its file.
        assert!(dir::try_lock(&late).unwrap());
        assert!(!still_linked(&dir, &name, &late).unwrap());
        // A new record under the same session: a different file and name.
        let again = store.save(&record(7)).unwrap();
        assert_ne!(again.path().file_name().unwrap(), name.as_str());
        assert!(matches!(claim(&dir, &name).unwrap(), Claim::Gone));
    }

    #[test]
    fn many_writers_at_once_on_one_interface_keep_every_record() {
        let scratch = Scratch::new("writers");
        let store = scratch.store();
        let held: Vec<HeldRecord> = std::thread::scope(|scope| {
            let workers: Vec<_> = (1..=8)
                .map(|session| {
                    let store = store.clone();
                    // Two writers per session id: names still differ.
                    scope.spawn(move || store.save(&record(session / 2 + 1)).unwrap())
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert_eq!(names(&store).records.len(), 8);
        let dir = store.open(false).unwrap().unwrap();
        for name in names(&store).records {
            assert!(matches!(claim(&dir, &name).unwrap(), Claim::Held), "{name}");
        }
        drop(held);
    }

    #[test]
    fn leftover_temporary_files_are_claimable_and_writes_in_progress_are_not() {
        let scratch = Scratch::new("temps");
        let store = scratch.store();
        let dir = store.open(true).unwrap().unwrap();
        let (in_progress, _file, _) = create_locked_temp(&dir).unwrap();
        dir.create_new(".tmp.0000000000000001", FILE_MODE).unwrap();
        let mut temps = names(&store).temps;
        temps.sort();
        assert_eq!(temps.len(), 2);
        assert!(matches!(
            claim(&dir, ".tmp.0000000000000001").unwrap(),
            Claim::Claimed(_)
        ));
        assert!(matches!(claim(&dir, &in_progress).unwrap(), Claim::Held));
    }

    #[test]
    fn a_record_is_found_held_only_while_its_pppd_holds_it() {
        let scratch = Scratch::new("held");
        let store = scratch.store();
        let ac = MacAddr([0x02, 0xac, 0, 0, 0, 1]);
        assert!(
            store.held_record("eth0", 7, ac).unwrap().is_none(),
            "no directory yet"
        );
        let held = store.save(&record(7)).unwrap();
        assert_eq!(store.held_record("eth0", 7, ac).unwrap(), Some(held.path()));
        assert!(store.held_record("eth0", 8, ac).unwrap().is_none());
        assert!(store.held_record("eth1", 7, ac).unwrap().is_none());
        assert!(
            store
                .held_record("eth0", 7, MacAddr([0x02, 0xac, 0, 0, 0, 2]))
                .unwrap()
                .is_none()
        );
        let path = held.path();
        drop(held);
        assert!(store.held_record("eth0", 7, ac).unwrap().is_none(), "stale");
        assert!(path.exists(), "looking does not remove it");
    }

    #[test]
    fn a_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = Scratch::new("insecure");
        let store = scratch.store();
        std::fs::create_dir(store.path()).unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = store.save(&record(7)).unwrap_err();
        assert!(matches!(error, StoreError::Insecure(_)), "{error}");
        assert!(error.to_string().contains("mode 777"), "{error}");
    }

    #[test]
    fn symlinks_and_oversized_files_are_not_records() {
        let scratch = Scratch::new("odd");
        let store = scratch.store();
        let dir = store.open(true).unwrap().unwrap();
        std::os::unix::fs::symlink("/etc/passwd", store.path().join("eth0:1:x:y.session")).unwrap();
        assert!(matches!(
            claim(&dir, "eth0:1:x:y.session").unwrap(),
            Claim::NotARecord
        ));
        std::fs::write(store.path().join("eth0:2:x:y.session"), vec![b'#'; 5000]).unwrap();
        let Claim::Claimed(mut big) = claim(&dir, "eth0:2:x:y.session").unwrap() else {
            panic!()
        };
        assert_eq!(
            big.read_text().unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
