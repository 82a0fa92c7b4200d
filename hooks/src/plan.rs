//! Pure planning: from "what the kernel has now" to the list of netlink
//! operations that make it "what this interface needs".
//!
//! Nothing here does I/O. [`plan`] takes the mode, the interface, its local
//! address, its [`Slot`] (table + priority) and a snapshot of the kernel's
//! IPv4 rules and of the default routes in our table, and returns plain
//! [`Op`]s. `--dry-run` prints them; `apply` executes them.
//!
//! [`plan_forwarding`] does the same for the replies of forwarded servers
//! (see [`crate::forward`]): the nftables table, the fwmark rule and the
//! interface's `rp_filter`, from a snapshot that also holds what nftables
//! and `/proc` said.

use std::fmt;
use std::net::Ipv4Addr;

use crate::config::{Forwarding, RpFilterPolicy};
use crate::forward::{Mark, Table, table_name};

/// Which pppd script we are running as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `ip-up`: install the rule and the route.
    Up,
    /// `ip-down`: remove exactly what `ip-up` installed.
    Down,
}

/// Where one interface's rule and route live: the routing table the rule
/// points at and the rule's priority. Both together identify our rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub table: u32,
    pub priority: u32,
}

/// An IPv4 policy rule as read from the kernel, reduced to what the
/// ownership test needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRule {
    pub priority: u32,
    pub table: u32,
    /// `action to-table` (`lookup`); anything else (blackhole, goto, ...)
    /// was not made by us.
    pub to_table: bool,
    /// `from ADDR/LEN`, if the rule has a source selector.
    pub source: Option<(Ipv4Addr, u8)>,
    /// `fwmark VALUE/MASK`, if the rule has a mark selector.
    pub fwmark: Option<Mark>,
    /// Any other selector (to, iif, oif, tos, not, ports, ...): such a
    /// rule was not made by us, whatever its priority.
    pub other_selectors: bool,
}

/// A default route (`0.0.0.0/0`) found in our table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRoute {
    pub table: u32,
    /// Output interface index (`dev`), if any.
    pub oif: Option<u32>,
    /// Interface name for messages: the real name when known, else `if#N`.
    pub dev: String,
    pub pref_src: Option<Ipv4Addr>,
    pub gateway: Option<Ipv4Addr>,
    pub metric: u32,
}

/// What the kernel has, as far as planning needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelState {
    /// Interface index of the PPP interface; `None` when it does not exist.
    pub ifindex: Option<u32>,
    /// All IPv4 rules.
    pub rules: Vec<SeenRule>,
    /// Default routes in our table.
    pub routes: Vec<SeenRoute>,
    /// IPv4 local addresses of the interface.
    pub local_addrs: Vec<Ipv4Addr>,
}

/// What nftables said about the interface's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NftState {
    /// A table of our name, with its comment (ours always have one).
    Table(Option<String>),
    /// No table of our name.
    NoTable,
    /// nftables could not be asked (no nf_tables in the kernel, ...).
    Unusable(String),
}

/// What forwarding needs beyond [`KernelState`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardState {
    pub nft: NftState,
    /// `net.ipv4.conf.all.rp_filter` and `net.ipv4.conf.IFACE.rp_filter`,
    /// when readable.
    pub rp_filter: Option<(u32, u32)>,
}

/// A policy rule for a packet mark: `fwmark VALUE/MASK lookup TABLE
/// priority PRIORITY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FwmarkRuleSpec {
    pub mark: Mark,
    pub table: u32,
    pub priority: u32,
}

impl fmt::Display for FwmarkRuleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fwmark {} lookup {} priority {}",
            self.mark, self.table, self.priority
        )
    }
}

/// `from SOURCE/PREFIX lookup TABLE priority PRIORITY` (always action
/// to-table and always an explicit priority).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    pub source: Ipv4Addr,
    pub prefix_len: u8,
    pub table: u32,
    pub priority: u32,
}

/// `default dev DEV [src SRC] [via GW] [metric M] table TABLE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    pub table: u32,
    pub dev: String,
    /// Needed to talk to the kernel; `None` only in a dry run for an
    /// interface that does not exist.
    pub oif: Option<u32>,
    pub pref_src: Option<Ipv4Addr>,
    pub gateway: Option<Ipv4Addr>,
    pub metric: u32,
}

