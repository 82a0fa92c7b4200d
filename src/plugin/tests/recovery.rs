//! Session records: which sessions get a PADT and which are left alone.
//!
//! "Another pppd that still runs" is a second open file description of its
//! record holding the lock ([`HeldRecord`] from the store); "a pppd that
//! died" is that description closed. Both conflict with the plugin's own
//! `flock` exactly as another process's would.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;
use crate::session_record::{Claim, HeldRecord, RecordStore, claim};
use crate::sys::dir::Dir;

/// Records in `dir` whose lock another open file description holds.
pub(super) fn held_records(dir: &Path) -> usize {
    let Ok(opened) = Dir::open(dir) else { return 0 };
    opened
        .names()
        .unwrap_or_default()
        .iter()
        .filter_map(|name| name.to_str())
        .filter(|name| matches!(claim(&opened, name), Ok(Claim::Held)))
        .count()
}

/// A record of a pppd that still runs: locked as long as the result lives.
fn running_pppd(scratch: &Scratch, record: &SessionRecord) -> HeldRecord {
    RecordStore::new(scratch.records()).save(record).unwrap()
}

/// A record of a pppd that was killed: its lock went with its descriptor.
fn killed_pppd(scratch: &Scratch, record: &SessionRecord) {
    drop(running_pppd(scratch, record));
}

fn padt_sessions(plugin: &Plugin<FakeHost, FakeNet>) -> Vec<u16> {
    plugin.net().padts().iter().map(|f| f.session_id).collect()
}

/// Another pppd on the same interface (its own pid, hence Host-Uniq).
fn other_plugin(scratch: &Scratch, pid: u32, session_id: u16) -> Plugin<FakeHost, FakeNet> {
    let mut net = FakeNet::default();
    net.outcomes.push_back(Ok(Outcome::Established(Session {
        session_id,
        ..session(None)
    })));
    let host = FakeHost {
        pid,
        ..FakeHost::default()
    };
    let mut plugin = Plugin::with_records(host, net, scratch.places());
    plugin
        .check_options(&RawOptions::defaults(), "eth0")
        .unwrap();
    plugin
}

fn connected(scratch: &Scratch) -> Plugin<FakeHost, FakeNet> {
    let mut net = FakeNet::default();
    established(&mut net, None);
    let mut plugin = plugin(scratch, net);
    plugin.connect().expect("session up");
    plugin
}

fn legacy_record(session_id: u16) -> String {
    format!(
        "# rs-pppoe session record; removed when the session ends\nversion=1\npid=31337\n\
         comm=pppd\ninterface=eth0\nsession={session_id}\nac_mac={AC_MAC}\nour_mac={OUR_MAC}\n\
         host_uniq=01020304\n"
    )
}

fn attached(session_id: u16) -> AttachedSession {
    AttachedSession {
        session_id,
        peer_mac: AC_MAC.0,
        interface: "eth0".into(),
    }
}

#[test]
fn a_live_session_has_a_private_locked_record_without_secrets() {
    let scratch = Scratch::new("rec-live");
    let mut plugin = connected(&scratch);

    let names = scratch.record_names();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("eth0:42:02ac0000000f:"), "{names:?}");
    assert!(names[0].ends_with(".session"), "{names:?}");
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&scratch.records()), 0o700);
    let path = scratch.records().join(&names[0]);
    assert_eq!(mode(&path), 0o600);
    let text = fs::read_to_string(&path).unwrap();
    for line in [
        "version=2",
        &format!("boot_id={BOOT_ID}"),
        "pid=24271",
        "interface=eth0",
        "session=42",
        "ac_mac=02:ac:00:00:00:0f",
        "cookie=c00c",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
    }
    assert_eq!(held_records(&scratch.records()), 1, "locked while it lives");

    plugin.disconnect();
    assert!(scratch.record_names().is_empty());
}

