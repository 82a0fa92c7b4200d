//! `cargo xtask deb`: the Debian package.
//!
//! One way to build it, with nothing but dpkg-deb: `cargo xtask install
//! --destdir <staging> --prefix /usr --distro debian` lays out the files,
//! then the Debian specifics go in: binaries stripped, man pages and the
//! changelog gzipped, `copyright` (from `LICENSE`), the lintian overrides,
//! `DEBIAN/control` from `dist/debian/control.in`, `conffiles` (every file
//! under `/etc`), `md5sums` and the `postrm` that removes
//! `/var/lib/rs-pppoe` on purge; `dpkg-deb --build` packs it into
//! `<target>/debian/rs-pppoe_<version>_<arch>.deb`. The package holds the
//! same files as the install, minus the install manifest (dpkg keeps its own
//! list). Afterwards `dpkg-deb -c` must list exactly [`expected_files`].
//!
//! The plugin is built against the pppd headers install finds
//! (`PPPD_INCLUDE_DIR`, e.g. a Debian 13 root's for pppd 2.5.2) and
//! `Depends` pins exactly the Debian version of `ppp` that root has
//! installed, read from its dpkg database (`--ppp-version` names it when
//! the headers come from elsewhere).

use std::{
    collections::BTreeSet,
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{
    artifacts,
    layout::{self, Distro, Options, PEERS_FILE},
    pppd::Pppd,
    util::{exec, flag_value, output, root},
};

const TEMPLATE: &str = "dist/debian/control.in";
const CHANGELOG: &str = "dist/debian/changelog";
const POSTRM: &str = "dist/debian/postrm";
const LINTIAN_OVERRIDES: &str = "dist/debian/lintian-overrides";
const DOC_DIR: &str = "usr/share/doc/rs-pppoe";
const USAGE: &str = "usage: cargo xtask deb [--ppp-version DEBIAN_VERSION]
  --ppp-version V  the Debian version of ppp to depend on (default: the one
                   installed where pppd's headers were found)";

pub fn deb(args: &[String]) -> Result<(), String> {
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        if arg != "--ppp-version" || words.next().is_none() {
            return Err(format!("unknown argument '{arg}'\n{USAGE}"));
        }
    }
    let ppp_version = flag_value(args, "--ppp-version")?;
    let out_dir = artifacts::release_dir()
        .parent()
        .map_or_else(|| root().join("target"), Path::to_path_buf)
        .join("debian");
    let staging = out_dir.join("rs-pppoe");
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| format!("rm -r {}: {e}", staging.display()))?;
    }
    fs::create_dir_all(&staging).map_err(|e| format!("mkdir {}: {e}", staging.display()))?;

    let options = Options {
        destdir: staging.clone(),
        prefix: PathBuf::from("/usr"),
        distro: Distro::Debian,
        plugin_dir: None,
    };
    let installed = layout::install_with(&options)?;
    let ppp_version = match ppp_version {
        Some(version) => version,
        None => installed_ppp_version(&installed.pppd)?,
    };
    // dpkg tracks the package's files itself; `cargo xtask uninstall` must
    // not find (and remove) a packaged installation.
    let manifest = options.staged(&installed.manifest);
    fs::remove_file(&manifest).map_err(|e| format!("rm {}: {e}", manifest.display()))?;
    if let Some(dir) = manifest.parent() {
        fs::remove_dir(dir).map_err(|e| format!("rmdir {}: {e}", dir.display()))?;
    }

    let version = package_version()?;
    check_changelog(&version)?;
    debianize(&staging)?;
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let pppd = &installed.pppd.version;
    let mut conffiles: Vec<String> = installed
        .files
        .iter()
        .filter(|path| path.starts_with("/etc"))
        .map(|path| path.display().to_string())
        .collect();
    conffiles.sort();
    let control = fs::read_to_string(root().join(TEMPLATE))
        .map_err(|e| format!("{TEMPLATE}: {e}"))?
        .replace("@VERSION@", &version)
        .replace("@ARCH@", &arch)
        .replace(
            "@INSTALLED_SIZE@",
            &installed_size_kib(&staging)?.to_string(),
        )
        .replace("@PPP_DEPENDS@", &ppp_depends(pppd, &ppp_version)?)
        .replace("@PPPD_VERSION@", pppd);
    if let Some(placeholder) = unfilled_placeholder(&control) {
        return Err(format!(
            "{TEMPLATE} has a placeholder this task does not fill: {placeholder}"
        ));
    }
    let debian = staging.join("DEBIAN");
    fs::create_dir_all(&debian).map_err(|e| format!("mkdir {}: {e}", debian.display()))?;
    let md5sums = md5sums(&staging)?;
    write(&debian.join("control"), control.as_bytes(), 0o644)?;
    write(
        &debian.join("conffiles"),
        format!("{}\n", conffiles.join("\n")).as_bytes(),
        0o644,
    )?;
    write(&debian.join("md5sums"), md5sums.as_bytes(), 0o644)?;
    write(&debian.join("postrm"), &read(POSTRM)?, 0o755)?;

    let deb = out_dir.join(format!("rs-pppoe_{version}_{arch}.deb"));
    exec(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&staging)
            .arg(&deb),
    )?;

    let listed = package_files(&deb)?;
    let expected = expected_files(&installed.pppd.plugin_dir);
    if listed != expected {
        let extra: Vec<_> = listed.difference(&expected).collect();
        let missing: Vec<_> = expected.difference(&listed).collect();
        return Err(format!(
            "{} does not hold the expected files; unexpected: {extra:?}; missing: {missing:?}",
            deb.display()
        ));
    }
    eprintln!(
        "deb: {} ({} files, as expected):",
        deb.display(),
        listed.len()
    );
    for file in &listed {
        eprintln!("deb:   {file}");
    }
    eprintln!("deb: conffiles: {}", conffiles.join(" "));
    eprintln!("deb: for pppd {pppd}: {}", ppp_depends(pppd, &ppp_version)?);
    Ok(())
}

