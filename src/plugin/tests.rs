//! The plugin flow against a fake pppd and a fake network.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs;
use std::io;
use std::path::PathBuf;

use super::*;
use crate::discovery::{Failure, Offer, Rejection, Session};
use crate::sys::pppox::AttachedSession;
use crate::sys::{Carrier, LinkState};
use crate::wire::{Code, DiscoveryFrame, MacAddr, TagType};

const OUR_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
const AC_MAC: MacAddr = MacAddr([0x02, 0xac, 0, 0, 0, 0x0f]);

/// pppd as the plugin sees it: records every call.
#[derive(Debug)]
struct FakeHost {
    logs: RefCell<Vec<(Level, String)>>,
    option_errors: RefCell<Vec<String>>,
    env: Vec<(String, String)>,
    ppp_devnam: Option<String>,
    remote_number: Option<String>,
    session_number: Option<i32>,
    mru: LcpMru,
    sigterm: bool,
    debug: bool,
    pid: u32,
}

impl Default for FakeHost {
    fn default() -> FakeHost {
        FakeHost {
            logs: RefCell::default(),
            option_errors: RefCell::default(),
            env: Vec::new(),
            ppp_devnam: None,
            remote_number: None,
            session_number: None,
            // pppd's defaults (`mru` 1500, `mtu` 16384).
            mru: LcpMru {
                want_mru: 1500,
                allow_mtu: 16384,
            },
            sigterm: false,
            debug: false,
            pid: 0x5ecf,
        }
    }
}

impl FakeHost {
    fn logged(&self, needle: &str) -> Option<Level> {
        self.logs
            .borrow()
            .iter()
            .find(|(_, m)| m.contains(needle))
            .map(|(l, _)| *l)
    }

    fn env(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Host for FakeHost {
    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }
    fn option_error(&self, message: &str) {
        self.option_errors.borrow_mut().push(message.to_owned());
    }
    fn set_ppp_devnam(&mut self, name: &str) {
        self.ppp_devnam = Some(name.to_owned());
    }
    fn set_remote_number(&mut self, number: &str) {
        self.remote_number = Some(number.to_owned());
    }
    fn set_session_number(&mut self, number: i32) {
        self.session_number = Some(number);
    }
    fn script_setenv(&mut self, name: &str, value: &str) {
        self.env.push((name.to_owned(), value.to_owned()));
    }
    fn lcp_mru(&self) -> LcpMru {
        self.mru
    }
    fn set_lcp_mru(&mut self, mru: LcpMru) {
        self.mru = mru;
    }
    fn sigterm_seen(&self) -> bool {
        self.sigterm
    }
    fn debug_on(&self) -> bool {
        self.debug
    }
    fn pid(&self) -> u32 {
        self.pid
    }
}

#[derive(Debug, Default)]
struct FakeSocketLog {
    connected: Option<(u16, MacAddr)>,
    disconnects: u32,
}

#[derive(Debug)]
struct FakeSession {
    fd: i32,
    log: std::rc::Rc<RefCell<FakeSocketLog>>,
    connect_error: Option<i32>,
}

impl SessionSocket for FakeSession {
    fn connect(&mut self, session_id: u16, ac_mac: MacAddr) -> io::Result<()> {
        if let Some(errno) = self.connect_error {
            return Err(io::Error::from_raw_os_error(errno));
        }
        self.log.borrow_mut().connected = Some((session_id, ac_mac));
        Ok(())
    }
    fn disconnect(&mut self) -> io::Result<()> {
        self.log.borrow_mut().disconnects += 1;
        Ok(())
    }
    fn raw_fd(&self) -> i32 {
        self.fd
    }
}

/// The network: one Ethernet interface "eth0" (MTU configurable), scripted
/// discovery outcomes, and a record of every frame sent.
#[derive(Debug)]
struct FakeNet {
    mtu: u32,
    outcomes: VecDeque<Result<Outcome, DiscoveryError>>,
    events: Vec<Event>,
    configs: Vec<Config>,
    sent: Vec<(String, Vec<u8>)>,
    socket_log: std::rc::Rc<RefCell<FakeSocketLog>>,
    /// What `connect` on a session socket fails with (an errno).
    connect_error: Option<i32>,
    /// `/proc/net/pppoe`; `None`: it cannot be read.
    attached: Option<Vec<AttachedSession>>,
    /// How many frames had been sent when each discovery started.
    sent_before_discovery: Vec<usize>,
    /// A records directory to look at whenever a frame is sent...
    held_probe: Option<PathBuf>,
    /// ...and how many of its records were locked at each send.
    held_at_send: Vec<usize>,
    /// What sending a frame fails with (an errno).
    send_error: Option<i32>,
    /// What `link_state` reports (`None`: the ioctl fails).
    link: Option<LinkState>,
    /// Frames each discovery "receives" before its scripted events.
    received: Vec<Vec<u8>>,
    /// Tagged frames each discovery's VLAN watcher "sees".
    tagged: Vec<(u16, Vec<u8>)>,
    discoveries: u32,
}

impl Default for FakeNet {
    fn default() -> FakeNet {
        FakeNet {
            mtu: 1500,
            outcomes: VecDeque::new(),
            events: Vec::new(),
            configs: Vec::new(),
            sent: Vec::new(),
            socket_log: std::rc::Rc::default(),
            connect_error: None,
            attached: Some(Vec::new()),
            sent_before_discovery: Vec::new(),
            held_probe: None,
            held_at_send: Vec::new(),
            send_error: None,
            link: Some(LinkState {
                admin_up: true,
                carrier: Carrier::Up,
                enslaved: false,
            }),
            received: Vec::new(),
            tagged: Vec::new(),
            discoveries: 0,
        }
    }
}

impl FakeNet {
    fn padts(&self) -> Vec<DiscoveryFrame<'_>> {
        self.sent
            .iter()
            .map(|(_, frame)| DiscoveryFrame::parse(frame).expect("we send valid frames"))
            .filter(|frame| frame.code == Code::Padt)
            .collect()
    }
}

