//! `rs-pppoe-discovery` telling the causes of "Timeout waiting for PADO"
//! apart, and its `--all` and `--probe-vlans` modes (`--terminate` is in
//! `netns_discovery.rs`, with the session test whose slot it frees), in
//! network namespaces (root only; skipped with a notice otherwise).
//!
//! Each cause gets its own one-line explanation on stderr: no carrier,
//! interface down, no AC at all, an AC only on a VLAN, ACs that answer only
//! with error tags, offers not matching `-S` (and `-C`, in
//! `netns_discovery.rs`, next to the two-AC lab it needs).

#[path = "netns_discovery/lab.rs"]
mod lab;

use std::time::Duration;

use lab::{AC_IF, AC_MAC, CL_IF, dump_summaries, finish};

const TAGGED_AC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/netns_discovery/tagged_ac.py"
);

/// The last line on stderr: the explanation.
fn last_line(stderr: &str) -> &str {
    stderr.lines().last().unwrap_or("")
}

#[test]
fn no_carrier_and_admin_down_are_said_at_once_and_during_discovery() {
    let Some(lab) = lab::lab("link") else {
        return;
    };
    // The AC's end of the cable is down: our veth has no carrier.
    lab.set_link(false, AC_IF, "down");
    let run = lab.discovery(&["-I", CL_IF]);
    assert_eq!(run.status, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "rs-pppoe-discovery: {CL_IF} has no carrier: is the cable to the gateway plugged \
             in, and is the gateway on?\n"
        )
    );
    assert!(run.elapsed < Duration::from_secs(1), "{run:?}");
    assert_eq!(run.stdout, "");

    // Our own end is down.
    lab.set_link(true, CL_IF, "down");
    let run = lab.discovery(&["-I", CL_IF]);
    assert_eq!(run.status, 2, "{run:?}");
    assert!(
        run.stderr
            .starts_with(&format!("rs-pppoe-discovery: {CL_IF} is down: bring it up")),
        "{run:?}"
    );
    assert!(run.elapsed < Duration::from_secs(1), "{run:?}");

    // The cable goes while discovery waits: the kernel drops the next
    // PADIs silently, and the explanation is still the carrier, not "no
    // PPPoE frame from any host".
    lab.set_link(true, CL_IF, "up");
    lab.set_link(false, AC_IF, "up");
    let (client, start) = lab.spawn_discovery(&["-I", CL_IF, "-t", "1", "-a", "2"]);
    lab.set_link(false, AC_IF, "down");
    let run = finish(client, start);
    assert_eq!(run.status, 1, "{run:?}");
    assert_eq!(
        last_line(&run.stderr),
        format!(
            "rs-pppoe-discovery: {CL_IF} has no carrier: is the cable to the gateway plugged \
             in, and is the gateway on?"
        ),
        "{run:?}"
    );
    assert!(!run.stderr.contains("buffer space"), "{run:?}");
}

#[test]
fn with_no_ac_the_cause_is_no_frame_from_any_host() {
    let Some(lab) = lab::lab("silent") else {
        return;
    };
    let run = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "1"]);
    assert_eq!(run.status, 1, "{run:?}");
    assert_eq!(
        last_line(&run.stderr),
        format!(
            "rs-pppoe-discovery: discovery on {CL_IF}: 1 PADI sent; no PPPoE frame from any \
             host on {CL_IF} (is the gateway's PPPoE bridge on, and is {CL_IF} the port facing \
             it?)"
        )
    );
}