/// The files (not directories) the package must hold, as `dpkg-deb -c`
/// names them.
pub fn expected_files(plugin_dir: &Path) -> BTreeSet<String> {
    [
        format!("{}/rs-pppoe.so", plugin_dir.display()),
        "/usr/sbin/rs-pppoe-discovery".into(),
        "/usr/sbin/rs-pppoe-rule".into(),
        "/usr/sbin/rs-pppoe-setup".into(),
        "/etc/ppp/ip-up.d/10-rule".into(),
        "/etc/ppp/ip-down.d/10-rule".into(),
        PEERS_FILE.into(),
        "/usr/share/doc/rs-pppoe/peers-provider.example".into(),
        "/usr/share/doc/rs-pppoe/chap-secrets.example".into(),
        "/usr/share/doc/rs-pppoe/copyright".into(),
        "/usr/share/doc/rs-pppoe/changelog.gz".into(),
        "/usr/share/lintian/overrides/rs-pppoe".into(),
        "/usr/share/man/man8/rs-pppoe.8.gz".into(),
        "/usr/share/man/man8/rs-pppoe-rule.8.gz".into(),
        "/usr/share/man/man8/rs-pppoe-discovery.8.gz".into(),
        "/usr/share/man/man8/rs-pppoe-setup.8.gz".into(),
    ]
    .into_iter()
    .map(|path| format!(".{path}"))
    .collect()
}

fn read(relative: &str) -> Result<Vec<u8>, String> {
    fs::read(root().join(relative)).map_err(|e| format!("{relative}: {e}"))
}

fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    }
    fs::write(path, bytes).map_err(|e| format!("write {}: {e}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", path.display()))
}

