#!/bin/bash
# Stale-session reconnect benchmark inside one guest boot (driven by
# tests/guest/bench-reconnect.sh):
#
#   bench-reconnect.sh ROUNDS PLUGIN_A PLUGIN_B
#
# A one-slot AC (pppoe-server -N 1). Each round, for each plugin (order
# alternates, ABBA): a session comes up, pppd is SIGKILLed, and a new pppd
# with the same plugin starts at once; measured: SIGKILL -> ip-up. Then a
# clean stop, and the slot is free again before the next plugin's turn.
#
# The AC's pppd gives a session up about a second after a PADT (lcp-restart 1,
# lcp-max-terminate 1), and drops a session whose client went silent after
# 2 missed LCP echoes 1 s apart (lcp-echo-interval 1, lcp-echo-failure 2):
# a plugin that sends no PADT for the stale session (the distributions')
# gets the slot only then, so its figure is finite instead of the minutes a
# real ISP may hold a dead session. Prints one line per reconnect:
#   bench: plugin=<P> round=<n> reconnect_ms=<n>
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rounds=${1:?usage: bench-reconnect.sh ROUNDS PLUGIN_A PLUGIN_B}
plugin_a=${2:?}
plugin_b=${3:?}

net_setup
printf 'lcp-restart 1\nlcp-max-terminate 1\nlcp-echo-interval 1\nlcp-echo-failure 2\n' \
    >>/etc/ppp/pppoe-server-options
RSG_SERVER_SLOTS=1 server_start

# Both plugins load from the same tmpfs. A bare name is the distribution's
# plugin of the pppd that runs.
stage() {
    local src=$1 dir=$RSG_DIR/plugins/$2
    case $src in /*) ;; *) src=/usr/lib/pppd/$(pppd_version)/$src ;; esac
    mkdir -p "$dir"
    cp -L "$src" "$dir/"
    echo "$dir/$(basename "$src")"
}
staged_a=$(stage "$plugin_a" a)
staged_b=$(stage "$plugin_b" b)

slot_free() { test -z "$(server_session_pids --with-relays)"; }
gone() { ! kill -0 "$1" 2>/dev/null; }

reconnect_once() {
    local plugin=$1 round=$2 staged=$3 old t kill_ns
    rm -f "$RSG_DIR"/ipup.*.env
    : >"$RSG_DIR/client.log"
    # `silent`: no LCP request the AC's fresh pppd could miss (a 1 s
    # retransmit in some runs only); the same for both plugins.
    client_start "$staged" silent
    if ! { wait_for 60 ipup_or_client_gone 1 && ipup_at_least 1; }; then
        echo "bench: plugin=$plugin round=$round failed (no first session)"
        client_stop
        return
    fi
    old=$RSG_CLIENT_PID
    # Reaped by polling, so bash does not announce the kill.
    disown "$old"
    t=${EPOCHREALTIME/[.,]/}
    kill_ns=${t}000
    kill -KILL "$old"
    client_start "$staged" silent
    [ "$round" = 0 ] && plugin="warm-up:$plugin"
    if wait_for 90 ipup_or_client_gone 2 && ipup_at_least 2; then
        ipup_load 2
        echo "bench: plugin=$plugin round=$round reconnect_ms=$(((T_NS - kill_ns) / 1000000))"
    else
        echo "bench: plugin=$plugin round=$round failed"
        tail -20 "$RSG_DIR/client.log" | sed 's/^/# /'
    fi
    wait_for 10 gone "$old"
    client_stop
    if ! wait_for 10 slot_free; then
        # shellcheck disable=SC2046
        kill -TERM $(server_session_pids --with-relays) 2>/dev/null
        wait_for 10 slot_free
    fi
}

# Round 0 warms caches and is not counted.
for ((round = 0; round <= rounds; round++)); do
    if ((round % 2)); then
        reconnect_once "$plugin_a" "$round" "$staged_a"
        reconnect_once "$plugin_b" "$round" "$staged_b"
    else
        reconnect_once "$plugin_b" "$round" "$staged_b"
        reconnect_once "$plugin_a" "$round" "$staged_a"
    fi
done
server_stop
