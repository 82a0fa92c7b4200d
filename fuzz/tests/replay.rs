//! The fuzz corpus and every crash reproducer, replayed through the same
//! target functions and invariant checks the fuzzer runs — without a
//! fuzzer. `corpus/<target>/` is what `cargo xtask fuzz` grew (minimised);
//! `regressions/<target>/` holds inputs that once broke an invariant.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rs_pppoe_fuzz::target;

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every file of the target's corpus and regressions; fails naming
/// each file that broke an invariant.
fn replay(name: &str) {
    let target = target(name).expect("a known target");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = files(&root.join("corpus").join(name));
    let regressions = files(&root.join("regressions").join(name));
    assert!(
        !corpus.is_empty(),
        "no corpus for {name}: run `cargo xtask fuzz --target {name}`"
    );
    let mut failed = Vec::new();
    for file in corpus.iter().chain(&regressions) {
        let data = std::fs::read(file).unwrap();
        if catch_unwind(AssertUnwindSafe(|| (target.run)(&data))).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{name}: {} of {} inputs broke an invariant (see the panics above; \
         `cargo run -p rs-pppoe-fuzz --bin {name} -- FILE` shows one):\n{}",
        failed.len(),
        corpus.len() + regressions.len(),
        failed.join("\n")
    );
    eprintln!(
        "{name}: {} corpus + {} regression inputs replayed",
        corpus.len(),
        regressions.len()
    );
}

#[test]
fn wire_corpus_replays_clean() {
    replay("wire");
}

#[test]
fn discovery_corpus_replays_clean() {
    replay("discovery");
}

#[test]
fn session_record_corpus_replays_clean() {
    replay("session_record");
}

#[test]
fn hook_config_corpus_replays_clean() {
    replay("hook_config");
}

#[test]
fn hook_args_corpus_replays_clean() {
    replay("hook_args");
}
