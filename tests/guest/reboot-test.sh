#!/bin/bash
# A session record survives a reboot: the client guest boots twice while an
# access concentrator in a second guest stays up.
#
#   tests/guest/reboot-test.sh --pppd VERSION PLUGIN
#
# The two guests share one virtual wire: QEMU's datagram netdev over UDP on
# 127.0.0.1 (connectionless, so a guest may leave and rejoin it). The client's
# /var/lib/rs-pppoe is a host folder kept from its first boot to its second.
#
#   1. AC guest (scenarios/reboot-ac.sh): pppoe-server with one slot; its
#      pppd keeps a silent session (no LCP echo).
#   2. client, first boot (scenarios/reboot-client.sh first): a session comes
#      up and is recorded; the guest powers off with pppd running (a power
#      cut: no PADT).
#   3. client, second boot (... second): the record (another boot id) gets
#      its PADT before the first PADI; a session comes up on the slot the old
#      session held.
#   4. the AC guest checks what it saw, and stops.
#
# Prints every guest's TAP lines and ends with `guest: N passed, N failed`.
# Each guest has a watchdog (--timeout, default 300 s per client boot); the
# AC guest's covers the whole test.
set -uo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=""
timeout_s=300
while [ $# -gt 0 ]; do
    case $1 in
        --pppd) version=${2:?--pppd needs a version}; shift 2 ;;
        --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        -*) echo "reboot-test.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
plugin=${1:?usage: reboot-test.sh --pppd VERSION PLUGIN}
[ -n "$version" ] || { echo "reboot-test.sh: --pppd is required" >&2; exit 2; }
[ -f "$plugin" ] || { echo "reboot-test.sh: $plugin does not exist" >&2; exit 2; }
plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")

work=$(mktemp -d /tmp/rs-pppoe-reboot.XXXXXX)
ac_pid=""
cleanup() {
    if [ -n "$ac_pid" ] && kill -0 "$ac_pid" 2>/dev/null; then
        touch "$work/ac-io/done"
        # Its scenario ends once it sees `done`; the watchdog bounds the rest.
        wait "$ac_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/ac-io" "$work/state"
chmod 700 "$work/state"

# Two UDP ports on 127.0.0.1, distinct per process so parallel runs in other
# checkouts do not share a wire.
port=$((20000 + ($$ % 20000) * 2))
ac_link=$port:$((port + 1))
client_link=$((port + 1)):$port

passed=0
failed=0
# tally LOG STATUS WHAT: add a guest's `guest: N passed, N failed` line.
tally() {
    local summary p f
    summary=$(grep -E '^guest: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
    if [ -z "$summary" ]; then
        echo "not ok - $3: the guest reported no result (status $2)"
        failed=$((failed + 1))
        return
    fi
    read -r p f < <(echo "$summary" | awk '{print $2, $4}')
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" = 0 ] && [ "$2" != 0 ]; then
        echo "not ok - $3: exit status $2"
        failed=$((failed + 1))
    fi
}
# prefixed TAG: the guest's lines, their `guest:` total made a comment.
prefixed() { sed -u -E -e 's/^(guest: [0-9]+ passed, [0-9]+ failed)$/# \1/' -e "s/^/[$1] /"; }

echo "# reboot test, pppd $version, $(basename "$plugin"), wire 127.0.0.1:$ac_link"
# The AC is mostly idle: one CPU leaves the other to the client guest.
GUEST_SMP=1 "$GUEST_DIR/run.sh" --pppd "$version" --timeout $((timeout_s * 3)) --io "$work/ac-io" \
    --udp-link "$ac_link" reboot-ac.sh >"$work/ac.log" 2>&1 &
ac_pid=$!

# The client's first boot starts at once (its pppd keeps sending PADIs until
# the AC listens); the second only once the AC was up.
for boot in first second; do
    if [ "$boot" = second ]; then
        if [ ! -e "$work/ac-io/ready" ]; then
            prefixed ac <"$work/ac.log"
            echo "not ok - pppd $version reboot test: the AC guest came up"
            echo "guest: $passed passed, $((failed + 1)) failed"
            exit 1
        fi
        touch "$work/ac-io/second-boot"
    fi
    "$GUEST_DIR/run.sh" --pppd "$version" --timeout "$timeout_s" --state "$work/state" \
        --udp-link "$client_link" reboot-client.sh "$plugin" "$boot" >"$work/$boot.log" 2>&1
    status=$?
    prefixed "$boot boot" <"$work/$boot.log"
    tally "$work/$boot.log" "$status" "pppd $version reboot test, client $boot boot"
done

touch "$work/ac-io/done"
wait "$ac_pid"
status=$?
ac_pid=""
prefixed ac <"$work/ac.log"
tally "$work/ac.log" "$status" "pppd $version reboot test, AC"

echo "guest: $passed passed, $failed failed"
[ "$failed" = 0 ]