impl Network for FakeNet {
    type Session = FakeSession;

    fn interface(&mut self, ifname: &str) -> Result<InterfaceInfo, InterfaceError> {
        match ifname {
            "eth0" | "ppp" => Ok(InterfaceInfo {
                mac: OUR_MAC,
                mtu: self.mtu,
            }),
            "lo" => Err(InterfaceError::NotEthernet {
                name: ifname.into(),
                hardware_type: 772,
            }),
            _ => Err(InterfaceError::NoSuchInterface {
                name: ifname.into(),
            }),
        }
    }

    fn link_state(&mut self, ifname: &str) -> Result<LinkState, InterfaceError> {
        self.link.ok_or_else(|| InterfaceError::Io {
            what: "SIOCGIFFLAGS",
            name: ifname.into(),
            source: io::Error::from_raw_os_error(libc::EOPNOTSUPP),
        })
    }

    fn open_session(&mut self, _ifname: &str) -> io::Result<FakeSession> {
        Ok(FakeSession {
            fd: 42,
            log: self.socket_log.clone(),
            connect_error: self.connect_error,
        })
    }

    fn discover(
        &mut self,
        _ifname: &str,
        config: Config,
        hooks: &mut dyn Hooks,
    ) -> Result<Outcome, DiscoveryError> {
        if let Ok(padi) = crate::discovery::Client::new(config.clone(), std::time::Instant::now())
            .map(|mut client| client.poll_transmit(std::time::Instant::now()))
        {
            hooks.frame(Direction::Sent, &padi.expect("a PADI to send"));
        }
        self.configs.push(config);
        self.sent_before_discovery.push(self.sent.len());
        self.discoveries += 1;
        for frame in &self.received {
            hooks.frame(Direction::Received, frame);
        }
        for event in &self.events {
            hooks.event(event);
        }
        for (vid, frame) in &self.tagged {
            hooks.tagged_frame(*vid, frame);
        }
        if hooks.cancelled() {
            return Err(DiscoveryError::Cancelled);
        }
        self.outcomes
            .pop_front()
            .unwrap_or(Ok(Outcome::Failed(Failure::NoOffer {
                rejected: 0,
                mismatched: 0,
            })))
    }

    fn send_discovery_frame(&mut self, ifname: &str, frame: &[u8]) -> io::Result<()> {
        if let Some(errno) = self.send_error {
            return Err(io::Error::from_raw_os_error(errno));
        }
        self.sent.push((ifname.to_owned(), frame.to_vec()));
        if let Some(dir) = &self.held_probe {
            self.held_at_send.push(recovery::held_records(dir));
        }
        Ok(())
    }

    fn attached_sessions(&mut self) -> io::Result<Vec<AttachedSession>> {
        self.attached
            .clone()
            .ok_or_else(|| io::Error::from_raw_os_error(libc::EACCES))
    }
}

