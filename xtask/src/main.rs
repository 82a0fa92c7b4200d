//! Project tasks: `cargo xtask <test|bench|fuzz|soak|install|uninstall|demo|deb>`.
//!
//! Everything a newcomer or CI needs, in one place, with no dependencies:
//! the tasks shell out to cargo, the guest harness in `tests/guest/` and the
//! benchmark scripts.
//!
//! Modules form a tree. Tasks (`test`, `demo`, `bench`, `fuzz`, `soak`, `install`,
//! `package`) use the shared modules and never each other, except that
//! `test` plays `demo::run` as one of its steps. Shared modules import no
//! task: `layout` (what an install puts where, the manifest) uses `pppd`
//! (the system pppd: headers, version, plugin dir) and `artifacts` (what
//! cargo builds, and where); `guest` is the QEMU harness (cache, prepare,
//! run); `util` (process helpers) is below them all.

mod artifacts;
mod bench;
mod demo;
mod fuzz;
mod guest;
mod install;
mod layout;
mod package;
mod pppd;
mod records;
mod soak;
mod test;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  test                 the README's test command: unit, namespace, guest and demo tests
      --no-guest       skip everything that boots the QEMU guest
  bench                side-by-side benchmarks against the reference tools
  fuzz [--secs N | --runs N] [--target NAME] [--update-corpus]
                       coverage-guided fuzzing (cargo-fuzz, stable; installs it if missing),
                       one target after another, 60 s each by default; --update-corpus
                       merges what was found into the minimised fuzz/corpus/
  soak [--faults N] [--pppd 2.4.9|2.5.2|both]
                       the long runs of issue 12 in the guest: hostile AC, floods and an
                       N-fault soak (default 50) with the hook, ours beside rp-pppoe.so
  install [--destdir D] [--prefix P] [--distro debian|arch] [--plugindir DIR]
                       build against the system pppd and install the plugin, the hook
                       and the example peers file (never overwrites a user's files)
  uninstall [--destdir D] [--prefix P]
                       remove what install put in place, and the plugin's session
                       records (/var/lib/rs-pppoe) once no pppd holds one
  demo [--without-hook | --container] [--pppd 2.4.9|2.5.2]
                       play the whole story in the test guest (root; installs what it needs)
  deb                  build the Debian package into target/debian/
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match task.as_str() {
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "soak" => soak::run(rest),
        "install" => install::install(rest),
        "uninstall" => install::uninstall(rest),
        "demo" => demo::run(rest),
        "deb" => package::deb(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(format!("unknown task '{other}'\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}
