//! `cargo xtask install` / `uninstall`: the command lines around
//! [`crate::layout`], which knows what goes where and keeps the manifest.
//!
//! Builds against the system pppd's headers and installs into `/` (or
//! `--destdir`); `uninstall` removes exactly what the manifest lists, keeping
//! files the user changed since.

use std::path::{Path, PathBuf};

use crate::{
    layout::{self, Distro, Options, PEERS_FILE},
    util::{flag_value, is_root},
};

const USAGE: &str = "\
usage: cargo xtask install [--destdir D] [--prefix P] [--distro debian|arch] [--plugindir DIR]
       cargo xtask uninstall [--destdir D] [--prefix P]
  --destdir D     install under D instead of / (for packages and tests)
  --prefix P      programs, docs and man pages under P (default /usr/local)
  --distro NAME   name the hook for this dispatcher: debian (10-rule) or arch (10-rule.sh);
                  default: from /etc/os-release
  --plugindir DIR pppd plugin directory (default: pkg-config's plugindir, else /usr/lib/pppd/<version>)";

/// The options of `install` (`need_distro`: find the distro when not given)
/// and `uninstall`.
fn parse_options(args: &[String], need_distro: bool) -> Result<Options, String> {
    let known = ["--destdir", "--prefix", "--distro", "--plugindir"];
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        if arg == "-h" || arg == "--help" {
            return Err(USAGE.into());
        }
        if !known.contains(&arg.as_str()) {
            return Err(format!("unknown argument '{arg}'\n{USAGE}"));
        }
        words.next();
    }
    let destdir = flag_value(args, "--destdir")?.map_or_else(|| PathBuf::from("/"), PathBuf::from);
    let prefix =
        PathBuf::from(flag_value(args, "--prefix")?.unwrap_or_else(|| "/usr/local".into()));
    if !prefix.is_absolute() {
        return Err(format!(
            "--prefix must be an absolute path, not {}",
            prefix.display()
        ));
    }
    let plugin_dir = flag_value(args, "--plugindir")?.map(PathBuf::from);
    if plugin_dir.as_ref().is_some_and(|dir| !dir.is_absolute()) {
        return Err("--plugindir must be an absolute path".into());
    }
    let distro = match flag_value(args, "--distro")? {
        Some(name) => Distro::parse(&name)?,
        None if need_distro => Distro::detect()?,
        None => Distro::Debian,
    };
    Ok(Options {
        destdir: absolute(&destdir)?,
        prefix,
        distro,
        plugin_dir,
    })
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .map_err(|e| format!("current directory: {e}"))
    }
}

/// `cargo xtask install`.
pub fn install(args: &[String]) -> Result<(), String> {
    let options = parse_options(args, true)?;
    if options.destdir == Path::new("/") && !is_root() {
        return Err(
            "installing into / needs root: run it with sudo (keeping your PATH so cargo is \
                    found), or stage it with --destdir DIR"
                .into(),
        );
    }
    let installed = layout::install_with(&options)?;
    let hook = options.distro.hook_name();
    if options.destdir == Path::new("/") && !Path::new("/etc/ppp/ip-up").exists() {
        eprintln!(
            "install: note: there is no /etc/ppp/ip-up yet; it comes with the distro's ppp package \
             and is what runs /etc/ppp/ip-up.d/{hook}"
        );
    }
    eprintln!(
        "\ninstalled rs-pppoe for pppd {} ({} files, listed in {}).\nnext:\n  \
         1. edit {PEERS_FILE}: the interface line (nic-eth0) and your user name;\n  \
         2. add your password to /etc/ppp/chap-secrets (see {}/share/doc/rs-pppoe/chap-secrets.example);\n  \
         3. pon rs-pppoe-provider   — the hook /etc/ppp/ip-up.d/{hook} adds the source rule when ppp0 comes up;\n     \
         check with: rs-pppoe-rule show\n\
         man pages: rs-pppoe(8), rs-pppoe-rule(8), rs-pppoe-discovery(8); undo with: cargo xtask uninstall{}",
        installed.pppd.version,
        installed.files.len(),
        options.staged(&installed.manifest).display(),
        options.prefix.display(),
        flags_for_uninstall(&options),
    );
    Ok(())
}

fn flags_for_uninstall(options: &Options) -> String {
    let mut flags = String::new();
    if options.destdir != Path::new("/") {
        flags.push_str(&format!(" --destdir {}", options.destdir.display()));
    }
    if options.prefix != Path::new("/usr/local") {
        flags.push_str(&format!(" --prefix {}", options.prefix.display()));
    }
    flags
}

/// `cargo xtask uninstall`.
pub fn uninstall(args: &[String]) -> Result<(), String> {
    let options = parse_options(args, false)?;
    if options.destdir == Path::new("/") && !is_root() {
        return Err("uninstalling from / needs root: run it with sudo, or pass --destdir".into());
    }
    let kept = layout::uninstall_with(&options)?;
    crate::records::remove_unless_live(&options.staged(Path::new(crate::records::DIR)));
    if !kept.is_empty() {
        eprintln!(
            "uninstall: kept {} file(s) you changed: {}",
            kept.len(),
            kept.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
