//! `cargo xtask fuzz`: coverage-guided fuzzing of the targets in `fuzz/`
//! with cargo-fuzz's libFuzzer on the stable compiler.
//!
//! 1. installs `cargo-fuzz` if it is missing (`cargo install cargo-fuzz
//!    --locked`, a few minutes once);
//! 2. builds every target with `cargo fuzz build -O --sanitizer none`
//!    (sanitizers need nightly flags) and the release profile's LTO off
//!    (with the workspace's thin LTO the rs-pppoe crate's code loses its
//!    coverage counters);
//! 3. runs each target's binary directly, one after another (never in
//!    parallel), for `--secs` seconds or `--runs` executions, starting from
//!    the repository's `fuzz/corpus/<target>/` and growing a working corpus
//!    in `target/fuzz/corpus/<target>/`;
//! 4. with `--update-corpus`, merges what was found into a minimised
//!    `fuzz/corpus/<target>/` (libFuzzer `-set_cover_merge=1
//!    -use_counters=0`: the fewest inputs that reach every edge), for
//!    committing;
//! 5. prints one line per target: executions, exec/s, edges, features,
//!    corpus size and crashes. A crash's input lands in
//!    `fuzz/artifacts/<target>/`; the task then fails and says how to replay
//!    it.
//!
//! `cargo test` replays the committed corpus and `fuzz/regressions/`
//! without any of this (`fuzz/tests/replay.rs`).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::artifacts::target_base;
use crate::util::{cargo, exec, flag_value, output, root};

const USAGE: &str = "cargo xtask fuzz [--secs N | --runs N] [--target NAME] [--update-corpus]";

/// What one target's run gave, from libFuzzer's output.
#[derive(Debug, Default, PartialEq)]
struct Stats {
    execs: u64,
    execs_per_sec: u64,
    edges: u64,
    features: u64,
    corpus: u64,
    crash: Option<String>,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let number = |name: &str| -> Result<Option<u64>, String> {
        flag_value(args, name)?
            .map(|v| v.parse().map_err(|_| format!("{name}: not a number: {v}")))
            .transpose()
    };
    let secs = number("--secs")?;
    let runs = number("--runs")?;
    let only = flag_value(args, "--target")?;
    let update_corpus = args.iter().any(|a| a == "--update-corpus");
    let known = ["--secs", "--runs", "--target", "--update-corpus"];
    for (i, arg) in args.iter().enumerate() {
        let is_value = i > 0 && ["--secs", "--runs", "--target"].contains(&args[i - 1].as_str());
        if !is_value && !known.contains(&arg.as_str()) {
            return Err(format!("unknown argument {arg}\nusage: {USAGE}"));
        }
    }
    // Without a limit, a short look: one minute per target.
    let limit = match (secs, runs) {
        (Some(_), Some(_)) => return Err(format!("--secs or --runs, not both\nusage: {USAGE}")),
        (None, Some(runs)) => format!("-runs={runs}"),
        (secs, None) => format!("-max_total_time={}", secs.unwrap_or(60)),
    };

    ensure_cargo_fuzz()?;
    let targets = match only {
        Some(name) => vec![name],
        None => output(cargo().args(["fuzz", "list"]))?
            .lines()
            .map(str::to_owned)
            .collect(),
    };
    let mut build = cargo();
    build
        .args(["fuzz", "build", "-O", "--sanitizer", "none"])
        .env("CARGO_PROFILE_RELEASE_LTO", "false");
    if let [one] = targets.as_slice() {
        build.arg(one);
    }
    exec(&mut build)?;

    let bin_dir = target_base().join(host_triple()?).join("release");
    let mut rows = Vec::new();
    for name in &targets {
        let stats = fuzz_one(&bin_dir.join(name), name, &limit)?;
        if update_corpus && stats.crash.is_none() {
            minimise_into_repository(&bin_dir.join(name), name)?;
        }
        rows.push((name.clone(), stats));
    }
    println!("\n{}", table(&rows));
    let crashed: Vec<String> = rows
        .iter()
        .filter_map(|(name, stats)| {
            stats.crash.as_ref().map(|file| {
                format!(
                    "{name}: {file}\n  see it: cargo run -p rs-pppoe-fuzz --bin {name} -- {file}\n  \
                     once fixed, keep it: mv {file} fuzz/regressions/{name}/<what-it-broke>"
                )
            })
        })
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!("crashes:\n{}", crashed.join("\n")))
    }
}

/// Installs cargo-fuzz unless `cargo fuzz` already works; libFuzzer itself
/// is C++, built by `libfuzzer-sys`.
fn ensure_cargo_fuzz() -> Result<(), String> {
    if output(Command::new("c++").arg("--version")).is_err() {
        return Err("libFuzzer is built with the C++ compiler: apt-get install g++".into());
    }
    if output(cargo().args(["fuzz", "--version"])).is_ok() {
        return Ok(());
    }
    eprintln!("xtask fuzz: cargo-fuzz is missing; installing it (a few minutes, once)");
    exec(cargo().args(["install", "cargo-fuzz", "--locked"]))
}

/// cargo-fuzz builds for the host triple, under `target/<triple>/`.
fn host_triple() -> Result<String, String> {
    output(Command::new("rustc").arg("-vV"))?
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .ok_or_else(|| "rustc -vV printed no host triple".to_string())
}

