//! `rs-pppoe-discovery` against Debian's `pppoe-server` in network
//! namespaces (root only; skipped with a notice otherwise).
//!
//! Each test builds its own lab (see `netns_discovery/lab.rs`): an AC
//! namespace and a client namespace joined by a veth pair, torn down on
//! drop even when the test fails.

#[path = "netns_discovery/lab.rs"]
mod lab;

use std::time::Duration;

use lab::{AC_IF, AC_MAC, BIN, CL_IF, CL_MAC, dump_summaries, finish};

const DASHES: &str = "--------------------------------------------------";

fn offers_listed(stdout: &str) -> usize {
    stdout.matches("Access-Concentrator: ").count()
}

#[test]
fn one_ac_is_listed_with_its_name_services_cookie_and_mac() {
    let Some(mut lab) = lab::lab("one") else {
        return;
    };
    lab.start_server(
        AC_IF,
        &["-C", "rsp-test-ac", "-S", "internet", "-S", "voip"],
    );

    let run = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "1"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(offers_listed(&run.stdout), 1, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "Access-Concentrator: rsp-test-ac", "{run:?}");
    assert_eq!(lines[1], "Service-Name: internet");
    assert_eq!(lines[2], "Service-Name: voip");
    assert!(lines[3].starts_with("Cookie: "), "{run:?}");
    assert_eq!(lines[4], format!("AC-Ethernet-Address: {AC_MAC}"));
    assert_eq!(lines[5], DASHES);

    let json = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "1", "--json"]);
    assert_eq!(json.status, 0, "{json:?}");
    assert_eq!(
        json.stdout.lines().count(),
        1,
        "one JSON object per offer: {json:?}"
    );
    let expected_start = format!(
        "{{\"ac_name\":\"rsp-test-ac\",\"ac_mac\":\"{AC_MAC}\",\
         \"service_names\":[\"internet\",\"voip\"],\"cookie\":\""
    );
    assert!(json.stdout.starts_with(&expected_start), "{json:?}");
    assert!(
        json.stdout
            .ends_with(",\"relay_id\":null,\"max_payload\":null}\n"),
        "{json:?}"
    );

    let quiet = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "1", "-Q"]);
    assert_eq!((quiet.status, quiet.stdout.as_str()), (0, ""), "{quiet:?}");
}

#[test]
fn two_acs_are_told_apart_by_ac_name_and_by_service() {
    let Some(mut lab) = lab::lab("two") else {
        return;
    };
    let (one_mac, two_mac) = ("02:00:00:00:0a:11", "02:00:00:00:0a:22");
    lab.add_ac_interface("mv-one", one_mac);
    lab.add_ac_interface("mv-two", two_mac);
    lab.start_server("mv-one", &["-C", "ac-one", "-S", "internet"]);
    lab.start_server("mv-two", &["-C", "ac-two", "-S", "voip"]);
    let list = |extra: &[&str]| {
        let mut args = vec!["-I", CL_IF, "-t", "1", "-a", "1"];
        args.extend_from_slice(extra);
        lab.discovery(&args)
    };

    let both = list(&[]);
    assert_eq!(both.status, 0, "{both:?}");
    assert_eq!(offers_listed(&both.stdout), 2, "{both:?}");
    assert!(
        both.stdout.contains("Access-Concentrator: ac-one"),
        "{both:?}"
    );
    assert!(
        both.stdout.contains("Access-Concentrator: ac-two"),
        "{both:?}"
    );

    for (filter, name, service, mac) in [
        (["-C", "ac-one"], "ac-one", "internet", one_mac),
        (["-C", "ac-two"], "ac-two", "voip", two_mac),
        (["-S", "internet"], "ac-one", "internet", one_mac),
        (["-S", "voip"], "ac-two", "voip", two_mac),
    ] {
        let run = list(&filter);
        assert_eq!(run.status, 0, "{filter:?}: {run:?}");
        assert_eq!(offers_listed(&run.stdout), 1, "{filter:?}: {run:?}");
        assert!(
            run.stdout.starts_with(&format!(
                "Access-Concentrator: {name}\nService-Name: {service}\n"
            )),
            "{filter:?}: {run:?}"
        );
        assert!(
            run.stdout
                .contains(&format!("AC-Ethernet-Address: {mac}\n")),
            "{filter:?}: {run:?}"
        );
    }

    let nobody = list(&["-C", "ac-three"]);
    assert_eq!(nobody.status, 1, "{nobody:?}");
    assert_eq!(nobody.stdout, "", "a refused offer is never listed");
    assert!(nobody.stderr.contains("none matched"), "{nobody:?}");
    assert!(
        nobody
            .stderr
            .contains(&format!("ignoring frame from {one_mac}: AC-Name 'ac-one'")),
        "each refusal names its source and reason: {nobody:?}"
    );
    // The last line says what was asked and what each AC offers instead.
    let last = nobody.stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with(&format!(
            "rs-pppoe-discovery: discovery on {CL_IF}: 1 PADI sent; 2 PPPoE frames from 2 other \
             hosts; refused: 2 not matching -C 'ac-three' ("
        )),
        "{nobody:?}"
    );
    for offered in [
        format!("{one_mac}: 'ac-one' offers 'internet'"),
        format!("{two_mac}: 'ac-two' offers 'voip'"),
    ] {
        assert!(last.contains(&offered), "{offered}: {nobody:?}");
    }
}

