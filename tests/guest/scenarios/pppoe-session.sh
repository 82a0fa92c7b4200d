#!/bin/bash
# Full PPPoE session checks for one plugin, run inside the test guest:
#
#   tests/guest/run.sh --pppd 2.4.9|2.5.2|2.5.3 pppoe-session.sh PLUGIN [options]
#
# PLUGIN: a name from pppd's plugin dir (rp-pppoe.so, pppoe.so) or an
# absolute path (a built rs-pppoe.so).
# Options:
#   --label NAME     prefix for check names and the log directory name
#   --todo-padt WHY  a missing PADT is a known reference bug: report it as TAP
#                    TODO instead of a failure (pppd 2.4.9's own plugin never
#                    sends PADT, ppp-project/ppp#465)
#   --verbose        always print the client/server logs
#
# Prints TAP-like `ok - ...` / `not ok - ...` lines, a `metric:` line and ends
# with `guest: N passed, N failed`; exits non-zero when a check failed.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

plugin=${1:?usage: pppoe-session.sh PLUGIN [--label NAME] [--todo-padt WHY] [--verbose]}
shift
label=""
todo_padt=""
verbose=0
while [ $# -gt 0 ]; do
    case $1 in
        --label) label=$2; shift 2 ;;
        --todo-padt) todo_padt=$2; shift 2 ;;
        --verbose) verbose=1; shift ;;
        *) echo "pppoe-session.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$label" ] || label="pppd $(pppd_version) $(basename "$plugin")"
name() { echo "$label: $*"; }