/// This boot's id in the tests.
const BOOT_ID: &str = "00000000-1111-4222-8333-444444444444";

/// A scratch directory for session records (current and version 1).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("rs-pppoe-plugin-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    /// `/var/lib/rs-pppoe`.
    fn records(&self) -> PathBuf {
        self.0.join("records")
    }
    /// `/run/rs-pppoe`.
    fn legacy(&self) -> PathBuf {
        self.0.join("run")
    }
    fn places(&self) -> RecordPlaces {
        RecordPlaces {
            dir: self.records(),
            legacy_dir: self.legacy(),
            boot_id: Some(BOOT_ID.into()),
        }
    }
    /// The names of the record files, sorted.
    fn record_names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.records())
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn session(max_payload: Option<u16>) -> Session {
    Session {
        session_id: 0x2a,
        ac_mac: AC_MAC,
        ac_name: b"BRAS\n01".to_vec(),
        service_name: Vec::new(),
        cookie: Some(vec![0xc0, 0x0c]),
        relay_id: None,
        max_payload,
    }
}

/// A plugin before pppd has called check_options (option-parsing stage).
fn unchecked_plugin(scratch: &Scratch) -> Plugin<FakeHost, FakeNet> {
    Plugin::with_records(FakeHost::default(), FakeNet::default(), scratch.places())
}

fn plugin(scratch: &Scratch, net: FakeNet) -> Plugin<FakeHost, FakeNet> {
    let mut plugin = Plugin::with_records(FakeHost::default(), net, scratch.places());
    plugin
        .check_options(&RawOptions::defaults(), "eth0")
        .expect("defaults are valid");
    plugin
}

/// A record of session 7 on eth0, left by pppd `pid`.
fn session_record(pid: u32, host_uniq: Vec<u8>) -> SessionRecord {
    SessionRecord {
        boot_id: Some(BOOT_ID.into()),
        pid,
        interface: "eth0".into(),
        session_id: 7,
        ac_mac: AC_MAC,
        our_mac: OUR_MAC,
        host_uniq,
        cookie: None,
        relay_id: None,
    }
}

fn established(net: &mut FakeNet, max_payload: Option<u16>) {
    net.outcomes
        .push_back(Ok(Outcome::Established(session(max_payload))));
}

#[test]
fn interface_words_bare_and_with_nic_prefix() {
    let scratch = Scratch::new("words");
    let mut plugin = unchecked_plugin(&scratch);
    assert_eq!(
        plugin.classify_device_word(b"eth0"),
        DeviceWord::Interface("eth0".into())
    );
    assert_eq!(
        plugin.classify_device_word(b"nic-eth0"),
        DeviceWord::Interface("eth0".into())
    );
    // "nic-ppp": an interface whose name is a pppd option word.
    assert_eq!(
        plugin.classify_device_word(b"nic-ppp"),
        DeviceWord::Interface("ppp".into())
    );
    // Bare words that are not Ethernet interfaces are left to pppd (IP
    // address pairs, tty names, typos of other options).
    for word in [
        &b"lo"[..],
        b"eth9",
        b"10.0.0.1:10.0.0.2",
        b"/dev/ttyS0",
        b"nic-",
        b"tty0123456789abcdef/x",
        b"10.0.0.100:10.0.0.200",
    ] {
        assert_eq!(
            plugin.classify_device_word(word),
            DeviceWord::NotOurs,
            "{word:?}"
        );
    }
}

#[test]
fn nic_words_that_cannot_work_are_option_errors_saying_why() {
    let scratch = Scratch::new("nic-errors");
    let mut plugin = unchecked_plugin(&scratch);
    for (word, needle) in [
        (&b"nic-sixteen-bytes-xx"[..], "name is too long (16 bytes"),
        (b"averyveryverylongname0", "name is too long (22 bytes"),
        (b"nic-eth9", "Can't use interface eth9: no such interface"),
        (b"nic-lo", "Interface lo not Ethernet"),
        (b"nic-a/b", "not a valid interface name"),
    ] {
        // Probe: pppd asks whether the word is ours; it is.
        assert_eq!(plugin.device_word(word, false), (true, None));
        // Take: the error is reported and pppd's option parse fails.
        assert_eq!(plugin.device_word(word, true), (false, None));
        let errors = plugin.host().option_errors.borrow();
        assert!(errors.last().unwrap().contains(needle), "{errors:?}");
    }
    assert_eq!(plugin.interface(), None);
}

