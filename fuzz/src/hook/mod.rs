//! `hook_config` and `hook_args`: the parsers of `rs-pppoe-rule`, which pppd
//! runs as root on every ip-up/ip-down with its arguments and environment.

pub mod args;
pub mod config;

use rs_pppoe_rule::config::{Config, Forwarding};
use rs_pppoe_rule::forward::Table;
use rs_pppoe_rule::plan::Slot;

/// A slot the hook would use: never a kernel table or priority.
fn assert_usable(slot: Slot, what: &str) {
    assert!(
        !matches!(slot.table, 0 | 253..=255),
        "{what}: kernel table {}",
        slot.table
    );
    assert!(
        (1..=32765).contains(&slot.priority),
        "{what}: priority {} outside 1..=32765",
        slot.priority
    );
}

/// Looks `iface` up the way `up`/`down` and `show` do; whatever slot comes
/// back is usable, and `show` recognises the ones the scheme hands out. A
/// forwarding mark stays inside the hook's mask (the bits outside belong to
/// kube-proxy, wg-quick, Tailscale, …) and is never 0 (unmarked), and its
/// rule priority is usable.
fn check_lookup(config: &Config, iface: &str, unit: Option<&str>) {
    use rs_pppoe_rule::config::Values;
    let what = format!("{iface} (UNIT {unit:?})");
    if let Ok(slot) = config.slot_for(iface, unit, Values::default()) {
        assert_usable(slot, &what);
        if unit.is_none() {
            assert!(config.manages(slot), "{what}: show would not list {slot:?}");
        }
    }
    if let Forwarding::On {
        mark,
        fwmark_priority,
        ..
    } = config.forwarding_for(iface, unit)
    {
        assert!(
            mark.value != 0 && mark.value & !mark.mask == 0,
            "{what}: mark {:#x} outside mask {:#x}",
            mark.value,
            mark.mask
        );
        assert!(
            (1..=32765).contains(&fwmark_priority),
            "{what}: fwmark priority {fwmark_priority}"
        );
        assert_eq!(
            config.fwmark_priority_for(iface, unit),
            Some(fwmark_priority)
        );
        // What --dry-run prints for it.
        let table = Table {
            iface: iface.to_owned(),
            mark,
        };
        assert!(!table.nft_lines().is_empty());
    }
    // Command-line flags beat the file. (`Values` is growing more fields.)
    #[allow(clippy::needless_update)]
    let flags = Values {
        table: Some(150),
        priority: Some(250),
        ..Values::default()
    };
    assert_eq!(
        config.slot_for(iface, unit, flags),
        Ok(Slot {
            table: 150,
            priority: 250
        }),
        "{what}: flags did not win"
    );
}
