#!/bin/bash
# Fault soak in the test guest: faults under `persist`, each followed by a
# reconnect, with rs-pppoe-rule installed as the distribution would run it.
#
#   tests/guest/run.sh --pppd V soak.sh --testkit T --hook H [--faults N]
#                      [--kinds K,K...] PLUGIN [PLUGIN...]
#
# Per PLUGIN (a path, or rp-pppoe.so from pppd's plugin dir), on a fresh
# link and a fresh pppoe-server, one pppd under `persist holdoff 1` and N
# faults (default 5): every tenth (and the last, when N < 10) is kill9, the
# others cycle through the other kinds, so one pppd lives through up to
# nine reconnects (with --kinds K,...: those kinds in turn):
#
#   ac-restart  pppoe-server SIGKILLed and started again, its session pppds
#               terminated (they end their sessions with LCP)
#   link-flap   our interface down for a second, then up (the kernel ends
#               the PPPoE session)
#   ac-padt     a PADT from the AC's MAC for the session (tools/testkit)
#   kill9       pppd SIGKILLed and started again; the AC keeps the dead
#               session until its LCP echo gives up (pppoe-server-options:
#               lcp-echo-interval 5, lcp-echo-failure 3): rs-pppoe.so sends
#               it a PADT from its session record first, rp-pppoe.so does not
#
# After each fault: a new session comes up (ip-up ran again), `ip rule` has
# exactly one source rule for table 100 (from the new address; beside it
# at most the hook's one fwmark rule for forwarded servers, and one
# nftables table) and table 100 one default route; pppd's descriptor count
# and VmRSS are sampled. A pppd's descriptors must stay what they were at
# its first session, its RSS what it was after its first reconnect (the
# first one faults in the code of the disconnect path) within 256 kB. At
# the end pppd stops and ip-down removes the rule. Prints a `soak: fault ...` line per fault and a `soak: summary
# ...` line per plugin (reconnect min/median/max overall and median per
# kind, fd and RSS first/last/max); `cargo xtask soak` reads them.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=proof-lib.sh
. "$(dirname "$0")/proof-lib.sh"

usage="usage: soak.sh --testkit T --hook H [--faults N] [--kinds K,...] PLUGIN [PLUGIN...]"
testkit=""
hook=""
faults=5
kinds=""
plugins=()
while [ $# -gt 0 ]; do
    case $1 in
        --testkit) testkit=$2; shift 2 ;;
        --hook) hook=$2; shift 2 ;;
        --faults) faults=$2; shift 2 ;;
        --kinds) kinds=$2; shift 2 ;;
        -*) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
        *) plugins+=("$1"); shift ;;
    esac
done
[ -n "$testkit" ] && [ -n "$hook" ] && [ "${#plugins[@]}" -gt 0 ] || { echo "$usage" >&2; exit 2; }
IFS=, read -r -a kind_list <<<"$kinds"

# fault_kind I: the kind of fault number I (1-based).
fault_kind() {
    if [ "${#kind_list[@]}" -gt 0 ]; then
        echo "${kind_list[$((($1 - 1) % ${#kind_list[@]}))]}"
    elif [ $(($1 % 10)) = 0 ] || { [ "$faults" -lt 10 ] && [ "$1" = "$faults" ]; }; then
        echo kill9
    else
        local others=(ac-restart link-flap ac-padt)
        echo "${others[$((($1 - 1 - $1 / 10) % 3))]}"
    fi
}

# median VALUES...: the middle value (the lower of the two middle ones).
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
minimum() { printf '%s\n' "$@" | sort -n | head -1; }
maximum() { printf '%s\n' "$@" | sort -n | tail -1; }

# one_rule_for IP: the hook's state for one session and nothing left of
# earlier ones: one source rule for table 100 (from IP), at most one fwmark
# rule (forwarded servers), one default route in table 100 from IP, and
# (when nft is there) one nftables table of the hook.
one_rule_for() {
    local rules routes from fwmark tables=1
    rules=$(hook_rules)
    routes=$(ip route show table 100 2>/dev/null)
    from=$(printf '%s\n' "$rules" | grep -E '[[:space:]]from ' | grep -vF 'from all')
    fwmark=$(printf '%s\n' "$rules" | grep -cF fwmark)
    if command -v nft >/dev/null; then
        tables=$(nft list tables 2>/dev/null | grep -c 'rs-pppoe-rule')
    fi
    [ "$(printf '%s\n' "$from" | grep -c .)" = 1 ] &&
        [[ $from == *"from $1 lookup 100"* ]] &&
        [ "$fwmark" -le 1 ] && [ "$tables" -le 1 ] &&
        [ "$(printf '%s\n' "$routes" | grep -c .)" = 1 ] &&
        [[ $routes == "default dev ppp0"*"src $1"* ]]
}
rule_for() { hook_rules | grep -qF "from $1 lookup 100"; }