#[test]
fn taking_an_interface_word_selects_it_and_later_words_override() {
    let scratch = Scratch::new("take");
    let mut plugin = unchecked_plugin(&scratch);
    assert_eq!(
        plugin.device_word(b"eth0", true),
        (true, Some("eth0".into()))
    );
    assert_eq!(
        plugin.device_word(b"nic-ppp", true),
        (true, Some("ppp".into()))
    );
    assert_eq!(plugin.interface(), Some("ppp"));
}

#[test]
fn bad_option_values_are_reported_as_option_errors() {
    let scratch = Scratch::new("bad-options");
    let mut plugin = unchecked_plugin(&scratch);
    let raw = RawOptions {
        padi_attempts: 0,
        ..RawOptions::defaults()
    };
    assert!(plugin.check_options(&raw, "eth0").is_err());
    assert!(plugin.host().option_errors.borrow()[0].contains("pppoe-padi-attempts"));
    // Connect refuses to run without checked options.
    assert_eq!(plugin.connect(), None);
}

#[test]
fn check_options_leaves_mru_and_mtu_as_configured_like_pppd_2_5_3() {
    let scratch = Scratch::new("cap");
    let plugin = plugin(&scratch, FakeNet::default());
    assert_eq!(plugin.host().mru, FakeHost::default().mru);
}

#[test]
fn unusual_option_values_are_taken_clamped_with_a_warning() {
    let scratch = Scratch::new("clamped");
    let mut net = FakeNet::default();
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    let raw = RawOptions {
        verbose: 3,
        padi_timeout: 3600,
        padi_attempts: 17,
        ..RawOptions::defaults()
    };
    plugin.check_options(&raw, "eth0").unwrap();
    assert!(plugin.host().option_errors.borrow().is_empty());
    assert_eq!(
        plugin
            .host()
            .logged("pppoe-padi-timeout 3600 is more than 300; using 300"),
        Some(Level::Warn)
    );
    assert_eq!(plugin.host().logged("pppoe-verbose"), None, "3 is a level");
    assert_eq!(
        plugin.host().logged("pppoe-padi-attempts"),
        None,
        "17 is taken"
    );
    plugin.connect().unwrap();
    let config = &plugin.net().configs[0];
    assert_eq!(config.timeout, std::time::Duration::from_secs(300));
    assert_eq!(config.attempts, 17);
}

#[test]
fn connect_runs_discovery_with_the_options_and_sets_up_pppd() {
    let scratch = Scratch::new("connect");
    let mut net = FakeNet::default();
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    let raw = RawOptions {
        service: Some(b"internet".to_vec()),
        ac_name: Some(b"BRAS\n01".to_vec()),
        ac_mac: Some(b"02:ac:00:00:00:0f".to_vec()),
        host_uniq: Some(b"c0ffee".to_vec()),
        padi_timeout: 2,
        padi_attempts: 5,
        ..RawOptions::defaults()
    };
    plugin.check_options(&raw, "eth0").unwrap();

    assert_eq!(plugin.connect(), Some(42));

    let config = &plugin.net().configs[0];
    assert_eq!(config.our_mac, OUR_MAC);
    assert_eq!(config.service_name, b"internet");
    assert_eq!(config.ac_name.as_deref(), Some(&b"BRAS\n01"[..]));
    assert_eq!(config.ac_mac, Some(AC_MAC));
    assert_eq!(config.host_uniq, vec![0xc0, 0xff, 0xee]);
    assert_eq!(config.timeout, std::time::Duration::from_secs(2));
    assert_eq!(config.attempts, 5);
    assert_eq!(
        config.max_payload, None,
        "1492 on a 1500 link: nothing to advertise"
    );

    let host = plugin.host();
    assert_eq!(host.logged("PPP session is 42"), Some(Level::Info));
    assert_eq!(
        host.logged("Connected to 02:AC:00:00:00:0F via interface eth0"),
        Some(Level::Warn),
        "pppd's plugin logs it as a warning"
    );
    assert_eq!(host.session_number, Some(42));
    assert_eq!(host.remote_number.as_deref(), Some("02:AC:00:00:00:0F"));
    assert_eq!(host.ppp_devnam.as_deref(), Some("eth0"));
    assert_eq!(host.env("MACREMOTE"), Some("02:AC:00:00:00:0F"));
    assert_eq!(
        host.env("ACNAME"),
        Some("BRAS\\x0a01"),
        "control bytes never reach scripts"
    );
    assert_eq!(
        host.mru,
        LcpMru {
            want_mru: 1492,
            allow_mtu: 1492
        }
    );
    assert_eq!(
        plugin.net().socket_log.borrow().connected,
        Some((42, AC_MAC))
    );
}