/// One netlink operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    AddRule(RuleSpec),
    DelRule(RuleSpec),
    AddRoute(RouteSpec),
    /// Atomically replace the default route of the table (`ip route
    /// replace`): used when a stale one holds the slot, so that a failure
    /// leaves the old route in place.
    ReplaceRoute(RouteSpec),
    DelRoute(RouteSpec),
    AddFwmarkRule(FwmarkRuleSpec),
    DelFwmarkRule(FwmarkRuleSpec),
    /// Create the interface's nftables table with its chains and rules.
    AddTable(Table),
    /// Delete an nftables table (ip family) and everything in it.
    DelTable(String),
    /// Write `net.ipv4.conf.IFACE.rp_filter`.
    SetRpFilter {
        iface: String,
        value: u32,
    },
}

impl Op {
    /// The operation that undoes this one, used to roll back the adds of a
    /// run that failed half-way.
    pub fn undo(&self) -> Option<Op> {
        match self {
            Op::AddRule(rule) => Some(Op::DelRule(rule.clone())),
            Op::AddRoute(route) | Op::ReplaceRoute(route) => Some(Op::DelRoute(route.clone())),
            Op::AddFwmarkRule(rule) => Some(Op::DelFwmarkRule(rule.clone())),
            Op::AddTable(table) => Some(Op::DelTable(table.name())),
            // A stale entry we removed is not put back: it was garbage.
            // rp_filter stays loose: it is the interface's own setting.
            Op::DelRule(_)
            | Op::DelRoute(_)
            | Op::DelFwmarkRule(_)
            | Op::DelTable(_)
            | Op::SetRpFilter { .. } => None,
        }
    }

    /// One line for the log: a table is summed up, not spelt out.
    pub fn summary(&self) -> String {
        match self {
            Op::AddTable(table) => format!(
                "nft add table ip {} (mark {} on connections arriving on {})",
                table.name(),
                table.mark,
                table.iface
            ),
            other => other.to_string(),
        }
    }

    /// Ops that go to nftables (one batch).
    pub fn is_nft(&self) -> bool {
        matches!(self, Op::AddTable(_) | Op::DelTable(_))
    }
}

impl fmt::Display for RuleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "from {}/{} lookup {} priority {}",
            self.source, self.prefix_len, self.table, self.priority
        )
    }
}

impl fmt::Display for RouteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "default")?;
        if let Some(gateway) = self.gateway {
            write!(f, " via {gateway}")?;
        }
        if !self.dev.is_empty() {
            write!(f, " dev {}", self.dev)?;
        }
        if let Some(src) = self.pref_src {
            write!(f, " src {src}")?;
        }
        if self.metric != 0 {
            write!(f, " metric {}", self.metric)?;
        }
        write!(f, " table {}", self.table)
    }
}

/// One line per operation, written like the equivalent `ip` command.
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::AddRule(rule) => write!(f, "ip rule add {rule}"),
            Op::DelRule(rule) => write!(f, "ip rule del {rule}"),
            Op::AddRoute(route) => write!(f, "ip route add {route}"),
            Op::ReplaceRoute(route) => write!(f, "ip route replace {route}"),
            Op::DelRoute(route) => write!(f, "ip route del {route}"),
            Op::AddFwmarkRule(rule) => write!(f, "ip rule add {rule}"),
            Op::DelFwmarkRule(rule) => write!(f, "ip rule del {rule}"),
            Op::AddTable(table) => write!(f, "{}", table.nft_lines().join("\n")),
            Op::DelTable(name) => write!(f, "nft delete table ip {name}"),
            Op::SetRpFilter { iface, value } => {
                write!(f, "sysctl -w net.ipv4.conf.{iface}.rp_filter={value}")
            }
        }
    }
}

/// True for a rule this tool made for `slot`: same priority and table,
/// action to-table, a single-address source and no other selector.
/// Every other rule is never touched.
pub fn is_ours(rule: &SeenRule, slot: Slot) -> bool {
    rule.priority == slot.priority
        && rule.table == slot.table
        && rule.to_table
        && !rule.other_selectors
        && rule.fwmark.is_none()
        && matches!(rule.source, Some((_, 32)))
}

/// True for a fwmark rule this tool made at `priority` for `table`: action
/// to-table, a mark selector and nothing else.
pub fn is_our_fwmark_rule(rule: &SeenRule, priority: u32, table: u32) -> bool {
    rule.priority == priority
        && rule.table == table
        && rule.to_table
        && !rule.other_selectors
        && rule.source.is_none()
        && rule.fwmark.is_some()
}

