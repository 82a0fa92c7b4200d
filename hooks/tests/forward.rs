//! Replies of forwarded servers, end to end in network namespaces, with
//! real traffic: a client on the internet side of `ppp0` fetches pages
//! from the host itself, from a container on a docker0-style bridge behind
//! DNAT, and from a LAN host behind DNAT; the host's and the container's
//! own traffic keeps leaving by the LAN. Also: two sessions at once, up
//! twice, down restoring the exact rules, routes and ruleset, no nftables,
//! a refused table, strict rp_filter, and ip-up/ip-down of ppp0 and ppp1
//! racing for 1000 cycles with killed runs.
//!
//! ```text
//!  internet ns                      home ns (the host)                 lan ns
//!  198.51.100.7  wan0 ───── ppp0 203.0.113.5 (veth, /32 + peer)
//!  198.51.100.8  wan1 ───── ppp1 203.0.113.6              lan0 192.0.2.10 ── br0 192.0.2.1, 198.18.0.1
//!                           docker0 172.17.0.1/16                             └─ lanhost ns 192.0.2.20
//!                             └─ container ns 172.17.0.2
//! ```
//!
//! The home host's main default route is the LAN router, which has no
//! route to the internet side: a reply that leaves by the LAN is lost.

mod common;

use std::fs;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The internet client of session N (behind pppN).
fn client_addr(session: u32) -> String {
    format!("198.51.100.{}", 7 + session)
}

/// pppN's address.
fn ppp_addr(session: u32) -> String {
    format!("203.0.113.{}", 5 + session)
}

/// What a Docker host looks like to nftables: Docker's nat and filter
/// tables (as iptables-nft writes them, simplified) publishing the
/// container on :8080 and a LAN host on :8081, and the user's own firewall.
const FOREIGN_RULESET: &str = r#"
table ip nat {
    chain PREROUTING {
        type nat hook prerouting priority dstnat; policy accept;
        fib daddr type local jump DOCKER
    }
    chain DOCKER {
        iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80
        iifname != "lan0" tcp dport 8081 dnat to 192.0.2.20:80
    }
    chain POSTROUTING {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
        oifname "lan0" ip daddr 192.0.2.20 tcp dport 80 ct status dnat masquerade
    }
}
table ip filter {
    chain FORWARD {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "docker0" accept
        oifname "docker0" ip daddr 172.17.0.2 tcp dport 80 accept
        oifname "lan0" ip daddr 192.0.2.20 tcp dport 80 accept
    }
}
table inet user-firewall {
    chain input {
        type filter hook input priority filter; policy accept;
        ct state established,related accept
        iifname "ppp*" tcp dport 80 accept
        iifname "ppp*" drop
    }
}
"#;

/// The whole picture, one namespace per machine.
struct Lab {
    home: Netns,
    internet: Netns,
    lan: Netns,
    lanhost: Netns,
    container: Netns,
    _www: TempDir,
}

