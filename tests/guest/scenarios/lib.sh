# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are read by the scenarios
# Shared pieces of the PPPoE guest scenarios (sourced, runs inside the guest).
#
# Topology: namespace `isp` holds pppoe-server on veth rsg-isp; the client
# pppd runs in the guest's root namespace on veth rsg-cli. Addresses come from
# the server's pool (10.67.15.1 local, 10.67.15.10+ for clients); nothing
# leaves the guest.

RSG_DIR=/tmp/rsg
RSG_NS=isp
RSG_CLIENT_IF=rsg-cli
RSG_SERVER_IF=rsg-isp
RSG_CLIENT_MAC=02:ab:cd:00:00:02
RSG_SERVER_MAC=02:ab:cd:00:00:01
RSG_SERVER_IP=10.67.15.1
RSG_POOL_START=10.67.15.10
RSG_AC_NAME=rsg-test-ac
RSG_USER=rsg-user
RSG_SECRET=rsg-secret
# In /etc/ppp (the guest's root-owned 755 tmpfs), never /tmp: pppd 2.5.3
# runs a script only when it and every directory above it belong to root
# and are not group or other writable.
RSG_IPUP=/etc/ppp/rsg-ip-up
RSG_PASSED=0
RSG_FAILED=0
RSG_TODO=0
RSG_SERVER_STARTS=0

# Wall-clock time in ns without starting a process (bash 5's EPOCHREALTIME
# has microseconds; `date` would cost 100-200 ms under TCG).
now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "${t}000"; }
RSG_T0=$(now_ns)
# note TEXT: a TAP comment with the seconds since the scenario started.
note() { echo "# [$(( ($(now_ns) - RSG_T0) / 1000000 )) ms] $*"; }

ok() {
    echo "ok - $1"
    RSG_PASSED=$((RSG_PASSED + 1))
}

not_ok() {
    echo "not ok - $1"
    RSG_FAILED=$((RSG_FAILED + 1))
}

# check NAME COMMAND...: one TAP line from a command's status (the command's
# own output is discarded; redirect inside a `bash -c` to keep it).
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi
}

# A known failure of the reference that must not fail the run: TAP "TODO".
todo() {
    echo "not ok - $1 # TODO $2"
    RSG_TODO=$((RSG_TODO + 1))
}

summary() {
    if [ "$RSG_TODO" -gt 0 ]; then
        echo "# $RSG_TODO known reference failure(s) marked TODO, not counted"
    fi
    echo "guest: $RSG_PASSED passed, $RSG_FAILED failed"
    [ "$RSG_FAILED" = 0 ]
}

mkdir -p "$RSG_DIR"
# shellcheck source=poll.sh
. "$(dirname "${BASH_SOURCE[0]}")/poll.sh"

pppd_version() { pppd --version 2>&1 | awk '{print $3; exit}'; }

net_setup() {
    mkdir -p "$RSG_DIR"
    ip netns add "$RSG_NS"
    ip netns exec "$RSG_NS" ip link set lo up
    ip link add "$RSG_CLIENT_IF" address "$RSG_CLIENT_MAC" type veth \
        peer name "$RSG_SERVER_IF" address "$RSG_SERVER_MAC" netns "$RSG_NS"
    ip link set "$RSG_CLIENT_IF" up
    ip netns exec "$RSG_NS" ip link set "$RSG_SERVER_IF" up
    ppp_config
}

