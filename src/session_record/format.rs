//! The text of a session record: line-based `key=value`, versioned.
//!
//! Version 2 (written by this plugin):
//!
//! ```text
//! # rs-pppoe session record (rs-pppoe(8), FILES); no secrets
//! version=2
//! boot_id=<the kernel's boot id when the session started>
//! pid=<the pppd that started the session; for the log only>
//! interface=eth0
//! session=4660
//! ac_mac=02:ac:00:00:00:01
//! our_mac=02:00:00:00:00:02
//! host_uniq=<hex>
//! cookie=<hex>           (if the AC sent one)
//! relay_id=<hex>         (if the AC sent one)
//! ```
//!
//! Everything here is on the wire in every PADI/PADR/PADT anyway; nothing
//! pppd knows about the user (name, password, addresses) is written.
//!
//! Version 1 (`/run/rs-pppoe/<iface>.session`, earlier rs-pppoe builds) had
//! `pid` and `comm` instead of a boot id; it is read once, on upgrade.

use std::fmt::Write as _;
use std::str::FromStr;

use crate::wire::{MacAddr, hex};

/// The version this plugin writes.
pub const FORMAT_VERSION: u32 = 2;
/// The `/run` records of earlier builds (pid + comm ownership).
pub const LEGACY_VERSION: u32 = 1;

/// One session, with everything a PADT for it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The kernel's boot id when the record was written (`None` in a
    /// version 1 record, or when the kernel did not say).
    pub boot_id: Option<String>,
    /// The pppd that started the session. Only for log lines: after
    /// `updetach` another process owns the session, and the lock, not the
    /// pid, says whether it lives.
    pub pid: u32,
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

/// A record read back, and the format version it was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRecord {
    pub record: SessionRecord,
    pub version: u32,
}

/// Why a record's text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl SessionRecord {
    /// The file's text, in the current format.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "# rs-pppoe session record (rs-pppoe(8), FILES); no secrets"
        );
        let _ = writeln!(text, "version={FORMAT_VERSION}");
        if let Some(boot_id) = &self.boot_id {
            let _ = writeln!(text, "boot_id={boot_id}");
        }
        let _ = writeln!(text, "pid={}", self.pid);
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

    /// The PADT that ends this session: what the plugin sends for a stale
    /// record.
    pub fn padt_frame(&self) -> Vec<u8> {
        crate::discovery::padt_frame(
            self.our_mac,
            self.ac_mac,
            self.session_id,
            &self.host_uniq,
            self.cookie.as_deref(),
            self.relay_id.as_deref(),
        )
    }

    /// Parses a record of either version; anything unexpected is an error
    /// (the caller then discards the file).
    pub fn parse(text: &str) -> Result<ParsedRecord, ParseError> {
        let mut fields = Fields::default();
        let mut version = None;
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| ParseError(format!("line without '=': {line:?}")))?;
            if key == "version" {
                version = Some(number::<u32>(key, value)?);
            } else {
                fields.set(key, value)?;
            }
        }
        match version {
            Some(FORMAT_VERSION) if fields.comm.is_none() => {}
            // Version 1 named the owner's program; the boot id came later.
            Some(LEGACY_VERSION) if fields.boot_id.is_none() => {}
            Some(v @ (FORMAT_VERSION | LEGACY_VERSION)) => {
                return Err(ParseError(format!(
                    "keys of another version in a version {v} record"
                )));
            }
            other => return Err(ParseError(format!("unsupported version {other:?}"))),
        }
        let record = fields.into_record()?;
        Ok(ParsedRecord {
            record,
            version: version.unwrap_or(FORMAT_VERSION),
        })
    }
}

#[derive(Default)]
struct Fields {
    boot_id: Option<String>,
    pid: Option<u32>,
    comm: Option<String>,
    interface: Option<String>,
    session_id: Option<u16>,
    ac_mac: Option<MacAddr>,
    our_mac: Option<MacAddr>,
    host_uniq: Option<Vec<u8>>,
    cookie: Option<Vec<u8>>,
    relay_id: Option<Vec<u8>>,
}

impl Fields {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ParseError> {
        match key {
            "boot_id" => self.boot_id = Some(boot_id(value)?),
            "pid" => self.pid = Some(number(key, value)?),
            "comm" => self.comm = Some(value.to_owned()),
            "interface" => self.interface = Some(interface(value)?),
            "session" => self.session_id = Some(number(key, value)?),
            "ac_mac" => self.ac_mac = Some(mac(key, value)?),
            "our_mac" => self.our_mac = Some(mac(key, value)?),
            "host_uniq" => self.host_uniq = Some(unhex(key, value)?),
            "cookie" => self.cookie = Some(unhex(key, value)?),
            "relay_id" => self.relay_id = Some(unhex(key, value)?),
            _ => return Err(ParseError(format!("unknown key {key:?}"))),
        }
        Ok(())
    }

