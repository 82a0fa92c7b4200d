//! Shared by the namespace tests: namespaces that clean up after
//! themselves, the hook run the way pppd runs it, temporary directories.
#![allow(dead_code)] // each test file uses its own share

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

pub const BIN: &str = env!("CARGO_BIN_EXE_rs-pppoe-rule");
pub const ADDR: &str = "203.0.113.5";
pub const NEW_ADDR: &str = "203.0.113.9";
pub const PEER: &str = "10.64.64.64";

pub fn is_root() -> bool {
    // /proc/self belongs to the effective uid.
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

#[macro_export]
macro_rules! require_root {
    () => {
        if !$crate::common::is_root() {
            eprintln!("skipped: needs root for network namespaces");
            return;
        }
    };
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh network namespace, deleted on drop (even when a test fails).
pub struct Netns {
    pub name: String,
}

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

impl Netns {
    /// A namespace with a LAN: `lan0` (192.0.2.10/24) holds the main
    /// default route via 192.0.2.1.
    pub fn new(tag: &str) -> Netns {
        let netns = Netns::bare(tag);
        // The LAN side: the main default route must stay here.
        netns.sh(
            "ip link add lan0 type veth peer name lan0peer && ip link set lan0peer up && ip addr add 192.0.2.10/24 dev lan0 && \
             ip link set lan0 up && ip route add default via 192.0.2.1 dev lan0",
        );
        netns
    }

    /// A namespace with only `lo` up.
    pub fn bare(tag: &str) -> Netns {
        let name = format!(
            "rs-pppoe-rule-{tag}-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let status = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("run ip");
        assert!(status.success(), "ip netns add {name}");
        let netns = Netns { name };
        netns.sh("ip link set lo up");
        netns
    }

    /// Run a shell command in the namespace; it must succeed.
    pub fn sh(&self, command: &str) -> String {
        let output = self.sh_output(command);
        assert!(
            output.status.success(),
            "{command}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    pub fn sh_output(&self, command: &str) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name, "sh", "-c", command])
            .output()
            .expect("run ip netns exec")
    }

    /// A tun device standing in for a PPP interface.
    pub fn add_ppp(&self, iface: &str, local: &str) {
        self.sh(&format!(
            "ip tuntap add {iface} mode tun && ip addr add {local} peer {PEER} dev {iface} && \
             ip link set {iface} up"
        ));
    }

    /// Run the hook as pppd would: empty environment, given argv[0].
    pub fn hook_as(&self, argv0: &Path, env: &[&str], args: &[&str]) -> Output {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, "env", "-i"]);
        command.args(env);
        command.arg(argv0);
        command.args(args);
        command.output().expect("run the hook")
    }

    pub fn hook(&self, args: &[&str]) -> Output {
        self.hook_as(Path::new(BIN), &[], args)
    }

    pub fn rules(&self) -> String {
        self.sh("ip -4 rule show")
    }

    pub fn table(&self, table: u32) -> String {
        // A table that never held a route does not exist: that is "empty".
        self.sh(&format!(
            "ip -4 route show table {table} 2>/dev/null || true"
        ))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Servers a test started in it (and the hook's short-lived
        // socket holders) go with it.
        if let Ok(output) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in text(&output.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-KILL", pid]).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "rs-pppoe-rule-{tag}-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub fn pppd_args<'a>(iface: &'a str, local: &'a str) -> [&'a str; 6] {
    [iface, "eth0", "0", local, PEER, ""]
}

pub fn up(iface: &str, local: &str) -> Vec<String> {
    let mut args = vec!["up".to_owned()];
    args.extend(pppd_args(iface, local).map(str::to_owned));
    args
}

pub fn down(iface: &str, local: &str) -> Vec<String> {
    let mut args = vec!["down".to_owned()];
    args.extend(pppd_args(iface, local).map(str::to_owned));
    args
}

pub fn run(netns: &Netns, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    netns.hook(&args)
}

pub fn assert_ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: exit {:?}, stderr {}",
        output.status.code(),
        text(&output.stderr)
    );
}

pub fn rule_line(priority: u32, source: &str, table: u32) -> String {
    format!("{priority}:\tfrom {source} lookup {table}")
}

pub fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}
