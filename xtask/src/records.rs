//! The plugin's session records (`/var/lib/rs-pppoe`, see rs-pppoe(8)):
//! `uninstall` removes the folder, unless a running pppd still holds a
//! record in it (its session is live; without the record, a crash of that
//! pppd could no longer be cleaned up after).

use std::fs;
use std::io;
use std::path::Path;

/// Where the plugin keeps its records.
pub const DIR: &str = "/var/lib/rs-pppoe";

/// Removes `dir` and the records in it when none is locked (per
/// `/proc/locks`); says what it did.
pub fn remove_unless_live(dir: &Path) {
    let locks = fs::read_to_string("/proc/locks").unwrap_or_default();
    match remove_unless_locked(dir, &locked_files(&locks)) {
        Ok(Outcome::Absent) => {}
        Ok(Outcome::Removed) => eprintln!("uninstall: removed {}/", dir.display()),
        Ok(Outcome::Live(names)) => eprintln!(
            "uninstall: kept {}/: running pppd hold {} ({}); run uninstall again once they \
             have stopped",
            dir.display(),
            names.len(),
            names.join(", ")
        ),
        Err(e) => eprintln!("uninstall: could not remove {}/: {e}", dir.display()),
    }
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Absent,
    Removed,
    /// The records running pppd hold.
    Live(Vec<String>),
}

/// A locked file, by inode number. Only the inode: `/proc/locks` names the
/// file system's own device, which is not `st_dev` on btrfs subvolumes; a
/// match on another file system's inode only keeps the folder (the safe
/// way to be wrong).
type FileKey = u64;

/// The files `/proc/locks` lists: `1: FLOCK ADVISORY WRITE 1234 08:01:5678 0 EOF`
/// (device major:minor in hex, then the inode; `->` marks a waiter).
fn locked_files(proc_locks: &str) -> Vec<FileKey> {
    proc_locks
        .lines()
        .filter_map(|line| {
            let id = line
                .split_whitespace()
                .find(|f| f.matches(':').count() == 2)?;
            id.rsplit(':').next()?.parse().ok()
        })
        .collect()
}

fn key(meta: &fs::Metadata) -> FileKey {
    use std::os::unix::fs::MetadataExt;
    meta.ino()
}

fn remove_unless_locked(dir: &Path, locked: &[FileKey]) -> io::Result<Outcome> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Absent),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return Err(io::Error::other("not a directory; left as it is"));
    }
    let mut live = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if locked.contains(&key(&meta)) {
            live.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    if !live.is_empty() {
        live.sort();
        return Ok(Outcome::Live(live));
    }
    fs::remove_dir_all(dir)?;
    Ok(Outcome::Removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_locks_lines_name_device_and_inode() {
        let text = "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF\n\
                    1: -> FLOCK  ADVISORY  WRITE 4243 08:01:1234 0 EOF\n\
                    2: OFDLCK ADVISORY  READ  -1 00:2d:99 0 EOF\n";
        assert_eq!(locked_files(text), [1234, 1234, 99]);
    }

    #[test]
    fn the_folder_goes_unless_a_record_in_it_is_held() {
        let dir = std::env::temp_dir().join(format!("xtask-records-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(remove_unless_locked(&dir, &[]).unwrap(), Outcome::Absent);
        fs::create_dir(&dir).unwrap();
        let live = dir.join("eth0:7:02ac00000001:1.session");
        fs::write(&live, "version=2\n").unwrap();
        fs::write(dir.join("eth0:8:02ac00000001:2.session"), "version=2\n").unwrap();
        let held = key(&fs::metadata(&live).unwrap());
        assert_eq!(
            remove_unless_locked(&dir, &[held]).unwrap(),
            Outcome::Live(vec!["eth0:7:02ac00000001:1.session".into()])
        );
        assert!(live.exists(), "a live session keeps its record");
        assert_eq!(remove_unless_locked(&dir, &[]).unwrap(), Outcome::Removed);
        assert!(!dir.exists());
    }
}