impl Lab {
    fn new(tag: &str, sessions: u32) -> Lab {
        let lab = Lab {
            home: Netns::bare(&format!("{tag}-home")),
            internet: Netns::bare(&format!("{tag}-inet")),
            lan: Netns::bare(&format!("{tag}-lan")),
            lanhost: Netns::bare(&format!("{tag}-lanhost")),
            container: Netns::bare(&format!("{tag}-ctr")),
            _www: TempDir::new(tag),
        };
        let link = |a: &Netns, a_if: &str, b: &Netns, b_if: &str| {
            let status = Command::new("ip")
                .args([
                    "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name",
                ])
                .args([b_if, "netns", &b.name])
                .status()
                .expect("run ip");
            assert!(status.success(), "veth {a_if} - {b_if}");
        };
        for n in 0..sessions {
            let (ppp, wan) = (format!("ppp{n}"), format!("wan{n}"));
            link(&lab.home, &ppp, &lab.internet, &wan);
            lab.home.sh(&format!(
                "ip addr add {} peer {PEER} dev {ppp} && ip link set {ppp} up",
                ppp_addr(n)
            ));
            lab.internet.sh(&format!(
                "ip addr add {} peer {} dev {wan} && ip link set {wan} up",
                client_addr(n),
                ppp_addr(n)
            ));
        }
        link(&lab.home, "lan0", &lab.lan, "p-home");
        link(&lab.lanhost, "eth0", &lab.lan, "p-host");
        lab.lan.sh(
            "ip link add br0 type bridge && ip link set p-home master br0 && \
             ip link set p-host master br0 && ip link set p-home up && ip link set p-host up && \
             ip addr add 192.0.2.1/24 dev br0 && ip link set br0 up && \
             ip addr add 198.18.0.1/32 dev lo",
        );
        lab.lanhost.sh(
            "ip addr add 192.0.2.20/24 dev eth0 && ip link set eth0 up && \
             ip route add default via 192.0.2.1",
        );
        link(&lab.home, "vethctr", &lab.container, "eth0");
        lab.container.sh(
            "ip addr add 172.17.0.2/16 dev eth0 && ip link set eth0 up && \
             ip route add default via 172.17.0.1",
        );
        lab.home.sh(
            "ip addr add 192.0.2.10/24 dev lan0 && ip link set lan0 up && \
             ip route add default via 192.0.2.1 && \
             ip link add docker0 type bridge && ip addr add 172.17.0.1/16 dev docker0 && \
             ip link set vethctr master docker0 && ip link set vethctr up && \
             ip link set docker0 up && sysctl -qw net.ipv4.ip_forward=1",
        );
        let nft = lab.home.nft_stdin(FOREIGN_RULESET);
        assert_ok(&nft, "load the Docker-like and the user's tables");
        for (netns, page) in [
            (&lab.home, "host"),
            (&lab.container, "container"),
            (&lab.lanhost, "lan-host"),
            (&lab.lan, "lan-router"),
        ] {
            let dir = lab._www.0.join(page);
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("index.html"), format!("{page}\n")).unwrap();
            netns.sh(&format!("busybox httpd -p 80 -h {}", dir.display()));
        }
        lab
    }

    /// The hook in the home namespace, as pppd runs it (`env -i`).
    fn hook(&self, args: &[&str]) -> Output {
        self.home.hook(args)
    }

    fn up(&self, session: u32) -> Output {
        self.hook(&pppd(
            "up",
            &format!("ppp{session}"),
            &ppp_addr(session),
            &[],
        ))
    }

    fn down(&self, session: u32) -> Output {
        self.hook(&pppd(
            "down",
            &format!("ppp{session}"),
            &ppp_addr(session),
            &[],
        ))
    }

    /// The body of `http://ADDR:PORT/` fetched from `from`, or why not.
    /// (bash's /dev/tcp: this host's static busybox wget crashes.)
    fn fetch(&self, from: &Netns, addr: &str, port: u16) -> Result<String, String> {
        let output = from.sh_output(&format!(
            "timeout 2 bash -c 'exec 3<>/dev/tcp/{addr}/{port} && \
             printf \"GET / HTTP/1.0\\r\\n\\r\\n\" >&3 && cat <&3' 2>&1"
        ));
        let response = text(&output.stdout);
        match response.split_once("\r\n\r\n") {
            Some((head, body)) if output.status.success() && head.contains(" 200 ") => {
                Ok(body.trim().to_owned())
            }
            _ => Err(format!("status {:?}: {response}", output.status.code())),
        }
    }

    /// From the client behind pppN to pppN's address.
    fn fetch_via(&self, session: u32, port: u16) -> Result<String, String> {
        self.fetch(&self.internet, &ppp_addr(session), port)
    }

    /// What the hook may change, as text: rules, every route, the ruleset.
    fn snapshot(&self) -> String {
        self.home
            .sh("ip -4 rule show; echo; ip -4 route show table all; echo; nft list ruleset")
    }

    fn nft_ruleset(&self) -> String {
        self.home.sh("nft list ruleset")
    }
}

trait NetnsExt {
    fn nft_stdin(&self, ruleset: &str) -> Output;
}

