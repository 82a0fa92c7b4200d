//! The pppd plugin's logic, independent of pppd.
//!
//! [`Plugin`] implements what pppd asks of a channel plugin — recognise the
//! interface word, check the options, connect, disconnect — against two
//! traits: [`Host`] (pppd's services) and [`Network`] (sockets). `ffi`
//! plugs in pppd and [`SysNetwork`]; the tests plug in fakes.
//!
//! Behaviour follows pppd's own `rp-pppoe.so` (ppp-project's `pppoe.so`,
//! 2.4.9 and 2.5.x) — same option names (plus rp-pppoe 4.0's
//! `rp_pppoe_mac`), log lines (2.5.x's words and levels, `pppd_log`),
//! script variables and MTU rules (2.5.3's, for every pppd version) — with
//! these differences:
//!
//! * options are checked after all of them were read (order does not
//!   matter); values the reference misbehaves with are option errors,
//!   unusual ones are clamped with a warning (`options`);
//! * `pppoe-service NO-SERVICE-NAME-NON-RFC-COMPLIANT` connects to any
//!   access concentrator, not only to one offering a service of that name;
//! * `nic-<name>` that is too long, missing or not Ethernet is an option
//!   error that says so, rather than "unrecognized option";
//! * a PADT is sent on every disconnect, with our real MAC, also in
//!   `pppoe-sess` mode and on pppd 2.4.9;
//! * a session left behind by a pppd that died, or by a boot that ended
//!   without a clean stop, is terminated (PADT) before the next discovery
//!   on the same interface; sessions of pppd that still run (also after
//!   `updetach`) are never touched (`recovery`);
//! * a session another socket on this host already holds (`EALREADY`) is
//!   reported, never ended with a PADT;
//! * AC-controlled text is made printable before it reaches logs or the
//!   script environment.

mod host;
mod mtu;
mod options;
pub mod panic_boundary;
mod pppd_log;
mod recovery;
mod sys_network;

use crate::discovery::{
    self, Admission, Config, Event, Failure, FilterNames, Mode, Outcome, RefusalLog, Summary,
};
use crate::driver::{Direction, Hooks};
use crate::sys::{InterfaceError, LinkProblem};
use crate::wire::{MacAddr, printable};

pub use crate::session_record::{RecordPlaces, SessionRecord};
pub use host::{DiscoveryError, Host, InterfaceInfo, LcpMru, Level, Network, SessionSocket};
pub use mtu::PPPOE_OVERHEAD;
pub use options::{
    Adjusted, ExistingSession, IntRule, OPTION_NAMES, OptionError, OptionName, Outside,
    PluginOptions, RawOptions, SESSION_ID_RANGE,
};
pub use sys_network::SysNetwork;

/// Interface names are at most 15 bytes (the kernel's `IFNAMSIZ` is 16 with
/// the NUL).
pub const MAX_IFNAME_LEN: usize = 15;

/// What a word pppd could not match to any option means to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceWord {
    /// Not an interface we can use; pppd tries its other matchers.
    NotOurs,
    /// An Ethernet interface: PPPoE becomes the channel.
    Interface(String),
    /// Clearly meant as our interface (`nic-` prefix) but unusable; the
    /// message says why and pppd exits with an option error.
    Unusable(String),
}

/// The session the plugin is running.
#[derive(Debug)]
struct ActiveSession<S> {
    socket: S,
    record: SessionRecord,
    /// The record on disk, locked while the session lives (sessions we
    /// discovered, when it could be written).
    held: Option<crate::session_record::HeldRecord>,
}

/// The plugin's state between pppd's calls.
#[derive(Debug)]
pub struct Plugin<H: Host, N: Network> {
    host: H,
    net: N,
    recovery: recovery::Recovery,
    interface: Option<String>,
    options: Option<PluginOptions>,
    /// LCP settings after `check_options`; every connect starts from these.
    configured_mru: Option<LcpMru>,
    /// The stale sessions this connect ended (AC, PADT time), for discovery.
    released: Vec<(MacAddr, std::time::Instant)>,
    active: Option<ActiveSession<N::Session>>,
}

impl<H: Host, N: Network> Plugin<H, N> {
    /// A plugin keeping session records in `/var/lib/rs-pppoe`.
    pub fn new(host: H, net: N) -> Plugin<H, N> {
        Plugin::with_records(host, net, RecordPlaces::system())
    }

