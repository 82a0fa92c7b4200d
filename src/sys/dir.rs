//! Files in one directory, reached only through that directory's descriptor.
//!
//! The session records live in a directory only root may write
//! (`/var/lib/rs-pppoe`). Every operation on its files goes through a
//! descriptor of the directory opened with `O_DIRECTORY | O_NOFOLLOW`
//! (`openat`, `renameat`, `unlinkat`, `fstatat`), never through a path, so
//! a symlink planted at a file's name is never followed and a directory
//! swapped after it was opened is never written to. Files are opened with
//! `O_NOFOLLOW | O_CLOEXEC`: the scripts pppd runs do not inherit them.
//!
//! [`try_lock`] is `flock(2)`: the lock belongs to the open file
//! description, so it survives pppd's `updetach` fork (the child keeps the
//! descriptor, the parent exits) and ends when the last descriptor is
//! closed, however the process ends. Two descriptions of one file conflict
//! even within one process, which is what the tests rely on.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use super::cvt;

/// Which file a name pointed at: device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

/// What `fstat` says about an open directory or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub id: FileId,
    /// Owner uid.
    pub uid: u32,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    pub is_dir: bool,
    pub is_regular: bool,
}

fn status_of(st: &libc::stat) -> Status {
    let format = st.st_mode & libc::S_IFMT;
    Status {
        id: FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        },
        uid: st.st_uid,
        mode: st.st_mode & 0o7777,
        is_dir: format == libc::S_IFDIR,
        is_regular: format == libc::S_IFREG,
    }
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// A file name inside the directory: one component, no NUL, no `/`.
fn c_name(name: &str) -> io::Result<CString> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a plain file name"),
        ));
    }
    CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"))
}

/// An open directory.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
}

impl Dir {
    /// Opens the directory at `path` without following a symlink in its
    /// last component.
    pub fn open(path: &Path) -> io::Result<Dir> {
        let path = c_path(path)?;
        // SAFETY: `path` is NUL-terminated and outlives the call; the
        // result is checked.
        let raw = cvt(unsafe {
            libc::open(
                path.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        })?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(Dir { fd })
    }

    /// Opens the directory at `path`, first creating it with `mode` if it
    /// does not exist (its parent must).
    pub fn open_or_create(path: &Path, mode: u32) -> io::Result<Dir> {
        let c = c_path(path)?;
        // SAFETY: `c` is NUL-terminated and outlives the call.
        match cvt(unsafe { libc::mkdir(c.as_ptr(), mode as libc::mode_t) }) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        Dir::open(path)
    }

    /// `fstat` of the directory itself.
    pub fn status(&self) -> io::Result<Status> {
        fstat(self.fd.as_raw_fd())
    }

    /// Creates `name` (it must not exist) for writing, mode `mode`.
    pub fn create_new(&self, name: &str, mode: u32) -> io::Result<File> {
        self.open_at(
            name,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
            mode as libc::mode_t,
        )
    }

    /// Opens the existing `name` for reading. Never follows a symlink, never
    /// blocks on a FIFO someone put there.
    pub fn open_existing(&self, name: &str) -> io::Result<File> {
        self.open_at(name, libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY, 0)
    }

    fn open_at(&self, name: &str, flags: libc::c_int, mode: libc::mode_t) -> io::Result<File> {
        let name = c_name(name)?;
        // SAFETY: `name` is NUL-terminated and outlives the call; the mode
        // argument is read only with O_CREAT, and passed as the promoted
        // unsigned int openat expects.
        let raw = cvt(unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                name.as_ptr(),
                flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                libc::c_uint::from(mode),
            )
        })?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        Ok(File::from(unsafe { OwnedFd::from_raw_fd(raw) }))
    }

    /// Which file `name` is now (the link itself if it is a symlink).
    pub fn id_of(&self, name: &str) -> io::Result<FileId> {
        let name = c_name(name)?;
        // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `name` is NUL-terminated, `st` is a live, writable stat.
        cvt(unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                name.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })?;
        Ok(status_of(&st).id)
    }

    /// Renames `from` to `to`, both in this directory (replacing `to`).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (c_name(from)?, c_name(to)?);
        let dir = self.fd.as_raw_fd();
        // SAFETY: both names are NUL-terminated and outlive the call.
        cvt(unsafe { libc::renameat(dir, from.as_ptr(), dir, to.as_ptr()) })?;
        Ok(())
    }

    /// Removes the name `name` (a symlink itself, never its target).
    pub fn unlink(&self, name: &str) -> io::Result<()> {
        let name = c_name(name)?;
        // SAFETY: `name` is NUL-terminated and outlives the call.
        cvt(unsafe { libc::unlinkat(self.fd.as_raw_fd(), name.as_ptr(), 0) })?;
        Ok(())
    }

    /// Flushes the directory itself (a rename or new name) to the disk.
    pub fn sync(&self) -> io::Result<()> {
        // SAFETY: fsync takes no pointers.
        cvt(unsafe { libc::fsync(self.fd.as_raw_fd()) })?;
        Ok(())
    }

    /// The names in the directory, without `.` and `..`.
    pub fn names(&self) -> io::Result<Vec<OsString>> {
        // fdopendir takes ownership of its descriptor (closedir closes it),
        // so it gets a duplicate.
        // SAFETY: fcntl(F_DUPFD_CLOEXEC) takes no pointers.
        let dup = cvt(unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) })?;
        // SAFETY: `dup` is a fresh descriptor of a directory.
        let stream = unsafe { libc::fdopendir(dup) };
        if stream.is_null() {
            let error = io::Error::last_os_error();
            // SAFETY: fdopendir failed, so `dup` is still ours to close.
            unsafe { libc::close(dup) };
            return Err(error);
        }
        // The duplicate shares its file offset with `self.fd`, which an
        // earlier listing left at the end.
        // SAFETY: `stream` is a live DIR*.
        unsafe { libc::rewinddir(stream) };
        let mut names = Vec::new();
        loop {
            // SAFETY: `stream` is a live DIR* used by this thread only.
            let entry = unsafe { libc::readdir(stream) };
            if entry.is_null() {
                break;
            }
            // SAFETY: readdir returned a valid dirent whose d_name is
            // NUL-terminated; we copy it before the next readdir call.
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) }.to_bytes();
            if name != b"." && name != b".." {
                names.push(OsString::from_vec(name.to_vec()));
            }
        }
        // SAFETY: `stream` is live and not used after this; closedir also
        // closes `dup`.
        unsafe { libc::closedir(stream) };
        Ok(names)
    }
}