/// The rule `up` installs for `addr` in `slot`.
pub fn wanted_rule(addr: Ipv4Addr, slot: Slot) -> RuleSpec {
    RuleSpec {
        source: addr,
        prefix_len: 32,
        table: slot.table,
        priority: slot.priority,
    }
}

/// The route `up` installs for `iface`/`addr` in `slot`.
pub fn wanted_route(iface: &str, oif: Option<u32>, addr: Ipv4Addr, slot: Slot) -> RouteSpec {
    RouteSpec {
        table: slot.table,
        dev: iface.to_owned(),
        oif,
        pref_src: Some(addr),
        gateway: None,
        metric: 0,
    }
}

/// Refuse `up` before touching anything when the interface is missing or
/// does not carry `addr` (the route's `src` would be refused later).
pub fn check_up(iface: &str, addr: Ipv4Addr, state: &KernelState) -> Result<(), String> {
    if state.ifindex.is_none() {
        return Err(format!("interface {iface} does not exist"));
    }
    if !state.local_addrs.contains(&addr) {
        let have: Vec<String> = state.local_addrs.iter().map(Ipv4Addr::to_string).collect();
        return Err(format!(
            "{addr} is not an address of {iface} (it has: {})",
            if have.is_empty() {
                "none".into()
            } else {
                have.join(", ")
            }
        ));
    }
    Ok(())
}

/// Turn the kernel's state into the operations for `mode`.
///
/// * Up: add the rule, then the route (replacing a stale default route of
///   our table in one step), then delete what is stale: our rules with
///   another source, other default routes in our table. New things go in
///   before old ones go out, so a failure (rolled back) leaves the previous
///   state whole. What is already there is not added again (idempotent).
/// * Down: delete exactly the rule for `addr` in `slot` and the default
///   route with source `addr` in our table (usually already flushed by the
///   kernel with the interface's address). Missing entries are not an
///   error when applied.
pub fn plan(mode: Mode, iface: &str, addr: Ipv4Addr, slot: Slot, state: &KernelState) -> Vec<Op> {
    let rule = wanted_rule(addr, slot);
    let route = wanted_route(iface, state.ifindex, addr, slot);
    let mut ops = Vec::new();
    match mode {
        Mode::Up => {
            let mut stale = Vec::new();
            let mut rule_present = false;
            for seen in state.rules.iter().filter(|seen| is_ours(seen, slot)) {
                match seen.source {
                    Some((source, 32)) if source == addr => rule_present = true,
                    Some((source, prefix_len)) => stale.push(Op::DelRule(RuleSpec {
                        source,
                        prefix_len,
                        table: slot.table,
                        priority: slot.priority,
                    })),
                    None => {}
                }
            }
            let mut route_present = false;
            // A default route with metric 0 occupies the slot our route
            // needs (the kernel keys routes on prefix, tos and metric).
            let mut slot_taken = false;
            for seen in state.routes.iter().filter(|seen| seen.table == slot.table) {
                let is_wanted = state.ifindex.is_some()
                    && seen.oif == state.ifindex
                    && seen.pref_src == Some(addr)
                    && seen.gateway.is_none()
                    && seen.metric == 0;
                if is_wanted {
                    route_present = true;
                } else if seen.metric == 0 {
                    slot_taken = true;
                } else {
                    stale.push(Op::DelRoute(RouteSpec {
                        table: seen.table,
                        dev: seen.dev.clone(),
                        oif: seen.oif,
                        pref_src: seen.pref_src,
                        gateway: seen.gateway,
                        metric: seen.metric,
                    }));
                }
            }
            if !rule_present {
                ops.push(Op::AddRule(rule));
            }
            if !route_present {
                ops.push(if slot_taken {
                    Op::ReplaceRoute(route)
                } else {
                    Op::AddRoute(route)
                });
            }
            // Stale routes before stale rules, mirroring the adds.
            stale.sort_by_key(|op| matches!(op, Op::DelRule(_)));
            ops.extend(stale);
        }
        Mode::Down => {
            // No kernel state needed: the rule is named exactly, and the
            // route by table and source (the table is this interface's
            // slot), which also works once the interface is gone.
            ops.push(Op::DelRule(rule));
            ops.push(Op::DelRoute(RouteSpec {
                dev: String::new(),
                oif: None,
                ..route
            }));
        }
    }
    ops
}

/// What forwarding decided, beside its ops: warnings for syslog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForwardPlan {
    pub ops: Vec<Op>,
    pub warnings: Vec<String>,
}