    /// A plugin with its own record directories and boot id (for tests).
    pub fn with_records(host: H, net: N, places: RecordPlaces) -> Plugin<H, N> {
        Plugin {
            host,
            net,
            recovery: recovery::Recovery::new(places),
            interface: None,
            options: None,
            configured_mru: None,
            released: Vec::new(),
            active: None,
        }
    }

    /// pppd's host services.
    pub fn host(&self) -> &H {
        &self.host
    }

    /// The network.
    pub fn net(&self) -> &N {
        &self.net
    }

    /// The interface chosen so far.
    pub fn interface(&self) -> Option<&str> {
        self.interface.as_deref()
    }

    /// Classifies a word pppd did not recognise as an option. A bare word
    /// is ours only if it names an existing Ethernet interface (pppd also
    /// offers us IP address pairs and tty names); a `nic-` word is always
    /// ours, so a typo gets a clear message.
    pub fn classify_device_word(&mut self, word: &[u8]) -> DeviceWord {
        let (name, explicit) = match word.strip_prefix(b"nic-") {
            Some(rest) if !rest.is_empty() => (rest, true),
            _ => (word, false),
        };
        let unusable = |message: String| {
            if explicit {
                DeviceWord::Unusable(message)
            } else {
                DeviceWord::NotOurs
            }
        };
        let Ok(name) = std::str::from_utf8(name) else {
            return unusable(format!(
                "Can't use interface {}: the name is not valid UTF-8",
                printable(name)
            ));
        };
        if name.len() > MAX_IFNAME_LEN {
            let message = format!(
                "Can't use interface {name}: name is too long ({} bytes; Linux interface \
                 names have at most {MAX_IFNAME_LEN})",
                name.len()
            );
            // A bare word this long cannot be an interface either. If it looks
            // like one (and is not a tty under /dev, which pppd's own device
            // matcher would take), say why instead of pppd's bare
            // "unrecognized option".
            if !explicit && looks_like_interface_name(name) && !tty_exists(name) {
                return DeviceWord::Unusable(message);
            }
            return unusable(message);
        }
        if name.is_empty()
            || name == "."
            || name == ".."
            || name
                .bytes()
                .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b == 0)
        {
            return unusable(format!(
                "Can't use interface {}: not a valid interface name",
                printable(name.as_bytes())
            ));
        }
        match self.net.interface(name) {
            Ok(_) => DeviceWord::Interface(name.to_owned()),
            Err(InterfaceError::NoSuchInterface { .. }) => {
                unusable(format!("Can't use interface {name}: no such interface"))
            }
            Err(InterfaceError::NotEthernet { .. }) => unusable(format!(
                "Interface {name} not Ethernet: PPPoE needs an Ethernet interface"
            )),
            Err(e) => unusable(format!("Can't use interface {name}: {e}")),
        }
    }

    /// pppd's device-name hook. Returns what pppd expects of the hook (1 =
    /// ours/taken) and the interface name when `take` is set and it is ours.
    pub fn device_word(&mut self, word: &[u8], take: bool) -> (bool, Option<String>) {
        match self.classify_device_word(word) {
            DeviceWord::NotOurs => (false, None),
            DeviceWord::Interface(name) if take => {
                self.interface = Some(name.clone());
                (true, Some(name))
            }
            DeviceWord::Interface(_) => (true, None),
            DeviceWord::Unusable(message) if take => {
                self.host.option_error(&message);
                (false, None)
            }
            DeviceWord::Unusable(_) => (true, None),
        }
    }

    /// pppd's `check_options` for our channel: checks the options and
    /// settles the LCP MRU/MTU. On an error it has been reported already.
    pub fn check_options(&mut self, raw: &RawOptions, interface: &str) -> Result<(), OptionError> {
        let result = self.check_options_inner(raw, interface);
        if let Err(e) = &result {
            self.host.option_error(&e.0);
        }
        result
    }

    fn check_options_inner(
        &mut self,
        raw: &RawOptions,
        interface: &str,
    ) -> Result<(), OptionError> {
        if interface.is_empty() {
            return Err(OptionError("no PPPoE interface was given".into()));
        }
        let (options, adjusted) = PluginOptions::from_raw(raw)?;
        for note in &adjusted {
            self.host.log(Level::Warn, &note.to_string());
        }
        // Kept as configured, as pppd 2.5.3 does (no cap at 1500: RFC 4638
        // jumbo sessions); each connect starts again from these.
        self.configured_mru = Some(self.host.lcp_mru());
        self.interface = Some(interface.to_owned());
        self.options = Some(options);
        Ok(())
    }

    /// pppd's `connect`: the connected session socket's descriptor, or
    /// `None` after logging why not.
    pub fn connect(&mut self) -> Option<i32> {
        match self.try_connect() {
            Ok(fd) => Some(fd),
            Err(error) => {
                error.log(&self.host);
                None
            }
        }
    }

    /// One connect attempt, step by step. Every failure is one
    /// [`ConnectError`], logged by [`Plugin::connect`]; pppd's `persist`
    /// and `holdoff` decide what happens next.
    fn try_connect(&mut self) -> Result<i32, ConnectError> {
        let (interface, options, configured) =
            match (&self.interface, &self.options, self.configured_mru) {
                (Some(interface), Some(options), Some(configured)) => {
                    (interface.clone(), options.clone(), configured)
                }
                _ => return Err(ConnectError::NotConfigured),
            };
        self.check_link(&interface)?;
        self.clear_previous(&interface, &options);
        let link = self
            .net
            .interface(&interface)
            .map_err(|source| ConnectError::Interface {
                interface: interface.clone(),
                source,
            })?;
        let mru = mtu::cap_to_interface(configured, link.mtu);
        self.host.set_lcp_mru(mru);
        // Opened before discovery, as the reference does: some ACs send
        // session frames right after the PADS.
        let socket = self
            .net
            .open_session(&interface)
            .map_err(ConnectError::SessionSocket)?;
        self.host.set_ppp_devnam(&interface);

        let host_uniq = options.discovery.host_uniq.bytes(self.host.pid());
        let (session, discovered) = self.obtain_session(&interface, &options, link, mru)?;
        self.announce(&interface, &session);
        let record = SessionRecord {
            boot_id: self.recovery.boot_id(),
            pid: self.host.pid(),
            interface,
            session_id: session.session_id,
            ac_mac: session.ac_mac,
            our_mac: link.mac,
            host_uniq,
            cookie: session.cookie,
            relay_id: session.relay_id,
        };
        self.attach(socket, record, discovered)
    }

    /// The pre-flight check: an interface that is down or has no carrier
    /// fails this attempt at once, with a plain message, instead of half a
    /// minute of PADIs into nothing; pppd's `persist` and `holdoff` decide
    /// when to try again. An interface whose state cannot be read is tried
    /// anyway (discovery reports what goes wrong).
    fn check_link(&mut self, interface: &str) -> Result<(), ConnectError> {
        match self.net.link_state(interface) {
            Ok(state) => state
                .problem(interface)
                .map_or(Ok(()), |problem| Err(ConnectError::Link(problem))),
            Err(_) => Ok(()),
        }
    }

    /// Ends what an earlier connect left: our own previous session (pppd
    /// normally disconnected it already), and a session a pppd that died
    /// left on this interface.
    fn clear_previous(&mut self, interface: &str, options: &PluginOptions) {
        if let Some(previous) = self.active.take() {
            self.end_session(previous);
        }
        // A pppoe-sess session is managed by whoever started us (normally
        // pppoe-server); stale-session cleanup is for sessions we discover.
        if options.existing_session.is_none() {
            self.released = self
                .recovery
                .terminate_stale(&self.host, &mut self.net, interface);
        }
    }

    /// The session to run, and whether we discovered it: the one a
    /// `pppoe-sess` option names, or a new one from discovery (after which
    /// the MRU is capped at what the AC agreed to).
    fn obtain_session(
        &mut self,
        interface: &str,
        options: &PluginOptions,
        link: InterfaceInfo,
        mru: LcpMru,
    ) -> Result<(discovery::Session, bool), ConnectError> {
        if let Some(existing) = options.existing_session {
            return Ok((attached_session(existing, options), false));
        }
        if let Some(lines) = mtu::interface_mtu_warning(interface, link.mtu) {
            for line in lines {
                self.host.log(Level::Error, &line);
            }
        }
        let mut config =
            Config::from_settings(link.mac, &options.discovery, self.host.pid(), Mode::Session);
        config.max_payload = mtu::max_payload_to_advertise(mru);
        config.released = std::mem::take(&mut self.released);
        let session = self.discover(interface, config, options.verbose)?;
        self.host
            .set_lcp_mru(mtu::cap_to_session(mru, session.payload_limit()));
        Ok((session, true))
    }

    /// Tells pppd and its scripts about the session: the log lines the
    /// reference writes (the connection line at warning level, as pppd's
    /// plugin has it), pppd's session and remote numbers, `MACREMOTE` and
    /// `ACNAME`.
    fn announce(&mut self, interface: &str, session: &discovery::Session) {
        self.host.log(
            Level::Info,
            &format!("PPP session is {}", session.session_id),
        );
        self.host.set_session_number(i32::from(session.session_id));
        let remote = session.ac_mac.to_upper();
        self.host.log(
            Level::Warn,
            &format!("Connected to {remote} via interface {interface}"),
        );
        self.host.set_remote_number(&remote);
        self.host.script_setenv("MACREMOTE", &remote);
        if !session.ac_name.is_empty() {
            self.host
                .script_setenv("ACNAME", &printable(&session.ac_name));
        }
    }

    /// Attaches the session socket to the session and keeps it (and the
    /// record of a session we discovered) until pppd's `disconnect`.
    fn attach(
        &mut self,
        mut socket: N::Session,
        record: SessionRecord,
        discovered: bool,
    ) -> Result<i32, ConnectError> {
        if let Err(source) = socket.connect(record.session_id, record.ac_mac) {
            // Another socket on this host has the session (the AC handed it
            // out twice, e.g. to two pppd with the same pppoe-host-uniq): a
            // PADT would end it for its holder.
            if source.raw_os_error() == Some(libc::EALREADY) {
                return Err(ConnectError::HeldElsewhere {
                    session_id: record.session_id,
                    ac_mac: record.ac_mac,
                    interface: record.interface,
                });
            }
            // A session we discovered and cannot use would sit on the AC
            // until its own timers expire.
            if discovered {
                send_padt(
                    &self.host,
                    &mut self.net,
                    &record,
                    " (the session socket could not be attached)",
                );
            }
            return Err(ConnectError::Attach(source));
        }
        // A pppoe-sess session belongs to whoever started us (pppoe-server);
        // only sessions we discovered are ours to clean up after a crash.
        let held = if discovered {
            self.recovery.record(&self.host, &record)
        } else {
            None
        };
        let fd = socket.raw_fd();
        self.active = Some(ActiveSession {
            socket,
            record,
            held,
        });
        Ok(fd)
    }

    /// pppd's `disconnect`: detach and close the session socket, send a
    /// PADT, forget the session record.
    pub fn disconnect(&mut self) {
        if let Some(active) = self.active.take() {
            self.end_session(active);
        }
    }

    fn end_session(&mut self, mut active: ActiveSession<N::Session>) {
        if let Err(e) = active.socket.disconnect() {
            self.host.log(
                Level::Error,
                &format!("Failed to disconnect PPPoE socket: {e}"),
            );
        }
        drop(active.socket);
        send_padt(&self.host, &mut self.net, &active.record, "");
        if let Some(held) = active.held {
            self.recovery.forget(&self.host, held);
        }
    }

    fn discover(
        &mut self,
        interface: &str,
        config: Config,
        verbose: u8,
    ) -> Result<discovery::Session, ConnectError> {
        let Plugin { host, net, .. } = self;
        let host: &H = host;
        let settings = self
            .options
            .as_ref()
            .map(|o| o.discovery.clone())
            .unwrap_or_default();
        let mut hooks = DiscoveryLog {
            host,
            verbose,
            frames: host.debug_on(),
            summary: Summary::new(&settings, FilterNames::PLUGIN),
            refusals: RefusalLog::default(),
        };
        let result = net.discover(interface, config, &mut hooks);
        hooks.report_held_back();
        match result {
            Ok(Outcome::Established(session)) => Ok(session),
            Ok(Outcome::Failed(failure)) => {
                // The cable may have gone while we waited.
                let summary = match net
                    .link_state(interface)
                    .ok()
                    .and_then(|s| s.problem(interface))
                {
                    Some(problem) => problem.to_string(),
                    None => hooks.summary.explain(interface, &failure),
                };
                Err(ConnectError::NoSession { failure, summary })
            }
            Ok(Outcome::Offers(_)) => Err(ConnectError::OffersOnly),
            Err(DiscoveryError::Cancelled) => Err(ConnectError::Cancelled),
            Err(DiscoveryError::Link(problem)) => Err(ConnectError::Link(problem)),
            Err(source) => Err(ConnectError::Discovery {
                interface: interface.to_owned(),
                source,
            }),
        }
    }
}