/// What Debian asks of a binary package beyond the installed files (the
/// work debhelper's dh_strip, dh_compress and dh_installdocs would do):
/// stripped ELF files, gzipped man pages and changelog, the copyright
/// file, the lintian overrides.
fn debianize(staging: &Path) -> Result<(), String> {
    for file in regular_files(staging)? {
        let head = fs::read(&file)
            .map_err(|e| format!("{}: {e}", file.display()))?
            .get(..4)
            .map(<[u8]>::to_vec);
        if head.as_deref() == Some(b"\x7fELF") {
            exec(
                Command::new("strip")
                    .args([
                        "--strip-unneeded",
                        "--remove-section=.comment",
                        "--remove-section=.note",
                    ])
                    .arg(&file),
            )?;
        }
    }
    let man8 = staging.join("usr/share/man/man8");
    for entry in fs::read_dir(&man8).map_err(|e| format!("{}: {e}", man8.display()))? {
        let page = entry.map_err(|e| e.to_string())?.path();
        exec(Command::new("gzip").args(["-9", "-n"]).arg(&page))?;
    }
    let doc = staging.join(DOC_DIR);
    write(&doc.join("changelog"), &read(CHANGELOG)?, 0o644)?;
    exec(
        Command::new("gzip")
            .args(["-9", "-n"])
            .arg(doc.join("changelog")),
    )?;
    let license = String::from_utf8(read("LICENSE")?).map_err(|e| format!("LICENSE: {e}"))?;
    write(
        &doc.join("copyright"),
        copyright(&license)?.as_bytes(),
        0o644,
    )?;
    write(
        &staging.join("usr/share/lintian/overrides/rs-pppoe"),
        &read(LINTIAN_OVERRIDES)?,
        0o644,
    )
}

/// Every regular file below `dir` (symlinks and directories excluded).
fn regular_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.is_dir() {
            files.extend(regular_files(&path)?);
        } else if meta.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `DEBIAN/md5sums`: `<md5>  <path relative to />` for every file, which
/// `dpkg --verify` checks.
fn md5sums(staging: &Path) -> Result<String, String> {
    let files = regular_files(staging)?;
    let sums = output(Command::new("md5sum").args(&files))?;
    let prefix = format!("{}/", staging.display());
    Ok(format!("{}\n", sums.replace(&prefix, "")))
}

/// The machine-readable copyright file (DEP-5) for the MIT `LICENSE`:
/// its copyright line, and its text as the license paragraph.
fn copyright(license: &str) -> Result<String, String> {
    let mut lines = license.lines();
    if lines.next().map(str::trim) != Some("MIT License") {
        return Err("LICENSE does not start with 'MIT License'".into());
    }
    let holder = lines
        .by_ref()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .and_then(|line| line.strip_prefix("Copyright (c) "))
        .ok_or("LICENSE has no 'Copyright (c) ...' line after its title")?;
    let mut text: Vec<String> = lines
        .skip_while(|line| line.trim().is_empty())
        .map(|line| {
            if line.trim().is_empty() {
                " .".to_string()
            } else {
                format!(" {line}")
            }
        })
        .collect();
    while text.last().is_some_and(|line| line == " .") {
        text.pop();
    }
    Ok(format!(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
         Upstream-Name: rs-pppoe\n\
         Source: https://example.invalid/rs-pppoe\n\
         \n\
         Files: *\n\
         Copyright: {holder}\n\
         License: MIT\n\
         {}\n",
        text.join("\n")
    ))
}

/// The changelog's newest entry must be the version being packaged.
fn check_changelog(version: &str) -> Result<(), String> {
    let text = String::from_utf8(read(CHANGELOG)?).map_err(|e| format!("{CHANGELOG}: {e}"))?;
    let first = text.lines().next().unwrap_or_default();
    if first.starts_with(&format!("rs-pppoe ({version}) ")) {
        Ok(())
    } else {
        Err(format!(
            "{CHANGELOG} starts with '{first}': add an entry for version {version} first"
        ))
    }
}