impl NetnsExt for Netns {
    fn nft_stdin(&self, ruleset: &str) -> Output {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.name, "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run nft");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ruleset.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

fn pppd<'a>(mode: &'a str, iface: &'a str, addr: &'a str, options: &[&'a str]) -> Vec<&'a str> {
    let mut args = options.to_vec();
    args.extend([mode, iface, "eth0", "0", addr, PEER, ""]);
    args
}

fn have_nft() -> bool {
    Command::new("nft")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

macro_rules! require_root_and_nft {
    () => {
        require_root!();
        if !have_nft() {
            eprintln!(
                "skipped: needs the nft binary (Debian package nftables) to look at rulesets"
            );
            return;
        }
    };
}

#[test]
fn host_container_and_lan_host_all_answer_through_ppp0_and_own_traffic_stays_on_the_lan() {
    require_root_and_nft!();
    let lab = Lab::new("fw-all", 1);
    // Without the hook the host's own server is already unreachable: its
    // replies follow the main default route to the LAN router.
    let output = lab.up(0);
    assert_ok(&output, "up");
    for (port, page) in [(80, "host"), (8080, "container"), (8081, "lan-host")] {
        assert_eq!(
            lab.fetch_via(0, port).as_deref(),
            Ok(page),
            "a client behind ppp0 fetching :{port}"
        );
    }
    // Connections that do not arrive on ppp0 keep the main table: the
    // host and the container reach a server only the LAN router has.
    assert_eq!(
        lab.fetch(&lab.home, "198.18.0.1", 80).as_deref(),
        Ok("lan-router")
    );
    assert_eq!(
        lab.fetch(&lab.container, "198.18.0.1", 80).as_deref(),
        Ok("lan-router")
    );
    let reply = lab.home.sh(&format!("ip route get {}", client_addr(0)));
    assert!(reply.contains("dev lan0"), "unmarked traffic: {reply}");

    // Control: without the forwarding part, the container and the LAN
    // host are unreachable again while the host's own server still works.
    let dir = TempDir::new("fw-off");
    let config = dir.0.join("rule.conf");
    fs::write(&config, "forward = no\n").unwrap();
    let config = config.to_str().unwrap();
    assert_ok(
        &lab.hook(&pppd("up", "ppp0", &ppp_addr(0), &["-c", config])),
        "up with forward = no",
    );
    assert!(
        !lab.nft_ruleset().contains("rs-pppoe-rule"),
        "forward = no sweeps the table"
    );
    assert_eq!(lab.fetch_via(0, 80).as_deref(), Ok("host"));
    assert!(
        lab.fetch_via(0, 8080).is_err(),
        "container without forwarding"
    );
}

#[test]
fn down_restores_exactly_the_rules_routes_and_ruleset_from_before_up_and_up_twice_changes_nothing()
{
    require_root_and_nft!();
    let lab = Lab::new("fw-exact", 1);
    let before = lab.snapshot();
    assert_ok(&lab.up(0), "up");
    let after_up = lab.snapshot();
    assert_ne!(after_up, before);
    assert!(
        after_up.contains("300:\tfrom all fwmark 0x1000000/0xf000000 lookup 100")
            && after_up.contains("table ip rs-pppoe-rule-ppp0"),
        "{after_up}"
    );
    let again = lab.hook(&pppd("up", "ppp0", &ppp_addr(0), &["-v"]));
    assert_ok(&again, "second up");
    assert!(
        text(&again.stderr).contains("already in place"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(lab.snapshot(), after_up, "a second up changes nothing");
    assert_ok(&lab.down(0), "down");
    assert_eq!(lab.snapshot(), before, "down leaves exactly what was there");
    assert_ok(&lab.down(0), "a second down");
    assert_eq!(lab.snapshot(), before);
}

#[test]
fn dry_run_nft_lines_load_into_exactly_the_table_up_creates() {
    require_root_and_nft!();
    let real = Netns::new("fw-dry-real");
    real.add_ppp("ppp1", ADDR);
    let output = real.hook(&pppd("up", "ppp1", ADDR, &[]));
    assert_ok(&output, "up");
    let created = real.sh("nft list ruleset");

    let dry = Netns::new("fw-dry");
    dry.add_ppp("ppp1", ADDR);
    let output = dry.hook(&pppd("up", "ppp1", ADDR, &["--dry-run"]));
    assert_ok(&output, "dry run");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("ip rule add fwmark 0x2000000/0xf000000 lookup 101 priority 301\n"),
        "{stdout}"
    );
    let script: String = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("nft "))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(dry.sh("nft list ruleset"), "", "a dry run changes nothing");
    assert_ok(&dry.nft_stdin(&script), "nft -f the dry run's lines");
    assert_eq!(dry.sh("nft list ruleset"), created);
}

#[test]
fn ppp0_and_ppp1_at_once_each_with_their_own_mark_rule_table_and_replies() {
    require_root_and_nft!();
    let lab = Lab::new("fw-two", 2);
    let before = lab.snapshot();
    assert_ok(&lab.up(0), "up ppp0");
    assert_ok(&lab.up(1), "up ppp1");
    for session in 0..2 {
        assert_eq!(
            lab.fetch_via(session, 8080).as_deref(),
            Ok("container"),
            "container through ppp{session}"
        );
        assert_eq!(lab.fetch_via(session, 8081).as_deref(), Ok("lan-host"));
    }
    let rules = lab.home.rules();
    for line in [
        "200:\tfrom 203.0.113.5 lookup 100",
        "201:\tfrom 203.0.113.6 lookup 101",
        "300:\tfrom all fwmark 0x1000000/0xf000000 lookup 100",
        "301:\tfrom all fwmark 0x2000000/0xf000000 lookup 101",
    ] {
        assert_eq!(count(&rules, line), 1, "{line:?} in {rules}");
    }
    let show = text(&lab.hook(&["show"]).stdout);
    for line in [
        "ip rule: fwmark 0x1000000/0xf000000 lookup 100 priority 300",
        "ip rule: fwmark 0x2000000/0xf000000 lookup 101 priority 301",
        "nft table: ip rs-pppoe-rule-ppp0 (rs-pppoe-rule v1: replies to connections arriving on \
         ppp0 leave by it (mark 0x1000000/0xf000000))",
        "nft table: ip rs-pppoe-rule-ppp1",
    ] {
        assert!(show.contains(line), "{line:?} in {show}");
    }
    // ppp1 goes down: ppp0 keeps everything, and still works.
    assert_ok(&lab.down(1), "down ppp1");
    let ruleset = lab.nft_ruleset();
    assert!(
        ruleset.contains("rs-pppoe-rule-ppp0") && !ruleset.contains("rs-pppoe-rule-ppp1"),
        "{ruleset}"
    );
    assert!(!lab.home.rules().contains("lookup 101"));
    assert_eq!(lab.fetch_via(0, 8080).as_deref(), Ok("container"));
    assert_ok(&lab.down(0), "down ppp0");
    assert_eq!(lab.snapshot(), before, "the last down leaves no trace");
}

/// A filter that makes `socket(AF_NETLINK, *, NETLINK_NETFILTER)` fail
/// with `EPROTONOSUPPORT`, which is what the kernel answers when it has
/// no netfilter netlink (nf_tables) at all. Everything else is allowed.
/// Installed in the child between fork and exec (seccomp is inherited by
/// `ip netns exec`, `env` and the hook).
fn no_nfnetlink() -> std::io::Result<()> {
    // struct seccomp_data: nr at 0, arch at 4, args[0] at 16, args[2] at 32.
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    const ALLOW: u32 = 0x7fff_0000;
    let errno = 0x0005_0000 | libc::EPROTONOSUPPORT as u32;
    let insn = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let program = [
        insn(LD_W_ABS, 0, 0, 4),
        insn(JEQ_K, 0, 7, AUDIT_ARCH_X86_64),
        insn(LD_W_ABS, 0, 0, 0),
        insn(JEQ_K, 0, 5, libc::SYS_socket as u32),
        insn(LD_W_ABS, 0, 0, 16),
        insn(JEQ_K, 0, 3, libc::AF_NETLINK as u32),
        insn(LD_W_ABS, 0, 0, 32),
        insn(JEQ_K, 0, 1, libc::NETLINK_NETFILTER as u32),
        insn(RET_K, 0, 0, errno),
        insn(RET_K, 0, 0, ALLOW),
    ];
    let filter = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: prctl with a pointer to a filter program that outlives the
    // call; runs in the forked child before exec.
    let result = unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &raw const filter,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[test]
fn without_nftables_in_the_kernel_the_source_rule_goes_in_with_one_warning_and_exit_0() {
    require_root!();
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: the seccomp filter is written for x86_64");
        return;
    }
    let netns = Netns::new("fw-nonft");
    netns.add_ppp("ppp0", ADDR);
    let dir = TempDir::new("fw-nonft");
    let socket_path = dir.0.join("log");
    let syslog = UnixDatagram::bind(&socket_path).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let run = |mode: &str| {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &netns.name, "env", "-i", BIN])
            .args(["--syslog-socket", socket_path.to_str().unwrap()])
            .args([mode, "ppp0", "eth0", "0", ADDR, PEER, ""]);
        use std::os::unix::process::CommandExt;
        // SAFETY: no_nfnetlink only calls prctl (async-signal-safe).
        unsafe { command.pre_exec(no_nfnetlink) };
        command.output().expect("run the hook")
    };
    let output = run("up");
    assert_ok(&output, "up without nftables");
    let rules = netns.rules();
    assert!(rules.contains(&rule_line(200, ADDR, 100)), "{rules}");
    assert!(
        !rules.contains("fwmark"),
        "no mark rule without its marks: {rules}"
    );
    assert!(netns.table(100).contains("dev ppp0"));
    let mut messages = Vec::new();
    let mut buffer = [0u8; 2048];
    while let Ok(size) = syslog.recv(&mut buffer) {
        messages.push(text(&buffer[..size]));
        if messages.len() == 2 {
            break;
        }
    }
    // <28> = daemon.warning, <30> = daemon.info.
    let warnings: Vec<&String> = messages.iter().filter(|m| m.starts_with("<28>")).collect();
    assert_eq!(warnings.len(), 1, "{messages:?}");
    assert!(
        warnings[0].contains("forwarded servers")
            && warnings[0].contains("will not get replies")
            && warnings[0].contains("the kernel has no nftables"),
        "{}",
        warnings[0]
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("<30>") && m.contains("ip rule add from")),
        "{messages:?}"
    );
    let output = run("down");
    assert_ok(&output, "down without nftables");
    assert!(!netns.rules().contains(ADDR));
    let size = syslog.recv(&mut buffer).expect("down's message");
    let message = text(&buffer[..size]);
    assert!(
        message.starts_with("<30>") && message.contains("(already gone)"),
        "nothing to warn about on down: {message}"
    );
}

