//! The record of a live session, kept under `/run/rs-pppoe/<iface>.session`.
//!
//! When pppd dies without running its disconnect (SIGKILL, OOM killer, a
//! crash), the access concentrator keeps the session until its own timers
//! expire, and many ACs refuse a new session for the same line meanwhile.
//! So the plugin writes this record once a session is up, removes it when
//! the session ends, and on the next connect sends a PADT for any record
//! whose pppd is gone.
//!
//! A record whose pppd is still running (another pppd on the same
//! interface) is left alone: its session is alive.
//!
//! The format is line-based `key=value`, one record per file, versioned.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::wire::{MacAddr, hex};

/// Where records live.
pub const DEFAULT_DIR: &str = "/run/rs-pppoe";
const FORMAT_VERSION: &str = "1";

/// One live session, with everything a PADT for it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// pid of the pppd that owns the session.
    pub pid: u32,
    /// That process's name (`/proc/<pid>/comm`), so a recycled pid is not
    /// mistaken for the owner.
    pub comm: String,
    /// The Ethernet interface.
    pub interface: String,
    /// PPPoE session id.
    pub session_id: u16,
    /// The AC's MAC.
    pub ac_mac: MacAddr,
    /// Our interface MAC at the time.
    pub our_mac: MacAddr,
    /// Host-Uniq we used.
    pub host_uniq: Vec<u8>,
    /// AC-Cookie to echo, if any.
    pub cookie: Option<Vec<u8>>,
    /// Relay-Session-Id to echo, if any.
    pub relay_id: Option<Vec<u8>>,
}

/// Why a record file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl SessionRecord {
    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "# rs-pppoe session record; removed when the session ends"
        );
        let _ = writeln!(text, "version={FORMAT_VERSION}");
        let _ = writeln!(text, "pid={}", self.pid);
        let _ = writeln!(text, "comm={}", self.comm);
        let _ = writeln!(text, "interface={}", self.interface);
        let _ = writeln!(text, "session={}", self.session_id);
        let _ = writeln!(text, "ac_mac={}", self.ac_mac);
        let _ = writeln!(text, "our_mac={}", self.our_mac);
        let _ = writeln!(text, "host_uniq={}", hex(&self.host_uniq));
        if let Some(cookie) = &self.cookie {
            let _ = writeln!(text, "cookie={}", hex(cookie));
        }
        if let Some(relay) = &self.relay_id {
            let _ = writeln!(text, "relay_id={}", hex(relay));
        }
        text
    }

    /// Parses a file's text; anything unexpected is an error (the caller
    /// then discards the file).
    pub fn parse(text: &str) -> Result<SessionRecord, ParseError> {
        let mut version = None;
        let mut pid = None;
        let mut comm = None;
        let mut interface = None;
        let mut session_id = None;
        let mut ac_mac = None;
        let mut our_mac = None;
        let mut host_uniq = None;
        let mut cookie = None;
        let mut relay_id = None;
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| ParseError(format!("line without '=': {line:?}")))?;
            match key {
                "version" => version = Some(value.to_owned()),
                "pid" => pid = Some(number::<u32>(key, value)?),
                "comm" => comm = Some(value.to_owned()),
                "interface" => interface = Some(value.to_owned()),
                "session" => session_id = Some(number::<u16>(key, value)?),
                "ac_mac" => ac_mac = Some(mac(key, value)?),
                "our_mac" => our_mac = Some(mac(key, value)?),
                "host_uniq" => host_uniq = Some(unhex(key, value)?),
                "cookie" => cookie = Some(unhex(key, value)?),
                "relay_id" => relay_id = Some(unhex(key, value)?),
                _ => return Err(ParseError(format!("unknown key {key:?}"))),
            }
        }
        if version.as_deref() != Some(FORMAT_VERSION) {
            return Err(ParseError(format!("unsupported version {version:?}")));
        }
        let missing = |key: &str| ParseError(format!("no {key}"));
        let session_id = session_id.ok_or_else(|| missing("session"))?;
        if session_id == 0 || session_id == 0xFFFF {
            return Err(ParseError(format!("reserved session id {session_id}")));
        }
        Ok(SessionRecord {
            pid: pid.ok_or_else(|| missing("pid"))?,
            comm: comm.ok_or_else(|| missing("comm"))?,
            interface: interface.ok_or_else(|| missing("interface"))?,
            session_id,
            ac_mac: ac_mac.ok_or_else(|| missing("ac_mac"))?,
            our_mac: our_mac.ok_or_else(|| missing("our_mac"))?,
            host_uniq: host_uniq.ok_or_else(|| missing("host_uniq"))?,
            cookie,
            relay_id,
        })
    }

    /// True while the pppd that wrote the record still runs. `proc_dir` is
    /// `/proc` (a parameter for tests).
    pub fn owner_is_running(&self, proc_dir: &Path) -> bool {
        fs::read_to_string(proc_dir.join(self.pid.to_string()).join("comm"))
            .is_ok_and(|comm| comm.trim_end_matches('\n') == self.comm)
    }
}