#[test]
fn a_session_left_by_a_killed_pppd_gets_one_padt_before_discovery() {
    let scratch = Scratch::new("rec-stale");
    let stale = SessionRecord {
        relay_id: Some(vec![9]),
        ..session_record(999_999, vec![1, 2, 3, 4])
    };
    killed_pppd(&scratch, &stale);
    let mut net = FakeNet::default();
    established(&mut net, None);
    net.held_probe = Some(scratch.records());
    let mut plugin = plugin(&scratch, net);

    plugin.connect().unwrap();

    let padts = plugin.net().padts();
    assert_eq!(padts.len(), 1, "one PADT, for the stale session");
    assert_eq!(padts[0].session_id, 7);
    assert_eq!(padts[0].src, OUR_MAC);
    assert_eq!(padts[0].dst, AC_MAC);
    assert_eq!(
        padts[0].tag_value(TagType::HostUniq),
        Some(&[1, 2, 3, 4][..])
    );
    assert_eq!(padts[0].tag_value(TagType::RelaySessionId), Some(&[9][..]));
    assert_eq!(
        plugin.net().sent_before_discovery,
        [1],
        "the PADT went out before the first PADI"
    );
    assert_eq!(
        plugin.net().held_at_send,
        [1],
        "the stale record stayed locked while its PADT was sent"
    );
    let released: Vec<MacAddr> = plugin.net().configs[0]
        .released
        .iter()
        .map(|(mac, _)| *mac)
        .collect();
    assert_eq!(
        released,
        [AC_MAC],
        "discovery knows the AC is releasing a session"
    );
    assert_eq!(
        plugin.host().logged(
            "Sent PADT for stale session 7 with 02:ac:00:00:00:0f (left by pppd 999999, which \
             is gone)"
        ),
        Some(Level::Info)
    );
    let names = scratch.record_names();
    assert_eq!(names.len(), 1);
    assert!(
        names[0].starts_with("eth0:42:"),
        "only ours is left: {names:?}"
    );
}

#[test]
fn a_stale_record_whose_padt_could_not_be_sent_is_kept_for_the_next_try() {
    let scratch = Scratch::new("rec-send-fails");
    killed_pppd(&scratch, &session_record(999_999, vec![1]));
    let mut net = FakeNet {
        send_error: Some(libc::ENETDOWN),
        ..FakeNet::default()
    };
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    assert_eq!(
        plugin.host().logged("Could not send PADT for session 7"),
        Some(Level::Warn)
    );
    assert!(scratch.record_names()[1].starts_with("eth0:7:"));
    assert!(plugin.net().configs[0].released.is_empty());

    plugin.net.send_error = None;
    established(&mut plugin.net, None);
    plugin.connect().unwrap();
    assert_eq!(padt_sessions(&plugin), [42, 7], "ours, then the stale one");
}

#[test]
fn a_held_record_is_never_touched_whatever_its_pid_says() {
    let scratch = Scratch::new("rec-held");
    // The pid of a process that no longer exists (the parent `updetach`
    // left behind), and our own pid.
    let _child_of_updetach = running_pppd(&scratch, &session_record(999_999, vec![1]));
    let _same_pid = running_pppd(
        &scratch,
        &SessionRecord {
            session_id: 8,
            ..session_record(0x5ecf, vec![1])
        },
    );
    let plugin = connected(&scratch);
    assert!(padt_sessions(&plugin).is_empty());
    assert_eq!(scratch.record_names().len(), 3, "theirs and ours");
    assert!(
        plugin
            .host()
            .logged("the session's pppd still runs; leaving it")
            .is_some()
    );
}

#[test]
fn two_pppd_on_one_interface_keep_their_sessions_and_records() {
    let scratch = Scratch::new("rec-two");
    let mut a = other_plugin(&scratch, 100, 42);
    a.connect().unwrap();
    let mut b = other_plugin(&scratch, 200, 43);
    b.connect().unwrap();
    assert!(padt_sessions(&b).is_empty(), "B leaves A's session alone");
    assert_eq!(scratch.record_names().len(), 2);

    // B is killed (SIGKILL: no disconnect) and started again.
    drop(b);
    let mut b_again = other_plugin(&scratch, 201, 44);
    b_again.connect().unwrap();
    assert_eq!(padt_sessions(&b_again), [43], "only B's old session ends");
    let names = scratch.record_names();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("eth0:42:") && names[1].starts_with("eth0:44:"));

    // A stops: it removes its own record only.
    a.disconnect();
    assert_eq!(padt_sessions(&a), [42]);
    let names = scratch.record_names();
    assert_eq!(names.len(), 1);
    assert!(names[0].starts_with("eth0:44:"), "{names:?}");
    assert_eq!(held_records(&scratch.records()), 1, "B's is still held");
}

#[test]
fn a_stale_record_gets_its_padt_from_one_pppd_only() {
    let scratch = Scratch::new("rec-once");
    killed_pppd(&scratch, &session_record(999_999, vec![1]));
    let mut first = other_plugin(&scratch, 100, 42);
    let mut second = other_plugin(&scratch, 200, 43);
    first.connect().unwrap();
    second.connect().unwrap();
    assert_eq!(padt_sessions(&first), [7]);
    assert!(padt_sessions(&second).is_empty());
}