#[test]
fn default_host_uniq_is_the_pid_in_host_byte_order() {
    let scratch = Scratch::new("pid");
    let mut net = FakeNet::default();
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    assert_eq!(
        plugin.net().configs[0].host_uniq,
        0x5ecfu32.to_ne_bytes().to_vec()
    );
}

#[test]
fn rfc4638_on_a_baby_jumbo_link() {
    let scratch = Scratch::new("rfc4638");
    let mut net = FakeNet {
        mtu: 1508,
        ..FakeNet::default()
    };
    established(&mut net, Some(1500));
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);

    plugin.connect().unwrap();
    assert_eq!(plugin.net().configs[0].max_payload, Some(1500));
    assert_eq!(
        plugin.host().mru,
        LcpMru {
            want_mru: 1500,
            allow_mtu: 1500
        }
    );
    plugin.disconnect();

    // The next AC does not echo PPP-Max-Payload: back to 1492, and the
    // next connect again starts from the configured 1500.
    plugin.connect().unwrap();
    assert_eq!(plugin.net().configs[1].max_payload, Some(1500));
    assert_eq!(
        plugin.host().mru,
        LcpMru {
            want_mru: 1492,
            allow_mtu: 1492
        }
    );
}

/// Every line logged, exactly, with its level.
fn log_lines(host: &FakeHost) -> Vec<(Level, String)> {
    host.logs.borrow().clone()
}

#[test]
fn discovery_failure_fails_the_attempt_in_pppds_words() {
    let scratch = Scratch::new("fail");
    let mut net = FakeNet::default();
    net.outcomes
        .push_back(Ok(Outcome::Failed(Failure::NoConfirmation {
            ac_mac: AC_MAC,
            rejected: 0,
        })));
    let mut plugin = plugin(&scratch, net);
    for (pppd_line, phase) in [
        ("Timeout waiting for PADS packets", "phase 2"),
        ("Timeout waiting for PADO packets", "phase 1"),
    ] {
        plugin.host.logs.borrow_mut().clear();
        assert_eq!(plugin.connect(), None);
        let lines = log_lines(plugin.host());
        let at = lines
            .iter()
            .position(|line| *line == (Level::Warn, pppd_line.to_owned()))
            .unwrap_or_else(|| panic!("no exact {pppd_line:?} in {lines:?}"));
        assert_eq!(
            lines.get(at + 1),
            Some(&(
                Level::Error,
                format!("Unable to complete PPPoE Discovery {phase}")
            ))
        );
    }
    assert_eq!(plugin.host().session_number, None);
    assert!(scratch.record_names().is_empty());
}

#[test]
fn an_interface_mtu_below_1500_is_warned_about_at_each_discovery() {
    let scratch = Scratch::new("small-mtu");
    let mut net = FakeNet {
        mtu: 1400,
        ..FakeNet::default()
    };
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    let lines = log_lines(plugin.host());
    let warning = [
        (
            Level::Error,
            "Interface eth0 has MTU of 1400 -- should be at least 1500.".to_owned(),
        ),
        (
            Level::Error,
            "This may cause serious connection problems.".to_owned(),
        ),
    ];
    assert!(lines.windows(2).any(|pair| pair == warning), "{lines:?}");
    assert_eq!(
        plugin.host().mru,
        LcpMru {
            want_mru: 1392,
            allow_mtu: 1392
        }
    );
}

#[test]
fn rfc4638_above_1500_on_a_jumbo_link_when_configured_and_agreed() {
    let scratch = Scratch::new("jumbo");
    let mut net = FakeNet {
        mtu: 9000,
        ..FakeNet::default()
    };
    established(&mut net, Some(8000));
    let mut plugin = Plugin::with_records(FakeHost::default(), net, scratch.places());
    // pppd's `mru 9000 mtu 9000`.
    plugin.host.mru = LcpMru {
        want_mru: 9000,
        allow_mtu: 9000,
    };
    plugin
        .check_options(&RawOptions::defaults(), "eth0")
        .unwrap();
    plugin.connect().unwrap();
    assert_eq!(plugin.net().configs[0].max_payload, Some(8992));
    assert_eq!(
        plugin.host().mru,
        LcpMru {
            want_mru: 8000,
            allow_mtu: 8000
        },
        "the payload the AC agreed to, above 1500"
    );
}

