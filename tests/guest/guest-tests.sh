#!/bin/bash
# Full pppd sessions in QEMU guests: the entry point for the test command.
#
#   tests/guest/guest-tests.sh [--plugin-2.4.9 PATH] [--plugin-2.5.2 PATH]
#                              [--plugin-2.5.3 PATH] [--reference]
#                              [--discovery PATH] [--setup PATH] [--hook PATH]
#                              [--testkit PATH]
#
#   --plugin-2.4.9 PATH   plugin built against pppd 2.4.9 headers
#                         (cargo build --release: target/release/librs_pppoe.so)
#   --plugin-2.5.2 PATH   plugin built against pppd 2.5.2 headers
#                         (target/pppd-2.5.2/release/librs_pppoe.so)
#   --plugin-2.5.3 PATH   plugin built against pppd 2.5.3 headers
#                         (target/pppd-2.5.3/release/librs_pppoe.so)
#   --reference           also run the reference plugin of each version given
#                         (all three without a --plugin-*): the distributions'
#                         rp-pppoe.so for 2.4.9 and 2.5.2, pppoe.so of the
#                         2.5.3 build (proves the harness itself)
#   --discovery PATH      rs-pppoe-discovery for plugin-extras.sh's checks
#                         (default: target/debug/rs-pppoe-discovery, which
#                         cargo test builds, when it exists)
#   --setup PATH          rs-pppoe-setup: the pppd 2.5.2 plugin-extras boot
#                         also runs a session from the files it writes
#   --hook PATH           rs-pppoe-rule (static build): built plugins for 2.4.9
#                         and 2.5.2 also get a boot running
#                         scenarios/hook-forward.sh with it
#   --testkit PATH        tools/testkit's rs-pppoe-testkit: with --hook, the
#                         hook's boot runs scenarios/proof.sh instead: the
#                         hook's scenario, then the hostile AC on 2.4.9, the
#                         floods and a 5-fault soak with the hook on 2.5.2
#
# One guest boot per (pppd version, plugin); each runs every check of
# scenarios/pppoe-session.sh. A built plugin (an absolute path) also gets boots
# for plugin-extras.sh, and for 2.4.9 and 2.5.2 recovery.sh and reboot-test.sh
# (and, with --hook, one running scenarios/hook-forward.sh; with --testkit too,
# that boot runs scenarios/proof.sh, hook-forward.sh as its first part).
# Ends with one line `guest: N passed, N failed`
# and exits non-zero when anything failed (a guest that dies or hits the
# watchdog counts as one failure).
set -uo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runs=()
add_run() { runs+=("$1|$2|${3:-}"); }

reference=0
hook=""
discovery="$GUEST_DIR/../../target/debug/rs-pppoe-discovery"
setup=""
testkit=""
while [ $# -gt 0 ]; do
    case $1 in
        --plugin-2.4.9|--plugin-2.5.2|--plugin-2.5.3)
            version=${1#--plugin-}
            path=${2:?$1 needs a path}
            [ -f "$path" ] || { echo "guest-tests.sh: $path does not exist" >&2; exit 2; }
            path=$(cd "$(dirname "$path")" && pwd)/$(basename "$path")
            add_run "$version" "$path"
            shift 2 ;;
        --reference) reference=1; shift ;;
        --discovery) discovery=${2:?--discovery needs a path}; shift 2 ;;
        --setup)
            setup=${2:?--setup needs a path}
            [ -x "$setup" ] || { echo "guest-tests.sh: $setup is not executable" >&2; exit 2; }
            setup=$(cd "$(dirname "$setup")" && pwd)/$(basename "$setup")
            shift 2 ;;
        --hook)
            hook=${2:?--hook needs a path}
            [ -x "$hook" ] || { echo "guest-tests.sh: $hook is not executable" >&2; exit 2; }
            hook=$(cd "$(dirname "$hook")" && pwd)/$(basename "$hook")
            shift 2 ;;
        --testkit)
            testkit=${2:?--testkit needs a path}
            [ -x "$testkit" ] || { echo "guest-tests.sh: $testkit is not executable" >&2; exit 2; }
            testkit=$(cd "$(dirname "$testkit")" && pwd)/$(basename "$testkit")
            shift 2 ;;
        -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
        *) echo "guest-tests.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ "$reference" = 1 ]; then
    versions=$(for run in "${runs[@]}"; do echo "${run%%|*}"; done)
    [ -n "$versions" ] || versions=$(printf '%s\n' 2.4.9 2.5.2 2.5.3)
    for version in 2.4.9 2.5.2 2.5.3; do
        echo "$versions" | grep -qxF "$version" || continue
        case $version in
            2.4.9) add_run 2.4.9 rp-pppoe.so "ppp-project/ppp#465: the 2.4.9 plugin never sends PADT" ;;
            2.5.2) add_run 2.5.2 rp-pppoe.so ;;
            2.5.3) add_run 2.5.3 pppoe.so ;;
        esac
    done
fi
[ "${#runs[@]}" -gt 0 ] || { sed -n '2,39p' "$0" >&2; exit 2; }

