//! End-to-end tests of `rs-pppoe-rule` as root, each in its own network
//! namespace: a point-to-point tun device named `ppp0` with an address
//! stands in for PPP, a veth `lan0` holds the main default route. The
//! binary runs the way pppd runs it: `env -i`, no PATH, no terminal.
//!
//! Without root the tests print why and pass (the unit tests still run).

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use common::*;

#[test]
fn up_installs_the_articles_rule_and_route_and_replies_leave_by_ppp0() {
    require_root!();
    let netns = Netns::new("up");
    netns.add_ppp("ppp0", ADDR);
    let started = Instant::now();
    let output = run(&netns, &up("ppp0", ADDR));
    let took = started.elapsed();
    assert_ok(&output, "up");
    assert!(
        took < Duration::from_secs(2),
        "pppd gives scripts 5 s; up took {took:?}"
    );
    assert!(
        output.stderr.is_empty() && output.stdout.is_empty(),
        "no terminal: nothing on stdio"
    );

    let rules = netns.rules();
    assert!(rules.contains(&rule_line(200, ADDR, 100)), "{rules}");
    assert!(!rules.contains(" none"), "action must be to-table: {rules}");
    let table = netns.table(100);
    assert!(
        table.starts_with("default dev ppp0 ") && table.contains(&format!("src {ADDR}")),
        "{table}"
    );
    // Replies from the PPP address go out ppp0; everything else keeps the
    // LAN default route.
    let reply = netns.sh(&format!("ip route get 198.51.100.7 from {ADDR}"));
    assert!(reply.contains("dev ppp0"), "{reply}");
    let other = netns.sh("ip route get 198.51.100.7");
    assert!(other.contains("dev lan0"), "{other}");
    let main = netns.sh("ip route show default");
    assert!(main.contains("via 192.0.2.1 dev lan0"), "{main}");
}

#[test]
fn second_up_changes_nothing_and_succeeds() {
    require_root!();
    let netns = Netns::new("again");
    netns.add_ppp("ppp0", ADDR);
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "first up");
    let (rules, table) = (netns.rules(), netns.table(100));
    let output = netns.hook(&["-v", "up", "ppp0", "eth0", "0", ADDR, PEER]);
    assert_ok(&output, "second up");
    assert!(
        text(&output.stderr).contains("already in place"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(netns.rules(), rules);
    assert_eq!(netns.table(100), table);
    assert_eq!(count(&netns.rules(), &format!("from {ADDR} ")), 1);
}

#[test]
fn up_with_a_new_address_replaces_the_old_rule_and_route() {
    require_root!();
    let netns = Netns::new("newaddr");
    netns.add_ppp("ppp0", ADDR);
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "up");
    // The session came back with another address and no ip-down ran
    // (pppd killed): the old rule is stale.
    netns.sh(&format!(
        "ip addr del {ADDR} peer {PEER} dev ppp0 && ip addr add {NEW_ADDR} peer {PEER} dev ppp0"
    ));
    assert_ok(&run(&netns, &up("ppp0", NEW_ADDR)), "up with new address");
    let rules = netns.rules();
    assert!(rules.contains(&rule_line(200, NEW_ADDR, 100)), "{rules}");
    assert!(!rules.contains(ADDR), "stale rule left: {rules}");
    let table = netns.table(100);
    assert!(table.contains(&format!("src {NEW_ADDR}")), "{table}");
    assert_eq!(table.lines().count(), 1, "{table}");
}

#[test]
fn up_sweeps_a_stale_route_that_still_holds_the_table() {
    require_root!();
    let netns = Netns::new("staleroute");
    netns.add_ppp("ppp0", ADDR);
    netns.add_ppp("ppp5", NEW_ADDR);
    // Left by a crash, via a device that is still up: same slot.
    netns.sh(&format!(
        "ip rule add from {NEW_ADDR} lookup 100 priority 200 && \
         ip route add default dev ppp5 src {NEW_ADDR} table 100"
    ));
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "up");
    let table = netns.table(100);
    assert!(
        table.contains("dev ppp0") && !table.contains("ppp5"),
        "{table}"
    );
    let rules = netns.rules();
    assert!(rules.contains(&rule_line(200, ADDR, 100)), "{rules}");
    assert!(!rules.contains(NEW_ADDR), "{rules}");
}

