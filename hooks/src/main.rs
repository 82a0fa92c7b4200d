//! `rs-pppoe-rule`: pppd `ip-up`/`ip-down` hook that makes replies to
//! connections arriving on a PPP interface leave by that interface, while
//! the LAN keeps the main default route.
//!
//! * up: `ip rule add from ADDR/32 lookup TABLE priority PRIO` and
//!   `ip route add default dev IFACE src ADDR table TABLE`, after sweeping
//!   our stale rules (same table and priority, another source).
//! * down: deletes exactly that rule, and the route if it is still there.
//! * forwarding (on by default): replies of servers behind DNAT
//!   (containers, LAN hosts) leave by the interface too: a conntrack mark
//!   in an nftables table of the hook's own (`ip rs-pppoe-rule-IFACE`)
//!   and `ip rule fwmark MARK/MASK lookup TABLE priority FWPRIO`. Without
//!   nftables this part is skipped with a warning; the rest still works.
//!
//! Table scheme: `pppN` gets table `100 + N` and priority `200 + N` (the
//! bases are configurable), so `ppp0` keeps exactly the article's 100/200
//! and concurrent sessions never share a table. Interfaces not named `pppN`
//! use pppd's `UNIT`, or need a `[name]` section in
//! `/etc/ppp/rs-pppoe-rule.conf`. See `--help` and `hooks/README.md`.
//!
//! Layout: [`cli`] and [`config`] parse, [`plan`] and [`forward`] decide
//! (pure), [`netlink`] and [`nft`] read kernel state, [`apply`] applies
//! with rollback, [`log`] reports to syslog/stderr, [`sys`] holds the run
//! lock and the only `unsafe`.
#![deny(unsafe_code)]

mod apply;
mod cli;
mod config;
mod forward;
mod log;
mod netlink;
mod nft;
mod plan;
mod sys;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::Duration;

use cli::{Command, Invocation, PppEnv};
use config::{Config, Forwarding};
use log::Log;
use netlink::Outcome;
use nft::Nft;
use plan::{ForwardState, KernelState, Mode, NftState, Op, Slot};

/// pppd waits 5 s for scripts at exit; stay well inside that.
const NETLINK_DEADLINE: Duration = Duration::from_secs(3);

/// Serialises runs (ppp0's and ppp1's scripts run at the same time, and
/// each reads then changes the shared rule list).
const LOCK_PATH: &str = "/run/rs-pppoe-rule.lock";

/// Why the run failed, and the exit status that says so.
struct Failure {
    status: u8,
    message: String,
}

/// Bad arguments, address or configuration: exit 2.
fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        status: 2,
        message: message.into(),
    }
}

/// The system refused (missing interface, netlink error): exit 1.
fn refused(message: impl Into<String>) -> Failure {
    Failure {
        status: 1,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let env = PppEnv {
        ifname: std::env::var("IFNAME").ok(),
        iplocal: std::env::var("IPLOCAL").ok(),
    };
    let invocation = match cli::parse(&args, &env) {
        Ok(invocation) => invocation,
        Err(message) => {
            // The parse failed, but a -v given before the bad part counts.
            let verbose = args.iter().any(|arg| arg == "-v" || arg == "--verbose");
            Log::open(None, verbose).error(&message);
            return ExitCode::from(2);
        }
    };
    match invocation.command {
        Command::Help => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("rs-pppoe-rule {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Hook { .. } | Command::Show { .. } => {}
    }
    let mut log = Log::open(invocation.syslog_socket.as_deref(), invocation.verbose);
    let mut linger = None;
    let status = match run(&invocation, &mut log, &mut linger) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            log.error(&failure.message);
            ExitCode::from(failure.status)
        }
    };
    // Last, so that this process touches little memory after the fork.
    if let Some(nft) = &linger {
        sys::release_after_exit(nft.socket());
    }
    status
}

fn load_config(invocation: &Invocation) -> Result<Config, Failure> {
    let (path, required) = match &invocation.config_path {
        Some(path) => (path.clone(), true),
        None => (config::DEFAULT_PATH.into(), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            Config::parse(&text).map_err(|error| bad_input(format!("{}: {error}", path.display())))
        }
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
            Ok(Config::default())
        }
        Err(error) => Err(bad_input(format!("{}: {error}", path.display()))),
    }
}

/// A usable local address: a unicast IPv4 address in dotted-quad form.
fn parse_local_address(text: &str) -> Option<Ipv4Addr> {
    let addr: Ipv4Addr = text.parse().ok()?;
    let usable = !(addr.is_unspecified()
        || addr.is_broadcast()
        || addr.is_multicast()
        || addr.is_loopback());
    usable.then_some(addr)
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|error| refused(format!("cannot start the async runtime: {error}")))
}