case $plugin in
    /*) [ -r "$plugin" ] || { not_ok "$(name "plugin file $plugin is readable in the guest")"; summary; exit 1; } ;;
esac

net_setup
server_start
client_capture_start
note "server listening, starting the client"
client_start "$plugin"

# a. session up ---------------------------------------------------------------
wait_for 60 ipup_or_client_gone 1
if ipup_at_least 1; then
    ok "$(name ip-up ran)"
    ipup_load 1
    up_ms=$(((T_NS - RSG_CLIENT_START_NS) / 1000000))
    first_session=$SESSION
    check "$(name "$IFNAME has address $IPLOCAL")" \
        bash -c "ip -4 -o addr show dev '$IFNAME' | grep -q 'inet $IPLOCAL '"
    check "$(name "MACREMOTE=$MACREMOTE is the server MAC in upper case")" \
        test "$MACREMOTE" = "$(upper "$RSG_SERVER_MAC")"
    check "$(name "DEVICE=$DEVICE is the Ethernet interface")" test "$DEVICE" = "$RSG_CLIENT_IF"
    # What a user reads in pppd's log (both plugins log these lines).
    check "$(name "pppd's log says 'PPP session is $SESSION'")" \
        grep -q "PPP session is $SESSION\$" "$RSG_DIR/client.log"
    check "$(name "pppd's log says 'Connected to $MACREMOTE via interface $RSG_CLIENT_IF'")" \
        grep -qi "Connected to $MACREMOTE via interface $RSG_CLIENT_IF" "$RSG_DIR/client.log"
    # pppd 2.5.1+'s plugin exports ACNAME; on 2.4.9 it is optional, but
    # when a plugin sets it, it must be right.
    if [ "$(pppd_version)" != 2.4.9 ] || [ "$ACNAME_SET" = yes ]; then
        check "$(name "ACNAME=$ACNAME is the access concentrator's name")" test "$ACNAME" = "$RSG_AC_NAME"
    else
        echo "# ACNAME not set (optional with pppd 2.4.9)"
    fi
    note "session up"
    echo "metric: session_up_ms=$up_ms pppd_vmhwm_kb=$VMHWM_KB discovery_ms=$(discovery_ms_since "$RSG_CLIENT_START_NS")"

    # b. traffic over the session -------------------------------------------
    check "$(name "ping over $IFNAME to $IPREMOTE")" \
        bash -c "ping -c 2 -i 0.2 -W 3 -I '$IFNAME' '$IPREMOTE' >>'$RSG_DIR/ping.log' 2>&1"

    # d. reconnect under persist after the server went away -----------------
    note "restarting the server"
    server_restart
    note "server restarted"
    wait_for 60 ipup_or_client_gone 2
    if ipup_at_least 2; then
        ipup_load 2
        check "$(name "ip-up ran again after the server restart (session $first_session -> $SESSION)")" \
            test -n "$SESSION" -a "$SESSION" != "$first_session"
        check "$(name "$IFNAME has address $IPLOCAL after reconnect")" \
            bash -c "ip -4 -o addr show dev '$IFNAME' | grep -q 'inet $IPLOCAL '"
        check "$(name "ping over $IFNAME after reconnect")" \
            bash -c "ping -c 2 -i 0.2 -W 3 -I '$IFNAME' '$IPREMOTE' >>'$RSG_DIR/ping.log' 2>&1"
    else
        not_ok "$(name ip-up ran again after the server restart)"
    fi

    # c. PADT on SIGTERM ------------------------------------------------------
    ipup_load "$(ipup_count)"
    session_dec=${SESSION:-0}
    ip netns exec "$RSG_NS" tcpdump -i "$RSG_SERVER_IF" -t -n -e -l -U 'ether proto 0x8863' \
        >"$RSG_DIR/padt.tcpdump" 2>"$RSG_DIR/tcpdump.err" &
    tcpdump_pid=$!
    wait_for 10 grep -q 'listening on' "$RSG_DIR/tcpdump.err"
    note "SIGTERM to the client pppd"
    client_stop
    note "client pppd exited"
    check "$(name "pppd exited after SIGTERM with EXIT_USER_REQUEST 5 (got $RSG_CLIENT_STATUS)")" \
        test "$RSG_CLIENT_STATUS" = 5
    padt_seen() {
        grep -i "^$RSG_CLIENT_MAC > $RSG_SERVER_MAC" "$RSG_DIR/padt.tcpdump" |
            grep -q "PADT \[ses 0x$(printf '%x' "$session_dec")\]"
    }
    wait_for 3 padt_seen
    padt_name=$(name "server saw a PADT for session 0x$(printf '%x' "$session_dec") after SIGTERM")
    if padt_seen; then
        ok "$padt_name"
    elif [ -n "$todo_padt" ]; then
        todo "$padt_name" "$todo_padt"
    else
        not_ok "$padt_name"
    fi
    kill "$tcpdump_pid" 2>/dev/null
    wait "$tcpdump_pid" 2>/dev/null
else
    not_ok "$(name ip-up ran)"
    client_stop
fi

note "option error checks"
# e. option errors exit with EXIT_OPTION_ERROR (2) -----------------------------
# Control first: the same command line with valid values passes option
# parsing (dryrun exits 0), so a 2 below comes from the bad word itself and
# not from, say, a plugin that fails to load. pppd's message must name it.
timeout 20 pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" pppoe-padi-timeout 5 noauth nodetach dryrun \
    >"$RSG_DIR/option-ok.log" 2>&1
status=$?
check "$(name "valid 'pppoe-padi-timeout 5' passes option parsing (dryrun status $status)")" test "$status" = 0
for bad in "pppoe-padi-timeout abc" "pppoe-no-such-option 1"; do
    # shellcheck disable=SC2086
    timeout 20 pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" $bad noauth nodetach \
        >"$RSG_DIR/option-error.log" 2>&1
    status=$?
    tail -1 "$RSG_DIR/option-error.log" | sed 's/^/# /'
    check "$(name "'$bad' exits with status 2 (got $status) naming ${bad%% *}")" \
        bash -c "[ $status = 2 ] && grep -q -- '${bad%% *}' '$RSG_DIR/option-error.log'"
done

server_stop
kill "$RSG_CLIENT_CAPTURE_PID" 2>/dev/null
save_logs "$(echo "$label" | tr -c 'A-Za-z0-9.\n-' '_')"
if [ "$verbose" = 1 ] || [ "$RSG_FAILED" -gt 0 ]; then
    dump_logs
fi
summary
