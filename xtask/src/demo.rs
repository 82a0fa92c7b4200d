//! `cargo xtask demo`: the article, end to end, in the test guest.
//!
//! Builds the plugin for the guest's pppd and the `rs-pppoe-rule` hook, boots
//! the QEMU guest (`tests/guest/run.sh`) and plays `tests/demo/demo.sh` in
//! it: an ISP running `pppoe-server`, a home host whose default route is on
//! the LAN, pppd with `plugin rs-pppoe.so` and `nodefaultroute`, the hook in
//! `/etc/ppp/ip-up.d/10-rule`, a web server, and an internet client fetching
//! the page from the PPPoE address. `--without-hook` plays the same story
//! without the hook and expects the fetch to fail. `--container` adds a
//! web server in a container behind a Docker-like DNAT, fetched through
//! ppp0, and the same fetch failing without the hook's forwarding part.

use std::process::Command;

use crate::{
    artifacts::{BUILD_ARGS, build_hook, build_plugin},
    guest,
    util::{cargo, describe, exec, is_root},
};

/// Debian packages the demo needs on the host: the build (bindgen needs
/// libclang, the plugin needs pppd's headers) and the guest harness.
const PACKAGES: &[&str] = &[
    "ppp",
    "ppp-dev",
    "pppoe",
    "libclang-dev",
    "pkg-config",
    "iproute2",
    "tcpdump",
    "qemu-system-x86",
    "busybox-static",
    "cpio",
    "kmod",
    "xz-utils",
    "debootstrap",
    // --container: the Docker-like DNAT and the ruleset checks.
    "nftables",
];

const USAGE: &str = "usage: cargo xtask demo [--without-hook | --container] [--pppd 2.4.9|2.5.2]";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut without_hook = false;
    let mut container = false;
    let mut pppd = "2.4.9".to_string();
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        match arg.as_str() {
            "--without-hook" => without_hook = true,
            "--container" => container = true,
            "--pppd" => {
                pppd = words
                    .next()
                    .cloned()
                    .ok_or(format!("--pppd needs a version\n{USAGE}"))?
            }
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    if without_hook && container {
        return Err(format!(
            "--container shows the hook's forwarding part; it cannot go with --without-hook\n{USAGE}"
        ));
    }
    if pppd != "2.4.9" && pppd != "2.5.2" {
        return Err(format!(
            "--pppd must be 2.4.9 (Debian 12, the host root) or 2.5.2 (Debian 13)\n{USAGE}"
        ));
    }

    let missing = missing_packages();
    if !is_root() {
        return Err(not_root_message(&missing, args));
    }
    if !missing.is_empty() {
        eprintln!("demo: installing {}", missing.join(" "));
        exec(Command::new("apt-get").args(["update", "-qq"]))?;
        exec(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(&missing)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }

    // The guest's kernel, initramfs and (for 2.5.2) the Debian 13 root with
    // pppd 2.5.2's headers; cached, so a second run takes under a second.
    guest::prepare(&["--pppd", &pppd])?;
    let plugin = build_plugin(&pppd, guest::include_dir(&pppd))?;
    exec(cargo().args(BUILD_ARGS))?;
    let hook = build_hook()?;
    if !hook.is_file() {
        return Err(format!("{} was not built", hook.display()));
    }

    let mut guest = guest::run_scenario(&pppd, 300, "tests/demo/demo.sh");
    guest.arg("--plugin").arg(&plugin).arg("--hook").arg(&hook);
    if without_hook {
        guest.arg("--without-hook");
    }
    if container {
        guest.arg("--container");
    }
    eprintln!("+ {}", describe(&guest));
    let status = guest
        .status()
        .map_err(|e| format!("{}: {e}", describe(&guest)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the demo did not end as expected{} (guest status {status}; the verdict and logs are above)",
            if without_hook {
                " for --without-hook"
            } else {
                ""
            }
        ))
    }
}

/// The packages of [`PACKAGES`] dpkg does not list as installed.
fn missing_packages() -> Vec<String> {
    PACKAGES
        .iter()
        .filter(|package| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", package])
                .output()
                .is_ok_and(|out| {
                    String::from_utf8_lossy(&out.stdout).contains("install ok installed")
                })
        })
        .map(|package| (*package).to_string())
        .collect()
}

/// What to run instead, spelled out: the demo boots a guest whose kernel
/// and root the harness builds under /var/cache, which needs root.
fn not_root_message(missing: &[String], args: &[String]) -> String {
    let mut text = String::from(
        "the demo needs root: it installs packages, builds the test guest under \
         /var/cache/rs-pppoe and creates network namespaces.\n",
    );
    if !missing.is_empty() {
        text.push_str(&format!(
            "missing packages; install them with:\n  sudo apt-get update && sudo apt-get install --no-install-recommends {}\n",
            missing.join(" ")
        ));
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let home = env("HOME").unwrap_or_else(|| "~".into());
    let rustup_home = env("RUSTUP_HOME").unwrap_or_else(|| format!("{home}/.rustup"));
    let cargo_home = env("CARGO_HOME").unwrap_or_else(|| format!("{home}/.cargo"));
    let path = env("PATH").unwrap_or_default();
    text.push_str(&format!(
        "then run, keeping your Rust toolchain:\n  sudo env PATH='{path}' RUSTUP_HOME='{rustup_home}' \
         CARGO_HOME='{cargo_home}' cargo xtask demo{}",
        args.iter().map(|a| format!(" {a}")).collect::<String>()
    ));
    text
}
