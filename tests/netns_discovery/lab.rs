//! A throwaway PPPoE lab: an AC namespace and a client namespace joined by
//! a veth pair, Debian's `pppoe-server` as the access concentrator, and
//! `rs-pppoe-discovery` run in the client namespace. Everything is torn
//! down by `Drop`, also when a test fails.
//!
//! Names start with `rsp-sys-` and carry the test's tag and our PID, so
//! tests running in parallel (or two `cargo test` runs) never collide.
//! Interfaces are created directly inside the namespaces, so their short
//! fixed names never touch the host's namespace.
//!
//! Shared by `netns_discovery.rs` and `netns_diagnosis.rs`; each uses a
//! part of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// `rs-pppoe-discovery`, when the including test crate builds it (the
/// setup crate's tests include this lab too, for its namespaces only).
pub const BIN: &str = match option_env!("CARGO_BIN_EXE_rs-pppoe-discovery") {
    Some(path) => path,
    None => "rs-pppoe-discovery",
};
pub const AC_IF: &str = "veth-ac";
pub const CL_IF: &str = "veth-cl";
pub const AC_MAC: &str = "02:00:00:00:0a:01";
pub const CL_MAC: &str = "02:00:00:00:0c:01";

/// True when we may create namespaces. Tests print a skip notice otherwise.
pub fn have_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(str::to_owned));
    euid.as_deref() == Some("0")
}

/// Opens a lab, or returns `None` (after saying so) when not root.
pub fn lab(tag: &str) -> Option<Lab> {
    if !have_root() {
        eprintln!("skipped: network-namespace tests need root");
        return None;
    }
    Some(Lab::new(tag))
}

/// One client run: what the user saw and how long it took.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    fn from_output(output: Output, elapsed: Duration) -> Run {
        Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed,
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {} after {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.elapsed, self.stdout, self.stderr
        )
    }
}

pub struct Lab {
    pub ac_ns: String,
    pub cl_ns: String,
    pub dir: PathBuf,
    servers: Vec<Child>,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Lab {
    fn new(tag: &str) -> Lab {
        let id = format!("{tag}-{}", std::process::id());
        let dir = std::env::temp_dir().join(format!("rsp-sys-{id}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create lab directory");
        let lab = Lab {
            ac_ns: format!("rsp-sys-{id}-ac"),
            cl_ns: format!("rsp-sys-{id}-cl"),
            dir,
            servers: Vec::new(),
        };
        // From here on, Drop cleans up whatever was created.
        ip(&["netns", "add", &lab.ac_ns]);
        ip(&["netns", "add", &lab.cl_ns]);
        ip(&[
            "link", "add", AC_IF, "netns", &lab.ac_ns, "address", AC_MAC, "type", "veth", "peer",
            "name", CL_IF, "netns", &lab.cl_ns, "address", CL_MAC,
        ]);
        for (ns, ifname) in [(&lab.ac_ns, AC_IF), (&lab.cl_ns, CL_IF)] {
            ip(&["-n", ns, "link", "set", ifname, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        // pppoe-server starts a "pppd" per session after its PADS. With no
        // /dev/ppp a real pppd dies at once and the server frees the slot
        // by itself; this stand-in keeps the session until it is told
        // (PADT) or the lab is torn down.
        let fake_pppd = lab.dir.join("pppd-sleeps");
        fs::write(&fake_pppd, "#!/bin/sh\nexec sleep 600\n").expect("write fake pppd");
        Command::new("chmod")
            .arg("+x")
            .arg(&fake_pppd)
            .status()
            .expect("chmod");
        lab
    }

    /// Adds a macvlan on the AC's veth end: a second AC with its own MAC.
    pub fn add_ac_interface(&self, name: &str, mac: &str) {
        ip(&[
            "-n",
            &self.ac_ns,
            "link",
            "add",
            "link",
            AC_IF,
            "name",
            name,
            "address",
            mac,
            "type",
            "macvlan",
            "mode",
            "bridge",
        ]);
        ip(&["-n", &self.ac_ns, "link", "set", name, "up"]);
    }

    /// Adds another veth pair between the namespaces: `client` in the client
    /// namespace (with `client_mac`), `ac` in the AC namespace; both up.
    pub fn add_link(&self, client: &str, client_mac: &str, ac: &str) {
        ip(&[
            "link",
            "add",
            ac,
            "netns",
            &self.ac_ns,
            "type",
            "veth",
            "peer",
            "name",
            client,
            "netns",
            &self.cl_ns,
            "address",
            client_mac,
        ]);
        ip(&["-n", &self.ac_ns, "link", "set", ac, "up"]);
        ip(&["-n", &self.cl_ns, "link", "set", client, "up"]);
    }

    /// `ip link set IFNAME up|down` in the client (`client` true) or AC
    /// namespace.
    pub fn set_link(&self, client: bool, ifname: &str, state: &str) {
        let ns = if client { &self.cl_ns } else { &self.ac_ns };
        ip(&["-n", ns, "link", "set", ifname, state]);
    }

    /// Starts `pppoe-server -F -I ifname ARGS` in the AC namespace and
    /// waits until its discovery socket is open.
    pub fn start_server(&mut self, ifname: &str, args: &[&str]) {
        let log = fs::File::create(self.dir.join(format!("server-{ifname}.log"))).expect("log");
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ac_ns,
                "pppoe-server",
                "-F",
                "-I",
                ifname,
            ])
            .args([
                "-q",
                self.dir.join("pppd-sleeps").to_str().expect("utf-8 path"),
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("pppoe-server must be installed (Debian package pppoe)");
        let pid = child.id();
        self.servers.push(child);
        wait_for_packet_socket(pid, "pppoe-server");
    }

    fn client_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.cl_ns, BIN]).args(args);
        cmd
    }

    /// Runs `rs-pppoe-discovery ARGS` in the client namespace.
    pub fn discovery(&self, args: &[&str]) -> Run {
        let start = Instant::now();
        let output = self.client_command(args).output().expect("run client");
        Run::from_output(output, start.elapsed())
    }

    /// Starts `rs-pppoe-discovery ARGS` and returns once its socket is open.
    pub fn spawn_discovery(&self, args: &[&str]) -> (Child, Instant) {
        let start = Instant::now();
        let child = self
            .client_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn client");
        wait_for_packet_socket(child.id(), "rs-pppoe-discovery");
        (child, start)
    }

    /// Starts any command in the AC namespace and returns once it has
    /// printed its first line (its "ready"); it is killed when the returned
    /// guard goes (or with the lab).
    pub fn spawn_in_ac(&self, command: &[&str]) -> Background {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.ac_ns])
            .args(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn in the AC namespace");
        let mut ready = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut ready)
            .expect("first line");
        assert!(!ready.is_empty(), "{command:?} exited before it was ready");
        Background(child)
    }

