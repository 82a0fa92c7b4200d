#!/bin/bash
# Session set-up benchmark inside one guest boot (driven by bench-session.sh):
#
#   bench.sh ROUNDS PLUGIN_A PLUGIN_B
#
# Each round brings one session up with each plugin (order alternates, ABBA,
# so slow drift of the guest hurts both equally) against the same
# pppoe-server, then tears it down. Prints one line per session:
#   bench: plugin=<P> round=<n> session_up_ms=<n> discovery_ms=<n> pppd_vmhwm_kb=<n>
# session_up_ms: pppd start -> ip-up; discovery_ms: pppd start -> PADS seen
# on the client's interface (pppd start-up + plugin load + discovery);
# pppd_vmhwm_kb: pppd's peak RSS when ip-up runs.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rounds=${1:?usage: bench.sh ROUNDS PLUGIN_A PLUGIN_B}
plugin_a=${2:?}
plugin_b=${3:?}

net_setup
server_start
client_capture_start

# Both plugins load from the same tmpfs, so neither pays for a cold 9p read.
stage_plugin() {
    local src=$1 dir=$RSG_DIR/plugins/$2
    case $src in
        /*) ;;
        *) src=$(ls /usr/lib/pppd/*/"$src" | head -1) ;;
    esac
    mkdir -p "$dir"
    cp -L "$src" "$dir/"
    echo "$dir/$(basename "$src")"
}
staged_a=$(stage_plugin "$plugin_a" a)
staged_b=$(stage_plugin "$plugin_b" b)

session_once() {
    local plugin=$1 round=$2 staged=$3
    rm -f "$RSG_DIR"/ipup.*.env
    client_start "$staged"
    wait_for 60 ipup_or_client_gone 1
    if ipup_at_least 1; then
        ipup_load 1
        [ "$round" = 0 ] && plugin="warm-up:$plugin"
        echo "bench: plugin=$plugin round=$round session_up_ms=$(((T_NS - RSG_CLIENT_START_NS) / 1000000))" \
            "discovery_ms=$(discovery_ms_since "$RSG_CLIENT_START_NS") pppd_vmhwm_kb=$VMHWM_KB"
    else
        echo "bench: plugin=$plugin round=$round failed"
        tail -20 "$RSG_DIR/client.log" | sed 's/^/# /'
    fi
    client_stop
    # Let the server's side of the session finish before the next one. In
    # user mode (pppoe-server 3.15) it lingers when the client sent no PADT.
    # (A function, so wait_for asks again on every poll.)
    if ! wait_for 2 server_sessions_gone; then
        # shellcheck disable=SC2046
        kill -TERM $(server_session_pids --with-relays) 2>/dev/null
        wait_for 10 server_sessions_gone
    fi
    : >"$RSG_DIR/client.log"
}

server_sessions_gone() { [ -z "$(server_session_pids --with-relays)" ]; }

# Round 0 warms caches (pppd, libraries, the server) and is not counted.
for ((round = 0; round <= rounds; round++)); do
    if ((round % 2)); then
        session_once "$plugin_a" "$round" "$staged_a"
        session_once "$plugin_b" "$round" "$staged_b"
    else
        session_once "$plugin_b" "$round" "$staged_b"
        session_once "$plugin_a" "$round" "$staged_a"
    fi
done
server_stop
kill "$RSG_CLIENT_CAPTURE_PID" 2>/dev/null
