//! Writing pppd's configuration safely: every file is written to a
//! temporary file in its directory, synced, and renamed into place (or
//! hard-linked, when an existing file must not be replaced), so a crash
//! leaves the old file or the new one, never half of either. A symbolic
//! link is never written through: a link where a file should be is an
//! error. Secrets files are created with mode 0600 and keep their owner.

use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// Mode of the secrets files and their backups.
pub const SECRET_MODE: u32 = 0o600;
/// Mode of the peers file (it holds no secret; pppd runs as root anyway).
pub const PEERS_MODE: u32 = 0o644;
/// Mode of directories setup creates (`/etc/ppp`, `/etc/ppp/peers`).
const DIR_MODE: u32 = 0o755;

/// A failed file operation, naming the file. Never contains file content.
#[derive(Debug)]
pub struct FileError {
    pub path: PathBuf,
    pub kind: FileErrorKind,
}

#[derive(Debug)]
pub enum FileErrorKind {
    /// A symbolic link where a file should be.
    Symlink,
    /// Something other than a regular file (a directory, a device, ...).
    NotAFile,
    /// The file exists and must not be replaced.
    Exists,
    /// Any other failure of `what`.
    Io {
        what: &'static str,
        source: io::Error,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            FileErrorKind::Symlink => write!(
                f,
                "{path} is a symbolic link; rs-pppoe-setup never writes through links \
                 (put the file itself there, or edit it by hand)"
            ),
            FileErrorKind::NotAFile => write!(f, "{path} exists but is not a regular file"),
            FileErrorKind::Exists => write!(f, "{path} already exists"),
            FileErrorKind::Io { what, source } => {
                write!(f, "cannot {what} {path}: {source}")?;
                if source.kind() == io::ErrorKind::PermissionDenied {
                    f.write_str(" (run rs-pppoe-setup as root)")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FileError {}

fn io_error(path: &Path, what: &'static str) -> impl FnOnce(io::Error) -> FileError {
    move |source| FileError {
        path: path.to_owned(),
        kind: FileErrorKind::Io { what, source },
    }
}

/// A file as it was before setup touched it.
pub struct Existing {
    /// Its bytes (a secrets file: wiped when dropped).
    pub content: Zeroizing<Vec<u8>>,
    /// Permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Reads `path` if it exists. A symbolic link or a non-file is an error.
pub fn read_existing(path: &Path) -> Result<Option<Existing>, FileError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "look at")(e)),
    };
    check_is_file(path, &meta)?;
    // O_NOFOLLOW: if a link was put there since, fail instead of reading it.
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(io_error(path, "open"))?;
    let mut content = Zeroizing::new(Vec::new());
    file.read_to_end(&mut content)
        .map_err(io_error(path, "read"))?;
    Ok(Some(Existing {
        content,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
    }))
}

fn check_is_file(path: &Path, meta: &fs::Metadata) -> Result<(), FileError> {
    let kind = if meta.file_type().is_symlink() {
        FileErrorKind::Symlink
    } else if !meta.is_file() {
        FileErrorKind::NotAFile
    } else {
        return Ok(());
    };
    Err(FileError {
        path: path.to_owned(),
        kind,
    })
}

/// True when something (a file, a link, anything) is at `path`.
pub fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Creates `dir` and its parents (mode 0755) when missing.
pub fn ensure_dir(dir: &Path) -> Result<(), FileError> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(io_error(dir, "create the directory"))
}

/// Fails now, before any question is asked, when files cannot be created
/// in `dir` (or, while it does not exist, in the nearest directory above
/// it that does): not root, a read-only file system. Leaves nothing behind.
pub fn check_writable(dir: &Path) -> Result<(), FileError> {
    let existing = dir
        .ancestors()
        .find(|d| d.is_dir())
        .unwrap_or(Path::new("."));
    let probe = existing.join(format!(".rs-pppoe-setup.{}.probe", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&probe)
        .map_err(io_error(existing, "create files in"))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// How [`write_atomically`] treats a file already at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Fail with [`FileErrorKind::Exists`]; the check and the creation are
    /// one step (a hard link), so nothing that appears meanwhile is lost.
    Never,
    /// Replace it (a regular file only; a link is refused).
    Allowed,
}

/// Writes `content` to `path` with `mode` (and `owner`, when given) via a
/// synced temporary file in the same directory.
pub fn write_atomically(
    path: &Path,
    content: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
    replace: Replace,
) -> Result<(), FileError> {
    if replace == Replace::Allowed {
        if let Ok(meta) = fs::symlink_metadata(path) {
            check_is_file(path, &meta)?;
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.rs-pppoe-setup.{}.tmp", std::process::id()));
    // A leftover of a crashed run with our pid: ours to remove.
    let _ = fs::remove_file(&temp);
    let result = write_temp(&temp, content, mode, owner).and_then(|()| match replace {
        // rename(2) replaces the name itself: a link put at `path`
        // meanwhile is replaced, never followed.
        Replace::Allowed => fs::rename(&temp, path).map_err(io_error(path, "replace")),
        Replace::Never => match fs::hard_link(&temp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(FileError {
                path: path.to_owned(),
                kind: FileErrorKind::Exists,
            }),
            Err(e) => Err(io_error(path, "create")(e)),
        },
    });
    // After a rename the temporary name is gone; after a link or a
    // failure it must go.
    let _ = fs::remove_file(&temp);
    result?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir, "sync the directory"))
}

fn write_temp(
    temp: &Path,
    content: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> Result<(), FileError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(temp)
        .map_err(io_error(temp, "create"))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::fchown(&file, Some(uid), Some(gid))
            .map_err(io_error(temp, "set the owner of"))?;
    }
    // The umask may have taken bits away; set exactly what was asked.
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io_error(temp, "set the mode of"))?;
    file.write_all(content).map_err(io_error(temp, "write"))?;
    file.sync_all().map_err(io_error(temp, "sync"))
}