# Build the cache once up front, so its progress is not mixed into a run.
prepare_args=(--pppd 2.4.9)
for run in "${runs[@]}"; do
    prepare_args+=(--pppd "${run%%|*}")
done
"$GUEST_DIR/prepare.sh" "${prepare_args[@]}" >/dev/null || { echo "guest: 0 passed, 1 failed"; exit 1; }

total_passed=0
total_failed=0
log=$(mktemp /tmp/rs-pppoe-guest-tests.XXXXXX)
trap 'rm -f "$log"' EXIT
for run in "${runs[@]}"; do
    IFS='|' read -r version plugin todo_padt <<<"$run"
    args=("$plugin")
    [ -z "$todo_padt" ] || args+=(--todo-padt "$todo_padt")
    echo "# === pppd $version, plugin $plugin"
    start=$(date +%s%N)
    # Per-run totals become comments: the last `guest:` line is the total.
    scenarios=(pppoe-session.sh)
    # Our own plugin also gets the checks the reference would fail by
    # design (range-checked options, stale-session PADT, pppoe-sess side).
    case $plugin in /*) scenarios+=(plugin-extras.sh) ;; esac
    # Session records: two sessions on one NIC, a stale session, a reboot.
    # Not again for 2.5.3: the record code does not depend on pppd's version
    # beyond what 2.5.2 already exercises, and each boot costs minutes.
    case $plugin in /*) [ "$version" = 2.5.3 ] || scenarios+=(recovery.sh reboot-test.sh) ;; esac
    # The hook under this pppd, from ip-up.d: the container case. Not again
    # for 2.5.3: the Arch package's session (tests/packaging/arch.sh) runs
    # the hook under pppd 2.5.3. With the test kit, issue 12's hostile AC,
    # floods and short fault soak share that boot (proof.sh runs
    # hook-forward.sh first): a boot costs 10-15 s of emulated start-up.
    case $plugin in
        /*)
            if [ -z "$hook" ] || [ "$version" = 2.5.3 ]; then
                :
            elif [ -n "$testkit" ]; then
                scenarios+=(proof.sh)
            else
                scenarios+=(hook-forward.sh)
            fi
            ;;
    esac
    for scenario in "${scenarios[@]}"; do
        case $scenario in
            plugin-extras.sh)
                scenario_args=("$plugin")
                # One pppd version is enough to show setup's files work.
                if [ "$version" = 2.5.2 ] && [ -n "$setup" ]; then
                    scenario_args+=(--setup "$setup")
                fi
                [ -x "$discovery" ] && scenario_args+=("$(cd "$(dirname "$discovery")" && pwd)/$(basename "$discovery")")
                ;;
            hook-forward.sh) scenario_args=("$plugin" "$hook") ;;
            recovery.sh | reboot-test.sh) scenario_args=("$plugin") ;;
            proof.sh)
                scenario_args=("$plugin" "$testkit" "$hook")
                # The parts share one boot per version; each runs on one
                # version only (discovery is the same Rust code for every
                # pppd): `cargo xtask soak` runs them all on every version.
                if [ "$version" = 2.4.9 ]; then
                    scenario_args+=(--parts hook-forward,hostile)
                    [ "$reference" = 1 ] && scenario_args+=(--reference)
                else
                    scenario_args+=(--parts hook-forward,flood,soak)
                fi
                ;;
            *) scenario_args=("${args[@]}") ;;
        esac
        echo "# === pppd $version, plugin $plugin, $scenario"
        start=$(date +%s%N)
        # Per-run totals become comments: the last `guest:` line is the total.
        runner=("$GUEST_DIR/run.sh" --pppd "$version")
        # proof.sh runs three parts in one boot: more than the default 300 s
        # under load.
        [ "$scenario" != proof.sh ] || runner+=(--timeout 900)
        runner+=("$scenario")
        # The reboot test boots its guests itself.
        [ "$scenario" != reboot-test.sh ] || runner=("$GUEST_DIR/reboot-test.sh" --pppd "$version")
        "${runner[@]}" "${scenario_args[@]}" 2>&1 | tee "$log" |
            sed -u -E 's/^(guest: [0-9]+ passed, [0-9]+ failed)$/# run total: \1/'
        status=${PIPESTATUS[0]}
        echo "# === pppd $version, plugin $plugin, $scenario: exit status $status, $((($(date +%s%N) - start) / 1000000)) ms"
        summary=$(grep -E '^guest: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
        if [ -n "$summary" ]; then
            read -r passed failed < <(echo "$summary" | awk '{print $2, $4}')
            total_passed=$((total_passed + passed))
            total_failed=$((total_failed + failed))
            if [ "$failed" = 0 ] && [ "$status" != 0 ]; then
                echo "not ok - pppd $version $plugin $scenario: guest run exited with status $status"
                total_failed=$((total_failed + 1))
            fi
        else
            echo "not ok - pppd $version $plugin $scenario: guest run completed (status $status)"
            total_failed=$((total_failed + 1))
        fi
    done
done

echo "guest: $total_passed passed, $total_failed failed"
[ "$total_failed" = 0 ]