# ppp_config: the pppd configuration of both sides, and the ip-up recorder.
ppp_config() {
    mkdir -p "$RSG_DIR"
    # /etc/ppp is a fresh tmpfs in the guest: this is its whole configuration.
    # Client and server pppd share it, so one CHAP line serves both.
    printf '%s * %s *\n' "$RSG_USER" "$RSG_SECRET" >/etc/ppp/chap-secrets
    chmod 600 /etc/ppp/chap-secrets
    cat >/etc/ppp/pppoe-server-options <<EOF
require-chap
lcp-echo-interval 5
lcp-echo-failure 3
nodefaultroute
debug
logfile $RSG_DIR/server-pppd.log
EOF
    cat >"$RSG_IPUP" <<'EOF'
#!/bin/bash
# Records one ip-up event as a sourceable file: time, pppd's peak RSS at this
# moment, the environment pppd and the plugin provide, the PPPoE session id.
t=${EPOCHREALTIME/[.,]/}000
pid=${PPPD_PID:-$PPID}
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
# /proc/net/pppoe prints the big-endian session id as a host-order number.
raw=$(awk -v dev="$DEVICE" 'NR > 1 && $3 == dev {print $1}' /proc/net/pppoe | tail -1)
session=""
if [ -n "$raw" ]; then session=$((((16#$raw & 0xff) << 8) | ((16#$raw >> 8) & 0xff))); fi
dir=/tmp/rsg
n=$(($(ls "$dir"/ipup.*.env 2>/dev/null | wc -l) + 1))
{
    printf 'T_NS=%q\n' "$t"
    printf 'VMHWM_KB=%q\n' "$hwm"
    printf 'SESSION=%q\n' "$session"
    for v in IFNAME IPLOCAL IPREMOTE MACREMOTE ACNAME DEVICE PPPD_PID PPPLOGNAME; do
        printf '%s=%q\n' "$v" "${!v-}"
    done
    printf 'ACNAME_SET=%q\n' "${ACNAME+yes}"
} >"$dir/ipup.tmp.$$"
mv "$dir/ipup.tmp.$$" "$dir/ipup.$n.env"
EOF
    chmod 755 "$RSG_IPUP"
}

# server_start: pppoe-server in the isp namespace; kernel mode when this
# pppoe-server supports it (trixie's 4.0 does, bookworm's 3.15 does not).
# Each start uses new session numbers so a reconnect is visibly a new session.
# RSG_SERVER_SLOTS: how many sessions it serves at once (default 64).
# Returns once the server has its discovery socket open.
server_start() {
    RSG_SERVER_STARTS=$((RSG_SERVER_STARTS + 1))
    local mode=()
    if pppoe-server -h 2>&1 | grep -q -- '-k '; then
        # The plugin of the pppd that runs: with pppd 2.5.3 layered over
        # trixie, 2.5.2's plugin dir is still there and pppd would refuse it.
        [ -n "${RSG_PPPD_VERSION:-}" ] || RSG_PPPD_VERSION=$(pppd_version)
        mode=(-k -g "/usr/lib/pppd/$RSG_PPPD_VERSION/pppoe.so")
    fi
    # RSG_SERVER_PPP_DIR=DIR: the server and its pppds see DIR as /etc/ppp
    # (a bind mount in the mount namespace `ip netns exec` gives them
    # alone), so they do not read the client's secrets. The whole
    # directory: a mount on a file is detached as soon as the client side
    # replaces that file.
    local own_etc=()
    if [ -n "${RSG_SERVER_PPP_DIR:-}" ]; then
        # shellcheck disable=SC2016 # expanded by that sh
        own_etc=(sh -c 'mount --bind "$0" /etc/ppp && exec "$@"' "$RSG_SERVER_PPP_DIR")
    fi
    # `ip netns exec` (and that sh) exec, so $! is pppoe-server itself (-F: no fork).
    ip netns exec "$RSG_NS" "${own_etc[@]}" pppoe-server -F -I "$RSG_SERVER_IF" "${mode[@]}" \
        -C "$RSG_AC_NAME" -L "$RSG_SERVER_IP" -R "$RSG_POOL_START" -N "${RSG_SERVER_SLOTS:-64}" \
        -o $(((RSG_SERVER_STARTS - 1) * 100)) -O /etc/ppp/pppoe-server-options \
        >>"$RSG_DIR/pppoe-server.log" 2>&1 &
    RSG_SERVER_PID=$!
    wait_for 10 server_listening
}

server_listening() {
    local fd
    for fd in /proc/"$RSG_SERVER_PID"/fd/*; do
        [[ $(readlink "$fd" 2>/dev/null) == socket:* ]] && return 0
    done
    return 1
}

# server_restart: what an access concentrator reboot looks like to the
# client. The daemon dies first (SIGKILL: no chance to end its sessions), a
# new one starts, then the old session pppds are terminated, so the client
# loses its session and its next discovery finds the new server at once.
server_restart() {
    local old_sessions
    old_sessions=$(server_session_pids)
    kill -KILL "$RSG_SERVER_PID" 2>/dev/null
    wait "$RSG_SERVER_PID" 2>/dev/null
    server_start
    # shellcheck disable=SC2086
    kill -TERM $old_sessions 2>/dev/null
}

# server_session_pids [--with-relays]: the live session pppds of the server
# (zombies do not count), with --with-relays also user-mode `pppoe` relays.
# shellcheck disable=SC2120 # bench.sh passes --with-relays
server_session_pids() {
    local p comm state
    for p in $(ip netns pids "$RSG_NS"); do
        [ "$p" = "$RSG_SERVER_PID" ] && continue
        comm=$(cat "/proc/$p/comm" 2>/dev/null)
        read -r _ _ state _ 2>/dev/null <"/proc/$p/stat" || continue
        [ "$state" = Z ] && continue
        # Normally only pppd: it ends the session with an LCP
        # Terminate-Request; in user mode its `pppoe` relay follows and
        # sends a PADT.
        if [ "$comm" = pppd ] || { [ "$comm" = pppoe ] && [ "${1:-}" = --with-relays ]; }; then
            echo "$p"
        fi
    done
}

# server_stop: SIGTERM pppoe-server and its session pppds, wait for them.
server_stop() {
    local pids p comm
    pids=$(ip netns pids "$RSG_NS")
    for p in $pids; do
        comm=$(cat "/proc/$p/comm" 2>/dev/null)
        case $comm in pppoe-server|pppd|pppoe) kill -TERM "$p" 2>/dev/null ;; esac
    done
    wait_for 10 server_gone
}

server_gone() {
    local p comm state
    for p in $(ip netns pids "$RSG_NS"); do
        comm=$(cat "/proc/$p/comm" 2>/dev/null)
        read -r _ _ state _ 2>/dev/null <"/proc/$p/stat" || continue
        [ "$state" = Z ] && continue
        case $comm in pppoe-server|pppd|pppoe) return 1 ;; esac
    done
    return 0
}

# plugin_installed PLUGIN: make `plugin rs-pppoe.so` in a peers file load
# PLUGIN, as on an installed system: a copy in pppd's plugin directory (over
# a tmpfs copy of that directory when the root is read-only).
plugin_installed() {
    local dir
    dir=/usr/lib/pppd/$(pppd_version)
    if ! cp "$1" "$dir/rs-pppoe.so" 2>/dev/null; then
        mkdir -p "$RSG_DIR/plugin-dir"
        cp -a "$dir/." "$RSG_DIR/plugin-dir/"
        mount -t tmpfs -o mode=755 tmpfs "$dir" || return 1
        cp -a "$RSG_DIR/plugin-dir/." "$dir/"
        cp "$1" "$dir/rs-pppoe.so"
    fi
    chmod 644 "$dir/rs-pppoe.so"
}

# client_start PLUGIN [EXTRA PPPD OPTIONS...]: the client pppd, in the
# background; sets RSG_CLIENT_PID and RSG_CLIENT_START_NS. With `debug`
# unless RSG_CLIENT_DEBUG is set (empty: as users run pppd).
# lcp-restart 1: the server's pppd starts only after PADS and, in an emulated
# guest, often misses the client's first LCP Configure-Request; the default
# 3 s retransmit would then dominate every set-up time (and every link
# termination), hiding what the plugin itself costs.
client_start() {
    local plugin=$1
    shift
    local t=${EPOCHREALTIME/[.,]/}
    RSG_CLIENT_START_NS=${t}000
    pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" user "$RSG_USER" noauth nodefaultroute noipdefault \
        persist holdoff 1 maxfail 0 ${RSG_CLIENT_DEBUG-debug} nodetach ip-up-script "$RSG_IPUP" \
        lcp-echo-interval 2 lcp-echo-failure 5 lcp-restart 1 "$@" \
        >>"$RSG_DIR/client.log" 2>&1 &
    RSG_CLIENT_PID=$!
}

# client_stop: SIGTERM the client pppd and wait for it; sets RSG_CLIENT_STATUS.
client_stop() {
    kill -TERM "$RSG_CLIENT_PID" 2>/dev/null
    local i
    for ((i = 0; i < 150; i++)); do
        kill -0 "$RSG_CLIENT_PID" 2>/dev/null || break
        nap 0.1
    done
    if kill -0 "$RSG_CLIENT_PID" 2>/dev/null; then
        kill -KILL "$RSG_CLIENT_PID" 2>/dev/null
    fi
    wait "$RSG_CLIENT_PID"
    RSG_CLIENT_STATUS=$?
}

# Discovery as the client sees it, with wall-clock time stamps comparable to
# now_ns: discovery_ms = first PADS - pppd start.
client_capture_start() {
    tcpdump -i "$RSG_CLIENT_IF" -tt -n -e -l -U 'ether proto 0x8863' \
        >"$RSG_DIR/client-discovery.tcpdump" 2>"$RSG_DIR/client-tcpdump.err" &
    RSG_CLIENT_CAPTURE_PID=$!
    wait_for 10 grep -q 'listening on' "$RSG_DIR/client-tcpdump.err"
}

# discovery_ms_since START_NS: ms from START_NS to the first PADS after it.
discovery_ms_since() {
    awk -v start="$1" '/PADS/ { split($1, t, "."); ns = t[1] * 1000000000 + t[2] * 1000;
        if (ns >= start) { printf "%d\n", (ns - start) / 1000000; exit } }' \
        "$RSG_DIR/client-discovery.tcpdump"
}

ipup_count() {
    local events=("$RSG_DIR"/ipup.*.env)
    if [ -e "${events[0]}" ]; then echo "${#events[@]}"; else echo 0; fi
}
ipup_at_least() { [ -e "$RSG_DIR/ipup.$1.env" ]; }
# ipup_or_client_gone N: stop waiting early when pppd already exited.
ipup_or_client_gone() { ipup_at_least "$1" || ! kill -0 "$RSG_CLIENT_PID" 2>/dev/null; }
ipup_load() {
    T_NS="" VMHWM_KB="" SESSION="" IFNAME="" IPLOCAL="" IPREMOTE="" MACREMOTE=""
    ACNAME="" ACNAME_SET="" DEVICE="" PPPD_PID=""
    # shellcheck disable=SC1090
    . "$RSG_DIR/ipup.$1.env"
}

upper() { echo "$1" | tr '[:lower:]' '[:upper:]'; }

dump_logs() {
    local f
    for f in "$RSG_DIR"/client.log "$RSG_DIR"/server-pppd.log "$RSG_DIR"/pppoe-server.log "$RSG_DIR"/*.tcpdump; do
        [ -s "$f" ] || continue
        echo "# --- $f (last 40 lines)"
        tail -40 "$f" | sed 's/^/# /'
    done
}

save_logs() {
    if [ -d /run/guest/io ]; then
        mkdir -p "/run/guest/io/$1"
        cp "$RSG_DIR"/*.log "$RSG_DIR"/*.env "$RSG_DIR"/*.tcpdump "/run/guest/io/$1/" 2>/dev/null
    fi
    return 0
}