#[test]
fn down_deletes_exactly_our_rule_and_route() {
    require_root!();
    let netns = Netns::new("down");
    netns.add_ppp("ppp0", ADDR);
    // Rules that are not ours, some in our very slot.
    netns.sh(
        "ip rule add from 198.51.100.0/24 lookup 100 priority 200 && \
         ip rule add iif lan0 lookup 100 priority 200 && \
         ip rule add from 192.0.2.10 lookup 50 priority 150",
    );
    let foreign = netns.rules();
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "up");
    assert_ok(&run(&netns, &down("ppp0", ADDR)), "down");
    assert_eq!(netns.rules(), foreign, "down must leave every other rule");
    assert_eq!(netns.table(100), "", "route gone");
    // Up again sweeps nothing of theirs either.
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "up again");
    let rules = netns.rules();
    for line in foreign.lines() {
        assert!(rules.contains(line), "lost {line:?}: {rules}");
    }
}

#[test]
fn down_after_pppd_took_the_link_down_still_removes_the_rule() {
    require_root!();
    let netns = Netns::new("downlink");
    netns.add_ppp("ppp0", ADDR);
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "up");
    // pppd clears the address and downs the link before ip-down: the
    // kernel has flushed the route already (ESRCH is "done").
    netns.sh(&format!(
        "ip addr del {ADDR} peer {PEER} dev ppp0 && ip link set ppp0 down"
    ));
    assert_ok(&run(&netns, &down("ppp0", ADDR)), "down");
    assert!(!netns.rules().contains(ADDR), "{}", netns.rules());
    assert_eq!(netns.table(100), "");
}

#[test]
fn down_when_the_interface_is_gone_removes_the_rule() {
    require_root!();
    let netns = Netns::new("downgone");
    netns.add_ppp("ppp0", ADDR);
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "up");
    netns.sh("ip link del ppp0");
    let output = run(&netns, &down("ppp0", ADDR));
    assert_ok(&output, "down without ppp0");
    assert!(!netns.rules().contains(ADDR), "{}", netns.rules());
    // A second down is also fine: nothing left to delete.
    assert_ok(&run(&netns, &down("ppp0", ADDR)), "down twice");
}

#[test]
fn two_sessions_get_their_own_tables_and_do_not_collide() {
    require_root!();
    let netns = Netns::new("two");
    let addr1 = "198.51.100.7";
    netns.add_ppp("ppp0", ADDR);
    netns.add_ppp("ppp1", addr1);
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "up ppp0");
    assert_ok(&run(&netns, &up("ppp1", addr1)), "up ppp1");
    let rules = netns.rules();
    assert!(rules.contains(&rule_line(200, ADDR, 100)), "{rules}");
    assert!(rules.contains(&rule_line(201, addr1, 101)), "{rules}");
    assert!(netns.table(100).contains("dev ppp0"));
    assert!(netns.table(101).contains("dev ppp1"));
    let reply = netns.sh(&format!("ip route get 192.0.2.99 from {addr1}"));
    assert!(reply.contains("dev ppp1"), "{reply}");

    let show = netns.hook(&["show"]);
    assert_ok(&show, "show");
    let show = text(&show.stdout);
    assert!(
        show.contains("ip rule: from 203.0.113.5/32 lookup 100 priority 200")
            && show.contains("ip rule: from 198.51.100.7/32 lookup 101 priority 201")
            && show.contains("ip route: default dev ppp1 src 198.51.100.7 table 101"),
        "{show}"
    );

    assert_ok(&run(&netns, &down("ppp1", addr1)), "down ppp1");
    let rules = netns.rules();
    assert!(rules.contains(&rule_line(200, ADDR, 100)), "{rules}");
    assert!(!rules.contains(addr1), "{rules}");
    assert!(netns.table(100).contains("dev ppp0"));
    assert_eq!(netns.table(101), "");

    // Two pppd instances run their scripts at the same time: no collision.
    let both = |mode: &str| {
        netns.sh(&format!(
            "env -i {BIN} {mode} ppp0 eth0 0 {ADDR} {PEER} '' & a=$!; \
             env -i {BIN} {mode} ppp1 eth0 0 {addr1} {PEER} '' & b=$!; \
             wait $a && wait $b"
        ))
    };
    for _ in 0..5 {
        both("down");
        let rules = netns.rules();
        assert!(!rules.contains(ADDR) && !rules.contains(addr1), "{rules}");
        both("up");
        let rules = netns.rules();
        assert!(rules.contains(&rule_line(200, ADDR, 100)), "{rules}");
        assert!(rules.contains(&rule_line(201, addr1, 101)), "{rules}");
        assert!(netns.table(100).contains("dev ppp0"));
        assert!(netns.table(101).contains("dev ppp1"));
    }
}

