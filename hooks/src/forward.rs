//! Replies for forwarded servers (pure data, no I/O): the connection mark
//! scheme and the nftables table each session owns.
//!
//! A reply routed on its source address alone misses every server that is
//! not the host itself: a container or a LAN host behind DNAT answers with
//! its own address, and the reverse NAT only rewrites that after routing.
//! So connections that *arrive* on pppN get a conntrack mark, their *reply*
//! packets get the same bits in the packet mark (in prerouting for
//! forwarded replies, in a `type route` output chain for the host's own,
//! which makes the kernel route the packet again), and an
//! `ip rule fwmark MARK/MASK lookup TABLE` sends them to pppN's table.
//! Packets arriving on pppN are never marked, so nothing is routed straight
//! back out; connections that start elsewhere (the LAN's, the containers'
//! own outbound traffic) carry no mark and keep using the main table.
//!
//! Each interface gets its own table, `ip rs-pppoe-rule-IFACE`, holding
//! only that session's two chains: `ip-down` deletes exactly that table,
//! and the user's and Docker's tables are never read or written. The
//! table's comment names the interface, the mark and [`FORMAT`]; `up`
//! compares it to decide whether the table in place is already right.

use std::fmt;

/// Prefix of the nftables table names; `pppN`'s table is `rs-pppoe-rule-pppN`.
pub const TABLE_PREFIX: &str = "rs-pppoe-rule-";

/// Bumped whenever the chains or rules change shape, so that an `up` after
/// an upgrade replaces a table written by an older version.
pub const FORMAT: u32 = 1;

/// `NF_IP_PRI_MANGLE`: after conntrack (-200), so the connection and its
/// mark are known; before Docker's and everybody's NAT (dstnat, -100) and
/// filter (0) chains; and the route lookup that uses the mark comes after
/// every prerouting hook anyway.
pub const PRIORITY_MANGLE: i32 = -150;

/// Interface names are at most 15 bytes; nftables compares `iifname`
/// against the full 16-byte (`IFNAMSIZ`) buffer, NUL padded.
pub const IFNAMSIZ: usize = 16;

/// A mark value and the bits it owns: `meta mark & mask == value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub value: u32,
    pub mask: u32,
}

impl fmt::Display for Mark {
    /// As `ip rule` writes it: `0x1000000/0xf000000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}/{:#x}", self.value, self.mask)
    }
}

/// The base chains of a forwarding table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chain {
    /// `type filter hook prerouting priority mangle`: marks connections
    /// arriving on pppN, and the forwarded replies (containers, LAN hosts).
    Prerouting,
    /// `type route hook output priority mangle`: the host's own replies; a
    /// route chain makes the kernel route the packet again when the mark
    /// changed.
    Output,
}

impl Chain {
    pub fn name(self) -> &'static str {
        match self {
            Chain::Prerouting => "prerouting",
            Chain::Output => "output",
        }
    }

    /// The chain type nftables knows it by.
    pub fn kind(self) -> &'static str {
        match self {
            Chain::Prerouting => "filter",
            Chain::Output => "route",
        }
    }

    /// Netfilter hook number (`NF_INET_PRE_ROUTING`, `NF_INET_LOCAL_OUT`).
    pub fn hook_number(self) -> u32 {
        match self {
            Chain::Prerouting => 0,
            Chain::Output => 3,
        }
    }

    fn hook_name(self) -> &'static str {
        match self {
            Chain::Prerouting => "prerouting",
            Chain::Output => "output",
        }
    }
}

/// One match or statement of a rule, in the order nftables evaluates them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `iifname "IFACE"` (by name, not index: pppd recreates the
    /// interface, with a new index, on every reconnect).
    IifnameIs(String),
    /// `iifname != "IFACE"`.
    IifnameIsNot(String),
    /// `ct state new`: the first packet of a connection.
    CtStateNew,
    /// `ct direction reply`: a packet going back to the connection's
    /// originator.
    CtDirectionReply,
    /// `ct mark & MASK == VALUE`.
    CtMarkIs(Mark),
    /// `ct mark set ct mark & ~MASK | VALUE`: only our bits change.
    SetCtMark(Mark),
    /// `meta mark set meta mark & ~MASK | VALUE`.
    SetMetaMark(Mark),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::IifnameIs(name) => write!(f, "iifname \"{name}\""),
            Step::IifnameIsNot(name) => write!(f, "iifname != \"{name}\""),
            Step::CtStateNew => write!(f, "ct state new"),
            Step::CtDirectionReply => write!(f, "ct direction reply"),
            Step::CtMarkIs(mark) => {
                write!(f, "ct mark & {:#010x} == {:#010x}", mark.mask, mark.value)
            }
            Step::SetCtMark(mark) => write!(
                f,
                "ct mark set ct mark & {:#010x} | {:#010x}",
                !mark.mask, mark.value
            ),
            Step::SetMetaMark(mark) => write!(
                f,
                "meta mark set meta mark & {:#010x} | {:#010x}",
                !mark.mask, mark.value
            ),
        }
    }
}

/// One rule: its chain and its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub chain: Chain,
    pub steps: Vec<Step>,
}

/// The table one session owns: everything `up` creates in nftables and
/// `down` deletes with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub iface: String,
    pub mark: Mark,
}

/// The name of `iface`'s table.
pub fn table_name(iface: &str) -> String {
    format!("{TABLE_PREFIX}{iface}")
}

impl Table {
    pub fn name(&self) -> String {
        table_name(&self.iface)
    }

