//! Executes planned [`Op`]s against the kernel, in order, with rollback:
//! rules and routes over rtnetlink ([`crate::netlink`]), consecutive
//! nftables ops as one batch ([`crate::nft`]), `rp_filter` through
//! `/proc/sys`.

use rtnetlink::Handle;

use crate::netlink::{self, NetlinkError, Outcome};
use crate::nft::{Change, Nft, NftError};
use crate::plan::Op;

impl From<NftError> for NetlinkError {
    fn from(error: NftError) -> NetlinkError {
        NetlinkError {
            what: error.what,
            errno: error.errno,
            detail: error.detail,
        }
    }
}

/// Where ops go. The nftables socket is opened on first use (or was, to
/// read the state).
pub struct Kernel<'a> {
    pub handle: &'a Handle,
    pub nft: Option<Nft>,
    /// An nftables transaction of this run deleted something: closing the
    /// socket will wait for the kernel to free it (see [`crate::sys`]).
    pub nft_deleted: bool,
}

impl Kernel<'_> {
    fn nft(&mut self) -> Result<&mut Nft, NftError> {
        if self.nft.is_none() {
            self.nft = Some(Nft::open()?);
        }
        Ok(self.nft.as_mut().expect("opened above"))
    }

    /// Execute a group of ops: one rtnetlink op, one `rp_filter` write, or
    /// a run of nftables ops (one batch).
    async fn execute(&mut self, group: &[Op]) -> Result<Outcome, NetlinkError> {
        match group {
            [Op::SetRpFilter { iface, value }] => {
                let path = format!("/proc/sys/net/ipv4/conf/{iface}/rp_filter");
                std::fs::write(&path, format!("{value}\n"))
                    .map(|()| Outcome::Done)
                    .map_err(|error| NetlinkError {
                        what: group[0].to_string(),
                        errno: error.raw_os_error(),
                        detail: error.to_string(),
                    })
            }
            [op] if !op.is_nft() => netlink::execute(self.handle, op).await,
            nft_ops => {
                let changes: Vec<Change> = nft_ops
                    .iter()
                    .filter_map(|op| match op {
                        Op::AddTable(table) => Some(Change::Add(table.clone())),
                        Op::DelTable(name) => Some(Change::Delete(name.clone())),
                        _ => None,
                    })
                    .collect();
                let only_deletes = changes.iter().all(|c| matches!(c, Change::Delete(_)));
                let result = self.nft().and_then(|nft| nft.apply(&changes));
                match result {
                    Ok(()) => {
                        self.nft_deleted |= changes.iter().any(|c| matches!(c, Change::Delete(_)));
                        Ok(Outcome::Done)
                    }
                    // Deleting what is not there (or cannot be, in a
                    // kernel without nftables): done already.
                    Err(error)
                        if only_deletes
                            && (error.errno == Some(libc::ENOENT) || error.is_unsupported()) =>
                    {
                        Ok(Outcome::AlreadyGone)
                    }
                    Err(error) => Err(error.into()),
                }
            }
        }
    }
}

/// A run that stopped: the op that failed and what rollback did.
#[derive(Debug)]
pub struct ApplyError {
    pub error: NetlinkError,
    /// Ops that rollback executed (the undos of what this run added).
    pub rolled_back: Vec<Op>,
    /// Undos that failed too (left behind).
    pub rollback_failures: Vec<NetlinkError>,
}

/// Split `ops` into execution groups: runs of nftables ops together, every
/// other op alone.
fn groups(ops: &[Op]) -> Vec<&[Op]> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < ops.len() {
        let mut end = start + 1;
        if ops[start].is_nft() {
            while end < ops.len() && ops[end].is_nft() {
                end += 1;
            }
        }
        groups.push(&ops[start..end]);
        start = end;
    }
    groups
}

/// Execute `ops` in order. If one fails, undo what this run added (in
/// reverse order) so that nothing is left half-applied.
pub async fn apply(kernel: &mut Kernel<'_>, ops: &[Op]) -> Result<Vec<(Op, Outcome)>, ApplyError> {
    let mut results: Vec<(Op, Outcome)> = Vec::with_capacity(ops.len());
    for group in groups(ops) {
        match kernel.execute(group).await {
            Ok(outcome) => results.extend(group.iter().map(|op| (op.clone(), outcome))),
            Err(error) => {
                let mut rolled_back = Vec::new();
                let mut rollback_failures = Vec::new();
                let added: Vec<Op> = results
                    .iter()
                    .rev()
                    .filter(|(_, outcome)| *outcome == Outcome::Done)
                    .filter_map(|(op, _)| op.undo())
                    .collect();
                for undo in added {
                    match kernel.execute(std::slice::from_ref(&undo)).await {
                        Ok(_) => rolled_back.push(undo),
                        Err(failure) => rollback_failures.push(failure),
                    }
                }
                return Err(ApplyError {
                    error,
                    rolled_back,
                    rollback_failures,
                });
            }
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forward::{Mark, Table};
    use crate::plan::{RuleSpec, Slot, wanted_rule};
    use std::net::Ipv4Addr;

    #[test]
    fn nftables_ops_in_a_row_form_one_batch() {
        let rule = Op::AddRule(wanted_rule(
            Ipv4Addr::new(203, 0, 113, 5),
            Slot {
                table: 100,
                priority: 200,
            },
        ));
        let table = Table {
            iface: "ppp0".into(),
            mark: Mark {
                value: 1 << 24,
                mask: 0xf << 24,
            },
        };
        let ops = vec![
            rule.clone(),
            Op::DelTable(table.name()),
            Op::AddTable(table),
            Op::DelRule(RuleSpec {
                source: Ipv4Addr::new(203, 0, 113, 9),
                prefix_len: 32,
                table: 100,
                priority: 200,
            }),
        ];
        let sizes: Vec<usize> = groups(&ops).iter().map(|group| group.len()).collect();
        assert_eq!(sizes, [1, 2, 1]);
    }
}
