//! Helpers shared by the xtask integration tests.

use std::process::Command;

/// This machine's pppd version, from `pppd --version` ("pppd version 2.4.9",
/// printed on stderr by 2.4.9), found independently of xtask.
pub fn pppd_version() -> String {
    let out = Command::new("pppd")
        .arg("--version")
        .output()
        .expect("pppd is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.split_whitespace()
        .nth(2)
        .expect("pppd --version prints a version")
        .to_string()
}
