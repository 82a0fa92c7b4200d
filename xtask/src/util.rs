//! Small helpers shared by the tasks.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The workspace root (the folder holding the top-level Cargo.toml).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Runs a command in the workspace root, echoing it; Err names it on failure.
pub fn exec(cmd: &mut Command) -> Result<(), String> {
    cmd.current_dir(root());
    eprintln!("+ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs a command and returns its stdout (trimmed); Err on failure.
pub fn output(cmd: &mut Command) -> Result<String, String> {
    cmd.current_dir(root());
    let out = cmd
        .output()
        .map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed ({}): {}",
            describe(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `program arg arg …` for messages.
pub fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// `cargo` as invoked by the user (respects `$CARGO`).
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// True when running as root.
pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|uid| uid == "0")
}

/// Value of `--name VALUE` in `args`, if present.
pub fn flag_value(args: &[String], name: &str) -> Result<Option<String>, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .cloned()
            .map(Some)
            .ok_or_else(|| format!("{name} needs a value")),
    }
}

/// Tests counted across the steps of `cargo xtask test`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
    /// Adds the counts a summary line reports: cargo's
    /// `test result: ok. 96 passed; 0 failed; …`, the guest harness's
    /// `guest: 96 passed, 0 failed` or the package checks'
    /// `packaging: 12 passed, 0 failed`.
    pub fn add_summary_line(&mut self, line: &str) -> bool {
        let counts = if let Some(rest) = line.strip_prefix("test result: ") {
            rest.split_once(". ").map(|(_, counts)| counts)
        } else {
            line.strip_prefix("guest: ")
                .or_else(|| line.strip_prefix("packaging: "))
        };
        let Some(counts) = counts else { return false };
        let mut parts = counts.split([';', ',']).map(str::trim);
        let number = |part: Option<&str>, word: &str| {
            part.and_then(|p| p.strip_suffix(word))
                .and_then(|n| n.trim().parse::<u64>().ok())
        };
        match (
            number(parts.next(), "passed"),
            number(parts.next(), "failed"),
        ) {
            (Some(passed), Some(failed)) => {
                self.passed += passed;
                self.failed += failed;
                true
            }
            _ => false,
        }
    }
}

/// [`exec`], echoing the command's stdout line by line as it comes and
/// also returning those lines (even when the command fails).
pub fn exec_lines(cmd: &mut Command) -> (Vec<String>, Result<(), String>) {
    use std::io::{BufRead, BufReader, Write};
    cmd.current_dir(root()).stdout(std::process::Stdio::piped());
    eprintln!("+ {}", describe(cmd));
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return (Vec::new(), Err(format!("{}: {e}", describe(cmd)))),
    };
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let mut out = std::io::stdout().lock();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = writeln!(out, "{line}");
            lines.push(line);
        }
    }
    let result = match child.wait() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("`{}` failed ({status})", describe(cmd))),
        Err(e) => Err(format!("{}: {e}", describe(cmd))),
    };
    (lines, result)
}

/// [`exec_lines`], adding every test summary line to `tally`.
pub fn exec_counting(cmd: &mut Command, tally: &mut Tally) -> Result<(), String> {
    let (lines, result) = exec_lines(cmd);
    for line in &lines {
        tally.add_summary_line(line);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn summary_lines_of_cargo_and_the_guest_are_counted() {
        let mut tally = Tally::default();
        assert!(tally.add_summary_line(
            "test result: ok. 96 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.09s"
        ));
        assert!(tally.add_summary_line(
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out"
        ));
        assert!(tally.add_summary_line("guest: 54 passed, 1 failed"));
        assert!(tally.add_summary_line("packaging: 20 passed, 0 failed"));
        assert!(!tally.add_summary_line("guest: up after 3.53s, kernel 6.1.0-56-amd64"));
        assert!(!tally.add_summary_line("# run total: guest: 14 passed, 0 failed"));
        assert_eq!(
            tally,
            Tally {
                passed: 173,
                failed: 3
            }
        );
    }
}