    /// Shown by `nft list ruleset`, and the fingerprint `up` compares: a
    /// table with exactly this comment is the one we would write.
    pub fn comment(&self) -> String {
        format!(
            "rs-pppoe-rule v{FORMAT}: replies to connections arriving on {} leave by it (mark {})",
            self.iface, self.mark
        )
    }

    pub fn chains(&self) -> [Chain; 2] {
        [Chain::Prerouting, Chain::Output]
    }

    /// The rules, chain by chain, in order.
    pub fn rules(&self) -> Vec<Rule> {
        let iface = &self.iface;
        let mark = self.mark;
        let mark_reply = |chain: Chain, mut steps: Vec<Step>| {
            steps.extend([
                Step::CtDirectionReply,
                Step::CtMarkIs(mark),
                Step::SetMetaMark(mark),
            ]);
            Rule { chain, steps }
        };
        vec![
            Rule {
                chain: Chain::Prerouting,
                steps: vec![
                    Step::IifnameIs(iface.clone()),
                    Step::CtStateNew,
                    Step::SetCtMark(mark),
                ],
            },
            // Never on a packet arriving on pppN itself: that would route
            // it straight back out.
            mark_reply(Chain::Prerouting, vec![Step::IifnameIsNot(iface.clone())]),
            mark_reply(Chain::Output, Vec::new()),
        ]
    }

    /// The table as `nft` commands, one per line (what `--dry-run` prints;
    /// `nft -f` accepts the text after `nft `).
    pub fn nft_lines(&self) -> Vec<String> {
        let name = self.name();
        let mut lines = vec![format!(
            "nft add table ip {name} {{ comment \"{}\"; }}",
            self.comment()
        )];
        let rules = self.rules();
        for chain in self.chains() {
            lines.push(format!(
                "nft add chain ip {name} {} {{ type {} hook {} priority mangle; policy accept; }}",
                chain.name(),
                chain.kind(),
                chain.hook_name()
            ));
            for rule in rules.iter().filter(|rule| rule.chain == chain) {
                let steps: Vec<String> = rule.steps.iter().map(Step::to_string).collect();
                lines.push(format!(
                    "nft add rule ip {name} {} {}",
                    chain.name(),
                    steps.join(" ")
                ));
            }
        }
        lines
    }
}

/// Why a session has no forwarding mark: the value the scheme derives
/// leaves the mask (too many sessions for the mask's bits).
pub fn mark_for(base: Mark, unit: u32) -> Result<Mark, String> {
    let step = base.mask & base.mask.wrapping_neg();
    let value = step
        .checked_mul(unit)
        .and_then(|offset| base.value.checked_add(offset))
        .filter(|value| *value != 0 && value & !base.mask == 0);
    value.map(|value| Mark { value, ..base }).ok_or_else(|| {
        format!(
            "mark {:#x} + {unit} x {step:#x} does not fit in mark_mask {:#x}",
            base.value, base.mask
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PPP0: Mark = Mark {
        value: 0x0100_0000,
        mask: 0x0f00_0000,
    };

    #[test]
    fn ppp_n_marks_step_through_the_mask_and_stop_at_its_end() {
        assert_eq!(mark_for(PPP0, 0), Ok(PPP0));
        assert_eq!(mark_for(PPP0, 1).unwrap().value, 0x0200_0000);
        assert_eq!(mark_for(PPP0, 14).unwrap().value, 0x0f00_0000);
        let error = mark_for(PPP0, 15).unwrap_err();
        assert!(error.contains("mark_mask 0xf000000"), "{error}");
        assert!(mark_for(PPP0, u32::MAX).is_err());
        // A mask of scattered bits steps by its lowest bit.
        let odd = Mark {
            value: 0x10,
            mask: 0xf0,
        };
        assert_eq!(mark_for(odd, 2).unwrap().value, 0x30);
    }

    #[test]
    fn connections_are_marked_on_arrival_and_only_replies_get_the_packet_mark() {
        let table = Table {
            iface: "ppp0".into(),
            mark: PPP0,
        };
        assert_eq!(table.name(), "rs-pppoe-rule-ppp0");
        assert_eq!(
            table.nft_lines(),
            [
                "nft add table ip rs-pppoe-rule-ppp0 { comment \"rs-pppoe-rule v1: replies to \
                 connections arriving on ppp0 leave by it (mark 0x1000000/0xf000000)\"; }",
                "nft add chain ip rs-pppoe-rule-ppp0 prerouting { type filter hook prerouting \
                 priority mangle; policy accept; }",
                "nft add rule ip rs-pppoe-rule-ppp0 prerouting iifname \"ppp0\" ct state new \
                 ct mark set ct mark & 0xf0ffffff | 0x01000000",
                "nft add rule ip rs-pppoe-rule-ppp0 prerouting iifname != \"ppp0\" ct direction \
                 reply ct mark & 0x0f000000 == 0x01000000 meta mark set meta mark & 0xf0ffffff \
                 | 0x01000000",
                "nft add chain ip rs-pppoe-rule-ppp0 output { type route hook output priority \
                 mangle; policy accept; }",
                "nft add rule ip rs-pppoe-rule-ppp0 output ct direction reply ct mark & \
                 0x0f000000 == 0x01000000 meta mark set meta mark & 0xf0ffffff | 0x01000000",
            ]
        );
    }

    #[test]
    fn the_comment_changes_with_the_mark_so_up_replaces_an_outdated_table() {
        let ppp0 = Table {
            iface: "ppp0".into(),
            mark: PPP0,
        };
        let other = Table {
            mark: Mark {
                value: 0x0300_0000,
                ..PPP0
            },
            ..ppp0.clone()
        };
        assert_ne!(ppp0.comment(), other.comment());
        assert!(ppp0.comment().len() < 256, "nftables keeps 256 bytes");
    }
}
