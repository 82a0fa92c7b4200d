//! `cargo xtask bench`: runs each benchmark script (one after another, never
//! in parallel: they share two cores), lets it print its own detailed table,
//! then prints one side-by-side summary of ours against the reference tools.

use std::process::Command;

use crate::util::exec_lines;

/// One row of the summary: what was measured, ours, the reference's, and
/// ours/reference.
#[derive(Debug, PartialEq)]
struct Row {
    what: String,
    ours: String,
    reference: String,
    ratio: String,
}

pub fn run(_args: &[String]) -> Result<(), String> {
    let mut failed = Vec::new();
    let mut rows = Vec::new();
    for (name, script, parse) in [
        (
            "discovery: rs-pppoe-discovery --session vs pppoe -d",
            "tests/bench/discovery.sh",
            discovery_rows as fn(&[String]) -> Vec<Row>,
        ),
        (
            "hook: rs-pppoe-rule vs the article's shell hook",
            "hooks/bench/hook-vs-shell.sh",
            hook_rows,
        ),
        (
            "session: rs-pppoe.so vs rp-pppoe.so in the guest",
            "tests/guest/bench-session.sh",
            session_rows,
        ),
        (
            "stale-session reconnect: rs-pppoe.so vs the distribution's plugin in the guest",
            "tests/guest/bench-reconnect.sh",
            reconnect_rows,
        ),
        (
            "flood: rs-pppoe-discovery vs pppoe-discovery under a discovery flood",
            "tests/bench/flood.sh",
            flood_rows,
        ),
    ] {
        eprintln!("\n== {name} ==");
        let (lines, result) = exec_lines(Command::new("bash").arg(script));
        rows.extend(parse(&lines));
        if let Err(e) = result {
            eprintln!("{e}");
            failed.push(name);
        }
    }
    println!("\n{}", summary(&rows));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failed.join("; ")))
    }
}

fn summary(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<52} {:>12} {:>12} {:>9}\n",
        "side by side (medians)", "rs-pppoe", "reference", "ours/ref"
    );
    for row in rows {
        out.push_str(&format!(
            "{:<52} {:>12} {:>12} {:>9}\n",
            row.what, row.ours, row.reference, row.ratio
        ));
    }
    out
}

fn ratio(ours: f64, reference: f64) -> String {
    if reference > 0.0 {
        format!("{:.2}", ours / reference)
    } else {
        "-".into()
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == ',')
        .parse()
        .ok()
}

/// `rs-pppoe-discovery --session   2.67ms ...` / `pppoe -d (rp-pppoe 3.15)  31.45ms ...`
fn discovery_rows(lines: &[String]) -> Vec<Row> {
    let median = |prefix: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next().and_then(number))
    };
    match (
        median("rs-pppoe-discovery --session"),
        median("pppoe -d (rp-pppoe 3.15)"),
    ) {
        (Some(ours), Some(reference)) => vec![Row {
            what: "discovery, whole process (vs pppoe -d)".into(),
            ours: format!("{ours:.2} ms"),
            reference: format!("{reference:.2} ms"),
            ratio: ratio(ours, reference),
        }],
        _ => Vec::new(),
    }
}

/// `hook-vs-shell: … rs-pppoe-rule 2.446 ms, shell hook (2x ip each way) 7.271 ms, ratio …`
fn hook_rows(lines: &[String]) -> Vec<Row> {
    let Some(line) = lines.iter().find(|l| l.starts_with("hook-vs-shell:")) else {
        return Vec::new();
    };
    let after = |marker: &str| {
        line.split_once(marker)
            .and_then(|(_, rest)| rest.split_whitespace().next().and_then(number))
    };
    match (after("rs-pppoe-rule "), after("each way) ")) {
        (Some(ours), Some(reference)) => vec![Row {
            what: "hook up + down, forwarding on (vs shell hook)".into(),
            ours: format!("{ours:.2} ms"),
            reference: format!("{reference:.2} ms"),
            ratio: ratio(ours, reference),
        }],
        _ => Vec::new(),
    }
}

/// The fastest flood of frames addressed to the client (`to-target max`):
/// `to-target  max  rs-pppoe-discovery  294798  18  3013 ms  6/6 30ms`.
fn flood_rows(lines: &[String]) -> Vec<Row> {
    let cell = |tool: &str| {
        lines.iter().find_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            (fields.len() == 9 && fields[..3] == ["to-target", "max", tool])
                .then(|| (fields[7].to_owned(), number(fields[8])))
        })
    };
    match (cell("rs-pppoe-discovery"), cell("pppoe-discovery")) {
        (Some((ours_found, Some(ours))), Some((theirs_found, Some(theirs)))) => vec![Row {
            what: "discovery under a max-rate flood addressed to it (found)".into(),
            ours: format!("{ours:.0} ms {ours_found}"),
            reference: format!("{theirs:.0} ms {theirs_found}"),
            ratio: ratio(ours, theirs),
        }],
        _ => Vec::new(),
    }
}