#[test]
fn a_table_of_our_name_owned_by_another_process_is_refused_politely() {
    require_root_and_nft!();
    let netns = Netns::new("fw-owner");
    netns.add_ppp("ppp0", ADDR);
    // `flags owner`: only the nft process that created it may touch it,
    // and it goes when that process ends.
    let mut owner = Command::new("ip")
        .args(["netns", "exec", &netns.name, "nft", "-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run nft -i");
    {
        use std::io::Write;
        let stdin = owner.stdin.as_mut().unwrap();
        writeln!(stdin, "add table ip rs-pppoe-rule-ppp0 {{ flags owner; }}").unwrap();
        stdin.flush().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !netns.sh("nft list tables").contains("rs-pppoe-rule-ppp0") {
        assert!(Instant::now() < deadline, "nft -i did not create the table");
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = netns.hook(&pppd("up", "ppp0", ADDR, &["-v"]));
    assert_ok(&output, "up with a refused table");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning:")
            && stderr.contains("will not get replies")
            && stderr.contains("nftables: delete table ip rs-pppoe-rule-ppp0")
            && stderr.contains("Operation not permitted"),
        "{stderr}"
    );
    let rules = netns.rules();
    assert!(rules.contains(&rule_line(200, ADDR, 100)), "{rules}");
    assert!(
        !rules.contains("fwmark"),
        "rolled back with the table: {rules}"
    );
    let ruleset = netns.sh("nft list ruleset");
    assert!(
        ruleset.contains("flags owner"),
        "the owner's table stays: {ruleset}"
    );
    let output = netns.hook(&pppd("down", "ppp0", ADDR, &[]));
    assert_ok(&output, "down with a refused table");
    assert!(!netns.rules().contains(ADDR));
    assert!(netns.sh("nft list ruleset").contains("flags owner"));
    drop(owner.stdin.take());
    let _ = owner.wait();
}

#[test]
fn strict_rp_filter_is_made_loose_on_ppp0_only_or_warned_about() {
    require_root_and_nft!();
    let lab = Lab::new("fw-rp", 1);
    lab.home.sh("sysctl -qw net.ipv4.conf.all.rp_filter=1");
    let dir = TempDir::new("fw-rp");
    let keep = dir.0.join("keep.conf");
    fs::write(&keep, "rp_filter = keep\n").unwrap();
    let output = lab.hook(&pppd(
        "up",
        "ppp0",
        ADDR,
        &["-v", "-c", keep.to_str().unwrap()],
    ));
    assert_ok(&output, "up, rp_filter = keep");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("strict reverse-path filtering")
            && stderr.contains("net.ipv4.conf.ppp0.rp_filter=2"),
        "{stderr}"
    );
    assert!(
        lab.fetch_via(0, 8080).is_err(),
        "strict rp_filter drops the container's connections"
    );
    let output = lab.hook(&pppd("up", "ppp0", ADDR, &["-v"]));
    assert_ok(&output, "up");
    assert!(text(&output.stderr).contains("sysctl -w net.ipv4.conf.ppp0.rp_filter=2"));
    let value = |name: &str| {
        lab.home
            .sh(&format!("cat /proc/sys/net/ipv4/conf/{name}/rp_filter"))
            .trim()
            .to_owned()
    };
    assert_eq!(value("ppp0"), "2");
    assert_eq!(value("all"), "1", "the host-wide value is left alone");
    assert_eq!(value("lan0"), "0");
    assert_eq!(lab.fetch_via(0, 8080).as_deref(), Ok("container"));
}

/// ip-up and ip-down of two pppd instances at the same time, 1000 cycles,
/// checked after every step; every 50th cycle a run is killed half-way
/// (SIGKILL after 0-3 ms), and the next run must repair what it left.
#[test]
fn ppp0_and_ppp1_up_and_down_at_the_same_time_1000_cycles_with_killed_runs() {
    require_root_and_nft!();
    let netns = Netns::new("fw-race");
    netns.add_ppp("ppp0", ADDR);
    netns.add_ppp("ppp1", NEW_ADDR);
    let dir = TempDir::new("fw-race");
    let script = dir.0.join("race.bash");
    fs::write(&script, RACE_SCRIPT).unwrap();
    let started = Instant::now();
    let output = netns.sh_output(&format!(
        "bash {} {BIN} {ADDR} {NEW_ADDR} {PEER} {} 1000",
        script.display(),
        dir.0.display()
    ));
    let took = started.elapsed();
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout.lines().rev().take(30).collect::<Vec<_>>().join("\n"),
        text(&output.stderr)
    );
    assert!(stdout.contains("cycles: 1000 ok"), "{stdout}");
    eprintln!("1000 concurrent up/down cycles in {took:?}");
}