/// The warning for a session whose forwarded servers get no replies.
pub fn no_forwarding_warning(iface: &str, why: &str) -> String {
    format!(
        "{iface}: forwarded servers (containers, LAN hosts behind DNAT) will not get replies \
         through {iface}: {why}; the host's own servers still do"
    )
}

/// The forwarding half of `up`/`down` for `iface` whose routing slot has
/// `table`.
///
/// * Up, on: the table is added when missing, replaced in one batch when
///   its comment differs (older version, other mark, or not ours), left
///   alone when it is right; the fwmark rule is added when missing and
///   other mark rules of our slot are swept; strict `rp_filter` is made
///   loose on the interface or warned about. Without nftables, only a
///   warning: the caller keeps the source rule and route.
/// * Up, off or unavailable: a table left by an earlier run is deleted,
///   and mark rules in `sweep_priority`'s slot.
/// * Down, on: deletes exactly the fwmark rule and the table; reads nothing.
pub fn plan_forwarding(
    mode: Mode,
    iface: &str,
    table: u32,
    forwarding: &Forwarding,
    sweep_priority: Option<u32>,
    state: &KernelState,
    forward: &ForwardState,
) -> ForwardPlan {
    let mut plan = ForwardPlan::default();
    let name = table_name(iface);
    let (mark, fwmark_priority, rp_filter) = match forwarding {
        Forwarding::On {
            mark,
            fwmark_priority,
            rp_filter,
        } => (*mark, *fwmark_priority, *rp_filter),
        Forwarding::Off | Forwarding::Unavailable(_) => {
            if let Forwarding::Unavailable(why) = forwarding {
                plan.warnings.push(no_forwarding_warning(iface, why));
            }
            if mode == Mode::Up {
                if matches!(forward.nft, NftState::Table(_)) {
                    plan.ops.push(Op::DelTable(name));
                }
                if let Some(priority) = sweep_priority {
                    plan.ops.extend(
                        stale_fwmark_rules(state, priority, table, None).map(Op::DelFwmarkRule),
                    );
                }
            }
            return plan;
        }
    };
    let wanted_rule = FwmarkRuleSpec {
        mark,
        table,
        priority: fwmark_priority,
    };
    let wanted_table = Table {
        iface: iface.to_owned(),
        mark,
    };
    if mode == Mode::Down {
        plan.ops.push(Op::DelFwmarkRule(wanted_rule));
        plan.ops.push(Op::DelTable(name));
        return plan;
    }
    match &forward.nft {
        NftState::Unusable(why) => {
            plan.warnings.push(no_forwarding_warning(iface, why));
            return plan;
        }
        NftState::Table(comment) if comment.as_deref() == Some(&wanted_table.comment()) => {}
        NftState::Table(_) => {
            plan.ops.push(Op::DelTable(name));
            plan.ops.push(Op::AddTable(wanted_table));
        }
        NftState::NoTable => plan.ops.push(Op::AddTable(wanted_table)),
    }
    let rule_present = state
        .rules
        .iter()
        .any(|rule| is_our_fwmark_rule(rule, fwmark_priority, table) && rule.fwmark == Some(mark));
    if !rule_present {
        plan.ops.push(Op::AddFwmarkRule(wanted_rule));
    }
    if let Some((all, own)) = forward.rp_filter {
        // The kernel uses the larger of the two; 1 is strict.
        if all.max(own) == 1 {
            match rp_filter {
                RpFilterPolicy::Loose => plan.ops.push(Op::SetRpFilter {
                    iface: iface.to_owned(),
                    value: 2,
                }),
                RpFilterPolicy::Keep => plan.warnings.push(format!(
                    "{iface}: strict reverse-path filtering (rp_filter 1) drops connections to \
                     forwarded servers before they are answered; set \
                     net.ipv4.conf.{iface}.rp_filter=2 (loose), or rp_filter = loose in the \
                     config file"
                )),
            }
        }
    }
    plan.ops.extend(
        stale_fwmark_rules(state, fwmark_priority, table, Some(mark)).map(Op::DelFwmarkRule),
    );
    plan
}