/// Per pppd version: a `pppd X, medians …` heading, then the candidate row
/// and the `rp-pppoe.so` row (session_up_ms, discovery_ms, pppd_vmhwm_kb).
fn session_rows(lines: &[String]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut version = None;
    let mut ours: Option<Vec<f64>> = None;
    for line in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("pppd ") && line.contains("medians") {
            version = fields.get(1).map(|v| v.trim_end_matches(',').to_string());
            ours = None;
            continue;
        }
        let Some(version) = &version else { continue };
        // plugin runs failed session_up_ms discovery_ms pppd_vmhwm_kb
        let values: Option<Vec<f64>> = (fields.len() == 6)
            .then(|| fields[3..6].iter().map(|f| number(f)).collect())
            .flatten();
        let Some(values) = values else { continue };
        if fields[0] == "rp-pppoe.so" {
            if let Some(ours) = ours.take() {
                for (i, (what, unit)) in [
                    ("pppd start → ip-up", "ms"),
                    ("discovery inside pppd", "ms"),
                    ("pppd peak RSS", "kB"),
                ]
                .into_iter()
                .enumerate()
                {
                    rows.push(Row {
                        what: format!("{what}, pppd {version} (vs rp-pppoe.so)"),
                        ours: format!("{} {unit}", ours[i]),
                        reference: format!("{} {unit}", values[i]),
                        ratio: ratio(ours[i], values[i]),
                    });
                }
            }
        } else {
            ours = Some(values);
        }
    }
    rows
}

/// Per pppd version: `pppd X, stale-session reconnect …` then
/// `reconnect rs-pppoe.so 2100 ms, rp-pppoe.so 5200 ms, ratio 0.40`.
fn reconnect_rows(lines: &[String]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut version = None;
    for line in lines {
        if let Some(rest) = line.strip_prefix("pppd ") {
            if line.contains("stale-session reconnect") {
                version = rest.split(',').next().map(str::to_owned);
            }
            continue;
        }
        let (Some(version), Some(rest)) = (&version, line.strip_prefix("reconnect rs-pppoe.so "))
        else {
            continue;
        };
        // "2100 ms, rp-pppoe.so 5200 ms, ratio 0.40"
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if let (Some(ours), Some(reference), Some(name)) = (
            fields.first().and_then(|f| number(f)),
            fields.get(3).and_then(|f| number(f)),
            fields.get(2),
        ) {
            rows.push(Row {
                what: format!("stale kill -9 → ip-up, pppd {version} (vs {name})"),
                ours: format!("{ours} ms"),
                reference: format!("{reference} ms"),
                ratio: ratio(ours, reference),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn every_benchmark_contributes_its_medians_to_the_summary() {
        let discovery = lines(
            "tool                                 median     mean      min      max\n\
             rs-pppoe-discovery --session          2.67ms    2.78ms    2.30ms    3.40ms\n\
             pppoe -d (rp-pppoe 3.15)             31.45ms   32.45ms   20.24ms   56.97ms\n",
        );
        let hook = lines(
            "hook-vs-shell: rounds=200 up+down median: rs-pppoe-rule 2.446 ms, \
             shell hook (2x ip each way) 7.271 ms, ratio 0.34 (target <= 0.50: met)",
        );
        let session = lines(
            "pppd 2.4.9, medians over the rounds\n\
             plugin                  runs  failed   session_up_ms  discovery_ms  pppd_vmhwm_kb\n\
             librs_pppoe.so             5       0            1292           117           5368\n\
             rp-pppoe.so                5       0            1353           174           5044\n\
             ratio candidate/ref                             0.95          0.67           1.06\n",
        );
        let flood = lines(
            "to-target  max      rs-pppoe-discovery     294798     18      3013 ms       6/6 30ms\n\
             to-target  max      pppoe-discovery        315352     17     20021 ms    2/6 20016ms\n",
        );
        let rows: Vec<Row> = [
            discovery_rows(&discovery),
            hook_rows(&hook),
            session_rows(&session),
            flood_rows(&flood),
        ]
        .into_iter()
        .flatten()
        .collect();
        let table = summary(&rows);
        assert!(
            table.contains("discovery, whole process (vs pppoe -d)"),
            "{table}"
        );
        assert_eq!(rows[0].ratio, "0.08");
        assert_eq!(
            (rows[1].ours.as_str(), rows[1].ratio.as_str()),
            ("2.45 ms", "0.34")
        );
        assert_eq!(rows.len(), 6, "{table}");
        assert_eq!(
            (rows[5].ours.as_str(), rows[5].reference.as_str()),
            ("30 ms 6/6", "20016 ms 2/6")
        );
        assert_eq!(
            rows[2].what,
            "pppd start → ip-up, pppd 2.4.9 (vs rp-pppoe.so)"
        );
        assert_eq!(
            (rows[2].ours.as_str(), rows[2].reference.as_str()),
            ("1292 ms", "1353 ms")
        );
        assert_eq!(rows[4].ratio, "1.06");
    }

    #[test]
    fn the_reconnect_benchmark_gives_one_row_per_pppd_version() {
        let reconnect = lines(
            "bench: plugin=rp-pppoe.so round=1 reconnect_ms=5200\n\
             pppd 2.4.9, stale-session reconnect (SIGKILL -> ip-up), medians\n\
             reconnect rs-pppoe.so 2100 ms, rp-pppoe.so 5200 ms, ratio 0.40\n\
             pppd 2.5.2, stale-session reconnect (SIGKILL -> ip-up), medians\n\
             reconnect rs-pppoe.so 1950.5 ms, rp-pppoe.so - ms, ratio -\n",
        );
        let rows = reconnect_rows(&reconnect);
        assert_eq!(
            rows.len(),
            1,
            "a version without a reference figure is left out"
        );
        assert_eq!(
            rows[0].what,
            "stale kill -9 → ip-up, pppd 2.4.9 (vs rp-pppoe.so)"
        );
        assert_eq!(
            (
                rows[0].ours.as_str(),
                rows[0].reference.as_str(),
                rows[0].ratio.as_str()
            ),
            ("2100 ms", "5200 ms", "0.40")
        );
    }
}
