#!/bin/bash
# Issue 12's guest checks in one boot (the test command's short versions):
#
#   tests/guest/run.sh --pppd V proof.sh PLUGIN TESTKIT HOOK [--reference]
#                      [--parts [hook-forward,]hostile,flood,soak] [--faults N]
#                      [--compare]
#
# hook-forward.sh (only when asked for: the test command folds it into this
# boot instead of booting for it alone), hostile.sh (a hostile AC next to pppoe-server; --reference: also the
# distribution's plugin in the tag-mixing exchange), flood.sh (a discovery
# flood during discovery and session), soak.sh --faults N (default 5) with
# the hook installed (--compare: the distribution's rp-pppoe.so through
# the same faults after PLUGIN). Each part sets up and tears down its own
# link; their TAP lines pass through, their totals become one `guest: N
# passed, N failed` line. `cargo xtask test` runs the short versions,
# `cargo xtask soak` everything with 50 faults.
set -u
# shellcheck source=poll.sh
. "$(dirname "$0")/poll.sh"

usage="usage: proof.sh PLUGIN TESTKIT HOOK [--reference] [--parts P,...] [--faults N] [--compare]"
plugin=${1:?$usage}
testkit=${2:?$usage}
hook=${3:?$usage}
shift 3
reference=()
parts=hostile,flood,soak
faults=5
compare=()
while [ $# -gt 0 ]; do
    case $1 in
        --reference) reference=(--reference); shift ;;
        --parts) parts=$2; shift 2 ;;
        --faults) faults=$2; shift 2 ;;
        --compare) compare=(rp-pppoe.so); shift ;;
        *) echo "proof.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
dir=$(dirname "$0")
passed=0
failed=0
IFS=, read -r -a part_list <<<"$parts"
for part in "${part_list[@]}"; do
    case $part in
        hook-forward) command=("$dir/hook-forward.sh" "$plugin" "$hook") ;;
        hostile) command=("$dir/hostile.sh" "$plugin" "$testkit" "${reference[@]}") ;;
        flood) command=("$dir/flood.sh" "$plugin" "$testkit") ;;
        soak) command=("$dir/soak.sh" --testkit "$testkit" --hook "$hook" --faults "$faults" "$plugin" "${compare[@]}") ;;
        *) echo "proof.sh: unknown part $part" >&2; exit 2 ;;
    esac
    start=$EPOCHSECONDS
    total=""
    while IFS= read -r line; do
        if [[ $line =~ ^guest:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
            total=$line
            passed=$((passed + BASH_REMATCH[1]))
            failed=$((failed + BASH_REMATCH[2]))
            echo "# $part: $line"
        else
            echo "$line"
        fi
    done < <(bash "${command[@]}" 2>&1)
    echo "# $part took $((EPOCHSECONDS - start)) s"
    if [ -z "$total" ]; then
        echo "not ok - $part ended without its totals"
        failed=$((failed + 1))
    fi
done
echo "guest: $passed passed, $failed failed"
[ "$failed" = 0 ]
