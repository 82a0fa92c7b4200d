//! `rs-pppoe-rule`: pppd `ip-up`/`ip-down` hook that makes replies to
//! connections arriving on a PPP interface leave by that interface, while
//! the LAN keeps the main default route.
//!
//! * up: `ip rule add from ADDR/32 lookup TABLE priority PRIO` and
//!   `ip route add default dev IFACE src ADDR table TABLE`, after sweeping
//!   our stale rules (same table and priority, another source).
//! * down: deletes exactly that rule, and the route if it is still there.
//!
//! Table scheme: `pppN` gets table `100 + N` and priority `200 + N` (the
//! bases are configurable), so `ppp0` keeps exactly the article's 100/200
//! and concurrent sessions never share a table. Interfaces not named `pppN`
//! use pppd's `UNIT`, or need a `[name]` section in
//! `/etc/ppp/rs-pppoe-rule.conf`. See `--help` and `hooks/README.md`.
//!
//! Layout: [`cli`] and [`config`] parse, [`plan`] decides (pure),
//! [`netlink`] reads kernel state and applies with rollback, [`log`]
//! reports to syslog/stderr.
#![forbid(unsafe_code)]

mod log;
mod netlink;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::Duration;

use rs_pppoe_rule::{cli, config, plan};

use cli::{Command, Invocation, PppEnv};
use config::Config;
use log::Log;
use plan::{KernelState, Mode, Op, Slot};

/// pppd waits 5 s for scripts at exit; stay well inside that.
const NETLINK_DEADLINE: Duration = Duration::from_secs(3);

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
    match run(&invocation, &mut log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            log.error(&failure.message);
            ExitCode::from(failure.status)
        }
    }
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

fn run(invocation: &Invocation, log: &mut Log) -> Result<(), Failure> {
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
            let what = format!(
                "{} {iface} {addr} (table {} priority {})",
                match mode {
                    Mode::Up => "up",
                    Mode::Down => "down",
                },
                slot.table,
                slot.priority
            );
            let runtime = runtime()?;
            let work = hook(*mode, iface, addr, slot, invocation.dry_run, &what, log);
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
                Some(iface) => Some(
                    config
                        .slot_for(iface, None, invocation.flags)
                        .map_err(bad_input)?,
                ),
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

async fn hook(
    mode: Mode,
    iface: &str,
    addr: Ipv4Addr,
    slot: Slot,
    dry_run: bool,
    what: &str,
    log: &mut Log,
) -> Result<(), Failure> {
    let handle = match netlink::connect() {
        Ok(handle) => Some(handle),
        Err(error) if dry_run => {
            println!("# cannot open netlink ({error}): planning from an empty kernel state");
            None
        }
        Err(error) => return Err(refused(format!("{what}: cannot open netlink: {error}"))),
    };
    // Down reads nothing: it deletes exactly its own rule and route and
    // treats "already gone" as done. Up reads the interface, its
    // addresses, the rules and our table.
    let state = match (&handle, mode) {
        (None, _) | (Some(_), Mode::Down) => KernelState::default(),
        (Some(handle), Mode::Up) => match netlink::read_state(handle, iface, slot.table).await {
            Ok(state) => state,
            Err(error) if dry_run => {
                println!("# cannot read the kernel state ({error}): planning from empty");
                KernelState::default()
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

    if dry_run {
        println!("# {what}");
        if let Err(problem) = &check {
            println!("# a real run would stop here: {problem}");
        }
        if ops.is_empty() {
            println!("# nothing to do: rule and route are in place");
        }
        for op in &ops {
            println!("{op}");
        }
        return Ok(());
    }
    let Some(handle) = handle else {
        return Ok(());
    };
    match netlink::apply(&handle, &ops).await {
        Ok(results) => {
            let mut done: Vec<String> = results
                .iter()
                .map(|(op, outcome)| match outcome {
                    netlink::Outcome::Done => op.to_string(),
                    netlink::Outcome::AlreadyThere => format!("{op} (already there)"),
                    netlink::Outcome::AlreadyGone => format!("{op} (already gone)"),
                })
                .collect();
            if done.is_empty() {
                done.push("rule and route already in place".into());
            }
            log.info(&format!("{what}: {}", done.join("; ")));
            Ok(())
        }
        Err(failure) => {
            let mut message = format!("{what}: {}", failure.error);
            if !failure.rolled_back.is_empty() {
                let undone: Vec<String> = failure.rolled_back.iter().map(Op::to_string).collect();
                message.push_str(&format!("; rolled back: {}", undone.join("; ")));
            }
            for error in &failure.rollback_failures {
                message.push_str(&format!("; rollback failed: {error}"));
            }
            Err(refused(message))
        }
    }
}

async fn show(config: &Config, only: Option<Slot>) -> Result<(), Failure> {
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
            Some(only) => only == slot,
            None => config.manages(slot),
        };
        let source = rule.source.map(|(source, _)| source);
        if let Some(source) = source.filter(|_| wanted && plan::is_ours(rule, slot)) {
            lines.push(format!("ip rule: {}", plan::wanted_rule(source, slot)));
            tables.insert(slot.table);
        }
    }
    if let Some(only) = only {
        tables.insert(only.table);
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