#[test]
fn no_service_name_non_rfc_compliant_reaches_discovery_as_no_tag() {
    let scratch = Scratch::new("no-service-name");
    let mut net = FakeNet::default();
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    plugin.host.debug = true;
    let raw = RawOptions {
        service: Some(b"NO-SERVICE-NAME-NON-RFC-COMPLIANT".to_vec()),
        ..RawOptions::defaults()
    };
    plugin.check_options(&raw, "eth0").unwrap();
    plugin.connect().unwrap();
    let config = &plugin.net().configs[0];
    assert!(config.omit_service_name);
    assert!(config.service_name.is_empty());
    assert!(
        plugin
            .host()
            .logged(" [host-uniq cf 5e 00 00]")
            .is_some_and(|level| level == Level::Debug),
        "the PADI's tags are Host-Uniq alone: {:?}",
        log_lines(plugin.host())
    );
}

#[test]
fn sigterm_during_discovery_stops_the_attempt() {
    let scratch = Scratch::new("sigterm");
    let mut net = FakeNet::default();
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    plugin.host.sigterm = true;
    assert_eq!(plugin.connect(), None);
    assert!(plugin.host().logged("interrupted").is_some());
}

#[test]
fn offers_are_logged_at_info_when_verbose() {
    let scratch = Scratch::new("verbose");
    let mut net = FakeNet::default();
    established(&mut net, None);
    net.events.push(Event::Offer(Offer {
        ac_mac: AC_MAC,
        ac_name: b"BRAS\x1b[31m".to_vec(),
        service_names: vec![b"internet".to_vec()],
        cookie: Some(vec![0x3d, 0x7d]),
        relay_id: None,
        max_payload: None,
    }));
    net.events.push(Event::Rejected {
        from: MacAddr([2, 0, 0, 0, 0, 9]),
        reason: Rejection::ErrorTag {
            code: Code::Pado,
            tag: TagType::AcSystemError,
            text: b"busy".to_vec(),
        },
    });
    let mut plugin = plugin(&scratch, net);
    plugin
        .check_options(
            &RawOptions {
                verbose: 1,
                ..RawOptions::defaults()
            },
            "eth0",
        )
        .unwrap();
    plugin.connect().unwrap();
    let host = plugin.host();
    assert_eq!(
        host.logged("Access-Concentrator: BRAS\\x1b[31m"),
        Some(Level::Info)
    );
    assert_eq!(host.logged("Service-Name: internet"), Some(Level::Info));
    assert_eq!(host.logged("Cookie: 3d 7d"), Some(Level::Info));
    assert_eq!(
        host.logged("AC-Ethernet-Address: 02:ac:00:00:00:0f"),
        Some(Level::Info)
    );
    assert!(
        log_lines(host).contains(&(Level::Error, "PADO: System-Error: busy".to_owned())),
        "pppd's exact line"
    );
}

#[test]
fn disconnect_sends_padt_with_our_mac_and_the_cookie_then_forgets_the_session() {
    let scratch = Scratch::new("disconnect");
    let mut net = FakeNet::default();
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    assert_eq!(
        scratch.record_names().len(),
        1,
        "a live session is recorded"
    );

    plugin.disconnect();

    assert_eq!(plugin.net().socket_log.borrow().disconnects, 1);
    let padts = plugin.net().padts();
    assert_eq!(padts.len(), 1);
    assert_eq!(padts[0].src, OUR_MAC);
    assert_eq!(padts[0].dst, AC_MAC);
    assert_eq!(padts[0].session_id, 42);
    assert_eq!(
        padts[0].tag_value(TagType::HostUniq),
        Some(&0x5ecfu32.to_ne_bytes()[..])
    );
    assert_eq!(
        padts[0].tag_value(TagType::AcCookie),
        Some(&[0xc0, 0x0c][..])
    );
    assert_eq!(plugin.host().logged("Sent PADT"), Some(Level::Info));
    assert!(
        scratch.record_names().is_empty(),
        "the record goes with the session"
    );

    // A second disconnect (pppd calls it on every path) does nothing.
    plugin.disconnect();
    assert_eq!(plugin.net().padts().len(), 1);
}

