#!/bin/bash
# Stale-session reconnect, our plugin against the distribution's, alternated
# in one guest boot per pppd version (scenarios/bench-reconnect.sh): SIGKILL
# of pppd in session, a new pppd at once, time to ip-up, on a one-slot AC.
#
#   tests/guest/bench-reconnect.sh [--pppd VERSION|both] [--rounds N] [--candidate PATH]
#
#   --pppd        2.4.9, 2.5.2 (or another version run.sh boots), or both
#                 (default: 2.4.9 and 2.5.2, one boot each)
#   --rounds      measured reconnects per plugin and version (default 3; one
#                 extra warm-up each is not counted)
#   --candidate   plugin under test (only with a single --pppd); default
#                 target/pppd-<version>/release/librs_pppoe.so
#
# The distribution's plugin (pppoe.so / rp-pppoe.so) sends no PADT for the
# stale session: the AC's pppd there drops the dead session after two
# missed LCP echoes 1 s apart, so that figure is finite (an ISP may hold a
# dead session for minutes). Prints per version the median reconnect time of
# each plugin and their ratio; exits non-zero when a reconnect failed or a
# version produced no measurements.
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$GUEST_DIR/../.." && pwd)

versions="2.4.9 2.5.2"
rounds=3
candidate=""
while [ $# -gt 0 ]; do
    case $1 in
        --pppd) versions=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --candidate) candidate=$2; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "bench-reconnect.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ "$versions" != both ] || versions="2.4.9 2.5.2"
if [ -n "$candidate" ] && [ "${versions// /}" != "$versions" ]; then
    echo "bench-reconnect.sh: --candidate needs a single --pppd version" >&2
    exit 2
fi

work=$(mktemp -d /tmp/rs-pppoe-bench-reconnect.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0
for version in $versions; do
    cand=${candidate:-$REPO_DIR/target/pppd-$version/release/librs_pppoe.so}
    if [ ! -f "$cand" ]; then
        echo "bench-reconnect.sh: $cand is not built (cargo xtask test builds it)" >&2
        status=1
        continue
    fi
    cand=$(cd "$(dirname "$cand")" && pwd)/$(basename "$cand")
    # The distribution's plugin (a source-built pppd has only pppoe.so).
    case $version in 2.4.9|2.5.2) reference=rp-pppoe.so ;; *) reference=pppoe.so ;; esac
    echo "# pppd $version: candidate $cand, reference $reference, $rounds rounds"
    "$GUEST_DIR/run.sh" --pppd "$version" --timeout $((180 + rounds * 120)) \
        bench-reconnect.sh "$rounds" "$cand" "$reference" | tee "$work/out-$version" || status=1
    awk -v ref="$reference" -v version="$version" "$(<"$GUEST_DIR/bench-lib.awk")"'
        /^bench: / {
            bench_fields()
            if (v["plugin"] ~ /^warm-up:/) next
            p = (v["plugin"] == ref) ? "ref" : "cand"
            if ($0 ~ / failed/) { failed[p]++; next }
            ms[p] = ms[p] " " v["reconnect_ms"]
        }
        END {
            c = median(ms["cand"]); r = median(ms["ref"])
            printf "\npppd %s, stale-session reconnect (SIGKILL -> ip-up), medians\n", version
            printf "reconnect rs-pppoe.so %s ms, %s %s ms, ratio %s\n", c, ref, r,
                (r > 0 && c != "-" ? sprintf("%.2f", c / r) : "-")
            exit (failed["cand"] + failed["ref"] > 0 || c == "-" || r == "-")
        }' "$work/out-$version" >>"$work/tables" || status=1
done
[ ! -f "$work/tables" ] || cat "$work/tables"
exit "$status"
