//! `cargo xtask install --destdir` lays out the files for this machine's
//! pppd, leaves a user's peers file alone, and `uninstall` takes back exactly
//! what install added.
//!
//! Runs the real xtask binary, which builds the release artifacts (once;
//! later runs reuse `target/release`). Needs pppd's headers (ppp-dev).

mod common;

use std::{
    collections::BTreeMap,
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

/// A scratch destdir, removed even when the test fails.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn xtask(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xtask {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every regular file under `dir` (relative path → mode), and any symlink
/// as a failure: install copies, never links.
fn files(dir: &Path) -> BTreeMap<String, u32> {
    fn walk(base: &Path, dir: &Path, found: &mut BTreeMap<String, u32>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            assert!(
                !meta.file_type().is_symlink(),
                "{} is a symlink",
                path.display()
            );
            if meta.is_dir() {
                walk(base, &path, found);
            } else {
                let relative = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.insert(relative, meta.permissions().mode() & 0o7777);
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(dir, dir, &mut found);
    found
}

/// The plugin dir for this machine's pppd, found independently of xtask:
/// pkg-config's plugindir (pppd 2.5), else /usr/lib/pppd/<pppd --version>.
fn plugin_dir() -> String {
    let pkg_config = Command::new("pkg-config")
        .args(["--variable=plugindir", "pppd"])
        .output();
    if let Ok(out) = pkg_config {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && !dir.is_empty() {
            return dir.trim_start_matches('/').to_string();
        }
    }
    let version = common::pppd_version();
    format!("usr/lib/pppd/{version}")
}

fn expected(hook: &str, programs: &str) -> BTreeMap<String, u32> {
    [
        (format!("{}/rs-pppoe.so", plugin_dir()), 0o644),
        (format!("usr/local/{programs}/rs-pppoe-discovery"), 0o755),
        (format!("usr/local/{programs}/rs-pppoe-rule"), 0o755),
        (format!("usr/local/{programs}/rs-pppoe-setup"), 0o755),
        (format!("etc/ppp/ip-up.d/{hook}"), 0o755),
        (format!("etc/ppp/ip-down.d/{hook}"), 0o755),
        ("etc/ppp/peers/rs-pppoe-provider".into(), 0o644),
        (
            "usr/local/share/doc/rs-pppoe/peers-provider.example".into(),
            0o644,
        ),
        (
            "usr/local/share/doc/rs-pppoe/chap-secrets.example".into(),
            0o644,
        ),
        ("usr/local/share/man/man8/rs-pppoe.8".into(), 0o644),
        ("usr/local/share/man/man8/rs-pppoe-rule.8".into(), 0o644),
        (
            "usr/local/share/man/man8/rs-pppoe-discovery.8".into(),
            0o644,
        ),
        ("usr/local/share/man/man8/rs-pppoe-setup.8".into(), 0o644),
        ("usr/local/share/rs-pppoe/installed-files".into(), 0o644),
    ]
    .into_iter()
    .collect()
}

#[test]
fn install_lays_out_the_files_keeps_the_users_peers_file_and_uninstall_undoes_it() {
    let scratch = Scratch::new("install-debian");
    let root = scratch.0.to_str().unwrap();
    let peers = scratch.0.join("etc/ppp/peers/rs-pppoe-provider");
    fs::create_dir_all(peers.parent().unwrap()).unwrap();
    let users_peers = b"plugin rs-pppoe.so\nnic-enp3s0\nuser \"me@my-isp\"\n";
    fs::write(&peers, users_peers).unwrap();
    fs::set_permissions(&peers, fs::Permissions::from_mode(0o640)).unwrap();

    xtask(&["install", "--destdir", root, "--distro", "debian"]);

    let mut want = expected("10-rule", "sbin");
    want.insert("etc/ppp/peers/rs-pppoe-provider".into(), 0o640); // the user's, untouched
    assert_eq!(files(&scratch.0), want);
    assert_eq!(
        fs::read(&peers).unwrap(),
        users_peers,
        "the user's peers file was changed"
    );

    let plugin = fs::read(scratch.0.join(format!("{}/rs-pppoe.so", plugin_dir()))).unwrap();
    assert!(
        plugin
            .windows(b"plugin_init\0".len())
            .any(|w| w == b"plugin_init\0"),
        "the installed plugin has no plugin_init: not built against pppd's headers"
    );
    let hook = fs::read(scratch.0.join("usr/local/sbin/rs-pppoe-rule")).unwrap();
    for dir in ["ip-up.d", "ip-down.d"] {
        assert_eq!(
            fs::read(scratch.0.join(format!("etc/ppp/{dir}/10-rule"))).unwrap(),
            hook
        );
    }
    let manifest =
        fs::read_to_string(scratch.0.join("usr/local/share/rs-pppoe/installed-files")).unwrap();
    assert!(
        !manifest.contains("/etc/ppp/peers/rs-pppoe-provider\n"),
        "the user's file is not ours:\n{manifest}"
    );

    xtask(&["uninstall", "--destdir", root]);

    let left: Vec<String> = files(&scratch.0).into_keys().collect();
    assert_eq!(left, ["etc/ppp/peers/rs-pppoe-provider"]);
    assert_eq!(fs::read(&peers).unwrap(), users_peers);
}

#[test]
fn arch_gets_the_sh_hook_programs_in_bin_and_the_example_peers_file_when_there_is_none() {
    let scratch = Scratch::new("install-arch");
    let root = scratch.0.to_str().unwrap();

    xtask(&["install", "--destdir", root, "--distro", "arch"]);

    assert_eq!(files(&scratch.0), expected("10-rule.sh", "bin"));
    let peers = fs::read_to_string(scratch.0.join("etc/ppp/peers/rs-pppoe-provider")).unwrap();
    let lines: Vec<&str> = peers.lines().collect();
    for line in [
        "plugin rs-pppoe.so",
        "nodefaultroute",
        "noipdefault",
        "persist",
    ] {
        assert!(lines.contains(&line), "example peers file lacks '{line}'");
    }

    // A second install (an upgrade) still owns the unchanged example, so
    // uninstall then removes everything and leaves no empty directories.
    xtask(&["install", "--destdir", root, "--distro", "arch"]);
    xtask(&["uninstall", "--destdir", root]);
    assert_eq!(files(&scratch.0), BTreeMap::new());
    assert_eq!(
        fs::read_dir(&scratch.0).unwrap().count(),
        0,
        "install left directories behind"
    );
}