/// Why a connect attempt ended without a session. Each is logged once, in
/// the reference plugin's words where it has them.
#[derive(Debug)]
enum ConnectError {
    /// pppd called `connect` before `check_options` (never in practice).
    NotConfigured,
    /// The interface vanished or changed since the options were checked.
    Interface {
        interface: String,
        source: InterfaceError,
    },
    /// The interface is down or has no carrier (before or during
    /// discovery).
    Link(LinkProblem),
    /// The AF_PPPOX socket could not be opened.
    SessionSocket(std::io::Error),
    /// Discovery ran to its end without a session; `summary` says why in
    /// one line.
    NoSession { failure: Failure, summary: String },
    /// Discovery listed offers instead of choosing one (a bug: the plugin
    /// always runs it in session mode).
    OffersOnly,
    /// pppd was told to terminate during discovery.
    Cancelled,
    /// Discovery could not run.
    Discovery {
        interface: String,
        source: DiscoveryError,
    },
    /// The session socket could not be attached to the session.
    Attach(std::io::Error),
    /// Another socket on this host is attached to the session already.
    HeldElsewhere {
        session_id: u16,
        ac_mac: MacAddr,
        interface: String,
    },
}

impl ConnectError {
    fn log(&self, host: &impl Host) {
        match self {
            ConnectError::NotConfigured => host.log(
                Level::Error,
                "PPPoE connect before the options were checked",
            ),
            ConnectError::Interface { interface, source } => host.log(
                Level::Error,
                &format!("Can't use interface {interface}: {source}"),
            ),
            ConnectError::SessionSocket(source) => host.log(
                Level::Error,
                &format!("Failed to create PPPoE socket: {source}"),
            ),
            ConnectError::Link(problem) => host.log(Level::Error, &problem.to_string()),
            ConnectError::NoSession { failure, summary } => {
                host.log(Level::Warn, failure.pppd_line());
                host.log(
                    Level::Error,
                    &format!(
                        "Unable to complete PPPoE Discovery phase {}",
                        failure.phase()
                    ),
                );
                host.log(Level::Notice, summary);
            }
            ConnectError::OffersOnly => {
                host.log(Level::Error, "PPPoE discovery ended without a session")
            }
            ConnectError::Cancelled => {
                host.log(Level::Info, "PPPoE discovery interrupted by a signal")
            }
            ConnectError::Discovery {
                source: DiscoveryError::Interface(source),
                ..
            } => host.log(
                Level::Error,
                &format!("Failed to create PPPoE discovery socket: {source}"),
            ),
            ConnectError::Discovery { interface, source } => host.log(
                Level::Error,
                &format!("PPPoE discovery on {interface} failed: {source}"),
            ),
            ConnectError::Attach(source) => host.log(
                Level::Error,
                &format!("Failed to connect PPPoE socket: {source}"),
            ),
            ConnectError::HeldElsewhere {
                session_id,
                ac_mac,
                interface,
            } => host.log(
                Level::Error,
                &format!(
                    "PPPoE session {session_id} with {ac_mac} on {interface} is held by another process on this host \
                     (another pppd with the same pppoe-host-uniq?); not using it, and not \
                     ending it with a PADT"
                ),
            ),
        }
    }
}