#[test]
fn pppoe_sess_mode_skips_discovery_and_still_sends_a_real_padt() {
    let scratch = Scratch::new("sess");
    let mut plugin = plugin(&scratch, FakeNet::default());
    let raw = RawOptions {
        existing_session: Some(b"4711:02:ac:00:00:00:0f".to_vec()),
        ..RawOptions::defaults()
    };
    plugin.check_options(&raw, "eth0").unwrap();

    assert_eq!(plugin.connect(), Some(42));
    assert!(plugin.net().configs.is_empty(), "no discovery");
    assert_eq!(
        plugin.net().socket_log.borrow().connected,
        Some((4711, AC_MAC))
    );
    assert_eq!(plugin.host().session_number, Some(4711));
    assert_eq!(plugin.host().env("ACNAME"), None);
    assert!(
        scratch.record_names().is_empty(),
        "pppoe-server owns this session"
    );

    plugin.disconnect();
    let padts = plugin.net().padts();
    assert_eq!(padts.len(), 1);
    assert_eq!(
        padts[0].src, OUR_MAC,
        "not the all-zero MAC the reference sends"
    );
    assert_eq!(padts[0].session_id, 4711);
}

#[test]
fn failed_socket_connect_after_discovery_terminates_the_session() {
    let scratch = Scratch::new("connect-fail");
    let mut net = FakeNet {
        connect_error: Some(libc::ENETDOWN),
        ..FakeNet::default()
    };
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    assert_eq!(plugin.connect(), None);
    assert_eq!(
        plugin.host().logged("Failed to connect PPPoE socket"),
        Some(Level::Error)
    );
    assert_eq!(plugin.net().padts().len(), 1);
    assert!(scratch.record_names().is_empty());
}

#[test]
fn persist_reconnect_runs_a_fresh_discovery_each_time() {
    let scratch = Scratch::new("persist");
    let mut net = FakeNet::default();
    established(&mut net, None);
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    // The AC ends the session: pppd sees the hangup and calls disconnect,
    // then (persist) connect again.
    plugin.disconnect();
    plugin.connect().unwrap();
    assert_eq!(plugin.net().configs.len(), 2);
    assert_eq!(
        plugin.net().padts().len(),
        1,
        "only our own disconnect sent a PADT"
    );
}

#[test]
fn with_pppd_debug_every_discovery_frame_is_logged() {
    let scratch = Scratch::new("frames");
    let mut net = FakeNet::default();
    established(&mut net, None);
    let mut plugin = plugin(&scratch, net);
    plugin.connect().unwrap();
    assert_eq!(
        plugin.host().logged("Send PPPOE Discovery"),
        None,
        "quiet without debug"
    );

    plugin.host.debug = true;
    plugin
        .net
        .outcomes
        .push_back(Ok(Outcome::Established(session(None))));
    plugin.connect().unwrap();
    let lines: Vec<(Level, String)> = log_lines(plugin.host())
        .into_iter()
        .skip_while(|(_, line)| !line.starts_with("Send PPPOE Discovery V1T1 PADI"))
        .take(3)
        .collect();
    assert_eq!(
        lines,
        [
            "Send PPPOE Discovery V1T1 PADI session 0x0 length 12",
            " dst ff:ff:ff:ff:ff:ff  src 02:00:00:00:00:01",
            " [service-name] [host-uniq cf 5e 00 00]",
        ]
        .map(|line| (Level::Debug, line.to_owned())),
        "pppd's packet dump"
    );
}

#[test]
fn the_failure_lines_are_followed_by_one_line_saying_why() {
    let scratch = Scratch::new("summary");
    let mut plugin = plugin(&scratch, FakeNet::default());
    assert_eq!(plugin.connect(), None);
    let logs = plugin.host().logs.borrow().clone();
    let messages: Vec<&str> = logs.iter().map(|(_, m)| m.as_str()).collect();
    let timeout = messages
        .iter()
        .position(|m| m.starts_with("Timeout waiting for PADO packets"))
        .expect("pppd's own failure line is kept");
    assert_eq!(
        messages[timeout + 1],
        "Unable to complete PPPoE Discovery phase 1"
    );
    assert_eq!(
        logs[timeout + 2],
        (
            Level::Notice,
            "discovery on eth0: 1 PADI sent; no PPPoE frame from any host on eth0 (is the \
             gateway's PPPoE bridge on, and is eth0 the port facing it?)"
                .to_owned()
        )
    );
}

