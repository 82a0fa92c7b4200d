//! Fuzz targets for rs-pppoe, as plain functions.
//!
//! Each target takes the fuzzer's bytes, runs the code under test and
//! **panics when an invariant breaks** (a panic in the code under test is a
//! failure too). The same functions run in three places:
//!
//! * `fuzz_targets/*.rs` — the libFuzzer entry points `cargo xtask fuzz`
//!   (cargo-fuzz) builds with coverage instrumentation;
//! * `tests/replay.rs` — `cargo test` replays every file of `corpus/<target>/`
//!   and `regressions/<target>/` through them, no fuzzer needed;
//! * the same binaries built without `--cfg fuzzing` (`cargo run -p
//!   rs-pppoe-fuzz --bin <target> -- FILE…`) replay files and print what
//!   they decode to — the way to read a crash.
//!
//! | target | what it drives |
//! |---|---|
//! | `wire` | [`rs_pppoe::wire`]: parse → emit → parse agrees, nothing invented, limits kept |
//! | `discovery` | [`rs_pppoe::discovery::Client`] fed frame sequences and clock jumps |
//! | `session_record` | [`rs_pppoe::session_record`]: the session record parser (`SessionRecord::parse`) |
//! | `hook_config` | `rs-pppoe-rule`'s configuration file parser and table scheme |
//! | `hook_args` | `rs-pppoe-rule`'s command line |

pub mod discovery;
pub mod hook;
pub mod session_record;
pub mod wire;

/// One fuzz target: its name (= its `fuzz_targets/<name>.rs`, `corpus/<name>/`
/// and `regressions/<name>/`) and its body.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub name: &'static str,
    /// Runs one input; panics on a broken invariant.
    pub run: fn(&[u8]),
    /// What the input decodes to, for a human reading a crash.
    pub describe: fn(&[u8]) -> String,
}

/// Every target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "wire",
        run: wire::run,
        describe: wire::describe,
    },
    Target {
        name: "discovery",
        run: discovery::run,
        describe: discovery::describe,
    },
    Target {
        name: "session_record",
        run: session_record::run,
        describe: session_record::describe,
    },
    Target {
        name: "hook_config",
        run: hook::config::run,
        describe: hook::config::describe,
    },
    Target {
        name: "hook_args",
        run: hook::args::run,
        describe: hook::args::describe,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// `main` of a target binary built without `--cfg fuzzing`: runs each file
/// (or every file of each directory) given on the command line, printing
/// what it decodes to. A broken invariant panics with the file named.
pub fn replay_main(name: &str) {
    let target = target(name).unwrap_or_else(|| panic!("no fuzz target {name}"));
    let args: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    if args.is_empty() {
        eprintln!(
            "usage: {name} FILE|DIR...  (replays inputs; `cargo xtask fuzz --target {name}` fuzzes)"
        );
        std::process::exit(2);
    }
    for arg in args {
        let files = if arg.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&arg)
                .unwrap_or_else(|e| panic!("{}: {e}", arg.display()))
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .collect();
            files.sort();
            files
        } else {
            vec![arg]
        };
        for file in files {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            println!("{}:\n{}", file.display(), (target.describe)(&data));
            (target.run)(&data);
            println!("ok");
        }
    }
}
