//! `cargo xtask deb` builds a package whose file list, modes, conffiles and
//! pppd dependency are what a Debian user installs.
//!
//! Runs the real xtask binary (it builds the release artifacts once; later
//! runs reuse `target/release`). Needs dpkg-deb and pppd's headers.

mod common;

use std::{collections::BTreeMap, path::PathBuf, process::Command};

use common::pppd_version;

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `version = "..."` of the root package, which names the .deb.
fn package_version() -> String {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let text = std::fs::read_to_string(manifest).unwrap();
    let package = text
        .split("[package]")
        .nth(1)
        .expect("the root Cargo.toml has [package]");
    package
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("version")?
                .trim()
                .strip_prefix('=')
        })
        .map(|value| value.trim().trim_matches('"').to_string())
        .expect("[package] has a version")
}

#[test]
fn the_deb_holds_exactly_the_installed_files_with_etc_as_conffiles() {
    if Command::new("dpkg-deb").arg("--version").output().is_err() {
        eprintln!("skipped: dpkg-deb is not installed (not a Debian system)");
        return;
    }
    run(env!("CARGO_BIN_EXE_xtask"), &["deb"]);

    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let arch = run("dpkg", &["--print-architecture"]).trim().to_string();
    let deb = target.join(format!("debian/rs-pppoe_{}_{arch}.deb", package_version()));
    let deb = deb.to_str().unwrap();

    // "-rwxr-xr-x root/root 2856184 2026-11-27 00:38 ./usr/sbin/rs-pppoe-rule"
    let files: BTreeMap<String, (String, String)> = run("dpkg-deb", &["-c", deb])
        .lines()
        .filter(|line| !line.starts_with('d'))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (
                fields[5].to_string(),
                (fields[0].to_string(), fields[1].to_string()),
            )
        })
        .collect();
    let version = pppd_version();
    let program = ("-rwxr-xr-x".to_string(), "root/root".to_string());
    let data = ("-rw-r--r--".to_string(), "root/root".to_string());
    let expected: BTreeMap<String, (String, String)> = [
        (
            format!("./usr/lib/pppd/{version}/rs-pppoe.so"),
            data.clone(),
        ),
        ("./usr/sbin/rs-pppoe-discovery".into(), program.clone()),
        ("./usr/sbin/rs-pppoe-rule".into(), program.clone()),
        ("./usr/sbin/rs-pppoe-setup".into(), program.clone()),
        ("./etc/ppp/ip-up.d/10-rule".into(), program.clone()),
        ("./etc/ppp/ip-down.d/10-rule".into(), program),
        ("./etc/ppp/peers/rs-pppoe-provider".into(), data.clone()),
        (
            "./usr/share/doc/rs-pppoe/peers-provider.example".into(),
            data.clone(),
        ),
        (
            "./usr/share/doc/rs-pppoe/chap-secrets.example".into(),
            data.clone(),
        ),
        ("./usr/share/man/man8/rs-pppoe.8".into(), data.clone()),
        ("./usr/share/man/man8/rs-pppoe-rule.8".into(), data.clone()),
        (
            "./usr/share/man/man8/rs-pppoe-discovery.8".into(),
            data.clone(),
        ),
        ("./usr/share/man/man8/rs-pppoe-setup.8".into(), data),
    ]
    .into_iter()
    .collect();
    assert_eq!(files, expected);

    let conffiles = run("dpkg-deb", &["-I", deb, "conffiles"]);
    let conffiles: Vec<&str> = conffiles.lines().collect();
    assert_eq!(
        conffiles,
        [
            "/etc/ppp/ip-down.d/10-rule",
            "/etc/ppp/ip-up.d/10-rule",
            "/etc/ppp/peers/rs-pppoe-provider"
        ],
        "dpkg must keep a user's edits to every /etc file"
    );
    let depends = run("dpkg-deb", &["-f", deb, "Depends"]);
    assert!(
        depends.contains(&format!("ppp (>= {version})")),
        "the plugin loads only into pppd {version}: {depends}"
    );
}
