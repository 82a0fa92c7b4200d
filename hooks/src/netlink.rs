//! The only module that talks to the kernel: reads rules, routes and links
//! over rtnetlink, and executes planned [`Op`]s with rollback.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr};

use futures_util::TryStreamExt;
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::address::AddressAttribute;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use rtnetlink::packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};
use rtnetlink::{Handle, IpVersion, RouteMessageBuilder};

use crate::forward::Mark;
use crate::plan::{FwmarkRuleSpec, KernelState, Op, RouteSpec, RuleSpec, SeenRoute, SeenRule};

/// A failed netlink request: what was asked and the errno the kernel gave.
#[derive(Debug)]
pub struct NetlinkError {
    pub what: String,
    pub errno: Option<i32>,
    pub detail: String,
}

impl fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            Some(errno) => write!(f, "{}: {}", self.what, io::Error::from_raw_os_error(errno)),
            None => write!(f, "{}: {}", self.what, self.detail),
        }
    }
}

/// Positive errno of a kernel NACK, if that is what the error is.
fn errno_of(error: &rtnetlink::Error) -> Option<i32> {
    match error {
        rtnetlink::Error::NetlinkError(message) if message.raw_code() != 0 => {
            Some(-message.raw_code())
        }
        _ => None,
    }
}

fn failure(what: impl Into<String>, error: &rtnetlink::Error) -> NetlinkError {
    NetlinkError {
        what: what.into(),
        errno: errno_of(error),
        detail: error.to_string(),
    }
}

/// Open an rtnetlink socket with strict checking (so route dumps are
/// filtered by table in the kernel) and drive it on the current runtime.
pub fn connect() -> io::Result<Handle> {
    let (connection, handle, _) = rtnetlink::new_connection_with_strict_check()?;
    tokio::spawn(connection);
    Ok(handle)
}

/// Index of the interface called `name`; `None` if there is none.
pub async fn link_index(handle: &Handle, name: &str) -> Result<Option<u32>, NetlinkError> {
    let mut links = handle.link().get().match_name(name).execute();
    match links.try_next().await {
        Ok(link) => Ok(link.map(|link| link.header.index)),
        Err(error) if errno_of(&error) == Some(libc::ENODEV) => Ok(None),
        Err(error) => Err(failure(format!("look up interface {name}"), &error)),
    }
}

/// Name of the interface with index `index`, or `if#N` when it is gone.
async fn link_name(handle: &Handle, index: u32) -> String {
    let mut links = handle.link().get().match_index(index).execute();
    if let Ok(Some(link)) = links.try_next().await {
        for attribute in link.attributes {
            if let rtnetlink::packet_route::link::LinkAttribute::IfName(name) = attribute {
                return name;
            }
        }
    }
    format!("if#{index}")
}

/// Every IPv4 policy rule, reduced to what ownership decisions need.
pub async fn read_rules(handle: &Handle) -> Result<Vec<SeenRule>, NetlinkError> {
    let mut dump = handle.rule().get(IpVersion::V4).execute();
    let mut rules = Vec::new();
    while let Some(message) = dump
        .try_next()
        .await
        .map_err(|error| failure("read the rule list", &error))?
    {
        rules.push(seen_rule(&message));
    }
    Ok(rules)
}

fn seen_rule(message: &RuleMessage) -> SeenRule {
    let header = &message.header;
    let mut rule = SeenRule {
        priority: 0,
        table: u32::from(header.table),
        to_table: header.action == RuleAction::ToTable,
        source: None,
        fwmark: None,
        other_selectors: header.dst_len != 0
            || header.tos != 0
            || header.flags.contains(RuleFlags::Invert),
    };
    for attribute in &message.attributes {
        match attribute {
            RuleAttribute::Priority(priority) => rule.priority = *priority,
            RuleAttribute::Table(table) => rule.table = *table,
            RuleAttribute::Source(IpAddr::V4(source)) => {
                rule.source = Some((*source, header.src_len));
            }
            RuleAttribute::FwMark(value) => {
                let mask = rule.fwmark.map_or(u32::MAX, |mark| mark.mask);
                rule.fwmark = Some(Mark {
                    value: *value,
                    mask,
                });
            }
            RuleAttribute::FwMask(mask) => {
                let value = rule.fwmark.map_or(0, |mark| mark.value);
                rule.fwmark = Some(Mark { value, mask: *mask });
            }
            // Always present in dumps, -1 meaning "not set".
            RuleAttribute::SuppressPrefixLen(u32::MAX)
            | RuleAttribute::SuppressIfGroup(u32::MAX)
            | RuleAttribute::L3MDev(false)
            | RuleAttribute::Protocol(_) => {}
            _ => rule.other_selectors = true,
        }
    }
    rule
}