#[test]
fn an_ac_only_on_vlan_35_is_hinted_at_and_found_by_probe_vlans() {
    let Some(lab) = lab::lab("vlan35") else {
        return;
    };
    // Passively: its answers come back tagged for VLAN 35. They are not
    // offers on the untagged interface, but they name the VLAN.
    let ac = lab.spawn_in_ac(&["python3", TAGGED_AC, AC_IF, "ac-on-35", "--leak", "35"]);
    let run = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "2"]);
    drop(ac);
    assert_eq!(run.status, 1, "{run:?}");
    assert_eq!(run.stdout, "", "a tagged answer is not an offer: {run:?}");
    assert_eq!(
        last_line(&run.stderr),
        format!(
            "rs-pppoe-discovery: discovery on {CL_IF}: 2 PADIs sent; no PPPoE frame from any \
             host on {CL_IF}; PPPoE answers were seen on VLAN 35: try the interface {CL_IF}.35"
        )
    );

    // Actively: tagged PADIs on a list of VLANs; only VLAN 35 answers.
    let ac = lab.spawn_in_ac(&["python3", TAGGED_AC, AC_IF, "ac-on-35", "--vlan", "35"]);
    let run = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "1", "--probe-vlans=7,35,100"]);
    let json = lab.discovery(&[
        "-I",
        CL_IF,
        "-t",
        "1",
        "-a",
        "1",
        "--probe-vlans=7,35",
        "--json",
    ]);
    let defaults = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "1", "--probe-vlans"]);
    drop(ac);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "VLAN: 35\nAccess-Concentrator: ac-on-35\nService-Name: \nCookie: 63 6f 6f 6b 69 \
             65 2d 61 63 2d 6f 6e 2d 33 35\nAC-Ethernet-Address: {AC_MAC}\n{}\n",
            "-".repeat(50)
        )
    );
    assert!(
        run.stderr.contains(&format!(
            "an access concentrator answered on VLAN 35: use the interface {CL_IF}.35"
        )),
        "{run:?}"
    );
    assert_eq!(json.status, 0, "{json:?}");
    let lines: Vec<&str> = json.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "untagged, 7, 35: {json:?}");
    assert_eq!(
        lines[0],
        format!("{{\"interface\":\"{CL_IF}\",\"vlan\":null,\"offers\":[]}}")
    );
    assert_eq!(
        lines[1],
        format!("{{\"interface\":\"{CL_IF}\",\"vlan\":7,\"offers\":[]}}")
    );
    assert!(
        lines[2].starts_with(&format!(
            "{{\"interface\":\"{CL_IF}\",\"vlan\":35,\"offers\":[{{\"ac_name\":\"ac-on-35\",\
             \"ac_mac\":\"{AC_MAC}\""
        )),
        "{json:?}"
    );
    assert_eq!(
        defaults.status, 0,
        "35 is in the default list: {defaults:?}"
    );
    assert!(defaults.stdout.starts_with("VLAN: 35\n"), "{defaults:?}");
}

#[test]
fn a_pado_tagged_for_vlan_7_is_not_listed_on_the_untagged_interface() {
    let Some(lab) = lab::lab("vlan7") else {
        return;
    };
    let ac = lab.spawn_in_ac(&["python3", TAGGED_AC, AC_IF, "only-on-7", "--leak", "7"]);
    let dump = lab.path("dump.txt");
    let run = lab.discovery(&[
        "-I",
        CL_IF,
        "-t",
        "1",
        "-a",
        "1",
        "-D",
        dump.to_str().unwrap(),
    ]);
    drop(ac);
    assert_eq!(run.status, 1, "{run:?}");
    assert_eq!(run.stdout, "", "the AC exists only on VLAN 7: {run:?}");
    assert!(
        last_line(&run.stderr)
            .ends_with("PPPoE answers were seen on VLAN 7: try the interface veth-cl.7"),
        "{run:?}"
    );
    assert_eq!(
        dump_summaries(&dump),
        vec!["SENT PPPoE Discovery (8863) PADI sess-id 0 length 12"],
        "the kernel filter kept the tagged PADO from the discovery socket"
    );
}

#[test]
fn acs_that_only_answer_with_error_tags_are_quoted_and_not_flooded() {
    let Some(lab) = lab::lab("errors") else {
        return;
    };
    let ac = lab.spawn_in_ac(&[
        "python3",
        TAGGED_AC,
        AC_IF,
        "busy-ac",
        "--errors",
        "Out of sessions\n",
        "--burst",
        "50",
    ]);
    let run = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "2"]);
    drop(ac);
    assert_eq!(run.status, 1, "{run:?}");
    assert_eq!(
        last_line(&run.stderr),
        format!(
            "rs-pppoe-discovery: discovery on {CL_IF}: 2 PADIs sent; 100 PPPoE frames from 1 \
             other host; refused: 100 with an error tag ({AC_MAC}: PADO: AC-System-Error: \
             'Out of sessions\\x0a')"
        )
    );
    let per_frame = run
        .stderr
        .lines()
        .filter(|l| l.contains("ignoring frame from"))
        .count();
    assert_eq!(per_frame, 5, "a burst of lines, then held back: {run:?}");
    assert!(
        run.stderr.contains("95 more refused frames were not shown"),
        "{run:?}"
    );
}

