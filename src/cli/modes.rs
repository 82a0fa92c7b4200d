//! The modes beyond one discovery: `--all` (every interface at once),
//! `--probe-vlans` (tagged PADIs on a list of VLANs) and `--terminate` (a
//! PADT for a session left behind).

use std::io::{self, Write};
use std::os::fd::OwnedFd;

use super::{
    Args, EXIT_CANNOT_RUN, EXIT_FOUND, EXIT_NOT_FOUND, fail, open_checked, output, report,
};
use crate::discovery::padt_frame;
use crate::scan;
use crate::session_record::{self, RecordStore};
use crate::sys::pppox::attached_sessions;
use crate::wire::MacAddr;

/// `--all`: probe every Ethernet interface that is up, at once.
pub(super) fn all(args: &Args, sockets: &mut Vec<OwnedFd>) -> i32 {
    let interfaces = match scan::candidate_interfaces() {
        Ok(interfaces) if interfaces.is_empty() => {
            return fail(
                "no Ethernet interface is up (with a carrier) to probe",
                EXIT_CANNOT_RUN,
            );
        }
        Ok(interfaces) => interfaces,
        Err(e) => return fail(format_args!("cannot list interfaces: {e}"), EXIT_CANNOT_RUN),
    };
    let results = scan::scan_interfaces_keeping(&interfaces, &args.discovery, sockets);
    let mut out = String::new();
    for scan in &results {
        out.push_str(&if args.json {
            output::interface_scan_json(scan)
        } else {
            output::interface_scan_text(scan)
        });
    }
    if !args.quiet {
        let _ = io::stdout().write_all(out.as_bytes());
    }
    if results
        .iter()
        .any(|s| s.result.as_ref().is_ok_and(|offers| !offers.is_empty()))
    {
        EXIT_FOUND
    } else if results.iter().all(|s| s.result.is_err()) {
        fail("no interface could be probed", EXIT_CANNOT_RUN)
    } else {
        fail(
            "no access concentrator answered on any interface",
            EXIT_NOT_FOUND,
        )
    }
}

/// `--probe-vlans`: PADIs tagged for each VLAN of `vlans` (and one
/// untagged) on `interface`.
pub(super) fn probe_vlans(
    args: &Args,
    interface: &str,
    vlans: &[u16],
    sockets: &mut Vec<OwnedFd>,
) -> i32 {
    let results = match scan::probe_vlans(interface, vlans, &args.discovery, sockets) {
        Ok(results) => results,
        Err(e) => return fail(e, EXIT_CANNOT_RUN),
    };
    if !args.quiet {
        let mut out = String::new();
        for scan in &results {
            if args.json {
                out.push_str(&output::vlan_scan_json(interface, scan));
            } else if !scan.offers.is_empty() {
                out.push_str(&output::vlan_scan_text(scan));
            }
        }
        let _ = io::stdout().write_all(out.as_bytes());
    }
    let answered: Vec<Option<u16>> = results
        .iter()
        .filter(|s| !s.offers.is_empty())
        .map(|s| s.vlan)
        .collect();
    let tried: Vec<String> = vlans.iter().map(u16::to_string).collect();
    if answered.is_empty() {
        return fail(
            format_args!(
                "no access concentrator answered on {interface}, untagged or on VLAN {}",
                tried.join(", ")
            ),
            EXIT_NOT_FOUND,
        );
    }
    for vlan in answered {
        match vlan {
            Some(vid) => report(format_args!(
                "an access concentrator answered on VLAN {vid}: use the interface \
                 {interface}.{vid} (e.g. ip link add link {interface} name {interface}.{vid} \
                 type vlan id {vid})"
            )),
            None => report(format_args!(
                "an access concentrator answered untagged on {interface}"
            )),
        }
    }
    EXIT_FOUND
}

/// `--terminate SESSION:AC-MAC`: a PADT for a session left behind by
/// something else (like `pppoe -k -e`), unless this host still holds it.
pub(super) fn terminate(
    interface: &str,
    session_id: u16,
    ac_mac: MacAddr,
    json: bool,
    sockets: &mut Vec<OwnedFd>,
) -> i32 {
    // The kernel lists every session a PPPoE socket of this host (of this
    // network namespace) is attached to: a running pppd's. Ending it under
    // that pppd would leave it talking to nobody.
    match attached_sessions() {
        Ok(attached) => {
            if let Some(held) = attached
                .iter()
                .find(|s| s.session_id == session_id && s.peer_mac == ac_mac.0)
            {
                return fail(
                    format_args!(
                        "session {session_id} with {ac_mac} is held by this host (attached on \
                         {}, see /proc/net/pppoe): stop the pppd that runs it instead",
                        held.interface
                    ),
                    EXIT_CANNOT_RUN,
                );
            }
        }
        Err(e) => {
            return fail(
                format_args!("cannot read /proc/net/pppoe to check the session is not ours: {e}"),
                EXIT_CANNOT_RUN,
            );
        }
    }
    // A pppd between its PADS and attaching its socket already holds the
    // session's record (rs-pppoe(8), FILES).
    let records = RecordStore::new(session_record::DEFAULT_DIR);
    match records.held_record(interface, session_id, ac_mac) {
        Ok(None) => {}
        Ok(Some(record)) => {
            return fail(
                format_args!(
                    "session {session_id} with {ac_mac} is held by a running pppd (its record \
                     {} is locked): stop that pppd instead",
                    record.display()
                ),
                EXIT_CANNOT_RUN,
            );
        }
        Err(e) => {
            return fail(
                format_args!(
                    "cannot read {} to check that no pppd holds the session: {e}",
                    records.path().display()
                ),
                EXIT_CANNOT_RUN,
            );
        }
    }
    let sock = match open_checked(interface, sockets) {
        Ok(sock) => sock,
        Err(status) => return status,
    };
    // Whoever opened the session chose its Host-Uniq and cookie; the AC
    // matches a PADT by session id and our MAC.
    let padt = padt_frame(MacAddr(sock.mac()), ac_mac, session_id, &[], None, None);
    let result = sock.send(&padt);
    sockets.push(sock.into());
    match result {
        Ok(()) => {
            let line = if json {
                format!(
                    "{{\"padt_sent\":true,\"interface\":{},\"session_id\":{session_id},\"ac_mac\":\"{ac_mac}\"}}\n",
                    output::json_string(interface.as_bytes())
                )
            } else {
                format!("Sent PADT for session {session_id} to {ac_mac} on {interface}\n")
            };
            let _ = io::stdout().write_all(line.as_bytes());
            EXIT_FOUND
        }
        Err(e) => super::driver_error(
            interface,
            crate::driver::DriverError::Io {
                what: "send",
                source: e,
            },
        ),
    }
}