#[test]
fn with_no_ac_it_gives_up_after_the_scheduled_attempts() {
    let Some(lab) = lab::lab("none") else { return };
    let dump = lab.path("dump.txt");
    let run = lab.discovery(&[
        "-I",
        CL_IF,
        "-t",
        "1",
        "-a",
        "2",
        "-D",
        dump.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("no access concentrator answered"),
        "{run:?}"
    );
    // Schedule: PADI, wait 1 s, PADI, wait 2 s, give up.
    assert!(
        run.elapsed >= Duration::from_millis(2900) && run.elapsed <= Duration::from_secs(5),
        "{run:?}"
    );
    let frames = dump_summaries(&dump);
    assert_eq!(
        frames,
        vec!["SENT PPPoE Discovery (8863) PADI sess-id 0 length 12"; 2],
        "two PADIs and nothing else"
    );
}

#[test]
fn session_mode_ends_its_session_with_a_padt_that_frees_the_acs_slot() {
    let Some(mut lab) = lab::lab("session") else {
        return;
    };
    // One session slot; the stand-in pppd holds a session until PADT.
    lab.start_server(AC_IF, &["-C", "rsp-test-ac", "-S", "internet", "-N", "1"]);

    let session_line = |run: &lab::Run| {
        let (sid, mac) = run.stdout.trim_end().split_once(':').expect("SID:MAC");
        assert!(sid.parse::<u16>().is_ok_and(|s| s != 0), "{run:?}");
        assert_eq!(mac, AC_MAC, "{run:?}");
    };
    let first = lab.discovery(&["-I", CL_IF, "--session"]);
    assert_eq!(first.status, 0, "{first:?}");
    session_line(&first);
    // The only slot is free again only if the server got our PADT.
    let second = lab.discovery(&["-I", CL_IF, "--session"]);
    assert_eq!(second.status, 0, "{second:?}");
    session_line(&second);

    // Control: rp-pppoe's `pppoe -d` sends no PADT, so its session keeps the
    // slot and the next request is refused.
    let control = lab.in_client(&["pppoe", "-I", CL_IF, "-d"]);
    assert_eq!(control.status, 0, "{control:?}");
    let refused = lab.discovery(&["-I", CL_IF, "--session", "-t", "1", "-a", "1"]);
    assert_eq!(refused.status, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("No client slots available"),
        "{refused:?}"
    );
    assert!(
        refused.stderr.contains("Timeout waiting for PADS"),
        "{refused:?}"
    );

    // `--terminate` ends the session `pppoe -d` forgot (like `pppoe -k -e`)
    // and the slot is free again. pppoe-server frees it once the session's
    // pppd has exited: a PADR may be refused once more, then retried.
    let (sid, mac) = control.stdout.trim().split_once(':').expect("SID:MAC");
    assert_eq!(mac.to_ascii_lowercase(), AC_MAC, "{control:?}");
    let terminate = lab.discovery(&["-I", CL_IF, "--terminate", &format!("{sid}:{AC_MAC}")]);
    assert_eq!(terminate.status, 0, "{terminate:?}");
    assert_eq!(
        terminate.stdout,
        format!("Sent PADT for session {sid} to {AC_MAC} on {CL_IF}\n")
    );
    let again = lab.discovery(&["-I", CL_IF, "--session", "-t", "1", "-a", "3"]);
    assert_eq!(again.status, 0, "the slot is free again: {again:?}");
    session_line(&again);
}

#[test]
fn frames_for_other_hosts_are_dropped_by_the_kernel_filter() {
    let Some(mut lab) = lab::lab("filter") else {
        return;
    };
    lab.start_server(AC_IF, &["-C", "rsp-test-ac", "-S", "internet"]);
    let dump = lab.path("dump.txt");
    let (client, start) = lab.spawn_discovery(&[
        "-I",
        CL_IF,
        "-t",
        "3",
        "-a",
        "1",
        "-D",
        dump.to_str().unwrap(),
    ]);
    // From the AC side of the wire, while the client listens: a PADT to
    // another host, a PADT to us, a broadcast PADI from another client.
    let to_other = lab.in_ac(&["pppoe", "-I", AC_IF, "-k", "-e", "7:02:00:00:00:99:99"]);
    assert_eq!(to_other.status, 0, "{to_other:?}");
    let to_us = lab.in_ac(&["pppoe", "-I", AC_IF, "-k", "-e", &format!("7:{CL_MAC}")]);
    assert_eq!(to_us.status, 0, "{to_us:?}");
    let broadcast = lab.in_ac(&["pppoe-discovery", "-I", AC_IF, "-t", "1", "-a", "1"]);
    assert_ne!(broadcast.stderr, "", "sanity: that PADI went unanswered");
    let run = finish(client, start);

    assert_eq!(run.status, 0, "{run:?}");
    let mut received: Vec<String> = dump_summaries(&dump)
        .into_iter()
        .filter(|l| l.starts_with("RCVD"))
        .collect();
    received.sort();
    assert_eq!(
        received,
        vec![
            "RCVD PPPoE Discovery (8863) PADO sess-id 0 length 59".to_owned(),
            "RCVD PPPoE Discovery (8863) PADT sess-id 7 length 37".to_owned(),
        ],
        "only frames addressed to {CL_MAC} reach the socket"
    );
    assert!(
        run.stderr
            .contains(&format!("ignoring frame from {AC_MAC}: unexpected PADT")),
        "{run:?}"
    );
}

#[test]
fn unusable_interfaces_and_missing_privileges_exit_2_with_a_clear_reason() {
    let Some(lab) = lab::lab("errors") else {
        return;
    };
    for (ifname, reason) in [
        ("nope0", "no such interface: \"nope0\""),
        ("sixteen-bytes-xx", "is 16 bytes long"),
        ("lo", "\"lo\" is not an Ethernet interface"),
    ] {
        let run = lab.discovery(&["-I", ifname]);
        assert_eq!(run.status, 2, "{ifname}: {run:?}");
        assert!(run.stderr.contains(reason), "{ifname}: {run:?}");
        assert!(
            run.elapsed < Duration::from_secs(3),
            "fails at once, without waiting for the 5 s timeout: {run:?}"
        );
    }
    let unprivileged = lab.in_client(&["setpriv", "--bounding-set=-net_raw", BIN, "-I", CL_IF]);
    assert_eq!(unprivileged.status, 2, "{unprivileged:?}");
    assert!(
        unprivileged
            .stderr
            .contains("needs CAP_NET_RAW (run as root)"),
        "{unprivileged:?}"
    );
}

#[test]
fn bad_command_lines_exit_2_before_touching_the_network() {
    for args in [
        &[][..],
        &["-I", "eth0", "-t", "0"],
        &["-I", "eth0", "-a", "17"],
        &["-I", "eth0", "-W", "abc"],
        &["-I", "eth0", "extra"],
    ] {
        let out = std::process::Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("rs-pppoe-discovery: "),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("-h' for help"), "{args:?}: {stderr}");
    }
    let help = std::process::Command::new(BIN).arg("-h").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("Usage: rs-pppoe-discovery -I"));
}

