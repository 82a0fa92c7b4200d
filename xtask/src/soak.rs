//! `cargo xtask soak`: issue 12's long runs, not part of CI. Per pppd
//! version one guest boot runs `tests/guest/scenarios/proof.sh` with every
//! part: the hostile access concentrator (and the distribution's plugin in
//! its tag-mixing exchange), the floods, and the fault soak — N faults
//! (default 50) under `persist` with `rs-pppoe-rule` installed, first with
//! our plugin, then with the distribution's `rp-pppoe.so` through the same
//! faults. Ends with one table of the soak's figures per version and plugin.
//! (`cargo xtask test` runs the short versions: proof.sh with 5 faults.)

use crate::{
    artifacts::{build_hook, build_plugin, build_testkit},
    guest,
    util::{exec_lines, flag_value},
};

const USAGE: &str = "usage: cargo xtask soak [--faults N] [--pppd 2.4.9|2.5.2|both]";

/// A fault soak takes this long per fault and plugin at most (reconnects
/// under emulation on a loaded host take up to ~20 s), plus the boot and
/// the other parts.
const SECONDS_PER_FAULT: u32 = 45;
const SECONDS_BESIDES_FAULTS: u32 = 900;

pub fn run(args: &[String]) -> Result<(), String> {
    let faults: u32 = match flag_value(args, "--faults")? {
        Some(n) => n
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or(format!("--faults {n}: expected a positive number\n{USAGE}"))?,
        None => 50,
    };
    let versions: Vec<&str> = match flag_value(args, "--pppd")?.as_deref() {
        None | Some("both") => vec!["2.4.9", "2.5.2"],
        Some("2.4.9") => vec!["2.4.9"],
        Some("2.5.2") => vec!["2.5.2"],
        Some(other) => {
            return Err(format!(
                "--pppd {other}: expected 2.4.9, 2.5.2 or both\n{USAGE}"
            ));
        }
    };
    guest::prepare(&["--all"])?;
    let testkit = build_testkit()?;
    let hook = build_hook()?;
    let mut lines = Vec::new();
    let mut failed = Vec::new();
    for version in versions {
        let plugin = build_plugin(version, guest::include_dir(version))?;
        let timeout = SECONDS_BESIDES_FAULTS + 2 * faults * SECONDS_PER_FAULT;
        let mut boot = guest::run_scenario(version, timeout, "proof.sh");
        boot.arg(&plugin).arg(&testkit).arg(&hook).args([
            "--reference",
            "--compare",
            "--faults",
            &faults.to_string(),
        ]);
        eprintln!("\n== pppd {version}: hostile AC, floods, {faults}-fault soak ==");
        let (output, result) = exec_lines(&mut boot);
        if let Err(e) = result {
            eprintln!("{e}");
            failed.push(version);
        }
        lines.extend(output);
    }
    println!("\n{}", table(&summaries(&lines)));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("checks failed on pppd {}", failed.join(", ")))
    }
}

/// One `soak: summary key=value …` line.
#[derive(Debug, PartialEq)]
struct Summary(Vec<(String, String)>);

impl Summary {
    fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("-", |(_, v)| v.as_str())
    }
}

fn summaries(lines: &[String]) -> Vec<Summary> {
    lines
        .iter()
        .filter_map(|line| line.strip_prefix("soak: summary "))
        .map(|rest| {
            Summary(
                rest.split_whitespace()
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            )
        })
        .collect()
}

fn table(rows: &[Summary]) -> String {
    let mut out = format!(
        "{:<6} {:<16} {:>11} {:>26} {:>14} {:>20} {:>9}\n",
        "pppd",
        "plugin",
        "reconnected",
        "reconnect ms min/med/max",
        "fd first/last",
        "RSS kB first/last/max",
        "rules ok"
    );
    for row in rows {
        let triple =
            |a: &str, b: &str, c: &str| format!("{}/{}/{}", row.get(a), row.get(b), row.get(c));
        out.push_str(&format!(
            "{:<6} {:<16} {:>11} {:>26} {:>14} {:>20} {:>9}\n",
            row.get("pppd"),
            row.get("plugin"),
            format!("{}/{}", row.get("reconnected"), row.get("faults")),
            triple(
                "reconnect_ms_min",
                "reconnect_ms_median",
                "reconnect_ms_max"
            ),
            format!("{}/{}", row.get("fd_first"), row.get("fd_last")),
            triple("rss_first_kb", "rss_last_kb", "rss_max_kb"),
            row.get("rules_ok"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_row_per_summary_line_with_its_figures() {
        let lines: Vec<String> = [
            "soak: fault 1 kind=ac-restart reconnect_ms=10290 session=1->101",
            "soak: summary plugin=librs_pppoe.so pppd=2.4.9 faults=4 reconnected=4 \
             reconnect_ms_min=4754 reconnect_ms_median=5840 reconnect_ms_max=10290 fd_first=14 \
             fd_last=14 fd_max=14 rss_first_kb=5612 rss_last_kb=5404 rss_max_kb=5788 \
             pppd_processes=2 rules_ok=4",
            "# soak: summary plugin=ignored",
        ]
        .map(str::to_owned)
        .to_vec();
        let rows = summaries(&lines);
        assert_eq!(rows.len(), 1);
        let text = table(&rows);
        let row = text.lines().nth(1).expect("a row");
        for cell in [
            "2.4.9",
            "librs_pppoe.so",
            "4/4",
            "4754/5840/10290",
            "14/14",
            "5612/5404/5788",
        ] {
            assert!(row.contains(cell), "{cell} in {row}");
        }
    }
}