/// `linger` receives an nftables socket whose close must not be waited for.
fn run(invocation: &Invocation, log: &mut Log, linger: &mut Option<Nft>) -> Result<(), Failure> {
    let config = load_config(invocation)?;
    match &invocation.command {
        Command::Hook { mode, iface, addr } => {
            let iface = iface
                .as_deref()
                .ok_or_else(|| bad_input("no interface name: pppd passes it as $1 (or IFNAME)"))?;
            if !config::is_valid_ifname(iface) {
                return Err(bad_input(format!("invalid interface name {iface:?}")));
            }
            let addr_text = addr.as_deref().ok_or_else(|| {
                bad_input(format!(
                    "{iface}: no local address: pppd passes it as $4 (or IPLOCAL)"
                ))
            })?;
            let addr = parse_local_address(addr_text).ok_or_else(|| {
                bad_input(format!(
                    "{iface}: invalid local address {addr_text:?} (need a unicast IPv4 address)"
                ))
            })?;
            let unit = std::env::var("UNIT").ok();
            let slot = config
                .slot_for(iface, unit.as_deref(), invocation.flags)
                .map_err(bad_input)?;
            let forwarding = config.forwarding_for(iface, unit.as_deref());
            let session = Session {
                mode: *mode,
                iface,
                addr,
                slot,
                sweep_priority: config.fwmark_priority_for(iface, unit.as_deref()),
                forwarding,
            };
            let what = format!(
                "{} {iface} {addr} (table {} priority {})",
                match mode {
                    Mode::Up => "up",
                    Mode::Down => "down",
                },
                slot.table,
                slot.priority
            );
            let deadline = std::time::Instant::now() + NETLINK_DEADLINE;
            // A dry run changes nothing and may run as any user: no lock.
            let _lock = if invocation.dry_run {
                None
            } else {
                Some(sys::lock(LOCK_PATH.as_ref(), deadline).map_err(|error| {
                    refused(format!("{what}: cannot take {LOCK_PATH}: {error}"))
                })?)
            };
            let runtime = runtime()?;
            let work = hook(&session, invocation.dry_run, &what, log, linger);
            runtime
                .block_on(async { tokio::time::timeout(NETLINK_DEADLINE, work).await })
                .unwrap_or_else(|_| {
                    Err(refused(format!(
                        "{what}: netlink did not answer within {NETLINK_DEADLINE:?}"
                    )))
                })
        }
        Command::Show { iface } => {
            let filter = match iface {
                Some(iface) => Some((
                    iface.as_str(),
                    config
                        .slot_for(iface, None, invocation.flags)
                        .map_err(bad_input)?,
                )),
                None => None,
            };
            let runtime = runtime()?;
            runtime
                .block_on(async {
                    tokio::time::timeout(NETLINK_DEADLINE, show(&config, filter)).await
                })
                .unwrap_or_else(|_| Err(refused("netlink did not answer in time")))
        }
        Command::Help | Command::Version => Ok(()),
    }
}

/// One `up` or `down`, as the command line and the config file made it.
struct Session<'a> {
    mode: Mode,
    iface: &'a str,
    addr: Ipv4Addr,
    slot: Slot,
    forwarding: Forwarding,
    /// The fwmark rule priority of this interface even when forwarding is
    /// off, to sweep a rule left from when it was on.
    sweep_priority: Option<u32>,
}

/// What forwarding needs to know on `up`: our nftables table and the
/// interface's reverse-path filter; and the nftables socket, to apply.
fn read_forward_state(iface: &str, dry_run: bool) -> (ForwardState, Option<Nft>) {
    let read = |name: &str| {
        std::fs::read_to_string(format!("/proc/sys/net/ipv4/conf/{name}/rp_filter"))
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
    };
    let rp_filter = read("all").zip(read(iface));
    let mut nft = match Nft::open() {
        Ok(nft) => nft,
        Err(error) => {
            let nft = NftState::Unusable(describe_nft_error(&error));
            return (ForwardState { nft, rp_filter }, None);
        }
    };
    let nft_state = match nft.read_table(&forward::table_name(iface)) {
        Ok(Some(table)) => NftState::Table(table.comment),
        Ok(None) => NftState::NoTable,
        // Reading needs CAP_NET_ADMIN; a dry run need not have it.
        Err(error) if dry_run && error.errno == Some(libc::EPERM) => {
            println!("# cannot read nftables ({error}): planning as if our table were absent");
            NftState::NoTable
        }
        Err(error) => NftState::Unusable(describe_nft_error(&error)),
    };
    let state = ForwardState {
        nft: nft_state,
        rp_filter,
    };
    (state, Some(nft))
}

