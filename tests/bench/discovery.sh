#!/bin/bash
# Benchmark (not a test): whole-process time of a complete PPPoE discovery
# (PADI → PADO → PADR → PADS), ours against rp-pppoe's C client, on the same
# veth, interleaved in one run.
#
#   ours:   rs-pppoe-discovery -I bench-cl --session   (also sends a PADT)
#   theirs: pppoe -I bench-cl -d                        (sends no PADT)
#
# Usage (root):  tests/bench/discovery.sh [ROUNDS] [PATH-TO-rs-pppoe-discovery]
# Default: 60 rounds, target/release/rs-pppoe-discovery (cargo build --release first).
#
# Each round runs both tools once, alternating which goes first. The timed
# span is fork → exec → exit → reaped, measured by a bash loop already inside
# the client namespace (so `ip netns exec` set-up is not timed). The AC is
# Debian's pppoe-server; its per-session "pppd" is /bin/false, so every
# session it grants ends by itself and slots never run out.
set -euo pipefail

rounds=${1:-60}
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${2:-}
if [ -z "$bin" ]; then
    (cd "$repo" && cargo build --quiet --release --bin rs-pppoe-discovery >&2)
    bin=$repo/target/release/rs-pppoe-discovery
fi

ac=rsp-bench-ac
cl=rsp-bench-cl
work=$(mktemp -d /tmp/rsp-bench.XXXXXX)
cleanup() {
    for ns in $ac $cl; do
        for pid in $(ip netns pids $ns 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    done
    sleep 0.2
    ip netns del $ac 2>/dev/null || true
    ip netns del $cl 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add $ac
ip netns add $cl
ip link add bench-ac type veth peer name bench-cl
ip link set bench-ac netns $ac
ip link set bench-cl netns $cl
ip -n $ac link set bench-ac up
ip -n $cl link set bench-cl up
ip netns exec $ac pppoe-server -F -I bench-ac -C rsp-bench-ac -S internet \
    -N 1000 -q /bin/false >"$work/server.log" 2>&1 &
sleep 0.5

# The timing loop runs inside the client namespace; it prints one line per
# run: "<tool> <microseconds> <exit status> <stdout>".
ip netns exec $cl bash -s "$rounds" "$bin" >"$work/times" <<'LOOP'
rounds=$1; bin=$2
us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
run() {  # run NAME CMD...
    local name=$1; shift
    local t0 t1 out status
    t0=$(us)
    out=$("$@" 2>/dev/null) && status=0 || status=$?
    t1=$(us)
    echo "$name $((t1 - t0)) $status $out"
}
for ((i = 0; i < 3; i++)); do  # warm the page cache for both binaries
    "$bin" -I bench-cl --session >/dev/null 2>&1 || true
    pppoe -I bench-cl -d >/dev/null 2>&1 || true
done
for ((i = 0; i < rounds; i++)); do
    if ((i % 2 == 0)); then
        run ours "$bin" -I bench-cl --session
        run pppoe pppoe -I bench-cl -d
    else
        run pppoe pppoe -I bench-cl -d
        run ours "$bin" -I bench-cl --session
    fi
done
LOOP

hex2='[0-9a-f][0-9a-f]'
failures=$(awk -v re="^[0-9]+(:$hex2)(:$hex2)(:$hex2)(:$hex2)(:$hex2)(:$hex2)\$" \
    '$3 != 0 || $4 !~ re' "$work/times" | wc -l)
stats() {  # stats TOOL -> "median mean min max" in ms
    awk -v t="$1" '$1 == t { print $2 }' "$work/times" | sort -n | awk '
        { v[NR] = $1; s += $1 }
        END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.2f %.2f %.2f %.2f\n", m / 1000, s / NR / 1000, v[1] / 1000, v[NR] / 1000
        }'
}
read -r o_med o_mean o_min o_max < <(stats ours)
read -r p_med p_mean p_min p_max < <(stats pppoe)
echo "rounds: $rounds (interleaved, alternating order); failed runs: $failures"
printf '%-34s %8s %8s %8s %8s\n' tool "median" "mean" "min" "max"
printf '%-34s %7sms %7sms %7sms %7sms\n' "rs-pppoe-discovery --session" "$o_med" "$o_mean" "$o_min" "$o_max"
printf '%-34s %7sms %7sms %7sms %7sms\n' "pppoe -d (rp-pppoe 3.15)" "$p_med" "$p_mean" "$p_min" "$p_max"
awk -v o="$o_med" -v p="$p_med" 'BEGIN { printf "median ratio pppoe/ours: %.2fx\n", p / o }'

# BREAKDOWN=1: one traced run of each tool, syscall durations in <seconds>,
# to show where the time goes (strace slows everything down a little).
if [ -n "${BREAKDOWN:-}" ]; then
    calls=socket,bind,setsockopt,ioctl,sendto,recvfrom,ppoll,pselect6,close,exit_group
    for cmd in "$bin -I bench-cl --session" "pppoe -I bench-cl -d"; do
        echo
        echo "strace -r -T $cmd"
        # shellcheck disable=SC2086
        ip netns exec $cl strace -r -T -e trace=$calls $cmd 2>&1 >/dev/null |
            grep -v -e 'close([0-9]*) *= 0 <0.0000' -e '^ *[0-9.]* +++' | sed 's/^/  /'
    done
fi
[ "$failures" -eq 0 ]
