#!/usr/bin/env bash
# Wall time of one up + down: rs-pppoe-rule (the static release build that
# `cargo xtask install` installs), with forwarded-server replies on (the
# default: its nftables table and fwmark rule go in and out too), against
# the article's shell hook (two `ip` commands each way), interleaved in one
# run inside a fresh network namespace with a tun `ppp0`.
#
# Usage (as root): hooks/bench/hook-vs-shell.sh [ROUNDS]   (default 200)
# Prints the medians and the ratio on one line starting "hook-vs-shell:".
# Target: ratio <= 0.50.
#
# Rounds are 100 ms apart (untimed): the hook leaves the last close of its
# nftables socket to a child 50 ms after it exits (see hooks/src/sys.rs),
# and a pppd session does not go up and down ten times a second.
set -euo pipefail

rounds=${1:-200}
repo=$(cd "$(dirname "$0")/../.." && pwd)
# Built exactly as `cargo xtask install` builds what it installs: static-pie,
# so every start skips the dynamic loader (xtask/src/install.rs, build_hook).
target_dir=${CARGO_TARGET_DIR:-$repo/target}/static-hook
CARGO_TARGET_DIR=$target_dir cargo rustc --quiet --release -p rs-pppoe-rule --bin rs-pppoe-rule \
  --manifest-path "$repo/Cargo.toml" -- -C target-feature=+crt-static
bin=$target_dir/release/rs-pppoe-rule

ns=rs-pppoe-rule-bench-$$
work=$(mktemp -d)
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip netns exec "$ns" sh -c '
  ip link set lo up &&
  ip tuntap add ppp0 mode tun &&
  ip addr add 203.0.113.5 peer 10.64.64.64 dev ppp0 &&
  ip link set ppp0 up'

# The article's hook, as pppd's dispatcher would run it ($1 iface, $4 address).
cat > "$work/shell-up" <<'SH'
#!/bin/sh
ip rule add from "$4" table 100 prio 200
ip route add default dev "$1" src "$4" table 100
SH
cat > "$work/shell-down" <<'SH'
#!/bin/sh
ip rule del from "$4" table 100 prio 200
ip route del default dev "$1" src "$4" table 100
SH
chmod 755 "$work/shell-up" "$work/shell-down"
mkfifo "$work/never"

# Timed loop, run inside the namespace so `ip netns exec` is not measured.
cat > "$work/inner.bash" <<'BASH'
set -euo pipefail
bin=$1 work=$2 rounds=$3
args=(ppp0 eth0 0 203.0.113.5 10.64.64.64 "")
exec 9<>"$work/never"
ours() { "$bin" up "${args[@]}"; "$bin" down "${args[@]}"; }
shell() { "$work/shell-up" "${args[@]}"; "$work/shell-down" "${args[@]}"; }
usec() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
pause() { read -t 0.1 -u 9 || true; }   # no fork
# Warm-up: page cache, and proof that both leave the kernel clean.
ours; shell
# The hook really installed its forwarding part (and removed it).
"$bin" up "${args[@]}"
ip -4 rule show | grep -q "fwmark 0x1000000/0xf000000 lookup 100" || { echo "no fwmark rule" >&2; exit 1; }
"$bin" down "${args[@]}"
for ((i = 0; i < rounds; i++)); do
  # Alternate who goes first so neither gets a systematic advantage.
  if ((i % 2)); then order=(ours shell); else order=(shell ours); fi
  for who in "${order[@]}"; do
    pause
    t0=$(usec); "$who"; t1=$(usec)
    echo "$who $((t1 - t0))"
  done
done
if ip rule | grep -qE "203.0.113.5|fwmark"; then echo "rule left behind" >&2; exit 1; fi
if command -v nft >/dev/null && nft list tables | grep -q rs-pppoe-rule; then
  echo "nftables table left behind" >&2; exit 1
fi
BASH

ip netns exec "$ns" bash "$work/inner.bash" "$bin" "$work" "$rounds" > "$work/samples"

median() { # microseconds -> milliseconds with 3 decimals
  grep "^$1 " "$work/samples" | cut -d' ' -f2 | sort -n |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f", m / 1000 }'
}
ours_ms=$(median ours)
shell_ms=$(median shell)
ratio=$(awk -v a="$ours_ms" -v b="$shell_ms" 'BEGIN { printf "%.2f", a / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 0.5) ? "met" : "MISSED" }')
echo "hook-vs-shell: rounds=$rounds up+down median: rs-pppoe-rule ${ours_ms} ms, shell hook (2x ip each way) ${shell_ms} ms, ratio ${ratio} (target <= 0.50: ${verdict})"