#[test]
fn offers_of_other_services_are_named_when_none_matches_s() {
    let Some(lab) = lab::lab("service") else {
        return;
    };
    let ac = lab.spawn_in_ac(&[
        "python3",
        TAGGED_AC,
        AC_IF,
        "bras-7",
        "--plain",
        "--services",
        "internet,voip",
    ]);
    let run = lab.discovery(&["-I", CL_IF, "-t", "1", "-a", "1", "-S", "iptv"]);
    drop(ac);
    assert_eq!(run.status, 1, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert_eq!(
        last_line(&run.stderr),
        format!(
            "rs-pppoe-discovery: discovery on {CL_IF}: 1 PADI sent; 1 PPPoE frame from 1 other \
             host; refused: 1 not matching -S 'iptv' ({AC_MAC}: 'bras-7' offers 'internet', \
             'voip')"
        )
    );
}

#[test]
fn a_flood_of_forged_offers_neither_delays_the_end_nor_floods_stderr() {
    let Some(lab) = lab::lab("flood") else {
        return;
    };
    let evil_mac = "02:00:00:00:0e:01";
    lab.add_ac_interface("mv-evil", evil_mac);
    let forger = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/netns_discovery/forge_pado.py"
    );
    let flood = lab.spawn_in_ac(&[
        "python3",
        forger,
        "mv-evil",
        lab::CL_MAC,
        "72737070",
        "10",
        "--flood",
    ]);
    let run = lab.discovery(&[
        "-I",
        CL_IF,
        "-W",
        "72737070",
        "-C",
        "rsp-test-ac",
        "-t",
        "1",
        "-a",
        "2",
    ]);
    drop(flood);
    assert_eq!(run.status, 1, "{run:?}");
    assert!(
        run.elapsed < Duration::from_secs(6),
        "the 1 + 2 s schedule holds under the flood: {run:?}"
    );
    let lines = run.stderr.lines().count();
    assert!(lines < 30, "{lines} lines on stderr: {run:?}");
    assert!(
        run.stderr.contains("more refused frames were not shown"),
        "{run:?}"
    );
    let last = last_line(&run.stderr);
    for words in [
        "with a wrong or missing Host-Uniq",
        "with an error tag",
        "not matching -C 'rsp-test-ac'",
    ] {
        assert!(last.contains(words), "{words}: {run:?}");
    }
}

#[test]
fn all_lists_per_interface_which_acs_answered() {
    let Some(mut lab) = lab::lab("all") else {
        return;
    };
    lab.start_server(AC_IF, &["-C", "rsp-test-ac", "-S", "internet"]);
    // A second port with nothing behind it, and a third that is down.
    lab.add_link("veth-cl2", "02:00:00:00:0c:02", "veth-ac2");
    lab.add_link("veth-cl3", "02:00:00:00:0c:03", "veth-ac3");
    lab.set_link(true, "veth-cl3", "down");

    let run = lab.discovery(&["--all", "-t", "1", "-a", "1"]);
    assert_eq!(run.status, 0, "{run:?}");
    let text = &run.stdout;
    let first = text
        .find(&format!(
            "Interface: {CL_IF}\nAccess-Concentrator: rsp-test-ac\nService-Name: internet\n"
        ))
        .unwrap_or_else(|| panic!("{run:?}"));
    assert!(
        text[first..].contains(&format!("AC-Ethernet-Address: {AC_MAC}\n")),
        "{run:?}"
    );
    assert!(
        text.contains(
            "Interface: veth-cl2\nNo access concentrator answered: discovery on veth-cl2: 1 PADI \
             sent; no PPPoE frame from any host on veth-cl2"
        ),
        "{run:?}"
    );
    assert!(
        !text.contains("veth-cl3"),
        "a down port is not probed: {run:?}"
    );
    assert!(
        run.elapsed < Duration::from_secs(3),
        "both probed at once, one 1 s wait: {run:?}"
    );

    let json = lab.discovery(&["--all", "-t", "1", "-a", "1", "--json"]);
    assert_eq!(json.status, 0, "{json:?}");
    let mut lines: Vec<&str> = json.stdout.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 2, "{json:?}");
    assert!(
        lines[0].starts_with(&format!(
            "{{\"interface\":\"{CL_IF}\",\"offers\":[{{\"ac_name\":\"rsp-test-ac\",\"ac_mac\":\
             \"{AC_MAC}\",\"service_names\":[\"internet\"]"
        )),
        "{json:?}"
    );
    assert!(
        lines[0].ends_with(",\"error\":null,\"diagnosis\":null}"),
        "{json:?}"
    );
    assert!(
        lines[1].starts_with("{\"interface\":\"veth-cl2\",\"offers\":[],\"error\":null,\"diagnosis\":\"discovery on veth-cl2: 1 PADI sent; no PPPoE frame"),
        "{json:?}"
    );
}
