//! What the tasks build: the plugin per pppd version, the release programs
//! and the static-pie hook, each in a known target directory.

use std::{path::PathBuf, process::Command};

use crate::util::{cargo, exec, root};

/// The release build of the plugin and `rs-pppoe-discovery` (`demo` builds
/// the same set, so the two share artifacts instead of rebuilding each
/// other's). The hook is built separately: see [`build_hook`].
const BUILD_ARGS: &[&str] = &["build", "--release", "-p", "rs-pppoe"];

/// `SOURCE_DATE_EPOCH` for every build made here, unless one is set: the
/// release date in dist/debian/changelog (2026-11-27). The `cc` crate reads
/// it, so a build with another value (makepkg exports one) would recompile
/// the plugin; with one value, `cargo xtask test`, the packages and makepkg
/// share a target directory without rebuilding each other's work.
pub const SOURCE_DATE_EPOCH: &str = "1795737600";

/// `cargo`, with [`SOURCE_DATE_EPOCH`] when the environment has none.
fn cargo_build() -> Command {
    let mut cmd = cargo();
    if std::env::var_os("SOURCE_DATE_EPOCH").is_none() {
        cmd.env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH);
    }
    cmd
}

/// Builds the plugin and `rs-pppoe-discovery` (and the packages `also`
/// names, e.g. [`SETUP_PACKAGE`]) in release mode, against the headers
/// build.rs finds, into the target directory.
pub fn build_release(also: &[&str]) -> Result<(), String> {
    exec(cargo_build().args(BUILD_ARGS).args(also))
}

/// Added to [`BUILD_ARGS`] by install, which ships `rs-pppoe-setup`; the
/// demo does not need it. One cargo run builds both, so the setup binary's
/// link overlaps the plugin's (the shared dependencies resolve to the same
/// features either way: the demo's later build of [`BUILD_ARGS`] alone is
/// a no-op).
pub const SETUP_PACKAGE: &[&str] = &["-p", "rs-pppoe-setup"];

/// The target directory (`CARGO_TARGET_DIR`, else `target/`).
pub fn target_base() -> PathBuf {
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

/// Where [`build_hook`] builds: `RS_PPPOE_HOOK_TARGET_DIR`, else
/// `static-hook` in the target directory. The hook does not depend on pppd,
/// so the builds for several pppd versions (each in its own target
/// directory) can share one.
fn hook_target() -> PathBuf {
    std::env::var_os("RS_PPPOE_HOOK_TARGET_DIR")
        .map_or_else(|| target_base().join("static-hook"), PathBuf::from)
}

/// `rs-pppoe-testkit` (tools/testkit: the hostile access concentrator and
/// the flood of the guest's proof scenarios) as `cargo test --workspace`
/// leaves it: the dev profile, optimised for this one crate (the root
/// `Cargo.toml`), so the guest's flood is not limited by debug code.
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
    hook_target().join("release/rs-pppoe-rule")
}

/// Builds `rs-pppoe-rule` as a static-pie executable in its own target
/// directory. pppd starts it on every connect and disconnect; without the
/// dynamic loader it starts in well under half the time of the article's
/// two `ip` commands (hooks/bench/hook-vs-shell.sh builds it the same way).
pub fn build_hook() -> Result<PathBuf, String> {
    exec(
        cargo_build()
            .args([
                "rustc",
                "--release",
                "-p",
                "rs-pppoe-rule",
                "--bin",
                "rs-pppoe-rule",
            ])
            .args(["--", "-C", "target-feature=+crt-static"])
            .env("CARGO_TARGET_DIR", hook_target()),
    )?;
    Ok(hook_binary())
}

/// Builds `librs_pppoe.so` against the given pppd headers (the system's when
/// `None`) into its own target directory, `target/pppd-<version>/`, and
/// returns the path of the `.so`.
pub fn build_plugin(version: &str, include_dir: Option<PathBuf>) -> Result<PathBuf, String> {
    let target = root().join("target").join(format!("pppd-{version}"));
    let mut cmd = cargo_build();
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