/// One fuzzing run of one target; libFuzzer's output goes to
/// `target/fuzz/<name>.log`.
fn fuzz_one(binary: &Path, name: &str, limit: &str) -> Result<Stats, String> {
    let work = target_base().join("fuzz");
    let corpus = work.join("corpus").join(name);
    let artifacts = root().join("fuzz/artifacts").join(name);
    for dir in [&corpus, &artifacts] {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let log_path = work.join(format!("{name}.log"));
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    eprintln!(
        "xtask fuzz: {name} ({limit}); log in {}",
        log_path.display()
    );
    // New inputs go to the first directory only: the repository's corpus
    // is read, never written, here.
    let status = Command::new(binary)
        .arg(&corpus)
        .arg(root().join("fuzz/corpus").join(name))
        .arg(limit)
        .arg("-print_final_stats=1")
        // An input that runs for seconds is a hang worth reporting.
        .arg("-timeout=10")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .stdout(Stdio::null())
        .stderr(log)
        .status()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let text = fs::read_to_string(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let stats = parse_stats(&text);
    if !status.success() && stats.crash.is_none() {
        return Err(format!(
            "{name}: the fuzzer failed ({status}) without a crash file; see {}",
            log_path.display()
        ));
    }
    if stats.crash.is_some() {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        for line in tail.iter().rev() {
            eprintln!("  {line}");
        }
    }
    Ok(stats)
}

/// Replaces `fuzz/corpus/<name>/` with the smallest set of inputs that
/// covers everything the repository's corpus and the working corpus cover.
fn minimise_into_repository(binary: &Path, name: &str) -> Result<(), String> {
    let repository = root().join("fuzz/corpus").join(name);
    let merged = target_base().join("fuzz/merged").join(name);
    let _ = fs::remove_dir_all(&merged);
    fs::create_dir_all(&merged).map_err(|e| format!("{}: {e}", merged.display()))?;
    let working = target_base().join("fuzz/corpus").join(name);
    let out = Command::new(binary)
        // The smallest set covering every edge: plain -merge=1 keeps three
        // times as many files as -set_cover_merge=1, which with hit-count
        // buckets (libFuzzer's default) still keeps four times as many as
        // with edges alone (1190 files against 298 for the five targets).
        // The repository's corpus is a seed and a replay set, so edges are
        // enough; the working corpus keeps everything a run found.
        .arg("-set_cover_merge=1")
        .arg("-use_counters=0")
        .arg(&merged)
        .arg(&repository)
        .arg(&working)
        .output()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{name}: corpus merge failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let _ = fs::remove_dir_all(&repository);
    fs::rename(&merged, &repository).map_err(|e| format!("{}: {e}", repository.display()))?;
    let count = fs::read_dir(&repository).map_or(0, Iterator::count);
    eprintln!("xtask fuzz: {name}: fuzz/corpus/{name}/ now holds {count} minimised inputs");
    Ok(())
}

/// Reads libFuzzer's closing lines: the last status line (`#N DONE cov: E
/// ft: F corp: C/...`), `stat::` lines, and a crash's `Test unit written to`.
fn parse_stats(log: &str) -> Stats {
    let mut stats = Stats::default();
    let field = |line: &str, key: &str| -> Option<u64> {
        let rest = &line[line.find(key)? + key.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    for line in log.lines() {
        if line.starts_with('#') && line.contains(" cov: ") {
            stats.edges = field(line, "cov:").unwrap_or(stats.edges);
            stats.features = field(line, "ft:").unwrap_or(stats.features);
            stats.corpus = field(line, "corp:").unwrap_or(stats.corpus);
        } else if let Some(n) = field(line, "stat::number_of_executed_units:") {
            stats.execs = n;
        } else if let Some(n) = field(line, "stat::average_exec_per_sec:") {
            stats.execs_per_sec = n;
        } else if let Some((_, file)) = line.split_once("Test unit written to ") {
            stats.crash = Some(file.trim().to_owned());
        }
    }
    stats
}

fn table(rows: &[(String, Stats)]) -> String {
    let mut out = format!(
        "{:<16} {:>12} {:>9} {:>7} {:>9} {:>7}  {}\n",
        "target", "executions", "exec/s", "edges", "features", "corpus", "crashes"
    );
    for (name, s) in rows {
        out.push_str(&format!(
            "{:<16} {:>12} {:>9} {:>7} {:>9} {:>7}  {}\n",
            name,
            s.execs,
            s.execs_per_sec,
            s.edges,
            s.features,
            s.corpus,
            s.crash.as_deref().unwrap_or("0")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libfuzzer_closing_lines_give_the_figures() {
        let log = "\
INFO: Seed: 1
#683\tINITED cov: 666 ft: 2560 corp: 572/60Kb exec/s: 0 rss: 28Mb
#1581476\tDONE   cov: 1105 ft: 5433 corp: 1248/657Kb lim: 4096 exec/s: 2631 rss: 30Mb
Done 1581476 runs in 601 second(s)
stat::number_of_executed_units: 1581476
stat::average_exec_per_sec:     2631
stat::new_units_added:          3302
";
        assert_eq!(
            parse_stats(log),
            Stats {
                execs: 1581476,
                execs_per_sec: 2631,
                edges: 1105,
                features: 5433,
                corpus: 1248,
                crash: None
            }
        );
    }

    #[test]
    fn a_crash_names_its_input() {
        let log = "\
#131072\tpulse  cov: 644 ft: 2115 corp: 512/36Kb lim: 224 exec/s: 11915 rss: 28Mb
thread '<unnamed>' panicked at fuzz/src/discovery.rs:652:13:
==11167== ERROR: libFuzzer: deadly signal
artifact_prefix='/x/'; Test unit written to /x/crash-aa6d
stat::number_of_executed_units: 258357
";
        let stats = parse_stats(log);
        assert_eq!(stats.crash.as_deref(), Some("/x/crash-aa6d"));
        assert_eq!((stats.execs, stats.edges), (258357, 644));
    }
}
