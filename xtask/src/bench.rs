//! `cargo xtask bench`: each benchmark script prints its own table; this
//! runs them one after another (never in parallel: they share two cores).

use std::process::Command;

use crate::util::exec;

pub fn run(_args: &[String]) -> Result<(), String> {
    let mut failed = Vec::new();
    for (name, script) in [
        (
            "discovery: rs-pppoe-discovery --session vs pppoe -d",
            "tests/bench/discovery.sh",
        ),
        (
            "hook: rs-pppoe-rule vs the article's shell hook",
            "hooks/bench/hook-vs-shell.sh",
        ),
        (
            "session: rs-pppoe.so vs rp-pppoe.so in the guest",
            "tests/guest/bench-session.sh",
        ),
    ] {
        eprintln!("\n== {name} ==");
        if let Err(e) = exec(Command::new("bash").arg(script)) {
            eprintln!("{e}");
            failed.push(name);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failed.join("; ")))
    }
}