/// The session a `pppoe-sess` option names, as if discovery had found it.
fn attached_session(existing: ExistingSession, options: &PluginOptions) -> discovery::Session {
    discovery::Session {
        session_id: existing.session_id,
        ac_mac: existing.peer_mac,
        ac_name: Vec::new(),
        service_name: options.discovery.service_name.clone(),
        cookie: None,
        relay_id: None,
        max_payload: None,
    }
}

/// Sends the PADT a record describes. `why` is appended to the log line.
fn send_padt<H: Host, N: Network>(
    host: &H,
    net: &mut N,
    record: &SessionRecord,
    why: &str,
) -> bool {
    let frame = record.padt_frame();
    match net.send_discovery_frame(&record.interface, &frame) {
        Ok(()) => {
            host.log(Level::Info, &format!("Sent PADT{why}"));
            true
        }
        Err(e) => {
            host.log(
                Level::Warn,
                &format!(
                    "Could not send PADT for session {} to {}: {e}",
                    record.session_id, record.ac_mac
                ),
            );
            false
        }
    }
}

/// Logs discovery the way `pppoe-verbose` and pppd's `debug` ask, keeps
/// the summary of what it saw, and stops it when pppd is told to
/// terminate.
struct DiscoveryLog<'a, H: Host> {
    host: &'a H,
    verbose: u8,
    /// Log every frame sent and received (pppd's `debug`).
    frames: bool,
    summary: Summary,
    /// Other hosts' frames must not be able to fill the log.
    refusals: RefusalLog,
}