    /// Runs any command in the client namespace.
    pub fn in_client(&self, command: &[&str]) -> Run {
        run_in(&self.cl_ns, command)
    }

    /// Runs any command in the AC namespace.
    pub fn in_ac(&self, command: &[&str]) -> Run {
        run_in(&self.ac_ns, command)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn run_in(ns: &str, command: &[&str]) -> Run {
    let start = Instant::now();
    let output = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(command)
        .output()
        .expect("ip netns exec");
    Run::from_output(output, start.elapsed())
}

/// A helper process (a scripted AC, a flood) that is killed and reaped
/// when dropped.
pub struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn finish(child: Child, start: Instant) -> Run {
    let output = child.wait_with_output().expect("wait for client");
    Run::from_output(output, start.elapsed())
}

/// Waits until process `pid` (which `ip netns exec` turns into the named
/// program, same PID) holds an AF_PACKET socket for ethertype 0x8863.
fn wait_for_packet_socket(pid: u32, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if owns_discovery_socket(pid) {
            return;
        }
        sleep(Duration::from_millis(10));
    }
    panic!("{what} (pid {pid}) did not open its discovery socket within 10 s");
}

fn owns_discovery_socket(pid: u32) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    // Inodes of the sockets this process holds...
    let Ok(fds) = fs::read_dir(proc_dir.join("fd")) else {
        return false;
    };
    let inodes: Vec<String> = fds
        .filter_map(|fd| fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    // ...against the packet sockets of its namespace (columns: sk RefCnt
    // Type Proto Iface R Rmem User Inode).
    let table = fs::read_to_string(proc_dir.join("net/packet")).unwrap_or_default();
    table.lines().skip(1).any(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        cols.len() >= 9 && cols[3] == "8863" && inodes.iter().any(|i| i == cols[8])
    })
}

impl Drop for Lab {
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.kill();
            let _ = server.wait();
        }
        // Session stand-ins and anything else still running in our namespaces.
        for ns in [&self.ac_ns, &self.cl_ns] {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").arg(pid).status();
                }
            }
        }
        for ns in [&self.ac_ns, &self.cl_ns] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The lines of a `-D` dump that describe frames (`... SENT PPPoE ...`).
pub fn dump_summaries(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(" SENT ") || l.contains(" RCVD "))
        .map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).to_owned())
        .collect()
}
