//! What the tasks build: the plugin per pppd version, the release programs
//! and the static-pie hook, each in a known target directory.

use std::path::PathBuf;

use crate::util::{cargo, exec, root};

/// The release build of the plugin and `rs-pppoe-discovery` (`demo` builds
/// the same set, so the two share artifacts instead of rebuilding each
/// other's). The hook is built separately: see [`build_hook`].
pub const BUILD_ARGS: &[&str] = &["build", "--release", "-p", "rs-pppoe"];

/// Added to [`BUILD_ARGS`] by install, which ships `rs-pppoe-setup`; the
/// demo does not need it. One cargo run builds both, so the setup binary's
/// link overlaps the plugin's (the shared dependencies resolve to the same
/// features either way: the demo's later build of [`BUILD_ARGS`] alone is
/// a no-op).
pub const SETUP_PACKAGE: &[&str] = &["-p", "rs-pppoe-setup"];

fn target_base() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Where cargo puts release artifacts.
pub fn release_dir() -> PathBuf {
    target_base().join("release")
}

/// `rs-pppoe-setup` as `cargo test --workspace` leaves it (a debug build:
/// the guest runs it once, a release build would only cost time).
pub fn tested_setup_binary() -> PathBuf {
    target_base().join("debug/rs-pppoe-setup")
}

/// `rs-pppoe-testkit` (tools/testkit: the hostile access concentrator and
/// the flood of the guest's proof scenarios) as `cargo test --workspace`
/// leaves it. A debug build: it sends as fast as a release build (the
/// kernel is the bottleneck).
pub fn tested_testkit_binary() -> PathBuf {
    target_base().join("debug/rs-pppoe-testkit")
}

/// Builds [`tested_testkit_binary`] (for tasks that run no `cargo test`).
pub fn build_testkit() -> Result<PathBuf, String> {
    exec(cargo().args([
        "build",
        "-p",
        "rs-pppoe-testkit",
        "--bin",
        "rs-pppoe-testkit",
    ]))?;
    Ok(tested_testkit_binary())
}

/// Where [`build_hook`] puts the hook.
pub fn hook_binary() -> PathBuf {
    target_base().join("static-hook/release/rs-pppoe-rule")
}

/// Builds `rs-pppoe-rule` as a static-pie executable in its own target
/// directory. pppd starts it on every connect and disconnect; without the
/// dynamic loader it starts in well under half the time of the article's
/// two `ip` commands (hooks/bench/hook-vs-shell.sh builds it the same way).
pub fn build_hook() -> Result<PathBuf, String> {
    exec(
        cargo()
            .args([
                "rustc",
                "--release",
                "-p",
                "rs-pppoe-rule",
                "--bin",
                "rs-pppoe-rule",
            ])
            .args(["--", "-C", "target-feature=+crt-static"])
            .env("CARGO_TARGET_DIR", target_base().join("static-hook")),
    )?;
    Ok(hook_binary())
}

/// Builds `librs_pppoe.so` against the given pppd headers (the system's when
/// `None`) into its own target directory, `target/pppd-<version>/`, and
/// returns the path of the `.so`.
pub fn build_plugin(version: &str, include_dir: Option<PathBuf>) -> Result<PathBuf, String> {
    let target = root().join("target").join(format!("pppd-{version}"));
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--lib", "-p", "rs-pppoe"])
        .env("CARGO_TARGET_DIR", &target);
    if let Some(dir) = include_dir {
        cmd.env("PPPD_INCLUDE_DIR", dir);
    }
    exec(&mut cmd)?;
    let so = target.join("release/librs_pppoe.so");
    if so.is_file() {
        Ok(so)
    } else {
        Err(format!("{} was not built", so.display()))
    }
}
