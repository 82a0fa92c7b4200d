#!/bin/bash
# Compare session set-up time and pppd memory of our plugin and the
# distribution's rp-pppoe.so, alternating them in one guest boot per pppd
# version.
#
#   tests/guest/bench-session.sh [--pppd 2.4.9|2.5.2|both] [--rounds N]
#                                [--candidate PATH] [--reference NAME|PATH]
#
#   --pppd        pppd version(s) to run (default both: two guest boots)
#   --rounds      measured sessions per plugin and version (default 5; one
#                 extra warm-up session each is not counted)
#   --candidate   plugin under test (only with a single --pppd); default
#                 target/pppd-<version>/release/librs_pppoe.so (what
#                 `cargo xtask test` builds), for 2.4.9 also
#                 target/release/librs_pppoe.so. When none exists, a copy of
#                 the distribution plugin stands in, so the table then shows
#                 the harness's own noise.
#   --reference   default rp-pppoe.so
#
# Prints the per-session lines, then per version a table of medians
# (session_up_ms: pppd start -> ip-up; discovery_ms: pppd start -> PADS on the
# wire; pppd_vmhwm_kb: pppd's peak RSS at ip-up) and the candidate/reference
# ratio. Exits non-zero when a version produced no measurements or a session
# failed.
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$GUEST_DIR/../.." && pwd)
CACHE=${RS_PPPOE_CACHE:-/var/cache/rs-pppoe}

versions="2.4.9 2.5.2"
rounds=5
candidate=""
reference=rp-pppoe.so
while [ $# -gt 0 ]; do
    case $1 in
        --pppd) versions=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --candidate) candidate=$2; shift 2 ;;
        --reference) reference=$2; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "bench-session.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case $versions in
    2.4.9|2.5.2) ;;
    both) versions="2.4.9 2.5.2" ;;
    "2.4.9 2.5.2") ;;
    *) echo "bench-session.sh: --pppd 2.4.9, 2.5.2 or both" >&2; exit 2 ;;
esac
if [ -n "$candidate" ] && [ "$versions" = "2.4.9 2.5.2" ]; then
    echo "bench-session.sh: --candidate needs a single --pppd version" >&2
    exit 2
fi

work=$(mktemp -d /tmp/rs-pppoe-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# bench_version VERSION: one guest boot; appends its table to $work/tables.
bench_version() {
    local version=$1 cand=$candidate distro_lib found c
    local defaults=("$REPO_DIR/target/pppd-$version/release/librs_pppoe.so")
    case $version in
        2.4.9) distro_lib=/usr/lib/pppd/2.4.9
               defaults+=("$REPO_DIR/target/release/librs_pppoe.so") ;;
        2.5.2) distro_lib=$CACHE/trixie/usr/lib/pppd/2.5.2 ;;
    esac
    "$GUEST_DIR/prepare.sh" --quiet --pppd "$version" >/dev/null
    if [ -z "$cand" ]; then
        found=""
        for c in "${defaults[@]}"; do
            if [ -f "$c" ]; then found=$c; break; fi
        done
        if [ -n "$found" ]; then
            cand=$found
        else
            echo "# pppd $version: ${defaults[0]} not built; a copy of the distribution's pppoe.so stands in"
            mkdir -p "$work/$version"
            cand=$work/$version/standin-pppoe.so
            cp "$distro_lib/pppoe.so" "$cand"
        fi
    fi
    [ -f "$cand" ] || { echo "bench-session.sh: $cand does not exist" >&2; return 2; }
    cand=$(cd "$(dirname "$cand")" && pwd)/$(basename "$cand")

    echo "# pppd $version: candidate $cand, reference $reference, $rounds rounds"
    "$GUEST_DIR/run.sh" --pppd "$version" --timeout $((120 + rounds * 60)) bench.sh "$rounds" "$cand" "$reference" |
        tee "$work/out-$version"
    if ! grep -q '^bench: ' "$work/out-$version"; then
        echo "bench-session.sh: pppd $version: no measurements" >&2
        return 1
    fi

    awk -v cand="$cand" -v ref="$reference" -v version="$version" "$(<"$GUEST_DIR/bench-lib.awk")"'
        /^bench: / {
            bench_fields()
            if (v["plugin"] ~ /^warm-up:/) next
            # The guest may see the candidate under another path (run.sh
            # copies files that sit directly in /tmp): anything but ref is cand.
            p = (v["plugin"] == ref) ? ref : cand
            if ($0 ~ / failed$/) { failed[p]++; next }
            runs[p]++
            up[p] = up[p] " " v["session_up_ms"]
            disc[p] = disc[p] " " v["discovery_ms"]
            hwm[p] = hwm[p] " " v["pppd_vmhwm_kb"]
        }
        END {
            printf "\npppd %s, medians over the rounds\n", version
            printf "%-22s %5s %7s %15s %13s %14s\n", "plugin", "runs", "failed", "session_up_ms", "discovery_ms", "pppd_vmhwm_kb"
            names[1] = cand; names[2] = ref
            for (k = 1; k <= 2; k++) {
                p = names[k]; label = p; sub(/.*\//, "", label)
                mu[k] = median(up[p]); md[k] = median(disc[p]); mh[k] = median(hwm[p])
                printf "%-22s %5d %7d %15s %13s %14s\n", label, runs[p], failed[p], mu[k], md[k], mh[k]
            }
            printf "%-22s %5s %7s %15s %13s %14s\n", "ratio candidate/ref", "", "",
                (mu[2] > 0 ? sprintf("%.2f", mu[1] / mu[2]) : "-"),
                (md[2] > 0 ? sprintf("%.2f", md[1] / md[2]) : "-"),
                (mh[2] > 0 ? sprintf("%.2f", mh[1] / mh[2]) : "-")
            exit (failed[cand] + failed[ref] > 0)
        }' "$work/out-$version" >>"$work/tables"
}

status=0
for version in $versions; do
    bench_version "$version" || status=1
done
[ ! -f "$work/tables" ] || cat "$work/tables"
exit "$status"