/// The Debian version of the `ppp` package installed in the root the
/// headers came from (`<root>/usr/include/pppd` → `<root>/var/lib/dpkg`).
fn installed_ppp_version(pppd: &Pppd) -> Result<String, String> {
    let root = pppd
        .include_dir
        .ancestors()
        .nth(3)
        .filter(|_| pppd.include_dir.ends_with("usr/include/pppd"))
        .ok_or_else(|| {
            format!(
                "cannot tell which Debian ppp package the headers in {} belong to; \
                 pass --ppp-version",
                pppd.include_dir.display()
            )
        })?;
    let admindir = root.join("var/lib/dpkg");
    let version = output(
        Command::new("dpkg-query")
            .arg(format!("--admindir={}", admindir.display()))
            .args(["-W", "-f=${Version}", "ppp"]),
    )
    .map_err(|e| {
        format!(
            "the ppp package in {}: {e}; pass --ppp-version",
            root.display()
        )
    })?;
    Ok(version)
}
/// The first `@NAME@` left in `text`.
fn unfilled_placeholder(text: &str) -> Option<&str> {
    text.split('@')
        .skip(1)
        .step_by(2)
        .find(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
}

/// The regular files in a `.deb`, from `dpkg-deb -c` (`./usr/sbin/x`).
fn package_files(deb: &Path) -> Result<BTreeSet<String>, String> {
    let listing = output(Command::new("dpkg-deb").arg("-c").arg(deb))?;
    Ok(listing
        .lines()
        .filter(|line| line.starts_with('-'))
        .filter_map(|line| line.split_whitespace().nth(5).map(str::to_owned))
        .collect())
}

/// `ppp (= 2.4.9-1+1.1+b1)`: pppd loads a plugin only when its version
/// string is exactly the one the plugin was built for, so the package
/// depends on the very ppp it was built against; an upgrade of ppp then
/// asks to remove (or rebuild) rs-pppoe instead of leaving a plugin pppd
/// refuses. The Debian version must be of that pppd release.
fn ppp_depends(pppd_version: &str, debian_version: &str) -> Result<String, String> {
    let without_epoch = debian_version
        .split_once(':')
        .map_or(debian_version, |(_, rest)| rest);
    let upstream = without_epoch
        .rsplit_once('-')
        .map_or(without_epoch, |(upstream, _)| upstream);
    if upstream != pppd_version {
        return Err(format!(
            "ppp {debian_version} is not pppd {pppd_version}, the version of the headers \
             the plugin was built against"
        ));
    }
    Ok(format!("ppp (= {debian_version})"))
}

/// The root package's version, from the workspace Cargo.toml.
fn package_version() -> Result<String, String> {
    let manifest = root().join("Cargo.toml");
    let text = fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("version").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    return Ok(value.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    Err(format!("no [package] version in {}", manifest.display()))
}

/// Debian's Installed-Size: KiB of the files, rounded up.
fn installed_size_kib(dir: &Path) -> Result<u64, String> {
    fn bytes(dir: &Path) -> Result<u64, String> {
        let mut total = 0;
        for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let meta =
                fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            total += if meta.is_dir() {
                bytes(&path)?
            } else {
                meta.len()
            };
        }
        Ok(total)
    }
    Ok(bytes(dir)?.div_ceil(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ppp_dependency_pins_the_exact_debian_version_of_that_pppd_release() {
        for (pppd, debian, depends) in [
            ("2.4.9", "2.4.9-1+1.1+b1", "ppp (= 2.4.9-1+1.1+b1)"),
            ("2.5.2", "2.5.2-1+1", "ppp (= 2.5.2-1+1)"),
            ("2.5.2", "1:2.5.2-3", "ppp (= 1:2.5.2-3)"),
        ] {
            assert_eq!(ppp_depends(pppd, debian).unwrap(), depends);
        }
        assert!(
            ppp_depends("2.5.2", "2.4.9-1+1.1+b1").is_err(),
            "headers of one release, ppp of another"
        );
    }

    #[test]
    fn the_copyright_file_carries_the_license_text_in_dep5_form() {
        let text = copyright(
            "MIT License\n\nCopyright (c) 2026 the authors\n\nPermission is granted.\n\nNo warranty.\n",
        )
        .unwrap();
        assert!(text.starts_with(
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        ));
        assert!(
            text.ends_with(
                "Copyright: 2026 the authors\nLicense: MIT\n Permission is granted.\n .\n No warranty.\n"
            ),
            "{text}"
        );
        assert!(copyright("Apache License\n").is_err());
    }

    #[test]
    fn a_placeholder_left_in_the_control_file_is_found() {
        assert_eq!(
            unfilled_placeholder("Version: 1\nDepends: @PPP_DEPENDS@\n"),
            Some("PPP_DEPENDS")
        );
        assert_eq!(
            unfilled_placeholder("Maintainer: x <x@example.invalid>\n"),
            None
        );
    }
}
