//! What an installation of rs-pppoe is, and how one is staged and taken back.
//!
//! Built against the system pppd's headers, an install puts in place:
//!
//! | file | where |
//! |---|---|
//! | the plugin | `<pppd plugin dir>/rs-pppoe.so` (pkg-config's `plugindir`, else `/usr/lib/pppd/<version>`) |
//! | `rs-pppoe-discovery`, `rs-pppoe-rule`, `rs-pppoe-setup` | `<prefix>/sbin/` (`<prefix>/bin/` on Arch) |
//! | the hook, as copies | `/etc/ppp/ip-up.d/10-rule` + `ip-down.d/10-rule` (Debian family: run-parts skips names with a dot), `10-rule.sh` on Arch (its dispatcher runs only `*.sh`) |
//! | the example peers file | `/etc/ppp/peers/rs-pppoe-provider`, only when absent |
//! | examples | `<prefix>/share/doc/rs-pppoe/{peers-provider,chap-secrets}.example` |
//! | man pages | `<prefix>/share/man/man8/rs-pppoe.8`, `rs-pppoe-rule.8`, `rs-pppoe-discovery.8`, `rs-pppoe-setup.8` |
//! | the manifest | `<prefix>/share/rs-pppoe/installed-files` |
//!
//! Everything lands under the destdir. The manifest records each file with a
//! checksum and each directory install created; [`uninstall_with`] removes
//! exactly those files, keeping any that changed since (a peers file the user
//! edited), then the directories that are left empty. Secrets are never
//! installed, and a peers file that install did not create is never touched.
//! `cargo xtask install`/`uninstall` and `cargo xtask deb` share this.

use std::{
    collections::BTreeSet,
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{
    artifacts::{BUILD_ARGS, SETUP_PACKAGE, build_hook, hook_binary, release_dir},
    pppd::{Pppd, system_pppd},
    util::{cargo, exec, output, root},
};

/// The peers file install adds when absent.
pub const PEERS_FILE: &str = "/etc/ppp/peers/rs-pppoe-provider";
/// The manifest, relative to the prefix.
const MANIFEST: &str = "share/rs-pppoe/installed-files";
const MANIFEST_HEADER: &str =
    "# rs-pppoe: files `cargo xtask install` put in place; `cargo xtask uninstall` removes them";

/// Which ip-up dispatcher runs the hook, hence its file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distro {
    /// `/etc/ppp/ip-up` runs `run-parts /etc/ppp/ip-up.d`: names without dots.
    Debian,
    /// `/etc/ppp/ip-up` runs `/etc/ppp/ip-up.d/*.sh`.
    Arch,
}

impl Distro {
    pub fn hook_name(self) -> &'static str {
        match self {
            Distro::Debian => "10-rule",
            Distro::Arch => "10-rule.sh",
        }
    }

    /// Where programs go under the prefix: Arch merged `sbin` into `bin`
    /// (its `/usr/sbin` is a symlink a package must not ship files in).
    pub fn program_dir(self) -> &'static str {
        match self {
            Distro::Debian => "sbin",
            Distro::Arch => "bin",
        }
    }

    pub fn parse(name: &str) -> Result<Distro, String> {
        match name {
            "debian" => Ok(Distro::Debian),
            "arch" => Ok(Distro::Arch),
            other => Err(format!("--distro must be debian or arch, not '{other}'")),
        }
    }

    /// From `/etc/os-release`: `ID` and `ID_LIKE`.
    pub fn detect() -> Result<Distro, String> {
        let text = fs::read_to_string("/etc/os-release").unwrap_or_default();
        let mut ids = Vec::new();
        for line in text.lines() {
            if let Some(value) = line
                .strip_prefix("ID=")
                .or_else(|| line.strip_prefix("ID_LIKE="))
            {
                ids.extend(
                    value
                        .trim_matches('"')
                        .split_whitespace()
                        .map(str::to_owned),
                );
            }
        }
        if ids.iter().any(|id| id == "arch") {
            Ok(Distro::Arch)
        } else if ids.iter().any(|id| id == "debian" || id == "ubuntu") {
            Ok(Distro::Debian)
        } else {
            Err(format!(
                "cannot tell this distro's ip-up dispatcher from /etc/os-release (ID/ID_LIKE: {}); \
                 pass --distro debian (run-parts: hook named 10-rule) or --distro arch (hook named 10-rule.sh)",
                if ids.is_empty() {
                    "none".into()
                } else {
                    ids.join(" ")
                }
            ))
        }
    }
}

