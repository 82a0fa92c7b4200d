//! `cargo xtask test`: the README's test command.
//!
//! 1. formatting and lints (`cargo fmt --check`, `cargo clippy -D warnings`);
//! 2. `cargo test --workspace`: unit tests, property tests, and — as root —
//!    the namespace tests (discovery against `pppoe-server`, the hook);
//! 3. unless `--no-guest`: the plugin built for pppd 2.4.9 (this host's
//!    headers), 2.5.2 (a cached Debian trixie root) and 2.5.3 (built from
//!    source into the cache), then real pppd sessions in the QEMU guest, with
//!    each version's reference plugin run the same way to prove the harness,
//!    the hook from ip-up.d with a container behind DNAT (`demo.sh
//!    --container`) on 2.4.9 and 2.5.2, and (pppd 2.5.2) a session from the
//!    files rs-pppoe-setup writes, and issue 12's hostile access
//!    concentrator (2.4.9), floods and a 5-fault soak with the hook (2.5.2);
//!    then the packages: the Debian ones for
//!    2.4.9 and 2.5.2 and the Arch one for 2.5.3 built, checked and installed
//!    (tests/packaging/), each with a guest session from the installed
//!    files; then the demo, with
//!    and without the hook.

use std::{path::PathBuf, process::Command, time::Instant};

use crate::{
    artifacts::{
        SOURCE_DATE_EPOCH, build_hook, build_plugin, tested_setup_binary, tested_testkit_binary,
    },
    guest,
    util::{Tally, cargo, exec, exec_counting, root},
};

/// Where every build for a pppd version keeps the static hook: it does not
/// depend on pppd, so one build serves all.
fn shared_hook_target() -> PathBuf {
    root().join("target/static-hook")
}

/// This program (`cargo xtask`), to run another task in its own process
/// with its own environment.
fn xtask() -> Result<Command, String> {
    std::env::current_exe()
        .map(Command::new)
        .map_err(|e| format!("cannot find the running xtask: {e}"))
}

/// `cargo xtask deb` for pppd 2.4.9 (this Debian 12 host's headers) and
/// 2.5.2 (the trixie root's, in `target/pppd-2.5.2/` beside the plugin the
/// guest sessions used), then `tests/packaging/debian.sh`: lintian, the
/// exact ppp pin, and per package one guest boot that installs it, runs a
/// session from the installed files and purges it.
fn debian_packages(tally: &mut Tally) -> Result<(), String> {
    exec(xtask()?.arg("deb"))?;
    let trixie = root().join("target/pppd-2.5.2");
    exec(
        xtask()?
            .arg("deb")
            .env("CARGO_TARGET_DIR", &trixie)
            .env("PPPD_INCLUDE_DIR", guest::trixie_include_dir())
            .env("RS_PPPOE_HOOK_TARGET_DIR", shared_hook_target()),
    )?;
    exec_counting(
        Command::new("bash")
            .arg("tests/packaging/debian.sh")
            .args(["--deb", "2.4.9"])
            .arg(root().join("target/debian"))
            .args(["--deb", "2.5.2"])
            .arg(trixie.join("debian")),
        tally,
    )
}

/// `tests/packaging/arch.sh`: makepkg as an unprivileged user (reusing
/// `target/pppd-2.5.3/`, where the 2.5.3 plugin was just built with the
/// same `SOURCE_DATE_EPOCH`), the package's files and its ppp pin, pacman
/// into scratch roots, and a guest session with Arch's ip-up.
fn arch_package(tally: &mut Tally) -> Result<(), String> {
    let include_dir = guest::include_dir("2.5.3").ok_or("no headers for pppd 2.5.3")?;
    exec_counting(
        Command::new("bash")
            .arg("tests/packaging/arch.sh")
            .arg("--include-dir")
            .arg(include_dir)
            .arg("--target-dir")
            .arg(root().join("target/pppd-2.5.3"))
            .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
            .env("RS_PPPOE_HOOK_TARGET_DIR", shared_hook_target()),
        tally,
    )
}

pub fn run(args: &[String]) -> Result<(), String> {
    let no_guest = args.iter().any(|a| a == "--no-guest");
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    // Each step's time is the time since the previous step ended: its
    // work runs just before it is reported.
    let mut since = Instant::now();
    let mut step = |name: &str, result: Result<(), String>| {
        let took = since.elapsed().as_secs();
        since = Instant::now();
        match result {
            Ok(()) => eprintln!("xtask test: {name}: ok ({took} s)"),
            Err(e) => {
                eprintln!("xtask test: {name}: FAILED ({took} s): {e}");
                failures.push(name.to_string());
            }
        }
    };

    step("fmt", exec(cargo().args(["fmt", "--all", "--check"])));
    step(
        "clippy",
        exec(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    );
    step(
        "cargo test",
        exec_counting(cargo().args(["test", "--workspace"]), &mut tally),
    );

    if !no_guest {
        let prepared = guest::prepare(&["--all"]);
        let prepared_ok = prepared.is_ok();
        step("guest prepare", prepared);
        if prepared_ok {
            let plugins: Result<Vec<_>, String> = guest::PPPD_VERSIONS
                .iter()
                .map(|version| {
                    Ok((
                        *version,
                        build_plugin(version, guest::include_dir(version))?,
                    ))
                })
                .collect();
            // The hook as installed, for its scenario under real pppd.
            let built = plugins.and_then(|plugins| Ok((plugins, build_hook()?)));
            step(
                "plugin builds",
                built.as_ref().map(|_| ()).map_err(String::clone),
            );
            if let Ok((plugins, hook)) = built {
                let mut sessions = Command::new("bash");
                sessions.arg("tests/guest/guest-tests.sh");
                for (version, plugin) in &plugins {
                    sessions.arg(format!("--plugin-{version}")).arg(plugin);
                }
                sessions.arg("--reference").arg("--hook").arg(&hook);
                // Built by `cargo test` above; when that build failed, the
                // step already says so.
                let setup = tested_setup_binary();
                if setup.is_file() {
                    sessions.arg("--setup").arg(setup);
                }
                // Issue 12's hostile AC, floods and short fault soak (the
                // test kit is built by `cargo test` as well).
                let testkit = tested_testkit_binary();
                if testkit.is_file() {
                    sessions.arg("--testkit").arg(testkit);
                }
                step("guest sessions", exec_counting(&mut sessions, &mut tally));
                step("debian packages", debian_packages(&mut tally));
                step("arch package", arch_package(&mut tally));
            }
            // Each demo run is one end-to-end check.
            for (name, args) in [
                ("demo", Vec::new()),
                ("demo --without-hook", vec!["--without-hook".to_string()]),
            ] {
                let result = crate::demo::run(&args);
                match result {
                    Ok(()) => tally.passed += 1,
                    Err(_) => tally.failed += 1,
                }
                step(name, result);
            }
        }
    }

    // fmt, clippy or a build failing is a failure the counts would miss.
    let failed = tally.failed.max(u64::from(!failures.is_empty()));
    let verdict = if failures.is_empty() {
        eprintln!("xtask test: all steps passed");
        Ok(())
    } else {
        Err(format!("failed steps: {}", failures.join(", ")))
    };
    if let Err(e) = &verdict {
        eprintln!("xtask test: {e}");
    }
    // The closing line CI reads.
    println!("tests: {} passed, {failed} failed", tally.passed);
    verdict.map_err(|_| "some steps failed (see above)".to_string())
}