pppd_version=$(pppd_version)
for plugin in "${plugins[@]}"; do
    label="pppd $pppd_version $(basename "$plugin")"
    name() { echo "$label: $*"; }
    note "$label: setting up"
    net_setup
    hook_install "$hook" || { not_ok "$(name "the distribution's ip-up/ip-down and the hook installed")"; continue; }
    server_start
    client_fresh_log
    rm -f "$RSG_DIR"/ipup.*.env
    hooks=(ip-up-script /etc/ppp/ip-up ip-down-script /etc/ppp/ip-down)
    note "$label: pppoe-server up, starting pppd"
    client_start "$plugin" "${hooks[@]}"
    if ! { wait_for 60 ipup_or_client_gone 1 && ipup_at_least 1; }; then
        not_ok "$(name "first session up")"
        client_stop
        net_teardown
        continue
    fi
    ipup_load 1
    wait_for 10 rule_for "$IPLOCAL"
    pid=$RSG_CLIENT_PID
    fds=("$(proc_fd_count "$pid")")
    rss=("$(proc_rss_kb "$pid")")
    pids=("$pid")
    # Per pppd: descriptors at its first session, RSS after its first
    # reconnect; a sample above either is a leak.
    declare -A fd_base=(["$pid"]=${fds[0]}) rss_base=()
    leaks=()
    echo "soak: start plugin=$(basename "$plugin") session=$SESSION ip=$IPLOCAL pid=$pid fd=${fds[0]} rss_kb=${rss[0]}"
    times=()
    declare -A kind_times=()
    rules_ok=0
    reconnected=0
    for ((i = 1; i <= faults; i++)); do
        kind=$(fault_kind "$i")
        count=$(ipup_count)
        ipup_load "$count"
        old=$SESSION
        note "fault $i: $kind"
        t_fault=$(now_ns)
        case $kind in
            ac-restart) server_restart ;;
            link-flap)
                ip link set "$RSG_CLIENT_IF" down
                nap 1
                ip link set "$RSG_CLIENT_IF" up
                ;;
            ac-padt) kit_padt "$testkit" "$RSG_SERVER_MAC" "$SESSION" ;;
            kill9)
                kill -KILL "$RSG_CLIENT_PID"
                wait "$RSG_CLIENT_PID" 2>/dev/null
                client_start "$plugin" "${hooks[@]}"
                ;;
            *) echo "soak.sh: unknown fault $kind" >&2; exit 2 ;;
        esac
        if wait_for 90 ipup_at_least $((count + 1)); then
            ipup_load $((count + 1))
            ms=$(((T_NS - t_fault) / 1000000))
            times+=("$ms")
            reconnected=$((reconnected + 1))
            wait_for 10 rule_for "$IPLOCAL"
            # ip-up runs the hook after the recorder: let it finish.
            nap 0.3
            pid=$RSG_CLIENT_PID
            fd=$(proc_fd_count "$pid")
            kb=$(proc_rss_kb "$pid")
            fds+=("$fd")
            rss+=("$kb")
            kind_times[$kind]+=" $ms"
            [ "$pid" = "${pids[-1]}" ] || pids+=("$pid")
            if [ -z "${fd_base[$pid]:-}" ]; then
                # A new pppd (kill9): this is its first session.
                fd_base[$pid]=$fd
            elif [ -z "${rss_base[$pid]:-}" ]; then
                rss_base[$pid]=$kb
            elif [ "$kb" -gt $((rss_base[$pid] + 256)) ]; then
                leaks+=("fault $i: pid $pid RSS $kb kB, ${rss_base[$pid]} kB after its first reconnect")
            fi
            [ "$fd" -le "${fd_base[$pid]}" ] ||
                leaks+=("fault $i: pid $pid has $fd descriptors, ${fd_base[$pid]} at its first session")
            if one_rule_for "$IPLOCAL"; then
                rules_ok=$((rules_ok + 1))
                rules=ok
            else
                rules="$(hook_rules | tr '\n' ';')"
                not_ok "$(name "fault $i ($kind): exactly one rule and one route for $IPLOCAL (rules: $rules; table 100: $(ip route show table 100 | tr '\n' ';'))")"
            fi
            echo "soak: fault $i kind=$kind reconnect_ms=$ms session=$old->$SESSION ip=$IPLOCAL pid=$pid fd=$fd rss_kb=$kb rules=$rules"
        else
            echo "soak: fault $i kind=$kind reconnect_ms=none session=$old"
            not_ok "$(name "fault $i ($kind): reconnected within 90 s")"
        fi
    done
    note "$label: stopping pppd"
    client_stop
    wait_for 10 bash -c "! ip rule show | grep -qF 'lookup 100'"
    note "$label: stopped"
    check "$(name "after pppd stopped, ip-down removed the rule")" bash -c "! ip rule show | grep -qF 'lookup 100'"
    check "$(name "all $faults faults reconnected ($reconnected)")" test "$reconnected" = "$faults"
    check "$(name "exactly one rule and route after every reconnect ($rules_ok of $reconnected)")" \
        test "$rules_ok" = "$reconnected"
    if [ "${#times[@]}" -gt 0 ]; then
        per_kind=""
        for kind in ac-restart link-flap ac-padt kill9; do
            # shellcheck disable=SC2086 # a list of numbers
            [ -n "${kind_times[$kind]:-}" ] && per_kind+=" ${kind}_ms_median=$(median ${kind_times[$kind]})"
        done
        echo "soak: summary plugin=$(basename "$plugin") pppd=$pppd_version faults=$faults reconnected=$reconnected" \
            "reconnect_ms_min=$(minimum "${times[@]}") reconnect_ms_median=$(median "${times[@]}")" \
            "reconnect_ms_max=$(maximum "${times[@]}")$per_kind fd_first=${fds[0]} fd_last=${fds[-1]}" \
            "fd_max=$(maximum "${fds[@]}") rss_first_kb=${rss[0]} rss_last_kb=${rss[-1]}" \
            "rss_max_kb=$(maximum "${rss[@]}") pppd_processes=${#pids[@]} rules_ok=$rules_ok"
        printf '# leak: %s\n' "${leaks[@]}" | grep -v '^# leak: $'
        check "$(name "pppd's descriptors and RSS flat over the faults (fd ${fds[0]} first, ${fds[-1]} last; RSS ${rss[0]} kB first, ${rss[-1]} kB last, ${#pids[@]} pppd)")" \
            test "${#leaks[@]}" = 0
    fi
    save_logs "soak-$pppd_version-$(basename "$plugin")"
    [ "$RSG_FAILED" = 0 ] || dump_logs
    net_teardown
done
summary