/// The parsed command line.
#[derive(Clone, Debug)]
pub struct Options {
    /// Root of the installation; `/` for a real install.
    pub destdir: PathBuf,
    pub prefix: PathBuf,
    pub distro: Distro,
    pub plugin_dir: Option<PathBuf>,
}

impl Options {
    /// `path` (absolute, as on the target system) under the destdir.
    pub fn staged(&self, path: &Path) -> PathBuf {
        under(&self.destdir, path)
    }

    pub fn manifest(&self) -> PathBuf {
        self.prefix.join(MANIFEST)
    }
}

/// `path` re-rooted at `base`.
fn under(base: &Path, path: &Path) -> PathBuf {
    base.join(path.strip_prefix("/").unwrap_or(path))
}

/// What a file is for, which decides how install treats an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Ours: replaced on every install.
    Ours,
    /// The user's once it exists: installed only when absent (or when it
    /// is still exactly the copy a previous install put there).
    UserConfig,
}

/// One file to install: content from `source`, at `dest` on the target.
struct Item {
    source: PathBuf,
    dest: PathBuf,
    mode: u32,
    kind: Kind,
}

/// The files to install for `pppd` and `options`, in install order.
fn plan(options: &Options, pppd: &Pppd) -> Vec<Item> {
    let release = release_dir();
    let hook = hook_binary();
    let docs = root().join("docs");
    let sbin = options.prefix.join(options.distro.program_dir());
    let doc = options.prefix.join("share/doc/rs-pppoe");
    let man8 = options.prefix.join("share/man/man8");
    let hook_name = options.distro.hook_name();
    let item = |source: PathBuf, dest: PathBuf, mode| Item {
        source,
        dest,
        mode,
        kind: Kind::Ours,
    };
    vec![
        item(
            release.join("librs_pppoe.so"),
            pppd.plugin_dir.join("rs-pppoe.so"),
            0o644,
        ),
        item(
            release.join("rs-pppoe-discovery"),
            sbin.join("rs-pppoe-discovery"),
            0o755,
        ),
        item(hook.clone(), sbin.join("rs-pppoe-rule"), 0o755),
        item(
            release.join("rs-pppoe-setup"),
            sbin.join("rs-pppoe-setup"),
            0o755,
        ),
        // Copies, not symlinks: pppd 2.5.3 checks the real path of every
        // script, and a copy keeps working if the prefix moves.
        item(
            hook.clone(),
            PathBuf::from("/etc/ppp/ip-up.d").join(hook_name),
            0o755,
        ),
        item(
            hook,
            PathBuf::from("/etc/ppp/ip-down.d").join(hook_name),
            0o755,
        ),
        Item {
            source: docs.join("peers-provider.example"),
            dest: PathBuf::from(PEERS_FILE),
            mode: 0o644,
            kind: Kind::UserConfig,
        },
        item(
            docs.join("peers-provider.example"),
            doc.join("peers-provider.example"),
            0o644,
        ),
        item(
            docs.join("chap-secrets.example"),
            doc.join("chap-secrets.example"),
            0o644,
        ),
        item(docs.join("rs-pppoe.8"), man8.join("rs-pppoe.8"), 0o644),
        item(
            docs.join("rs-pppoe-rule.8"),
            man8.join("rs-pppoe-rule.8"),
            0o644,
        ),
        item(
            docs.join("rs-pppoe-discovery.8"),
            man8.join("rs-pppoe-discovery.8"),
            0o644,
        ),
        item(
            docs.join("rs-pppoe-setup.8"),
            man8.join("rs-pppoe-setup.8"),
            0o644,
        ),
    ]
}

/// A manifest line: a file with its checksum, or a directory install made.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    File { checksum: u64, path: PathBuf },
    Dir { path: PathBuf },
}

fn read_manifest(path: &Path) -> Result<Option<Vec<Entry>>, String> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let bad = |line: &str| format!("{}: cannot read manifest line '{line}'", path.display());
    let mut entries = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut parts = line.splitn(3, ' ');
        let (kind, field, rest) = (parts.next(), parts.next(), parts.next());
        match (kind, field, rest) {
            (Some("file"), Some(sum), Some(p)) if p.starts_with('/') => entries.push(Entry::File {
                checksum: u64::from_str_radix(sum, 16).map_err(|_| bad(line))?,
                path: PathBuf::from(p),
            }),
            (Some("dir"), Some("-"), Some(p)) if p.starts_with('/') => {
                entries.push(Entry::Dir {
                    path: PathBuf::from(p),
                });
            }
            _ => return Err(bad(line)),
        }
    }
    Ok(Some(entries))
}