const RACE_SCRIPT: &str = r#"
# Forks are the cost here: counting is done with bash built-ins only.
set -u
bin=$1 a0=$2 a1=$3 peer=$4 dir=$5 cycles=$6
mkfifo "$dir/never"; exec 9<>"$dir/never"
# As pppd runs it: empty environment (exec -c), own process.
hook() { exec -c "$bin" "$1" "ppp$2" eth0 0 "$3" "$peer" ""; }
pause() { read -t "0.00$((RANDOM % 4))" -u 9 || true; }
snapshot() {
    state="$(ip -4 -force -batch - <<<$'rule show\nroute show table 100\nroute show table 101' 2>/dev/null; nft list tables)"
}
expect() { # phase, expected count, text
    local n=0 line
    while IFS= read -r line; do [[ $line == *"$3"* ]] && n=$((n + 1)); done <<<"$state"
    if [ "$n" != "$2" ]; then echo "cycle $cycle: $1: $n x '$3', expected $2"; echo "$state"; exit 1; fi
}
both() { # mode: ppp0 and ppp1 at the same time, both must succeed
    (hook "$1" 0 "$a0") & local p0=$!
    (hook "$1" 1 "$a1") & local p1=$!
    wait "$p0" || { echo "cycle $cycle: $1 ppp0 failed"; exit 1; }
    wait "$p1" || { echo "cycle $cycle: $1 ppp1 failed"; exit 1; }
}
killed() { # mode session address: a run killed half-way
    (hook "$1" "$2" "$3") & local victim=$!
    pause; kill -KILL "$victim" 2>/dev/null; wait "$victim" 2>/dev/null
}
for ((cycle = 1; cycle <= cycles; cycle++)); do
    if ((cycle % 50 == 0)); then killed up 0 "$a0"; fi
    both up
    snapshot
    expect up 1 "200:	from $a0 lookup 100"
    expect up 1 "201:	from $a1 lookup 101"
    expect up 1 "300:	from all fwmark 0x1000000/0xf000000 lookup 100"
    expect up 1 "301:	from all fwmark 0x2000000/0xf000000 lookup 101"
    expect up 1 "default dev ppp0"
    expect up 1 "default dev ppp1"
    expect up 1 "table ip rs-pppoe-rule-ppp0"
    expect up 1 "table ip rs-pppoe-rule-ppp1"
    expect up 7 "lookup"
    if ((cycle % 50 == 25)); then killed down 1 "$a1"; fi
    both down
    snapshot
    expect down 0 "rs-pppoe-rule"
    expect down 0 "default dev"
    expect down 3 "lookup"
done
echo "cycles: $cycles ok"
"#;
