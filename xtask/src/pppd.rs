//! The pppd a plugin is built for: its headers, exact version and plugin
//! directory, found the way build.rs finds them.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::util::output;

/// The pppd the plugin is built for.
#[derive(Clone, Debug)]
pub struct Pppd {
    /// Exactly pppd's version string, e.g. "2.4.9".
    pub version: String,
    /// Folder holding `pppd.h`.
    pub include_dir: PathBuf,
    /// Where pppd looks up `plugin rs-pppoe.so`.
    pub plugin_dir: PathBuf,
}

/// Finds the pppd headers the way build.rs does (`PPPD_INCLUDE_DIR`, then
/// pkg-config, then `/usr/include/pppd`), their version, and the plugin dir.
pub fn system_pppd(plugin_dir: Option<&Path>) -> Result<Pppd, String> {
    let pkg_config = |what: &str| output(Command::new("pkg-config").args([what, "pppd"])).ok();
    let include_dir = match std::env::var_os("PPPD_INCLUDE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => [pkg_config("--variable=includedir").map(|dir| PathBuf::from(dir).join("pppd"))]
            .into_iter()
            .flatten()
            .chain([PathBuf::from("/usr/include/pppd")])
            .find(|dir| dir.join("pppd.h").is_file())
            .ok_or(
                "pppd's headers are not installed (no pppd.h): on Debian `apt-get install ppp-dev`, \
                 on Arch they come with `ppp`; or set PPPD_INCLUDE_DIR",
            )?,
    };
    if !include_dir.join("pppd.h").is_file() {
        return Err(format!(
            "PPPD_INCLUDE_DIR={} holds no pppd.h",
            include_dir.display()
        ));
    }
    let version = header_version(&include_dir)?;
    let plugin_dir = match plugin_dir {
        Some(dir) => dir.to_path_buf(),
        None => match (
            pkg_config("--modversion"),
            pkg_config("--variable=plugindir"),
        ) {
            (Some(pc_version), Some(dir)) if pc_version == version && !dir.is_empty() => {
                PathBuf::from(dir)
            }
            _ => PathBuf::from(format!("/usr/lib/pppd/{version}")),
        },
    };
    Ok(Pppd {
        version,
        include_dir,
        plugin_dir,
    })
}

/// `PPPD_VERSION` from pppdconf.h (2.5) or `VERSION` from patchlevel.h (2.4).
pub fn header_version(include_dir: &Path) -> Result<String, String> {
    let (file, name) = if include_dir.join("pppdconf.h").is_file() {
        ("pppdconf.h", "PPPD_VERSION")
    } else {
        ("patchlevel.h", "VERSION")
    };
    let path = include_dir.join(file);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("#define"))
        .filter_map(|rest| rest.trim_start().strip_prefix(name))
        .filter(|rest| rest.starts_with([' ', '\t']))
        .find_map(|rest| {
            rest.trim()
                .strip_prefix('"')?
                .strip_suffix('"')
                .map(str::to_owned)
        })
        .ok_or_else(|| format!("no `#define {name} \"...\"` in {}", path.display()))
}