/// A copy of `old` next to `path` (`NAME.bak`, else `NAME.bak.1`, ...),
/// never replacing an earlier backup. Returns the backup's path.
pub fn backup(path: &Path, old: &Existing, mode: u32) -> Result<PathBuf, FileError> {
    for n in 0..100 {
        let suffix = if n == 0 {
            ".bak".to_owned()
        } else {
            format!(".bak.{n}")
        };
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let candidate = PathBuf::from(name);
        if exists(&candidate) {
            continue;
        }
        match write_atomically(
            &candidate,
            &old.content,
            mode,
            Some((old.uid, old.gid)),
            Replace::Never,
        ) {
            Err(FileError {
                kind: FileErrorKind::Exists,
                ..
            }) => continue,
            other => return other.map(|()| candidate),
        }
    }
    Err(FileError {
        path: path.to_owned(),
        kind: FileErrorKind::Io {
            what: "find a free backup name (.bak … .bak.99) for",
            source: io::Error::from(io::ErrorKind::AlreadyExists),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;
    use std::os::unix::fs::symlink;

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_new_secrets_file_is_0600_whatever_the_umask() {
        let s = Scratch::new("files-mode");
        let path = s.0.join("chap-secrets");
        write_atomically(&path, b"x\n", SECRET_MODE, None, Replace::Allowed).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read(&path).unwrap(), b"x\n");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&s.0).unwrap().count(), 1);
    }

    #[test]
    fn replacing_tightens_a_loose_mode_to_0600() {
        let s = Scratch::new("files-tighten");
        let path = s.0.join("pap-secrets");
        fs::write(&path, "old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomically(&path, b"new\n", SECRET_MODE, None, Replace::Allowed).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
    }

    #[test]
    fn links_are_never_written_through() {
        let s = Scratch::new("files-link");
        let target = s.0.join("elsewhere");
        fs::write(&target, "precious\n").unwrap();
        let path = s.0.join("chap-secrets");
        symlink(&target, &path).unwrap();
        let err = read_existing(&path).err().unwrap();
        assert!(matches!(err.kind, FileErrorKind::Symlink), "{err}");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let err = write_atomically(&path, b"x", SECRET_MODE, None, Replace::Allowed).unwrap_err();
        assert!(matches!(err.kind, FileErrorKind::Symlink), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"precious\n");
    }

    #[test]
    fn never_replace_keeps_an_existing_file() {
        let s = Scratch::new("files-never");
        let path = s.0.join("peer");
        fs::write(&path, "mine\n").unwrap();
        let err =
            write_atomically(&path, b"theirs\n", PEERS_MODE, None, Replace::Never).unwrap_err();
        assert!(matches!(err.kind, FileErrorKind::Exists), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"mine\n");
        assert_eq!(fs::read_dir(&s.0).unwrap().count(), 1);
    }

    #[test]
    fn backups_are_exact_0600_copies_and_never_replace_older_ones() {
        let s = Scratch::new("files-backup");
        let path = s.0.join("chap-secrets");
        let old_bytes = b"# old\r\nme * pw *";
        fs::write(&path, old_bytes).unwrap();
        let old = read_existing(&path).unwrap().unwrap();
        let first = backup(&path, &old, SECRET_MODE).unwrap();
        assert_eq!(first, s.0.join("chap-secrets.bak"));
        assert_eq!(fs::read(&first).unwrap(), old_bytes);
        assert_eq!(mode(&first), 0o600);
        let second = backup(&path, &old, SECRET_MODE).unwrap();
        assert_eq!(second, s.0.join("chap-secrets.bak.1"));
        assert_eq!(fs::read(&first).unwrap(), old_bytes);
    }

    #[test]
    fn an_unwritable_directory_is_found_before_anything_is_asked() {
        let s = Scratch::new("files-readonly");
        check_writable(&s.0.join("etc/ppp/peers")).unwrap();
        assert_eq!(fs::read_dir(&s.0).unwrap().count(), 0, "the probe is left");
        // /proc refuses new files even to root.
        let err = check_writable(Path::new("/proc/etc/ppp")).unwrap_err();
        assert!(
            err.to_string().starts_with("cannot create files in /proc"),
            "{err}"
        );
    }

    #[test]
    fn missing_directories_are_created() {
        let s = Scratch::new("files-dirs");
        let dir = s.0.join("etc/ppp/peers");
        ensure_dir(&dir).unwrap();
        assert!(dir.is_dir());
    }
}