/// `fstat` of an open file.
pub fn file_status(file: &File) -> io::Result<Status> {
    fstat(file.as_raw_fd())
}

fn fstat(fd: libc::c_int) -> io::Result<Status> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a live, writable stat; fstat takes no other pointer.
    cvt(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(status_of(&st))
}

/// Takes an exclusive `flock` on `file` without waiting: `Ok(true)` when
/// we have it, `Ok(false)` when another open file description holds a lock
/// on the file, `Err` when the file system cannot lock at all.
pub fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: flock takes no pointers.
    match cvt(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    }
}

/// The effective user id (the owner a private directory must have).
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments and cannot fail.
    unsafe { libc::geteuid() }
}

/// Eight random bytes from the kernel (`getrandom(2)`, never blocking on
/// an uninitialised pool: any bytes will do for unique names).
pub fn random_u64() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    // SAFETY: `bytes` is 8 writable bytes that outlive the call.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), libc::GRND_INSECURE) };
    if n == 8 {
        return Ok(u64::from_ne_bytes(bytes));
    }
    // Kernels before 5.6 refuse GRND_INSECURE: ask again without it, not
    // waiting for the pool.
    // SAFETY: as above.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), libc::GRND_NONBLOCK) };
    if n == 8 {
        Ok(u64::from_ne_bytes(bytes))
    } else {
        Err(io::Error::last_os_error())
    }
}

/// True when `name` is a plain file name `Dir` accepts.
pub fn is_plain_name(name: &OsStr) -> bool {
    name.to_str().is_some_and(|name| c_name(name).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    struct Scratch(std::path::PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("rs-pppoe-sys-dir-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn created_directory_has_the_mode_and_files_are_reached_through_it() {
        let scratch = Scratch::new("create");
        let path = scratch.0.join("state");
        let dir = Dir::open_or_create(&path, 0o700).unwrap();
        let status = dir.status().unwrap();
        assert!(status.is_dir);
        assert_eq!(status.mode & 0o077, 0, "nobody else may look in");
        let mut file = dir.create_new("a", 0o600).unwrap();
        file.write_all(b"hello").unwrap();
        assert_eq!(file_status(&file).unwrap().mode, 0o600);
        assert!(dir.create_new("a", 0o600).is_err(), "never replaces");
        dir.rename("a", "b").unwrap();
        let mut text = String::new();
        dir.open_existing("b")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "hello");
        assert_eq!(dir.id_of("b").unwrap(), file_status(&file).unwrap().id);
        assert_eq!(dir.names().unwrap(), vec![OsString::from("b")]);
        dir.unlink("b").unwrap();
        assert!(dir.names().unwrap().is_empty());
        // Opening again finds the same directory.
        assert_eq!(
            Dir::open_or_create(&path, 0o700)
                .unwrap()
                .status()
                .unwrap()
                .id,
            status.id
        );
    }

    #[test]
    fn symlinks_are_never_followed() {
        let scratch = Scratch::new("symlink");
        let target = scratch.0.join("target");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("secret"), "x").unwrap();
        let link = scratch.0.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(
            Dir::open(&link).is_err(),
            "a symlinked directory is refused"
        );
        let dir = Dir::open(&target).unwrap();
        std::os::unix::fs::symlink(target.join("secret"), target.join("record")).unwrap();
        assert!(dir.open_existing("record").is_err());
        assert_ne!(dir.id_of("record").unwrap(), dir.id_of("secret").unwrap());
        dir.unlink("record").unwrap();
        assert!(
            target.join("secret").exists(),
            "unlink removed the link only"
        );
        assert!(dir.open_existing("../target/secret").is_err());
    }

    #[test]
    fn a_lock_held_by_another_open_file_description_is_seen() {
        let scratch = Scratch::new("lock");
        let dir = Dir::open(&scratch.0).unwrap();
        let first = dir.create_new("r", 0o600).unwrap();
        assert!(try_lock(&first).unwrap());
        let second = dir.open_existing("r").unwrap();
        assert!(!try_lock(&second).unwrap(), "held through the first");
        // A duplicate descriptor shares the description, and its lock.
        let dup = first.try_clone().unwrap();
        drop(first);
        assert!(!try_lock(&second).unwrap(), "still held through the dup");
        drop(dup);
        assert!(
            try_lock(&second).unwrap(),
            "released with the last descriptor"
        );
    }

    #[test]
    fn random_values_differ() {
        assert_ne!(random_u64().unwrap(), random_u64().unwrap());
    }
}