/// Default routes in `table` (IPv4).
pub async fn read_default_routes(
    handle: &Handle,
    table: u32,
) -> Result<Vec<SeenRoute>, NetlinkError> {
    let mut request = RouteMessageBuilder::<Ipv4Addr>::new().build();
    set_table(&mut request, table);
    // With strict checking, protocol and type are filters too: match all.
    request.header.protocol = RouteProtocol::Unspec;
    request.header.kind = RouteType::Unspec;
    request.header.scope = RouteScope::Universe;
    let mut dump = handle.route().get(request).execute();
    let mut routes = Vec::new();
    loop {
        let message = match dump.try_next().await {
            Ok(Some(message)) => message,
            Ok(None) => break,
            // The kernel answers ENOENT for a table that does not exist yet.
            Err(error) if errno_of(&error) == Some(libc::ENOENT) => break,
            Err(error) => return Err(failure(format!("read routing table {table}"), &error)),
        };
        // Filter here too, in case the kernel did not filter the dump.
        routes.extend(seen_default_route(&message).filter(|route| route.table == table));
    }
    for route in &mut routes {
        if let Some(oif) = route.oif {
            route.dev = link_name(handle, oif).await;
        }
    }
    Ok(routes)
}

fn seen_default_route(message: &RouteMessage) -> Option<SeenRoute> {
    let header = &message.header;
    if header.address_family != AddressFamily::Inet || header.destination_prefix_length != 0 {
        return None;
    }
    let mut route = SeenRoute {
        table: u32::from(header.table),
        oif: None,
        dev: String::new(),
        pref_src: None,
        gateway: None,
        metric: 0,
    };
    for attribute in &message.attributes {
        match attribute {
            RouteAttribute::Table(table) => route.table = *table,
            RouteAttribute::Oif(oif) => route.oif = Some(*oif),
            RouteAttribute::PrefSource(RouteAddress::Inet(src)) => route.pref_src = Some(*src),
            RouteAttribute::Gateway(RouteAddress::Inet(gateway)) => route.gateway = Some(*gateway),
            RouteAttribute::Priority(metric) => route.metric = *metric,
            _ => {}
        }
    }
    Some(route)
}

/// IPv4 local addresses of interface `index`.
async fn local_addresses(handle: &Handle, index: u32) -> Result<Vec<Ipv4Addr>, NetlinkError> {
    let mut request = handle.address().get().set_link_index_filter(index);
    // Strict checking lets the kernel filter the dump by family and index.
    request.message_mut().header.family = AddressFamily::Inet;
    request.message_mut().header.index = index;
    let mut dump = request.execute();
    let mut addrs = Vec::new();
    while let Some(message) = dump
        .try_next()
        .await
        .map_err(|error| failure("read interface addresses", &error))?
    {
        for attribute in &message.attributes {
            if let AddressAttribute::Local(IpAddr::V4(local)) = attribute {
                addrs.push(*local);
            }
        }
    }
    Ok(addrs)
}

/// What `up` needs to plan: the interface and its addresses, all rules,
/// and the default routes of `table`.
pub async fn read_state(
    handle: &Handle,
    iface: &str,
    table: u32,
) -> Result<KernelState, NetlinkError> {
    let ifindex = link_index(handle, iface).await?;
    let local_addrs = match ifindex {
        Some(index) => local_addresses(handle, index).await?,
        None => Vec::new(),
    };
    Ok(KernelState {
        ifindex,
        rules: read_rules(handle).await?,
        routes: read_default_routes(handle, table).await?,
        local_addrs,
    })
}

