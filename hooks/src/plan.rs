//! Pure planning: from "what the kernel has now" to the list of netlink
//! operations that make it "what this interface needs".
//!
//! Nothing here does I/O. [`plan`] takes the mode, the interface, its local
//! address, its [`Slot`] (table + priority) and a snapshot of the kernel's
//! IPv4 rules and of the default routes in our table, and returns plain
//! [`Op`]s. `--dry-run` prints them; `apply` executes them.

use std::fmt;
use std::net::Ipv4Addr;

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
    /// Any other selector (to, iif, oif, fwmark, tos, not, ports, ...):
    /// such a rule was not made by us, whatever its priority.
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
}

impl Op {
    /// The operation that undoes this one, used to roll back the adds of a
    /// run that failed half-way.
    pub fn undo(&self) -> Option<Op> {
        match self {
            Op::AddRule(rule) => Some(Op::DelRule(rule.clone())),
            Op::AddRoute(route) | Op::ReplaceRoute(route) => Some(Op::DelRoute(route.clone())),
            // A stale entry we removed is not put back: it was garbage.
            Op::DelRule(_) | Op::DelRoute(_) => None,
        }
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
        && matches!(rule.source, Some((_, 32)))
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
}