fn number<T: FromStr>(key: &str, value: &str) -> Result<T, ParseError> {
    value
        .parse()
        .map_err(|_| ParseError(format!("{key}: not a number: {value:?}")))
}

fn mac(key: &str, value: &str) -> Result<MacAddr, ParseError> {
    MacAddr::from_str(value).map_err(|_| ParseError(format!("{key}: not a MAC: {value:?}")))
}

fn unhex(key: &str, value: &str) -> Result<Vec<u8>, ParseError> {
    let bad = || ParseError(format!("{key}: not hex: {value:?}"));
    if value.len() % 2 != 0 {
        return Err(bad());
    }
    value
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// The record files of one directory.
#[derive(Debug, Clone)]
pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    /// Records under `dir` (normally [`DEFAULT_DIR`]).
    pub fn new(dir: impl Into<PathBuf>) -> SessionStore {
        SessionStore { dir: dir.into() }
    }

    /// The record file of `interface`.
    pub fn path(&self, interface: &str) -> PathBuf {
        self.dir.join(format!("{interface}.session"))
    }

    /// The record of `interface`: `Ok(None)` when there is none.
    pub fn load(&self, interface: &str) -> io::Result<Option<Result<SessionRecord, ParseError>>> {
        match fs::read_to_string(self.path(interface)) {
            Ok(text) => Ok(Some(SessionRecord::parse(&text))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                Ok(Some(Err(ParseError("not UTF-8".into()))))
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the record atomically (a reader sees the old or the new file,
    /// never half of one).
    pub fn save(&self, record: &SessionRecord) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let path = self.path(&record.interface);
        let partial = self
            .dir
            .join(format!(".{}.session.{}", record.interface, record.pid));
        fs::write(&partial, record.to_text())?;
        fs::rename(&partial, &path).inspect_err(|_| {
            let _ = fs::remove_file(&partial);
        })
    }

    /// Removes the record of `interface`; a missing file is fine.
    pub fn remove(&self, interface: &str) -> io::Result<()> {
        match fs::remove_file(self.path(interface)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn record() -> SessionRecord {
        SessionRecord {
            pid: 4242,
            comm: "pppd".into(),
            interface: "eth0".into(),
            session_id: 0x1234,
            ac_mac: MacAddr([0x02, 0xac, 0, 0, 0, 1]),
            our_mac: MacAddr([0x02, 0, 0, 0, 0, 2]),
            host_uniq: vec![0xde, 0xad],
            cookie: Some(vec![1, 2, 3]),
            relay_id: None,
        }
    }

    #[test]
    fn a_record_survives_writing_and_reading() {
        let text = record().to_text();
        assert!(text.contains("session=4660\n"), "{text}");
        assert!(text.contains("ac_mac=02:ac:00:00:00:01\n"), "{text}");
        assert_eq!(SessionRecord::parse(&text), Ok(record()));
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        for text in [
            "",
            "version=1\n",
            "version=2\npid=1\n",
            "garbage",
            &record().to_text().replace("session=4660", "session=0"),
            &record().to_text().replace("session=4660", "session=99999"),
            &record()
                .to_text()
                .replace("host_uniq=dead", "host_uniq=dea"),
            &record()
                .to_text()
                .replace("ac_mac=02:ac:00:00:00:01", "ac_mac=zz"),
            &record()
                .to_text()
                .replace("comm=pppd", "comm=pppd\nsurprise=1"),
        ] {
            assert!(SessionRecord::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn owner_is_running_only_while_the_same_program_has_the_pid() {
        let proc_dir =
            std::env::temp_dir().join(format!("rs-pppoe-plugin-proc-{}", std::process::id()));
        let _ = fs::remove_dir_all(&proc_dir);
        fs::create_dir_all(proc_dir.join("4242")).unwrap();
        let record = record();
        assert!(!record.owner_is_running(&proc_dir.join("missing")));
        fs::write(proc_dir.join("4242/comm"), "bash\n").unwrap();
        assert!(
            !record.owner_is_running(&proc_dir),
            "a recycled pid is not the owner"
        );
        fs::write(proc_dir.join("4242/comm"), "pppd\n").unwrap();
        assert!(record.owner_is_running(&proc_dir));
        fs::remove_dir_all(&proc_dir).unwrap();
    }

    #[test]
    fn store_saves_loads_and_removes() {
        let dir =
            std::env::temp_dir().join(format!("rs-pppoe-plugin-store-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = SessionStore::new(&dir);
        assert!(store.load("eth0").unwrap().is_none());
        store.save(&record()).unwrap();
        assert_eq!(store.load("eth0").unwrap(), Some(Ok(record())));
        store.remove("eth0").unwrap();
        store.remove("eth0").unwrap();
        assert!(store.load("eth0").unwrap().is_none());
        fs::remove_dir_all(&dir).unwrap();
    }
}