    fn into_record(self) -> Result<SessionRecord, ParseError> {
        let missing = |key: &str| ParseError(format!("no {key}"));
        let session_id = self.session_id.ok_or_else(|| missing("session"))?;
        if session_id == 0 || session_id == 0xFFFF {
            return Err(ParseError(format!("reserved session id {session_id}")));
        }
        Ok(SessionRecord {
            boot_id: self.boot_id,
            pid: self.pid.ok_or_else(|| missing("pid"))?,
            interface: self.interface.ok_or_else(|| missing("interface"))?,
            session_id,
            ac_mac: self.ac_mac.ok_or_else(|| missing("ac_mac"))?,
            our_mac: self.our_mac.ok_or_else(|| missing("our_mac"))?,
            host_uniq: self.host_uniq.ok_or_else(|| missing("host_uniq"))?,
            cookie: self.cookie,
            relay_id: self.relay_id,
        })
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

/// The kernel's boot id is a UUID; anything else did not come from it.
fn boot_id(value: &str) -> Result<String, ParseError> {
    if is_boot_id(value) {
        Ok(value.to_owned())
    } else {
        Err(ParseError(format!("boot_id: not a boot id: {value:?}")))
    }
}

/// True for what `/proc/sys/kernel/random/boot_id` holds: a UUID in
/// lower-case hex.
pub fn is_boot_id(value: &str) -> bool {
    value.len() == 36
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
}

/// A Linux interface name: the record's PADT goes out on it.
fn interface(value: &str) -> Result<String, ParseError> {
    let valid = !value.is_empty()
        && value.len() < crate::sys::IFNAMSIZ
        && value != "."
        && value != ".."
        && !value
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b == 0);
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ParseError(format!(
            "interface: not an interface name: {value:?}"
        )))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const BOOT: &str = "0b3b7a1e-5d6f-4c1a-9e57-2f0c6a1d9b42";

    fn record() -> SessionRecord {
        SessionRecord {
            boot_id: Some(BOOT.into()),
            pid: 4242,
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
        assert!(text.contains("version=2\n"), "{text}");
        assert!(text.contains(&format!("boot_id={BOOT}\n")), "{text}");
        assert!(text.contains("session=4660\n"), "{text}");
        assert!(text.contains("ac_mac=02:ac:00:00:00:01\n"), "{text}");
        assert_eq!(
            SessionRecord::parse(&text),
            Ok(ParsedRecord {
                record: record(),
                version: 2
            })
        );
    }

    #[test]
    fn a_version_1_record_of_an_earlier_build_is_read() {
        let text = "# rs-pppoe session record; removed when the session ends\n\
                    version=1\npid=4242\ncomm=pppd\ninterface=eth0\nsession=4660\n\
                    ac_mac=02:ac:00:00:00:01\nour_mac=02:00:00:00:00:02\nhost_uniq=dead\n\
                    cookie=010203\n";
        let parsed = SessionRecord::parse(text).unwrap();
        assert_eq!(parsed.version, 1);
        assert_eq!(
            parsed.record,
            SessionRecord {
                boot_id: None,
                ..record()
            }
        );
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let good = record().to_text();
        for text in [
            "",
            "version=2\n",
            "version=3\npid=1\n",
            "garbage",
            &good.replace("session=4660", "session=0"),
            &good.replace("session=4660", "session=99999"),
            &good.replace("host_uniq=dead", "host_uniq=dea"),
            &good.replace("ac_mac=02:ac:00:00:00:01", "ac_mac=zz"),
            &good.replace("pid=4242", "pid=4242\nsurprise=1"),
            &good.replace("pid=4242", "pid=4242\ncomm=pppd"),
            &good.replace("version=2", "version=1"),
            &good.replace(BOOT, "../../etc/passwd"),
            &good.replace("interface=eth0", "interface=../eth0"),
            &good.replace("interface=eth0", "interface=sixteen-bytes-xx"),
        ] {
            assert!(SessionRecord::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn nothing_secret_or_user_specific_is_written() {
        let text = record().to_text();
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .collect();
        assert_eq!(
            keys,
            [
                "version",
                "boot_id",
                "pid",
                "interface",
                "session",
                "ac_mac",
                "our_mac",
                "host_uniq",
                "cookie"
            ]
        );
    }
}