#[test]
fn config_file_overrides_the_scheme_and_flags_override_the_file() {
    require_root!();
    let netns = Netns::new("config");
    let dir = TempDir::new("config");
    let config = dir.0.join("rule.conf");
    fs::write(&config, "# test\n[ppp1]\ntable = 150\npriority = 250\n").unwrap();
    let config = config.to_str().unwrap();
    netns.add_ppp("ppp1", ADDR);
    let output = netns.hook(&["-c", config, "up", "ppp1", "eth0", "0", ADDR, PEER]);
    assert_ok(&output, "up with config");
    assert!(netns.rules().contains(&rule_line(250, ADDR, 150)));
    assert!(netns.table(150).contains("dev ppp1"));
    let output = netns.hook(&[
        "-c", config, "--table", "160", "down", "ppp1", "eth0", "0", ADDR, PEER,
    ]);
    assert_ok(&output, "down with another table");
    assert!(
        netns.rules().contains(&rule_line(250, ADDR, 150)),
        "down --table 160 must not touch table 150's rule"
    );
    assert_ok(
        &netns.hook(&["-c", config, "down", "ppp1", "eth0", "0", ADDR, PEER]),
        "down",
    );
    assert!(!netns.rules().contains(ADDR));

    fs::write(dir.0.join("bad.conf"), "table = 100\nbogus = 1\n").unwrap();
    let bad = dir.0.join("bad.conf");
    let output = netns.hook(&[
        "-v",
        "-c",
        bad.to_str().unwrap(),
        "up",
        "ppp1",
        "eth0",
        "0",
        ADDR,
        PEER,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("line 2"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn environment_fallback_and_mode_from_the_ip_up_d_path() {
    require_root!();
    let netns = Netns::new("env");
    netns.add_ppp("ppp0", ADDR);
    let dir = TempDir::new("env");
    for script_dir in ["ip-up.d", "ip-down.d"] {
        fs::create_dir(dir.0.join(script_dir)).unwrap();
        symlink(BIN, dir.0.join(script_dir).join("10-rule")).unwrap();
    }
    let env = ["IFNAME=ppp0", "IPLOCAL=203.0.113.5", "UNIT=0"];
    let output = netns.hook_as(&dir.0.join("ip-up.d/10-rule"), &env, &[]);
    assert_ok(&output, "up from IFNAME/IPLOCAL");
    assert!(netns.rules().contains(&rule_line(200, ADDR, 100)));
    let output = netns.hook_as(&dir.0.join("ip-down.d/10-rule"), &env, &[]);
    assert_ok(&output, "down from IFNAME/IPLOCAL");
    assert!(!netns.rules().contains(ADDR));
}

#[test]
fn bad_input_fails_loudly_and_changes_nothing() {
    require_root!();
    let netns = Netns::new("bad");
    netns.add_ppp("ppp0", ADDR);
    let before = (netns.rules(), netns.table(100));
    let cases: [(&[&str], i32, &[&str]); 7] = [
        (
            &["-v", "up", "ppp0", "eth0", "0", "", PEER, ""],
            2,
            &["ppp0", "no local address"],
        ),
        (
            &["-v", "up", "ppp0", "eth0", "0", "203.0.113.300", PEER],
            2,
            &["ppp0", "203.0.113.300"],
        ),
        (
            &["-v", "up", "ppp0", "eth0", "0", "0.0.0.0", PEER],
            2,
            &["ppp0", "0.0.0.0"],
        ),
        (
            &["-v", "up", "ppp3", "eth0", "0", ADDR, PEER],
            1,
            &["ppp3", ADDR, "does not exist"],
        ),
        (
            &["-v", "up", "ppp0", "eth0", "0", "198.51.100.99", PEER],
            1,
            &["ppp0", "198.51.100.99", "not an address of ppp0"],
        ),
        (&["-v", "up", "ppp0", "eth0", "0"], 2, &["5 or 6"]),
        (&["-v", "ppp0", "eth0", "0", ADDR, PEER], 2, &["up", "down"]),
    ];
    for (args, status, needles) in cases {
        let output = netns.hook(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(status), "{args:?}: {stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{args:?}: {needle:?} in {stderr}");
        }
        assert_eq!((netns.rules(), netns.table(100)), before, "{args:?}");
    }
    // Without -v and without a terminal nothing goes to stderr.
    let output = netns.hook(&["up", "ppp3", "eth0", "0", ADDR, PEER]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stderr.is_empty());
}

#[test]
fn route_refused_after_the_rule_went_in_rolls_the_rule_back() {
    require_root!();
    let netns = Netns::new("rollback");
    netns.add_ppp("ppp0", ADDR);
    // The address is there but the link is down: the rule is accepted,
    // the route is refused (ENETDOWN).
    netns.sh("ip link set ppp0 down");
    let before = netns.rules();
    let output = netns.hook(&["-v", "up", "ppp0", "eth0", "0", ADDR, PEER]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ip route add default dev ppp0 src 203.0.113.5 table 100")
            && stderr
                .contains("rolled back: ip rule del from 203.0.113.5/32 lookup 100 priority 200"),
        "{stderr}"
    );
    assert_eq!(netns.rules(), before, "rule must be rolled back");
    assert_eq!(netns.table(100), "");
}

#[test]
fn dry_run_prints_ip_commands_changes_nothing_and_needs_no_root() {
    require_root!();
    let netns = Netns::new("dry");
    netns.add_ppp("ppp0", ADDR);
    let before = netns.rules();
    let output = netns.sh_output(&format!(
        "setpriv --reuid=65534 --regid=65534 --clear-groups env -i {BIN} --dry-run up ppp0 eth0 0 {ADDR} {PEER} ''"
    ));
    assert_ok(&output, "dry run as nobody");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("ip rule add from 203.0.113.5/32 lookup 100 priority 200\n")
            && stdout.contains("ip route add default dev ppp0 src 203.0.113.5 table 100\n")
            // nobody may not read nftables: planned as if our table were absent.
            && stdout.contains("nft add table ip rs-pppoe-rule-ppp0 ")
            && stdout.contains("ip rule add fwmark 0x1000000/0xf000000 lookup 100 priority 300\n"),
        "{stdout}"
    );
    assert_eq!(netns.rules(), before);
    assert_eq!(netns.table(100), "");
    // After a real up the dry run has nothing to do.
    assert_ok(&run(&netns, &up("ppp0", ADDR)), "up");
    let output = netns.hook(&["-n", "up", "ppp0", "eth0", "0", ADDR, PEER]);
    assert!(text(&output.stdout).contains("nothing to do"));
    let output = netns.hook(&["-n", "down", "ppp0", "eth0", "0", ADDR, PEER]);
    assert!(
        text(&output.stdout).contains("ip rule del from 203.0.113.5/32 lookup 100 priority 200")
    );
    assert!(
        netns.rules().contains(&rule_line(200, ADDR, 100)),
        "dry down kept it"
    );
}

#[test]
fn messages_reach_syslog_and_a_missing_syslog_is_harmless() {
    require_root!();
    let netns = Netns::new("syslog");
    netns.add_ppp("ppp0", ADDR);
    let dir = TempDir::new("syslog");
    let socket_path = dir.0.join("log");
    let syslog = UnixDatagram::bind(&socket_path).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let socket = socket_path.to_str().unwrap();
    let output = netns.hook(&[
        "--syslog-socket",
        socket,
        "up",
        "ppp3",
        "eth0",
        "0",
        ADDR,
        PEER,
    ]);
    assert_eq!(output.status.code(), Some(1));
    let mut buffer = [0u8; 2048];
    let size = syslog.recv(&mut buffer).expect("a syslog message");
    let message = text(&buffer[..size]);
    // <27> = facility daemon (3) * 8 + severity err (3).
    assert!(message.starts_with("<27>"), "{message}");
    assert!(
        message.contains("rs-pppoe-rule[") && message.contains("ppp3") && message.contains(ADDR),
        "{message}"
    );
    let output = netns.hook(&[
        "--syslog-socket",
        socket,
        "up",
        "ppp0",
        "eth0",
        "0",
        ADDR,
        PEER,
    ]);
    assert_ok(&output, "up");
    let size = syslog.recv(&mut buffer).expect("a syslog message");
    let message = text(&buffer[..size]);
    assert!(
        message.starts_with("<30>"),
        "info is daemon.info: {message}"
    );
    // No syslog daemon at all: still works.
    let output = netns.hook(&[
        "--syslog-socket",
        "/nonexistent/log",
        "down",
        "ppp0",
        "eth0",
        "0",
        ADDR,
        PEER,
    ]);
    assert_ok(&output, "down without syslog");
    assert!(!netns.rules().contains(ADDR));
}

/// Debian's real `/etc/ppp/ip-up` and `ip-down` with our binary in
/// `ip-up.d`/`ip-down.d`, bind-mounted over the real directories inside a
/// private mount namespace (the host's /etc/ppp is never touched).
#[test]
fn debian_dispatcher_runs_10_rule_and_skips_10_rule_sh() {
    require_root!();
    if !Path::new("/etc/ppp/ip-up").exists() || !Path::new("/etc/ppp/ip-up.d").is_dir() {
        eprintln!("skipped: Debian's ppp package (/etc/ppp/ip-up) is not installed");
        return;
    }
    if Path::new("/etc/ppp/ip-up.local").exists() || Path::new("/etc/ppp/ip-down.local").exists() {
        eprintln!("skipped: ip-up.local/ip-down.local replace run-parts on this host");
        return;
    }
    let netns = Netns::new("debian");
    netns.add_ppp("ppp0", ADDR);
    let dir = TempDir::new("debian");
    let marker = dir.0.join("dot-sh-ran");
    for script_dir in ["ip-up.d", "ip-down.d"] {
        let path = dir.0.join(script_dir);
        fs::create_dir(&path).unwrap();
        // The Debian name (cargo xtask install puts a copy there).
        symlink(BIN, path.join("10-rule")).unwrap();
        // Arch's name: run-parts must skip it (names with a dot).
        let dot_sh = path.join("10-rule.sh");
        fs::write(&dot_sh, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
        fs::set_permissions(&dot_sh, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let listed = netns.sh(&format!("run-parts --test {}/ip-up.d", dir.0.display()));
    assert_eq!(
        listed.trim(),
        format!("{}/ip-up.d/10-rule", dir.0.display())
    );

    let dispatch = |script: &str| {
        netns.sh_output(&format!(
            "unshare --mount --propagation private sh -c '\
             mount --bind {dir}/ip-up.d /etc/ppp/ip-up.d && \
             mount --bind {dir}/ip-down.d /etc/ppp/ip-down.d && \
             env -i /etc/ppp/{script} ppp0 eth0 0 {ADDR} {PEER} \"\"'",
            dir = dir.0.display()
        ))
    };
    let output = dispatch("ip-up");
    assert_ok(&output, "/etc/ppp/ip-up");
    assert!(
        netns.rules().contains(&rule_line(200, ADDR, 100)),
        "{}",
        netns.rules()
    );
    assert!(netns.table(100).contains("dev ppp0"));
    assert!(!marker.exists(), "run-parts ran 10-rule.sh");

    let output = dispatch("ip-down");
    assert_ok(&output, "/etc/ppp/ip-down");
    assert!(!netns.rules().contains(ADDR), "{}", netns.rules());
    assert_eq!(netns.table(100), "");
    assert!(!marker.exists(), "run-parts ran 10-rule.sh");
    // The host's real directories were never changed.
    assert!(!Path::new("/etc/ppp/ip-up.d/10-rule").exists());
}