#[test]
fn a_record_from_an_earlier_boot_is_stale() {
    let scratch = Scratch::new("rec-boot");
    killed_pppd(
        &scratch,
        &SessionRecord {
            boot_id: Some("99999999-1111-4222-8333-444444444444".into()),
            ..session_record(1234, vec![1])
        },
    );
    let plugin = connected(&scratch);
    assert_eq!(padt_sessions(&plugin), [7]);
    assert!(
        plugin
            .host()
            .logged("(left by pppd 1234 before the last reboot)")
            .is_some()
    );
}

#[test]
fn no_padt_for_a_session_a_socket_on_this_host_is_attached_to() {
    let scratch = Scratch::new("rec-attached");
    killed_pppd(&scratch, &session_record(999_999, vec![1]));
    let earlier_boot = SessionRecord {
        session_id: 8,
        boot_id: Some("99999999-1111-4222-8333-444444444444".into()),
        ..session_record(1234, vec![1])
    };
    killed_pppd(&scratch, &earlier_boot);
    let mut net = FakeNet::default();
    established(&mut net, None);
    net.attached = Some(vec![attached(7), attached(8)]);
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    assert!(padt_sessions(&plugin).is_empty());
    assert!(plugin.host().logged("is in use on this host").is_some());
    let names = scratch.record_names();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names[0].starts_with("eth0:42:") && names[1].starts_with("eth0:7:"),
        "the earlier boot's record of a live session id is dropped: {names:?}"
    );
}

#[test]
fn a_version_1_record_whose_session_lives_is_left_to_its_pppd() {
    let scratch = Scratch::new("rec-v1-live");
    fs::create_dir_all(scratch.legacy()).unwrap();
    let legacy = scratch.legacy().join("eth0.session");
    fs::write(&legacy, legacy_record(7)).unwrap();
    let mut net = FakeNet::default();
    established(&mut net, None);
    net.attached = Some(vec![attached(7)]);
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    assert!(
        padt_sessions(&plugin).is_empty(),
        "the upgrade ends no session"
    );
    assert!(legacy.exists(), "its pppd removes it when the session ends");

    // /proc/net/pppoe unreadable: cannot tell, so leave it too.
    plugin.net.attached = None;
    established(&mut plugin.net, None);
    plugin.connect().unwrap();
    assert_eq!(
        padt_sessions(&plugin),
        [42],
        "our own previous session only"
    );
    assert!(legacy.exists());
    assert_eq!(
        plugin.host().logged("Cannot tell whether session 7"),
        Some(Level::Warn)
    );
}

#[test]
fn a_version_1_record_whose_session_is_gone_gets_one_padt_then_goes() {
    let scratch = Scratch::new("rec-v1-stale");
    fs::create_dir_all(scratch.legacy()).unwrap();
    fs::write(scratch.legacy().join("eth0.session"), legacy_record(7)).unwrap();
    fs::write(scratch.legacy().join("eth1.session"), legacy_record(9)).unwrap();
    let plugin = connected(&scratch);
    assert_eq!(padt_sessions(&plugin), [7]);
    assert!(
        plugin
            .host()
            .logged("(left by pppd 31337, recorded by an earlier rs-pppoe)")
            .is_some()
    );
    assert!(!scratch.legacy().join("eth0.session").exists());
    assert!(
        scratch.legacy().join("eth1.session").exists(),
        "other interfaces' records are for their own pppd"
    );
    let _second = connected(&scratch);
    assert!(padt_sessions(&_second).is_empty(), "read once");
}

#[test]
fn temporary_files_of_dead_writers_are_swept_and_writes_in_progress_are_not() {
    let scratch = Scratch::new("rec-temps");
    let store = RecordStore::new(scratch.records());
    let dir = store.open(true).unwrap().unwrap();
    dir.create_new(".tmp.00000000000000aa", 0o600).unwrap();
    let in_progress = dir.create_new(".tmp.00000000000000bb", 0o600).unwrap();
    assert!(crate::sys::dir::try_lock(&in_progress).unwrap());
    let _plugin = connected(&scratch);
    let names = scratch.record_names();
    assert!(
        !names.contains(&".tmp.00000000000000aa".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&".tmp.00000000000000bb".to_owned()),
        "{names:?}"
    );
}