impl<H: Host> DiscoveryLog<'_, H> {
    /// Says how many refused-frame lines were not logged, if any.
    fn report_held_back(&mut self) {
        let held_back = self.refusals.take_held_back();
        if held_back > 0 {
            self.host.log(
                Level::Info,
                &format!("{held_back} more refused discovery frames were not logged"),
            );
        }
    }
}

impl<H: Host> DiscoveryLog<'_, H> {
    fn log_all(&self, lines: Vec<(Level, String)>) {
        for (level, line) in lines {
            self.host.log(level, &line);
        }
    }
}

impl<H: Host> Hooks for DiscoveryLog<'_, H> {
    fn event(&mut self, event: &Event) {
        let lines = match event {
            Event::Ignored => return,
            Event::Offer(offer) => pppd_log::offer_lines(offer, self.verbose),
            Event::Confirmed(session) => pppd_log::confirmation_lines(session, self.verbose),
            Event::Rejected { from, reason } => {
                self.summary.event(event);
                // Other hosts' frames must not be able to fill the log: a
                // few lines per kind of refusal, then a count.
                let Admission::Log { held_back } =
                    self.refusals.admit(reason, std::time::Instant::now())
                else {
                    return;
                };
                let mut lines = Vec::new();
                if held_back > 0 {
                    lines.push((
                        Level::Info,
                        format!("({held_back} similar refused frames were not logged)"),
                    ));
                }
                lines.extend(pppd_log::rejection_lines(*from, reason, self.verbose));
                lines
            }
            Event::AcError {
                from,
                reason,
                retry_in,
            } => {
                // Once per PADR (the state machine holds back the rest), so
                // it needs no budget.
                self.summary.event(event);
                let mut lines = pppd_log::rejection_lines(*from, reason, self.verbose);
                if let Some(delay) = retry_in {
                    lines.push((
                        Level::Info,
                        format!("Sending PADR again in {:.1} s", delay.as_secs_f64()),
                    ));
                }
                lines
            }
        };
        self.log_all(lines);
    }

    fn tagged_frame(&mut self, vid: u16, frame: &[u8]) {
        self.summary.tagged(vid, frame);
    }

    fn cancelled(&mut self) -> bool {
        self.host.sigterm_seen()
    }

    fn frame(&mut self, direction: Direction, frame: &[u8]) {
        match direction {
            Direction::Sent => self.summary.sent(frame),
            Direction::Received => self.summary.received(frame),
        }
        if !self.frames {
            return;
        }
        for line in pppd_log::packet_dump(direction, frame, self.verbose >= 2) {
            self.host.log(Level::Debug, &line);
        }
    }
}

#[cfg(test)]
mod tests;

/// Characters Linux interface names are made of in practice (eth0,
/// enp1s0f1, eth0.7, br-lan, veth_a@b).
fn looks_like_interface_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'))
}

/// pppd's tty channel accepts a bare `ttyXYZ` word when `/dev/ttyXYZ`
/// exists; leave such words to it.
fn tty_exists(name: &str) -> bool {
    std::path::Path::new("/dev").join(name).exists()
}
