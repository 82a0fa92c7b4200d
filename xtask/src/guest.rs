//! The QEMU guest harness (`tests/guest/`) as the tasks use it: its cache,
//! the pppd headers each guest root provides, preparing it and booting it.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

use crate::util::{exec, root};

/// The harness cache, shared by every clone on this machine.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("RS_PPPOE_CACHE")
        .map_or_else(|| PathBuf::from("/var/cache/rs-pppoe"), PathBuf::from)
}

/// Where the trixie root's pppd 2.5.2 headers land (tests/guest/prepare.sh).
pub fn trixie_include_dir() -> PathBuf {
    cache_dir().join("trixie/usr/include/pppd")
}

/// Where prepare.sh installs pppd 2.5.3, built from source: the layer the
/// guest puts over the trixie root for `--pppd 2.5.3`.
pub fn ppp_2_5_3_root() -> PathBuf {
    cache_dir().join("ppp-2.5.3/root")
}

/// The pppd versions the guest runs, oldest first.
pub const PPPD_VERSIONS: [&str; 3] = ["2.4.9", "2.5.2", "2.5.3"];

/// The pppd headers a plugin for the guest's pppd `version` is built
/// against: `None` means the host's own (2.4.9, the root the guest boots
/// for that version).
pub fn include_dir(version: &str) -> Option<PathBuf> {
    match version {
        "2.5.2" => Some(trixie_include_dir()),
        "2.5.3" => Some(ppp_2_5_3_root().join("usr/include/pppd")),
        _ => None,
    }
}

/// `tests/guest/prepare.sh ARGS` (`--all`, or `--pppd V`): the kernel, the
/// initramfs and the guest roots, cached. Its stdout (KEY=VALUE lines for
/// run.sh) is dropped; progress is on stderr.
pub fn prepare(args: &[&str]) -> Result<(), String> {
    exec(
        Command::new("bash")
            .arg("tests/guest/prepare.sh")
            .args(args)
            .stdout(Stdio::null()),
    )
}

/// `tests/guest/run.sh --pppd VERSION --timeout SECS SCENARIO`, run from the
/// workspace root; the caller adds the scenario's arguments.
pub fn run_scenario(version: &str, timeout_secs: u32, scenario: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg("tests/guest/run.sh")
        .args(["--pppd", version, "--timeout", &timeout_secs.to_string()])
        .arg(scenario)
        .current_dir(root());
    cmd
}