#[test]
fn the_summary_names_the_vlan_the_answers_came_on() {
    let scratch = Scratch::new("vlan-hint");
    let mut net = FakeNet::default();
    let mut pado = vec![0x02, 0, 0, 0, 0, 0x01];
    pado.extend_from_slice(&AC_MAC.0);
    pado.extend_from_slice(&[0x88, 0x63, 0x11, 0x07, 0, 0, 0, 0]);
    net.tagged.push((35, pado));
    let mut plugin = plugin(&scratch, net);
    assert_eq!(plugin.connect(), None);
    let host = plugin.host();
    assert_eq!(
        host.logged("PPPoE answers were seen on VLAN 35: try the interface eth0.35"),
        Some(Level::Notice)
    );
}

#[test]
fn an_interface_without_carrier_or_down_fails_the_attempt_at_once() {
    for (admin_up, carrier, words) in [
        (
            true,
            Carrier::Down,
            "eth0 has no carrier: is the cable to the gateway plugged in",
        ),
        (false, Carrier::Unknown, "eth0 is down: "),
    ] {
        let scratch = Scratch::new("link");
        let mut net = FakeNet::default();
        established(&mut net, None);
        net.link = Some(LinkState {
            admin_up,
            carrier,
            enslaved: false,
        });
        let mut plugin = plugin(&scratch, net);
        assert_eq!(plugin.connect(), None, "{words}");
        let host = plugin.host();
        assert_eq!(host.logged(words), Some(Level::Error), "{words}");
        assert_eq!(plugin.net().discoveries, 0, "no PADI into a dead link");
        assert!(
            host.logged("Timeout waiting").is_none(),
            "no discovery failure either"
        );
        // pppd's persist retries; once the link is back, it connects.
        plugin.net.link = Some(LinkState {
            admin_up: true,
            carrier: Carrier::Up,
            enslaved: false,
        });
        assert_eq!(plugin.connect(), Some(42), "{words}");
    }
}

#[test]
fn an_unknown_or_unreadable_carrier_does_not_stop_discovery() {
    for link in [
        Some(LinkState {
            admin_up: true,
            carrier: Carrier::Unknown,
            enslaved: false,
        }),
        None,
    ] {
        let scratch = Scratch::new("carrier-unknown");
        let mut net = FakeNet::default();
        established(&mut net, None);
        net.link = link;
        let mut plugin = plugin(&scratch, net);
        assert_eq!(plugin.connect(), Some(42), "{link:?}");
    }
}

#[test]
fn losing_the_link_during_discovery_is_reported_as_such() {
    let scratch = Scratch::new("link-lost");
    let mut net = FakeNet::default();
    net.outcomes
        .push_back(Err(DiscoveryError::Link(LinkProblem::NoCarrier {
            interface: "eth0".into(),
        })));
    let mut plugin = plugin(&scratch, net);
    assert_eq!(plugin.connect(), None);
    assert_eq!(
        plugin.host().logged("eth0 has no carrier"),
        Some(Level::Error)
    );
}

#[test]
fn a_flood_of_error_tag_offers_is_logged_a_few_times_and_counted() {
    let scratch = Scratch::new("flood");
    let mut net = FakeNet::default();
    for i in 0..1000u32 {
        let from = MacAddr([2, 0, 0, 0, (i >> 8) as u8, i as u8]);
        let mut pado = OUR_MAC.0.to_vec();
        pado.extend_from_slice(&from.0);
        pado.extend_from_slice(&[0x88, 0x63, 0x11, 0x07, 0, 0, 0, 0]);
        net.received.push(pado);
        net.events.push(Event::Rejected {
            from,
            reason: Rejection::ErrorTag {
                code: Code::Pado,
                tag: TagType::AcSystemError,
                text: b"busy".to_vec(),
            },
        });
    }
    let mut plugin = plugin(&scratch, net);
    assert_eq!(plugin.connect(), None);
    let logs = plugin.host().logs.borrow().clone();
    let per_frame = logs
        .iter()
        .filter(|(_, m)| m.starts_with("Ignoring discovery frame"))
        .count();
    assert_eq!(per_frame, 5, "a burst, then held back");
    assert!(
        logs.iter()
            .any(|(_, m)| m == "995 more refused discovery frames were not logged"),
        "{logs:?}"
    );
    assert!(
        logs.iter().any(|(level, m)| *level == Level::Notice
            && m.contains(
                "refused: 1000 with an error tag (02:00:00:00:00:00: PADO: AC-System-Error: 'busy'"
            )),
        "{logs:?}"
    );
}

mod recovery;