#[test]
fn forged_offers_are_refused_with_reasons_and_leak_nothing_into_the_padr() {
    let Some(mut lab) = lab::lab("forged") else {
        return;
    };
    let evil_mac = "02:00:00:00:0e:01";
    lab.add_ac_interface("mv-evil", evil_mac);
    let forger = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/netns_discovery/forge_pado.py"
    );
    let flood = lab.spawn_in_ac(&["python3", forger, "mv-evil", CL_MAC, "72737070", "8"]);

    // Only forgeries answer the first PADI; the real AC starts during that
    // first 1 s wait and answers the second one.
    let dump = lab.path("forged-dump.txt");
    let dump_arg = dump.to_str().expect("utf-8 path");
    let (client, start) = lab.spawn_discovery(&[
        "-I",
        CL_IF,
        "-W",
        "72737070",
        "-C",
        "rsp-test-ac",
        "-t",
        "1",
        "-a",
        "3",
        "--session",
        "-D",
        dump_arg,
    ]);
    lab.start_server(AC_IF, &["-C", "rsp-test-ac", "-S", "internet"]);
    let run = finish(client, start);
    drop(flood);

    assert_eq!(run.status, 0, "{run:?}");
    let ac = run.stdout.trim_end().split_once(':').map(|(_, mac)| mac);
    assert_eq!(ac, Some(AC_MAC), "{run:?}");
    for reason in [
        "PADO: Generic-Error: forged error",
        "AC-Name 'evil-ac' is not the requested one",
        "Host-Uniq missing or not ours",
    ] {
        let line = format!("ignoring frame from {evil_mac}: {reason}");
        assert!(run.stderr.contains(&line), "{reason}: {run:?}");
    }
    // The PADR went to the real AC and echoes none of the forged tags.
    let text = std::fs::read_to_string(&dump).expect("dump file");
    let padr = text
        .split(" SENT ")
        .find(|record| record.starts_with("PPPoE Discovery (8863) PADR"))
        .expect("a PADR in the dump");
    let padr = padr.split(" RCVD ").next().unwrap_or(padr);
    assert!(padr.contains(&format!("dst {AC_MAC}")), "{padr}");
    let bytes: String = padr
        .lines()
        .filter(|line| line.starts_with("  "))
        .flat_map(|line| line.split_whitespace())
        .collect();
    assert!(
        bytes.contains("72737070"),
        "our Host-Uniq is in the PADR: {padr}"
    );
    assert!(
        !bytes.contains("6576696c"),
        "a forged tag (\"evil…\") was echoed: {padr}"
    );
}
