//! `cargo xtask test`: the README's test command.
//!
//! 1. formatting and lints (`cargo fmt --check`, `cargo clippy -D warnings`);
//! 2. `cargo test --workspace`: unit tests, property tests, and — as root —
//!    the namespace tests (discovery against `pppoe-server`, the hook);
//! 3. unless `--no-guest`: the plugin built for pppd 2.4.9 (this host's
//!    headers) and 2.5.2 (a cached Debian trixie root), then real pppd
//!    sessions in the QEMU guest, with the distro's rp-pppoe.so run the same
//!    way to prove the harness, the hook from ip-up.d with a container
//!    behind DNAT (`demo.sh --container`) on both, (pppd 2.5.2) a session
//!    from the files rs-pppoe-setup writes, and issue 12's hostile access
//!    concentrator (2.4.9), floods and a 5-fault soak with the hook (2.5.2);
//!    then the demo, with
//!    and without the hook.

use std::process::Command;

use crate::{
    artifacts::{build_hook, build_plugin, tested_setup_binary, tested_testkit_binary},
    guest,
    util::{Tally, cargo, exec, exec_counting},
};

pub fn run(args: &[String]) -> Result<(), String> {
    let no_guest = args.iter().any(|a| a == "--no-guest");
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    let mut step = |name: &str, result: Result<(), String>| match result {
        Ok(()) => eprintln!("xtask test: {name}: ok"),
        Err(e) => {
            eprintln!("xtask test: {name}: FAILED: {e}");
            failures.push(name.to_string());
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
            let plugin = |version| build_plugin(version, guest::include_dir(version));
            let plugins = plugin("2.4.9")
                .and_then(|old| Ok((old, plugin("2.5.2")?)))
                // The hook as installed, for its scenario under real pppd.
                .and_then(|(old, new)| Ok((old, new, build_hook()?)));
            match plugins {
                Ok((old, new, hook)) => {
                    let mut sessions = Command::new("bash");
                    sessions
                        .arg("tests/guest/guest-tests.sh")
                        .arg("--plugin-2.4.9")
                        .arg(&old)
                        .arg("--plugin-2.5.2")
                        .arg(&new)
                        .arg("--reference")
                        .arg("--hook")
                        .arg(&hook);
                    // Built by `cargo test` above; when that build failed,
                    // the step already says so.
                    let setup = tested_setup_binary();
                    if setup.is_file() {
                        sessions.arg("--setup").arg(setup);
                    }
                    // Issue 12's hostile AC, floods and short fault soak
                    // (the test kit is built by `cargo test` as well).
                    let testkit = tested_testkit_binary();
                    if testkit.is_file() {
                        sessions.arg("--testkit").arg(testkit);
                    }
                    step("guest sessions", exec_counting(&mut sessions, &mut tally));
                }
                Err(e) => step("plugin builds", Err(e)),
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