fn manifest_text(entries: &[Entry]) -> String {
    let mut text = format!("{MANIFEST_HEADER}\n");
    for entry in entries {
        match entry {
            Entry::File { checksum, path } => {
                text.push_str(&format!("file {checksum:016x} {}\n", path.display()))
            }
            Entry::Dir { path } => text.push_str(&format!("dir - {}\n", path.display())),
        }
    }
    text
}

/// FNV-1a: tells "unchanged since install" from "edited"; not a security check.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn file_checksum(path: &Path) -> Option<u64> {
    fs::read(path).ok().map(|bytes| checksum(&bytes))
}

/// Creates `dir` (a target path) under the destdir, recording in `created`
/// each directory that did not exist before.
fn make_dirs(options: &Options, dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(path) = current {
        if path == Path::new("/") || options.staged(path).is_dir() {
            break;
        }
        missing.push(path.to_path_buf());
        current = path.parent();
    }
    for path in missing.into_iter().rev() {
        let staged = options.staged(&path);
        fs::create_dir(&staged).map_err(|e| format!("mkdir {}: {e}", staged.display()))?;
        fs::set_permissions(&staged, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod {}: {e}", staged.display()))?;
        created.push(path);
    }
    Ok(())
}

/// Writes `bytes` to `dest` by renaming a temporary file over it, so a pppd
/// that has the old plugin mapped keeps running on the old inode.
fn write_replacing(dest: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dest.with_file_name(format!(".{name}.rs-pppoe-new"));
    fs::write(&temp, bytes).map_err(|e| format!("write {}: {e}", temp.display()))?;
    fs::set_permissions(&temp, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", temp.display()))?;
    fs::rename(&temp, dest).map_err(|e| {
        let _ = fs::remove_file(&temp);
        format!("rename to {}: {e}", dest.display())
    })
}

/// What an install did.
pub struct Installed {
    pub pppd: Pppd,
    /// Target paths of the files now recorded in the manifest.
    pub files: Vec<PathBuf>,
    pub manifest: PathBuf,
}

/// Builds against the system pppd and installs; used by `install` and `deb`.
pub fn install_with(options: &Options) -> Result<Installed, String> {
    let pppd = system_pppd(options.plugin_dir.as_deref())?;
    eprintln!(
        "install: pppd {} (headers {}), plugin dir {}, hook named {} ({} dispatcher)",
        pppd.version,
        pppd.include_dir.display(),
        pppd.plugin_dir.display(),
        options.distro.hook_name(),
        match options.distro {
            Distro::Debian => "Debian's run-parts",
            Distro::Arch => "Arch's *.sh",
        }
    );
    if let Ok(line) = output(Command::new("pppd").arg("--version")) {
        let running = line
            .split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_string();
        if !running.is_empty() && running != pppd.version {
            eprintln!(
                "install: warning: the pppd on PATH is {running}, the headers are {}: the plugin only loads into pppd {}",
                pppd.version, pppd.version
            );
        }
    }
    // build.rs finds the same headers by the same rules; PPPD_INCLUDE_DIR,
    // when set, reaches it through the environment.
    exec(cargo().args(BUILD_ARGS).args(SETUP_PACKAGE))?;
    build_hook()?;
    let plugin = release_dir().join("librs_pppoe.so");
    let plugin_bytes = fs::read(&plugin).map_err(|e| format!("{}: {e}", plugin.display()))?;
    if !contains(&plugin_bytes, b"plugin_init\0") {
        return Err(format!(
            "{} has no plugin_init: it was built without pppd's ABI (see the build warnings)",
            plugin.display()
        ));
    }

    fs::create_dir_all(&options.destdir)
        .map_err(|e| format!("mkdir {}: {e}", options.destdir.display()))?;
    let manifest_path = options.manifest();
    let old = read_manifest(&options.staged(&manifest_path))?.unwrap_or_default();
    let ours_before = |path: &Path, current: Option<u64>| {
        old.iter().any(|e| matches!(e, Entry::File { checksum, path: p } if p == path && Some(*checksum) == current))
    };
    let mut created = Vec::new();
    let mut entries = Vec::new();
    for item in plan(options, &pppd) {
        let staged = options.staged(&item.dest);
        let bytes =
            fs::read(&item.source).map_err(|e| format!("{}: {e}", item.source.display()))?;
        // A user's file, or one install made and the user edited since.
        let users = item.kind == Kind::UserConfig
            && staged.exists()
            && !ours_before(&item.dest, file_checksum(&staged));
        if users {
            eprintln!(
                "install: {} exists: left alone (the example is in the doc folder)",
                item.dest.display()
            );
            continue;
        }
        if let Some(parent) = item.dest.parent() {
            make_dirs(options, parent, &mut created)?;
        }
        write_replacing(&staged, &bytes, item.mode)?;
        eprintln!("install: {:o} {}", item.mode, item.dest.display());
        entries.push(Entry::File {
            checksum: checksum(&bytes),
            path: item.dest,
        });
    }
    if let Some(parent) = manifest_path.parent() {
        make_dirs(options, parent, &mut created)?;
    }
    // Directories a previous install created are still ours.
    let mut dirs: BTreeSet<PathBuf> = created.into_iter().collect();
    for entry in &old {
        if let Entry::Dir { path } = entry {
            if options.staged(path).is_dir() {
                dirs.insert(path.clone());
            }
        }
    }
    let files = entries
        .iter()
        .filter_map(|e| match e {
            Entry::File { path, .. } => Some(path.clone()),
            Entry::Dir { .. } => None,
        })
        .collect();
    entries.extend(dirs.into_iter().map(|path| Entry::Dir { path }));
    write_replacing(
        &options.staged(&manifest_path),
        manifest_text(&entries).as_bytes(),
        0o644,
    )?;
    Ok(Installed {
        pppd,
        files,
        manifest: manifest_path,
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Removes what the manifest under `options` lists: each file unless it
/// changed since install (those are returned), then the manifest, then the
/// directories install created that are left empty.
pub fn uninstall_with(options: &Options) -> Result<Vec<PathBuf>, String> {
    let manifest = options.staged(&options.manifest());
    let entries = read_manifest(&manifest)?.ok_or_else(|| {
        format!(
            "nothing to uninstall: no manifest at {} (check --prefix/--destdir)",
            manifest.display()
        )
    })?;
    let mut kept = Vec::new();
    let mut dirs = Vec::new();
    for entry in entries {
        match entry {
            Entry::File { checksum, path } => {
                let staged = options.staged(&path);
                match file_checksum(&staged) {
                    None => eprintln!("uninstall: {} is already gone", path.display()),
                    Some(now) if now != checksum => {
                        eprintln!(
                            "uninstall: {} changed since it was installed: kept",
                            path.display()
                        );
                        kept.push(path);
                    }
                    Some(_) => {
                        fs::remove_file(&staged)
                            .map_err(|e| format!("rm {}: {e}", staged.display()))?;
                        eprintln!("uninstall: removed {}", path.display());
                    }
                }
            }
            Entry::Dir { path } => dirs.push(path),
        }
    }
    fs::remove_file(&manifest).map_err(|e| format!("rm {}: {e}", manifest.display()))?;
    // Deepest first; a directory that holds anything else stays.
    dirs.sort_by_key(|path| std::cmp::Reverse(path.components().count()));
    for dir in dirs {
        if fs::remove_dir(options.staged(&dir)).is_ok() {
            eprintln!("uninstall: removed empty {}/", dir.display());
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines_read_back_as_written() {
        let entries = vec![
            Entry::File {
                checksum: checksum(b"plugin"),
                path: PathBuf::from("/usr/lib/pppd/2.4.9/rs-pppoe.so"),
            },
            Entry::File {
                checksum: 7,
                path: PathBuf::from("/opt/my prefix/sbin/rs-pppoe-rule"),
            },
            Entry::Dir {
                path: PathBuf::from("/usr/local/share/rs-pppoe"),
            },
        ];
        let dir = std::env::temp_dir().join(format!("xtask-manifest-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("installed-files");
        fs::write(&path, manifest_text(&entries)).unwrap();
        let read = read_manifest(&path);
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(read, Ok(Some(entries)));
    }

    #[test]
    fn hook_names_follow_the_dispatcher() {
        assert_eq!(
            Distro::Debian.hook_name(),
            "10-rule",
            "run-parts skips names with a dot"
        );
        assert_eq!(
            Distro::Arch.hook_name(),
            "10-rule.sh",
            "Arch runs only *.sh"
        );
    }

    #[test]
    fn checksums_tell_an_edited_file_from_the_installed_one() {
        assert_eq!(checksum(b"nic-eth0\n"), checksum(b"nic-eth0\n"));
        assert_ne!(checksum(b"nic-eth0\n"), checksum(b"nic-eth1\n"));
    }
}