#[test]
fn unreadable_records_and_records_of_other_interfaces() {
    let scratch = Scratch::new("rec-garbage");
    killed_pppd(
        &scratch,
        &SessionRecord {
            interface: "eth1".into(),
            ..session_record(999_999, vec![1])
        },
    );
    fs::write(
        scratch.records().join("eth0:7:x:1.session"),
        "version=2\nsession=\u{0}\n",
    )
    .unwrap();
    fs::write(
        scratch.records().join("eth0:9:x:2.session"),
        SessionRecord {
            interface: "eth1".into(),
            ..session_record(1, vec![1])
        }
        .to_text(),
    )
    .unwrap();
    let plugin = connected(&scratch);
    assert!(padt_sessions(&plugin).is_empty());
    assert_eq!(
        plugin.host().logged("Discarding unreadable session record"),
        Some(Level::Warn)
    );
    assert!(
        plugin
            .host()
            .logged("eth0:9:x:2.session: it is for interface eth1")
            .is_some()
    );
    let names = scratch.record_names();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("eth0:42:") && names[1].starts_with("eth1:7:"));
}

#[test]
fn a_session_another_socket_holds_is_reported_and_not_ended() {
    let scratch = Scratch::new("rec-ealready");
    let mut net = FakeNet {
        connect_error: Some(libc::EALREADY),
        ..FakeNet::default()
    };
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    assert_eq!(plugin.connect(), None);
    assert!(plugin.net().padts().is_empty(), "a PADT would end it");
    assert_eq!(
        plugin.host().logged(
            "PPPoE session 42 with 02:ac:00:00:00:0f on eth0 is held by another process on \
             this host"
        ),
        Some(Level::Error)
    );
    assert!(scratch.record_names().is_empty());
    plugin.disconnect();
    assert!(plugin.net().padts().is_empty());
}

#[test]
fn pppoe_sess_mode_leaves_session_records_alone() {
    let scratch = Scratch::new("rec-sess");
    killed_pppd(&scratch, &session_record(999_999, vec![1]));
    let mut plugin = plugin(&scratch, FakeNet::default());
    let raw = RawOptions {
        existing_session: Some(b"4711:02:ac:00:00:00:0f".to_vec()),
        ..RawOptions::defaults()
    };
    plugin.check_options(&raw, "eth0").unwrap();
    plugin.connect().unwrap();
    assert!(plugin.net().padts().is_empty());
    assert_eq!(scratch.record_names().len(), 1);
}

#[test]
fn a_directory_others_can_write_is_not_used_and_the_session_still_comes_up() {
    let scratch = Scratch::new("rec-insecure");
    fs::create_dir(scratch.records()).unwrap();
    fs::set_permissions(scratch.records(), fs::Permissions::from_mode(0o777)).unwrap();
    // A planted "stale" record would make us end someone's session.
    fs::write(
        scratch.records().join("eth0:7:x:1.session"),
        session_record(1, vec![1]).to_text(),
    )
    .unwrap();
    let plugin = connected(&scratch);
    assert!(padt_sessions(&plugin).is_empty());
    assert_eq!(
        plugin
            .host()
            .logged("a session left by a crash cannot be ended"),
        Some(Level::Warn)
    );
    assert_eq!(
        plugin.host().logged("Cannot write a session record"),
        Some(Level::Warn)
    );
}

#[test]
fn an_error_pads_is_logged_in_pppds_words_with_the_quick_repeat_and_a_flood_is_not() {
    let scratch = Scratch::new("rec-error-pads");
    let mut net = FakeNet::default();
    established(&mut net, None);
    let busy = Rejection::ErrorTag {
        code: Code::Pads,
        tag: TagType::AcSystemError,
        text: b"No client slots\x1b[2J".to_vec(),
    };
    net.events.push(Event::AcError {
        from: AC_MAC,
        reason: busy.clone(),
        retry_in: Some(std::time::Duration::from_secs(1)),
    });
    // The same answer 50 more times before the next PADR: a flood.
    for _ in 0..50 {
        net.events.push(Event::Rejected {
            from: AC_MAC,
            reason: busy.clone(),
        });
    }
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    let lines = super::log_lines(plugin.host());
    let pppd_line = (
        Level::Error,
        "PADS: System-Error: No client slots\\x1b[2J".to_owned(),
    );
    let first = lines
        .iter()
        .position(|line| *line == pppd_line)
        .expect("pppd's line, the AC's text made printable");
    assert_eq!(
        lines[first + 2],
        (Level::Info, "Sending PADR again in 1.0 s".to_owned())
    );
    let repeated = lines.iter().filter(|line| **line == pppd_line).count();
    assert!(
        repeated <= 6,
        "the flood is logged a few times, not 51: {repeated}"
    );
}
