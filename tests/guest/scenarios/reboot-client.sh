#!/bin/bash
# The client of tests/guest/reboot-test.sh, one run per boot:
#
#   tests/guest/run.sh --pppd VERSION --udp-link B:A --state DIR \
#       reboot-client.sh PLUGIN first|second
#
# eth0 is the wire to the AC guest; /var/lib/rs-pppoe is a host folder
# shared by both boots.
#   first:  a session comes up and is recorded with this boot's id; the
#           scenario then ends with pppd still running, and the guest powers
#           off: the session is left on the AC as after a power cut.
#   second: the first boot's record is found (another boot id); its PADT goes
#           out before the first PADI; a session comes up on the AC's only
#           slot, which the old session still held; a clean stop removes the
#           new record.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

plugin=${1:?usage: reboot-client.sh PLUGIN first|second}
boot=${2:?usage: reboot-client.sh PLUGIN first|second}
label="pppd $(pppd_version) $(basename "$plugin") $boot boot"
name() { echo "$label: $*"; }
RECORDS=/var/lib/rs-pppoe
boot_id=$(cat /proc/sys/kernel/random/boot_id)

ppp_config
ip link set eth0 name "$RSG_CLIENT_IF"
ip link set "$RSG_CLIENT_IF" address "$RSG_CLIENT_MAC" up

records() { compgen -G "$RECORDS/$RSG_CLIENT_IF:*.session"; }
# field FILE KEY: a value of a session record.
field() { sed -n "s/^$2=//p" "$1"; }

case $boot in
first)
    check "$(name "no record yet")" test -z "$(records)"
    # The AC guest may still be booting: ask again every second or two.
    client_start "$plugin" pppoe-padi-timeout 1
    if wait_for 90 ipup_or_client_gone 1 && ipup_at_least 1; then
        ok "$(name "session up")"
    else
        not_ok "$(name "session up")"
    fi
    record=$(records | head -1)
    check "$(name "its record is in the shared folder")" test -n "$record"
    check "$(name "the record carries this boot's id")" \
        test "$(field "$record" boot_id)" = "$boot_id"
    echo "# record: $(basename "$record"), boot $boot_id"
    # No client_stop: the guest powers off with pppd running.
    ;;
second)
    record=$(records | head -1)
    old_session=""
    old_boot=""
    if [ -n "$record" ]; then
        old_session=$(field "$record" session)
        old_boot=$(field "$record" boot_id)
    fi
    check "$(name "the first boot's record is here (session $old_session)")" test -n "$old_session"
    check "$(name "it is from another boot ($old_boot, now $boot_id)")" \
        test -n "$old_boot" -a "$old_boot" != "$boot_id"
    client_capture_start
    client_start "$plugin"
    if wait_for 90 ipup_or_client_gone 1 && ipup_at_least 1; then
        ipup_load 1
        ok "$(name "a session ($SESSION) came up on the AC's only slot")"
    else
        not_ok "$(name "a session came up on the AC's only slot")"
    fi
    printf -v hex '%x' "${old_session:-0}"
    check "$(name "the old session got its PADT before the first PADI")" bash -c \
        "grep -E 'PADT|PADI' '$RSG_DIR/client-discovery.tcpdump' | head -1 | grep -q 'PADT \\[ses 0x$hex\\]'"
    check "$(name "pppd logged it as left before the reboot")" \
        grep -q "Sent PADT for stale session $old_session .*before the last reboot" "$RSG_DIR/client.log"
    new_record=$(records | head -1)
    check "$(name "one record now: the new session's, with this boot's id")" \
        test "$(records | wc -l)" = 1 -a "$(field "$new_record" boot_id)" = "$boot_id"
    client_stop
    check "$(name "a clean stop removes it")" test -z "$(records)"
    kill "$RSG_CLIENT_CAPTURE_PID" 2>/dev/null
    ;;
*)
    echo "reboot-client.sh: first or second, not $boot" >&2
    exit 2
    ;;
esac
save_logs "reboot-client-$boot-$(pppd_version)"
if [ "$RSG_FAILED" -gt 0 ]; then
    dump_logs
    ls -la "$RECORDS" | sed 's/^/# records: /'
fi
summary