/// Our mark rules in the slot (`priority`, `table`) whose mark is not `keep`.
fn stale_fwmark_rules(
    state: &KernelState,
    priority: u32,
    table: u32,
    keep: Option<Mark>,
) -> impl Iterator<Item = FwmarkRuleSpec> + '_ {
    state
        .rules
        .iter()
        .filter(move |rule| is_our_fwmark_rule(rule, priority, table) && rule.fwmark != keep)
        .filter_map(move |rule| {
            rule.fwmark.map(|mark| FwmarkRuleSpec {
                mark,
                table,
                priority,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
    const OLD_ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);
    const ARTICLE: Slot = Slot {
        table: 100,
        priority: 200,
    };

    fn our_rule(source: Ipv4Addr, slot: Slot) -> SeenRule {
        SeenRule {
            priority: slot.priority,
            table: slot.table,
            to_table: true,
            source: Some((source, 32)),
            fwmark: None,
            other_selectors: false,
        }
    }

    fn main_table_rules() -> Vec<SeenRule> {
        [(0, 255), (32766, 254), (32767, 253)]
            .into_iter()
            .map(|(priority, table)| SeenRule {
                priority,
                table,
                to_table: true,
                source: None,
                fwmark: None,
                other_selectors: false,
            })
            .collect()
    }

    fn our_route(oif: u32, src: Ipv4Addr) -> SeenRoute {
        SeenRoute {
            table: 100,
            oif: Some(oif),
            dev: "ppp0".into(),
            pref_src: Some(src),
            gateway: None,
            metric: 0,
        }
    }

    fn lines(ops: &[Op]) -> Vec<String> {
        ops.iter().map(Op::to_string).collect()
    }

    #[test]
    fn first_up_adds_the_articles_rule_then_route() {
        let state = KernelState {
            ifindex: Some(7),
            rules: main_table_rules(),
            routes: vec![],
            local_addrs: vec![ADDR],
        };
        let ops = plan(Mode::Up, "ppp0", ADDR, ARTICLE, &state);
        assert_eq!(
            lines(&ops),
            [
                "ip rule add from 203.0.113.5/32 lookup 100 priority 200",
                "ip route add default dev ppp0 src 203.0.113.5 table 100",
            ]
        );
        assert_eq!(
            ops[1],
            Op::AddRoute(RouteSpec {
                table: 100,
                dev: "ppp0".into(),
                oif: Some(7),
                pref_src: Some(ADDR),
                gateway: None,
                metric: 0,
            })
        );
    }

    #[test]
    fn second_up_with_everything_in_place_does_nothing() {
        let mut rules = main_table_rules();
        rules.push(our_rule(ADDR, ARTICLE));
        let state = KernelState {
            ifindex: Some(7),
            rules,
            routes: vec![our_route(7, ADDR)],
            local_addrs: vec![ADDR],
        };
        assert!(plan(Mode::Up, "ppp0", ADDR, ARTICLE, &state).is_empty());
    }

    #[test]
    fn up_with_a_new_address_sweeps_the_stale_rule_and_route_first() {
        let mut rules = main_table_rules();
        rules.push(our_rule(OLD_ADDR, ARTICLE));
        let state = KernelState {
            ifindex: Some(7),
            rules,
            routes: vec![our_route(7, OLD_ADDR)],
            local_addrs: vec![ADDR],
        };
        assert_eq!(
            lines(&plan(Mode::Up, "ppp0", ADDR, ARTICLE, &state)),
            [
                "ip rule add from 203.0.113.5/32 lookup 100 priority 200",
                "ip route replace default dev ppp0 src 203.0.113.5 table 100",
                "ip rule del from 203.0.113.9/32 lookup 100 priority 200",
            ]
        );
    }

    #[test]
    fn sweep_leaves_rules_that_are_not_ours() {
        let mut rules = main_table_rules();
        // Same slot but a subnet source: written by hand, not by us.
        rules.push(SeenRule {
            source: Some((Ipv4Addr::new(198, 51, 100, 0), 24)),
            ..our_rule(OLD_ADDR, ARTICLE)
        });
        // Same slot but with an iif selector.
        rules.push(SeenRule {
            other_selectors: true,
            ..our_rule(OLD_ADDR, ARTICLE)
        });
        // Same slot but another action (e.g. blackhole).
        rules.push(SeenRule {
            to_table: false,
            ..our_rule(OLD_ADDR, ARTICLE)
        });
        // Our table at another priority, and our priority with another table.
        rules.push(SeenRule {
            priority: 300,
            ..our_rule(OLD_ADDR, ARTICLE)
        });
        rules.push(SeenRule {
            table: 50,
            ..our_rule(OLD_ADDR, ARTICLE)
        });
        let state = KernelState {
            ifindex: Some(7),
            rules,
            routes: vec![],
            local_addrs: vec![ADDR],
        };
        let ops = plan(Mode::Up, "ppp0", ADDR, ARTICLE, &state);
        assert!(
            ops.iter().all(|op| !matches!(op, Op::DelRule(_))),
            "deleted a foreign rule: {ops:?}"
        );
    }

    #[test]
    fn second_interface_sweep_never_touches_the_first_interfaces_rule() {
        let ppp1 = Slot {
            table: 101,
            priority: 201,
        };
        let mut rules = main_table_rules();
        rules.push(our_rule(ADDR, ARTICLE));
        let state = KernelState {
            ifindex: Some(8),
            rules,
            routes: vec![],
            local_addrs: vec![ADDR],
        };
        let addr1 = Ipv4Addr::new(198, 51, 100, 7);
        assert_eq!(
            lines(&plan(Mode::Up, "ppp1", addr1, ppp1, &state)),
            [
                "ip rule add from 198.51.100.7/32 lookup 101 priority 201",
                "ip route add default dev ppp1 src 198.51.100.7 table 101",
            ]
        );
    }

    #[test]
    fn foreign_default_route_in_our_table_is_replaced() {
        let state = KernelState {
            ifindex: Some(7),
            rules: main_table_rules(),
            routes: vec![SeenRoute {
                table: 100,
                oif: Some(3),
                dev: "lan0".into(),
                pref_src: None,
                gateway: Some(Ipv4Addr::new(192, 0, 2, 1)),
                metric: 0,
            }],
            local_addrs: vec![ADDR],
        };
        assert_eq!(
            lines(&plan(Mode::Up, "ppp0", ADDR, ARTICLE, &state)),
            [
                "ip rule add from 203.0.113.5/32 lookup 100 priority 200",
                "ip route replace default dev ppp0 src 203.0.113.5 table 100",
            ]
        );
    }

    #[test]
    fn stale_routes_with_another_metric_are_deleted_after_the_add() {
        let state = KernelState {
            ifindex: Some(7),
            rules: vec![our_rule(OLD_ADDR, ARTICLE)],
            routes: vec![SeenRoute {
                metric: 50,
                ..our_route(7, OLD_ADDR)
            }],
            local_addrs: vec![ADDR],
        };
        assert_eq!(
            lines(&plan(Mode::Up, "ppp0", ADDR, ARTICLE, &state)),
            [
                "ip rule add from 203.0.113.5/32 lookup 100 priority 200",
                "ip route add default dev ppp0 src 203.0.113.5 table 100",
                "ip route del default dev ppp0 src 203.0.113.9 metric 50 table 100",
                "ip rule del from 203.0.113.9/32 lookup 100 priority 200",
            ]
        );
    }

    #[test]
    fn up_is_refused_before_any_change_without_the_interface_or_address() {
        let state = KernelState {
            ifindex: Some(7),
            local_addrs: vec![OLD_ADDR],
            ..KernelState::default()
        };
        let error = check_up("ppp0", ADDR, &state).unwrap_err();
        assert!(
            error.contains("203.0.113.5 is not an address of ppp0"),
            "{error}"
        );
        assert!(error.contains("203.0.113.9"), "{error}");
        let error = check_up("ppp0", ADDR, &KernelState::default()).unwrap_err();
        assert!(error.contains("ppp0 does not exist"), "{error}");
        let state = KernelState {
            ifindex: Some(7),
            local_addrs: vec![ADDR],
            ..KernelState::default()
        };
        assert_eq!(check_up("ppp0", ADDR, &state), Ok(()));
    }

    #[test]
    fn routes_of_other_tables_are_ignored() {
        let state = KernelState {
            ifindex: Some(7),
            rules: vec![],
            routes: vec![SeenRoute {
                table: 101,
                ..our_route(8, OLD_ADDR)
            }],
            local_addrs: vec![ADDR],
        };
        let ops = plan(Mode::Up, "ppp0", ADDR, ARTICLE, &state);
        assert!(ops.iter().all(|op| !matches!(op, Op::DelRoute(_))));
    }

    #[test]
    fn down_deletes_exactly_our_rule_and_route() {
        let mut rules = main_table_rules();
        rules.push(our_rule(ADDR, ARTICLE));
        rules.push(our_rule(
            Ipv4Addr::new(198, 51, 100, 7),
            Slot {
                table: 101,
                priority: 201,
            },
        ));
        let state = KernelState {
            ifindex: Some(7),
            rules,
            routes: vec![our_route(7, ADDR)],
            local_addrs: vec![ADDR],
        };
        assert_eq!(
            lines(&plan(Mode::Down, "ppp0", ADDR, ARTICLE, &state)),
            [
                "ip rule del from 203.0.113.5/32 lookup 100 priority 200",
                "ip route del default src 203.0.113.5 table 100",
            ]
        );
    }

    #[test]
    fn down_is_the_same_whether_or_not_the_interface_still_exists() {
        let present = KernelState {
            ifindex: Some(7),
            rules: vec![our_rule(ADDR, ARTICLE)],
            routes: vec![our_route(7, ADDR)],
            local_addrs: vec![ADDR],
        };
        assert_eq!(
            plan(Mode::Down, "ppp0", ADDR, ARTICLE, &present),
            plan(Mode::Down, "ppp0", ADDR, ARTICLE, &KernelState::default())
        );
    }

    #[test]
    fn rollback_undoes_adds_only() {
        let add = Op::AddRule(wanted_rule(ADDR, ARTICLE));
        assert_eq!(add.undo(), Some(Op::DelRule(wanted_rule(ADDR, ARTICLE))));
        assert_eq!(Op::DelRule(wanted_rule(ADDR, ARTICLE)).undo(), None);
    }

    const MARK: Mark = Mark {
        value: 0x0100_0000,
        mask: 0x0f00_0000,
    };

    fn forwarding_on(rp_filter: RpFilterPolicy) -> Forwarding {
        Forwarding::On {
            mark: MARK,
            fwmark_priority: 300,
            rp_filter,
        }
    }

    fn fwmark_rule(mark: Mark) -> SeenRule {
        SeenRule {
            priority: 300,
            table: 100,
            to_table: true,
            source: None,
            fwmark: Some(mark),
            other_selectors: false,
        }
    }

    fn up_state(rules: Vec<SeenRule>) -> KernelState {
        KernelState {
            ifindex: Some(7),
            rules,
            routes: vec![],
            local_addrs: vec![ADDR],
        }
    }

    fn forward_state(nft: NftState, rp_filter: Option<(u32, u32)>) -> ForwardState {
        ForwardState { nft, rp_filter }
    }

    /// `up` of ppp0 (table 100, mark rule slot 300) from this state.
    fn plan_up(
        forwarding: &Forwarding,
        rules: Vec<SeenRule>,
        nft: NftState,
        rp_filter: Option<(u32, u32)>,
    ) -> ForwardPlan {
        plan_forwarding(
            Mode::Up,
            "ppp0",
            100,
            forwarding,
            Some(300),
            &up_state(rules),
            &forward_state(nft, rp_filter),
        )
    }

    fn wanted_ppp0_table() -> Table {
        Table {
            iface: "ppp0".into(),
            mark: MARK,
        }
    }

    #[test]
    fn forwarding_up_adds_the_table_then_the_fwmark_rule() {
        let plan = plan_up(
            &forwarding_on(RpFilterPolicy::Loose),
            main_table_rules(),
            NftState::NoTable,
            Some((0, 0)),
        );
        assert_eq!(
            plan.ops,
            [
                Op::AddTable(wanted_ppp0_table()),
                Op::AddFwmarkRule(FwmarkRuleSpec {
                    mark: MARK,
                    table: 100,
                    priority: 300
                }),
            ]
        );
        assert!(plan.warnings.is_empty());
        assert_eq!(
            plan.ops[1].to_string(),
            "ip rule add fwmark 0x1000000/0xf000000 lookup 100 priority 300"
        );
    }

    #[test]
    fn forwarding_up_twice_changes_nothing() {
        let mut rules = main_table_rules();
        rules.push(fwmark_rule(MARK));
        let comment = wanted_ppp0_table().comment();
        let plan = plan_up(
            &forwarding_on(RpFilterPolicy::Loose),
            rules,
            NftState::Table(Some(comment)),
            Some((2, 0)),
        );
        assert_eq!(plan, ForwardPlan::default());
    }

    #[test]
    fn an_outdated_or_foreign_table_of_our_name_is_replaced_in_one_batch_and_old_marks_swept() {
        let old = Mark {
            value: 0x0500_0000,
            ..MARK
        };
        let mut rules = main_table_rules();
        rules.push(fwmark_rule(old));
        // Same slot but also a source selector: somebody else's.
        rules.push(SeenRule {
            source: Some((ADDR, 32)),
            ..fwmark_rule(old)
        });
        for seen in [Some("rs-pppoe-rule v0: old".to_owned()), None] {
            let plan = plan_up(
                &forwarding_on(RpFilterPolicy::Loose),
                rules.clone(),
                NftState::Table(seen),
                None,
            );
            let lines: Vec<String> = plan.ops.iter().map(Op::summary).collect();
            assert_eq!(
                lines,
                [
                    "nft delete table ip rs-pppoe-rule-ppp0",
                    "nft add table ip rs-pppoe-rule-ppp0 (mark 0x1000000/0xf000000 on \
                     connections arriving on ppp0)",
                    "ip rule add fwmark 0x1000000/0xf000000 lookup 100 priority 300",
                    "ip rule del fwmark 0x5000000/0xf000000 lookup 100 priority 300",
                ]
            );
        }
    }

    #[test]
    fn without_nftables_forwarding_is_only_a_warning() {
        let plan = plan_up(
            &forwarding_on(RpFilterPolicy::Loose),
            main_table_rules(),
            NftState::Unusable("the kernel has no nftables".into()),
            Some((1, 1)),
        );
        assert!(plan.ops.is_empty(), "{:?}", plan.ops);
        assert_eq!(plan.warnings.len(), 1);
        assert!(
            plan.warnings[0].contains("forwarded servers")
                && plan.warnings[0].contains("the kernel has no nftables"),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn strict_rp_filter_is_made_loose_on_the_interface_or_warned_about() {
        for (all, own, strict) in [
            (1, 0, true),
            (0, 1, true),
            (1, 2, false),
            (2, 1, false),
            (0, 0, false),
        ] {
            let plan = plan_up(
                &forwarding_on(RpFilterPolicy::Loose),
                main_table_rules(),
                NftState::NoTable,
                Some((all, own)),
            );
            let sets = plan
                .ops
                .iter()
                .any(|op| op.to_string() == "sysctl -w net.ipv4.conf.ppp0.rp_filter=2");
            assert_eq!(sets, strict, "all={all} ppp0={own}");
        }
        let plan = plan_up(
            &forwarding_on(RpFilterPolicy::Keep),
            main_table_rules(),
            NftState::NoTable,
            Some((1, 0)),
        );
        assert!(
            !plan
                .ops
                .iter()
                .any(|op| matches!(op, Op::SetRpFilter { .. }))
        );
        assert!(
            plan.warnings[0].contains("net.ipv4.conf.ppp0.rp_filter=2"),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn forwarding_down_deletes_exactly_its_rule_and_table_without_reading() {
        let plan = plan_forwarding(
            Mode::Down,
            "ppp1",
            101,
            &Forwarding::On {
                mark: Mark {
                    value: 0x0200_0000,
                    ..MARK
                },
                fwmark_priority: 301,
                rp_filter: RpFilterPolicy::Loose,
            },
            Some(301),
            &KernelState::default(),
            &forward_state(NftState::NoTable, None),
        );
        let lines: Vec<String> = plan.ops.iter().map(Op::to_string).collect();
        assert_eq!(
            lines,
            [
                "ip rule del fwmark 0x2000000/0xf000000 lookup 101 priority 301",
                "nft delete table ip rs-pppoe-rule-ppp1",
            ]
        );
    }

    #[test]
    fn switching_forwarding_off_sweeps_what_an_earlier_up_left() {
        let mut rules = main_table_rules();
        rules.push(fwmark_rule(MARK));
        let plan = plan_forwarding(
            Mode::Up,
            "ppp0",
            100,
            &Forwarding::Off,
            Some(300),
            &up_state(rules.clone()),
            &forward_state(NftState::Table(Some("x".into())), Some((1, 1))),
        );
        let lines: Vec<String> = plan.ops.iter().map(Op::to_string).collect();
        assert_eq!(
            lines,
            [
                "nft delete table ip rs-pppoe-rule-ppp0",
                "ip rule del fwmark 0x1000000/0xf000000 lookup 100 priority 300",
            ]
        );
        assert!(plan.warnings.is_empty(), "off is a choice, not a problem");
        // Down with forwarding off touches nothing of it.
        let down = plan_forwarding(
            Mode::Down,
            "ppp0",
            100,
            &Forwarding::Off,
            Some(300),
            &KernelState::default(),
            &forward_state(NftState::NoTable, None),
        );
        assert!(down.ops.is_empty());
    }

    #[test]
    fn a_source_rule_with_a_mark_is_not_ours() {
        let rule = SeenRule {
            fwmark: Some(MARK),
            ..our_rule(ADDR, ARTICLE)
        };
        assert!(!is_ours(&rule, ARTICLE));
        assert!(!is_our_fwmark_rule(&rule, 200, 100));
    }
}
