//! `cargo xtask deb`: the Debian package.
//!
//! One way to build it, with nothing but dpkg-deb: `cargo xtask install
//! --destdir <staging> --prefix /usr --distro debian` lays out the files,
//! `DEBIAN/control` comes from `dist/debian/control.in`, every file under
//! `/etc` is a conffile, and `dpkg-deb --build` packs it into
//! `target/debian/rs-pppoe_<version>_<arch>.deb`. The package holds the same
//! files as the install, minus the install manifest (dpkg keeps its own
//! list). Afterwards `dpkg-deb -c` must list exactly [`expected_files`].

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{
    artifacts,
    layout::{self, Distro, Options, PEERS_FILE},
    util::{exec, output, root},
};

const TEMPLATE: &str = "dist/debian/control.in";

pub fn deb(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("unknown argument '{arg}'\nusage: cargo xtask deb"));
    }
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
    // dpkg tracks the package's files itself; `cargo xtask uninstall` must
    // not find (and remove) a packaged installation.
    let manifest = options.staged(&installed.manifest);
    fs::remove_file(&manifest).map_err(|e| format!("rm {}: {e}", manifest.display()))?;
    if let Some(dir) = manifest.parent() {
        fs::remove_dir(dir).map_err(|e| format!("rmdir {}: {e}", dir.display()))?;
    }

    let version = package_version()?;
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
        .replace("@PPP_DEPENDS@", &ppp_depends(pppd)?)
        .replace("@PPPD_VERSION@", pppd);
    if let Some(placeholder) = unfilled_placeholder(&control) {
        return Err(format!(
            "{TEMPLATE} has a placeholder this task does not fill: {placeholder}"
        ));
    }
    let debian = staging.join("DEBIAN");
    fs::create_dir_all(&debian).map_err(|e| format!("mkdir {}: {e}", debian.display()))?;
    fs::write(debian.join("control"), control).map_err(|e| format!("DEBIAN/control: {e}"))?;
    fs::write(
        debian.join("conffiles"),
        format!("{}\n", conffiles.join("\n")),
    )
    .map_err(|e| format!("DEBIAN/conffiles: {e}"))?;

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
        "/usr/share/man/man8/rs-pppoe.8".into(),
        "/usr/share/man/man8/rs-pppoe-rule.8".into(),
        "/usr/share/man/man8/rs-pppoe-discovery.8".into(),
        "/usr/share/man/man8/rs-pppoe-setup.8".into(),
    ]
    .into_iter()
    .map(|path| format!(".{path}"))
    .collect()
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

/// `ppp (>= 2.4.9), ppp (<< 2.4.10)`: pppd loads a plugin only when the
/// version strings are equal, so any Debian revision of that release fits.
fn ppp_depends(pppd_version: &str) -> Result<String, String> {
    let bad = || format!("cannot read pppd version '{pppd_version}' as numbers");
    let mut parts: Vec<u64> = pppd_version
        .split('.')
        .map(|part| part.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let last = parts.last_mut().ok_or_else(bad)?;
    *last += 1;
    let next: Vec<String> = parts.iter().map(u64::to_string).collect();
    Ok(format!(
        "ppp (>= {pppd_version}), ppp (<< {})",
        next.join(".")
    ))
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
    fn the_ppp_dependency_pins_the_pppd_release() {
        assert_eq!(
            ppp_depends("2.4.9").unwrap(),
            "ppp (>= 2.4.9), ppp (<< 2.4.10)"
        );
        assert_eq!(
            ppp_depends("2.5.2").unwrap(),
            "ppp (>= 2.5.2), ppp (<< 2.5.3)"
        );
        assert!(ppp_depends("2.5.x").is_err());
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