fn set_table(message: &mut RouteMessage, table: u32) {
    // Like iproute2: ids above 255 go in RTA_TABLE with the header unset.
    message.header.table = u8::try_from(table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
    message.attributes.push(RouteAttribute::Table(table));
}

/// The netlink form of a rule, used for both add and delete. The action is
/// always to-table and the priority always explicit: the kernel's defaults
/// (action unspec, auto priority) make unroutable or duplicate rules.
fn rule_message(rule: &RuleSpec) -> RuleMessage {
    let mut message = RuleMessage::default();
    message.header.family = AddressFamily::Inet;
    message.header.src_len = rule.prefix_len;
    message.header.action = RuleAction::ToTable;
    message.header.table = u8::try_from(rule.table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
    message
        .attributes
        .push(RuleAttribute::Source(IpAddr::V4(rule.source)));
    message
        .attributes
        .push(RuleAttribute::Priority(rule.priority));
    message.attributes.push(RuleAttribute::Table(rule.table));
    message
}

/// The netlink form of a fwmark rule, for add and delete alike.
fn fwmark_rule_message(rule: &FwmarkRuleSpec) -> RuleMessage {
    let mut message = RuleMessage::default();
    message.header.family = AddressFamily::Inet;
    message.header.action = RuleAction::ToTable;
    message.header.table = u8::try_from(rule.table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
    message
        .attributes
        .push(RuleAttribute::FwMark(rule.mark.value));
    message
        .attributes
        .push(RuleAttribute::FwMask(rule.mark.mask));
    message
        .attributes
        .push(RuleAttribute::Priority(rule.priority));
    message.attributes.push(RuleAttribute::Table(rule.table));
    message
}

/// The netlink form of a default route. A delete leaves scope, protocol
/// and type open (like `ip route del`) so it matches however it was added.
fn route_message(route: &RouteSpec, for_delete: bool) -> RouteMessage {
    let mut builder = RouteMessageBuilder::<Ipv4Addr>::new();
    if let Some(oif) = route.oif {
        builder = builder.output_interface(oif);
    }
    if let Some(src) = route.pref_src {
        builder = builder.pref_source(src);
    }
    if let Some(gateway) = route.gateway {
        builder = builder.gateway(gateway);
    }
    if route.metric != 0 {
        builder = builder.priority(route.metric);
    }
    let mut message = builder.build();
    set_table(&mut message, route.table);
    if for_delete {
        message.header.scope = RouteScope::NoWhere;
        message.header.protocol = RouteProtocol::Unspec;
        message.header.kind = RouteType::Unspec;
    } else if route.gateway.is_none() {
        // A device route without a gateway is link-scoped (as iproute2 does).
        message.header.scope = RouteScope::Link;
    }
    message
}

/// How one op ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Add answered EEXIST: it was already there.
    AlreadyThere,
    /// Delete answered ENOENT/ESRCH: it was already gone.
    AlreadyGone,
}

/// Execute one rtnetlink op (rules and routes).
pub async fn execute(handle: &Handle, op: &Op) -> Result<Outcome, NetlinkError> {
    let result = match op {
        Op::AddRule(rule) => {
            let mut request = handle.rule().add();
            *request.message_mut() = rule_message(rule);
            request.execute().await
        }
        Op::DelRule(rule) => handle.rule().del(rule_message(rule)).execute().await,
        Op::AddFwmarkRule(rule) => {
            let mut request = handle.rule().add();
            *request.message_mut() = fwmark_rule_message(rule);
            request.execute().await
        }
        Op::DelFwmarkRule(rule) => handle.rule().del(fwmark_rule_message(rule)).execute().await,
        Op::AddTable(_) | Op::DelTable(_) | Op::SetRpFilter { .. } => {
            return Err(NetlinkError {
                what: op.summary(),
                errno: None,
                detail: "not an rtnetlink operation".into(),
            });
        }
        Op::AddRoute(route) => {
            handle
                .route()
                .add(route_message(route, false))
                .execute()
                .await
        }
        Op::ReplaceRoute(route) => {
            handle
                .route()
                .add(route_message(route, false))
                .replace()
                .execute()
                .await
        }
        Op::DelRoute(route) => {
            handle
                .route()
                .del(route_message(route, true))
                .execute()
                .await
        }
    };
    let error = match result {
        Ok(()) => return Ok(Outcome::Done),
        Err(error) => error,
    };
    let errno = errno_of(&error);
    let is_add = matches!(
        op,
        Op::AddRule(_) | Op::AddRoute(_) | Op::ReplaceRoute(_) | Op::AddFwmarkRule(_)
    );
    match errno {
        Some(libc::EEXIST) if is_add => Ok(Outcome::AlreadyThere),
        Some(libc::ENOENT | libc::ESRCH) if !is_add => Ok(Outcome::AlreadyGone),
        _ => Err(failure(op.to_string(), &error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_message_always_says_to_table_with_a_priority() {
        let message = rule_message(&RuleSpec {
            source: Ipv4Addr::new(203, 0, 113, 5),
            prefix_len: 32,
            table: 100,
            priority: 200,
        });
        assert_eq!(message.header.action, RuleAction::ToTable);
        assert_eq!(message.header.table, 100);
        assert_eq!(message.header.src_len, 32);
        assert!(message.attributes.contains(&RuleAttribute::Priority(200)));
        assert!(message.attributes.contains(&RuleAttribute::Table(100)));
    }

    #[test]
    fn big_table_ids_go_in_the_attribute() {
        let message = rule_message(&RuleSpec {
            source: Ipv4Addr::new(203, 0, 113, 5),
            prefix_len: 32,
            table: 1000,
            priority: 200,
        });
        assert_eq!(message.header.table, RouteHeader::RT_TABLE_UNSPEC);
        assert!(message.attributes.contains(&RuleAttribute::Table(1000)));
    }

    #[test]
    fn route_delete_matches_any_scope_and_protocol() {
        let route = RouteSpec {
            table: 100,
            dev: "ppp0".into(),
            oif: Some(7),
            pref_src: Some(Ipv4Addr::new(203, 0, 113, 5)),
            gateway: None,
            metric: 0,
        };
        let add = route_message(&route, false);
        assert_eq!(add.header.scope, RouteScope::Link);
        let delete = route_message(&route, true);
        assert_eq!(delete.header.scope, RouteScope::NoWhere);
        assert_eq!(delete.header.protocol, RouteProtocol::Unspec);
        assert!(delete.attributes.contains(&RouteAttribute::Oif(7)));
    }
}