fn describe_nft_error(error: &nft::NftError) -> String {
    if error.is_unsupported() {
        format!("the kernel has no nftables ({error})")
    } else {
        format!("nftables refused ({error})")
    }
}

async fn hook(
    session: &Session<'_>,
    dry_run: bool,
    what: &str,
    log: &mut Log,
    linger: &mut Option<Nft>,
) -> Result<(), Failure> {
    let Session {
        mode,
        iface,
        addr,
        slot,
        ..
    } = *session;
    let handle = match netlink::connect() {
        Ok(handle) => Some(handle),
        Err(error) if dry_run => {
            println!("# cannot open netlink ({error}): planning from an empty kernel state");
            None
        }
        Err(error) => return Err(refused(format!("{what}: cannot open netlink: {error}"))),
    };
    // Down reads nothing: it deletes exactly its own rules, route and
    // table and treats "already gone" as done. Up reads the interface, its
    // addresses, the rules, our table, our nftables table and rp_filter.
    let mut nft = None;
    let (state, forward_state) = match (&handle, mode) {
        (None, _) | (Some(_), Mode::Down) => (
            KernelState::default(),
            ForwardState {
                nft: NftState::NoTable,
                rp_filter: None,
            },
        ),
        (Some(handle), Mode::Up) => match netlink::read_state(handle, iface, slot.table).await {
            Ok(state) => {
                let forward_state = match (&session.forwarding, session.sweep_priority) {
                    (Forwarding::On { .. }, _) => {
                        let (forward_state, opened) = read_forward_state(iface, dry_run);
                        nft = opened;
                        forward_state
                    }
                    // Off: nftables is touched only to sweep what an
                    // earlier up left, which its mark rule betrays.
                    (_, sweep) => ForwardState {
                        nft: if sweep.is_some_and(|priority| {
                            state
                                .rules
                                .iter()
                                .any(|rule| plan::is_our_fwmark_rule(rule, priority, slot.table))
                        }) {
                            NftState::Table(None)
                        } else {
                            NftState::NoTable
                        },
                        rp_filter: None,
                    },
                };
                (state, forward_state)
            }
            Err(error) if dry_run => {
                println!("# cannot read the kernel state ({error}): planning from empty");
                (
                    KernelState::default(),
                    ForwardState {
                        nft: NftState::NoTable,
                        rp_filter: None,
                    },
                )
            }
            Err(error) => return Err(refused(format!("{what}: {error}"))),
        },
    };
    let check = match mode {
        Mode::Up if handle.is_some() => plan::check_up(iface, addr, &state),
        _ => Ok(()),
    };
    if let (Err(problem), false) = (&check, dry_run) {
        return Err(refused(format!("{what}: {problem}; nothing changed")));
    }
    let ops = plan::plan(mode, iface, addr, slot, &state);
    let forward_plan = plan::plan_forwarding(
        mode,
        iface,
        slot.table,
        &session.forwarding,
        session.sweep_priority,
        &state,
        &forward_state,
    );

    if dry_run {
        println!("# {what}");
        match &session.forwarding {
            Forwarding::On {
                mark,
                fwmark_priority,
                ..
            } => println!(
                "# forwarding on: mark {mark}, fwmark rule priority {fwmark_priority}, \
                 nftables table ip {}",
                forward::table_name(iface)
            ),
            Forwarding::Off => println!("# forwarding off (forward = no)"),
            Forwarding::Unavailable(why) => println!("# forwarding unavailable: {why}"),
        }
        if let Err(problem) = &check {
            println!("# a real run would stop here: {problem}");
        }
        if ops.is_empty() && forward_plan.ops.is_empty() {
            println!("# nothing to do: everything is in place");
        }
        for op in ops.iter().chain(&forward_plan.ops) {
            println!("{op}");
        }
        for warning in &forward_plan.warnings {
            println!("# warning: {warning}");
        }
        return Ok(());
    }
    let Some(handle) = handle else {
        return Ok(());
    };
    let mut kernel = apply::Kernel {
        handle: &handle,
        nft,
        nft_deleted: false,
    };
    // Up: the source rule and route first (what always works), then the
    // forwarding part. Down: the other way round. A failure of the
    // forwarding part is a warning: pppd must not lose the link for it.
    let (first, second, forwarding_first) = match mode {
        Mode::Up => (&ops, &forward_plan.ops, false),
        Mode::Down => (&forward_plan.ops, &ops, true),
    };
    let mut done = Vec::new();
    let mut warnings = forward_plan.warnings.clone();
    let mut failure = None;
    for (group, is_forwarding) in [(first, forwarding_first), (second, !forwarding_first)] {
        match apply::apply(&mut kernel, group).await {
            Ok(results) => done.extend(results),
            Err(error) if is_forwarding => {
                let mut why = error.error.to_string();
                append_rollback(&mut why, &error);
                warnings.push(match mode {
                    Mode::Up => plan::no_forwarding_warning(iface, &why),
                    Mode::Down => format!("{iface}: could not remove the forwarding part: {why}"),
                });
            }
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    // After a deletion, closing the socket waits for a grace period (see
    // sys::release_after_exit); otherwise it is cheap, and no fork is paid.
    if kernel.nft_deleted {
        *linger = kernel.nft.take();
    }
    for warning in &warnings {
        log.warning(&format!("{what}: {warning}"));
    }
    if let Some(error) = failure {
        let mut message = format!("{what}: {}", error.error);
        append_rollback(&mut message, &error);
        return Err(refused(message));
    }
    let mut lines: Vec<String> = done
        .iter()
        .map(|(op, outcome)| match outcome {
            Outcome::Done => op.summary(),
            Outcome::AlreadyThere => format!("{} (already there)", op.summary()),
            Outcome::AlreadyGone => format!("{} (already gone)", op.summary()),
        })
        .collect();
    if lines.is_empty() {
        lines.push("rules, route and table already in place".into());
    }
    log.info(&format!("{what}: {}", lines.join("; ")));
    Ok(())
}

fn append_rollback(message: &mut String, error: &apply::ApplyError) {
    if !error.rolled_back.is_empty() {
        let undone: Vec<String> = error.rolled_back.iter().map(Op::summary).collect();
        message.push_str(&format!("; rolled back: {}", undone.join("; ")));
    }
    for failure in &error.rollback_failures {
        message.push_str(&format!("; rollback failed: {failure}"));
    }
}

async fn show(config: &Config, only: Option<(&str, Slot)>) -> Result<(), Failure> {
    let handle =
        netlink::connect().map_err(|error| refused(format!("cannot open netlink: {error}")))?;
    let rules = netlink::read_rules(&handle)
        .await
        .map_err(|error| refused(error.to_string()))?;
    let mut tables = BTreeSet::new();
    let mut lines = Vec::new();
    for rule in &rules {
        let slot = Slot {
            table: rule.table,
            priority: rule.priority,
        };
        let wanted = match only {
            Some((_, only)) => only == slot,
            None => config.manages(slot),
        };
        let source = rule.source.map(|(source, _)| source);
        if let Some(source) = source.filter(|_| wanted && plan::is_ours(rule, slot)) {
            lines.push(format!("ip rule: {}", plan::wanted_rule(source, slot)));
            tables.insert(slot.table);
        }
    }
    if let Some((_, only)) = only {
        tables.insert(only.table);
    }
    // Mark rules pointing at one of those tables, with nothing but a mark.
    for rule in &rules {
        if let Some(mark) = rule.fwmark.filter(|_| {
            tables.contains(&rule.table)
                && plan::is_our_fwmark_rule(rule, rule.priority, rule.table)
        }) {
            let spec = plan::FwmarkRuleSpec {
                mark,
                table: rule.table,
                priority: rule.priority,
            };
            lines.push(format!("ip rule: {spec}"));
        }
    }
    for table in tables {
        let routes = netlink::read_default_routes(&handle, table)
            .await
            .map_err(|error| refused(error.to_string()))?;
        for route in routes {
            lines.push(format!(
                "ip route: {}",
                plan::RouteSpec {
                    table: route.table,
                    dev: route.dev,
                    oif: route.oif,
                    pref_src: route.pref_src,
                    gateway: route.gateway,
                    metric: route.metric,
                }
            ));
        }
    }
    match Nft::open().and_then(|mut nft| nft.list_our_tables()) {
        Ok(found) => {
            for table in found {
                let wanted = only.is_none_or(|(iface, _)| table.name == forward::table_name(iface));
                if wanted {
                    lines.push(format!(
                        "nft table: ip {} ({})",
                        table.name,
                        table
                            .comment
                            .as_deref()
                            .unwrap_or("no comment: not written by us")
                    ));
                }
            }
        }
        Err(error) => lines.push(format!("nft: {}", describe_nft_error(&error))),
    }
    if lines.is_empty() {
        println!("nothing managed by rs-pppoe-rule is installed");
    }
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unicast_dotted_quads_are_local_addresses() {
        assert_eq!(
            parse_local_address("203.0.113.5"),
            Some(Ipv4Addr::new(203, 0, 113, 5))
        );
        for bad in [
            "",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "127.0.0.1",
            "203.0.113",
            "203.0.113.256",
            "2001:db8::1",
            "203.0.113.5/32",
            " 203.0.113.5",
        ] {
            assert_eq!(parse_local_address(bad), None, "{bad:?}");
        }
    }
}
