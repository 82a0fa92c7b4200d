#!/bin/bash
# Benchmark (not a test): a PPPoE client under a discovery-frame flood, on
# this host's kernel (network namespaces), ours against pppd's C client.
#
#   ours:   rs-pppoe-discovery -I bench-cl
#   theirs: pppoe-discovery -I bench-cl   (pppd 2.4.9's, Debian package ppp)
#
# Usage (root):  tests/bench/flood.sh [RATES] [RUNS]
#   RATES: flood rates in frames/s, comma-separated, 0 = as fast as one
#          sender goes (default 50000,100000,200000,0)
#   RUNS:  discoveries per tool and point (default 10)
#
# The flood is tools/testkit's generator (`rs-pppoe-testkit flood`) on the
# AC's end of the veth, in two mixes: `foreign` (broadcast PADIs of other
# clients, offers to other hosts, tagged and multicast frames: nothing
# addressed to the client) and `to-target` (offers with a wrong Host-Uniq,
# PADS and PADT for sessions the client does not have, bogus lengths: all
# addressed to it). Per mix and rate it prints, per tool:
#   cpu%   the client's CPU (user+sys, from bash's `times`) over a 3 s wait
#          in which no AC answers — the price of the flood alone — and how
#          long that wait really took;
#   found  how many of RUNS discoveries against pppoe-server found it, and
#          the median time (a retry after a lost offer costs the 1 s wait).
set -euo pipefail

rates=${1:-50000,100000,200000,0}
runs=${2:-10}
repo=$(cd "$(dirname "$0")/../.." && pwd)
(cd "$repo" && cargo build --quiet --release --bin rs-pppoe-discovery >&2 &&
    cargo build --quiet --release -p rs-pppoe-testkit >&2)
ours=$repo/target/release/rs-pppoe-discovery
kit=$repo/target/release/rs-pppoe-testkit
command -v pppoe-discovery >/dev/null || { echo "flood.sh: pppoe-discovery (Debian package ppp) is missing" >&2; exit 2; }

ac=rsp-flood-ac-$$
cl=rsp-flood-cl-$$
work=$(mktemp -d /tmp/rsp-flood.XXXXXX)
cleanup() {
    for ns in $ac $cl; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    done
    sleep 0.2
    ip netns del "$ac" 2>/dev/null || true
    ip netns del "$cl" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$ac"
ip netns add "$cl"
ip link add bench-ac netns "$ac" type veth peer name bench-cl netns "$cl" address 02:00:00:00:0c:01
ip -n "$ac" link set bench-ac up
ip -n "$cl" link set bench-cl up
target=02:00:00:00:0c:01

# cpu_over_wait TOOL...: "CPU_MS ELAPSED_MS" of one 3 s discovery nobody
# answers (cut off after 20 s: pppd 2.4.9's pppoe-discovery restarts its
# wait at every frame it reads, so a flood addressed to it never lets it
# time out).
cpu_over_wait() {
    ip netns exec "$cl" bash -c 't0=${EPOCHREALTIME/./}; timeout 20 "$@" >/dev/null 2>&1
        t1=${EPOCHREALTIME/./}; times; echo $(((t1 - t0) / 1000))' _ "$@" | tail -2 |
        awk 'NR == 1 { n = 0; for (i = 1; i <= 2; i++) { split($i, t, "m"); n += t[1] * 60 + t[2] } cpu = int(n * 1000) }
             NR == 2 { print cpu, $1 }'
}

# found TOOL...: RUNS discoveries against pppoe-server (each cut off after
# 20 s); prints "FOUND/RUNS MEDIAN_MS".
found() {
    ip netns exec "$cl" bash -s "$runs" "$@" <<'LOOP'
runs=$1; shift
ok=0; times=()
for ((i = 0; i < runs; i++)); do
    t0=${EPOCHREALTIME/./}
    timeout 20 "$@" >/dev/null 2>&1 && ok=$((ok + 1))
    t1=${EPOCHREALTIME/./}
    times+=($(((t1 - t0) / 1000)))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
echo "$ok/$runs ${median}ms"
LOOP
}

printf '%-10s %-8s %-18s %10s %6s %12s %14s\n' mix rate tool "reached/s" cpu% "3 s wait" "found median"
IFS=, read -r -a rate_list <<<"$rates"
for mix in foreign to-target; do
    for rate in "${rate_list[@]}"; do
        for tool in ours theirs; do
            if [ "$tool" = ours ]; then
                wait_cmd=("$ours" -I bench-cl -t 3 -a 1)
                find_cmd=("$ours" -I bench-cl -t 1 -a 3 --session)
            else
                wait_cmd=(pppoe-discovery -I bench-cl -t 3 -a 1)
                find_cmd=(pppoe-discovery -I bench-cl -t 1 -a 3)
            fi
            rate_args=()
            [ "$rate" = 0 ] || rate_args=(--rate "$rate")
            ip netns exec "$ac" "$kit" flood bench-ac --target "$target" --seconds 600 --mix "$mix" \
                "${rate_args[@]}" >"$work/flood.out" 2>&1 &
            flood=$!
            sleep 0.3
            read -r cpu_ms wait_ms < <(cpu_over_wait "${wait_cmd[@]}")
            ip netns exec "$ac" pppoe-server -F -I bench-ac -C rsp-flood-ac -N 1000 -q /bin/false \
                >"$work/server.log" 2>&1 &
            server=$!
            sleep 0.3
            result=$(found "${find_cmd[@]}")
            kill "$server" "$flood" 2>/dev/null || true
            wait "$server" "$flood" 2>/dev/null || true
            reached=$(sed -n 's/^flood: .*: \([0-9]*\) frames\/s.*/\1/p' "$work/flood.out")
            printf '%-10s %-8s %-18s %10s %6s %12s %14s\n' "$mix" "${rate/#0/max}" \
                "$([ "$tool" = ours ] && echo rs-pppoe-discovery || echo pppoe-discovery)" \
                "$reached" "$((cpu_ms * 100 / (wait_ms > 0 ? wait_ms : 1)))" "${wait_ms} ms" "$result"
        done
    done
done
