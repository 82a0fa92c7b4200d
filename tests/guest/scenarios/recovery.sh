#!/bin/bash
# Session recovery, run inside the test guest:
#
#   tests/guest/run.sh --pppd VERSION recovery.sh PLUGIN [a|b|ab]
#
# a. two sessions on one interface: pppd A (updetach) and pppd B (unit 1)
#    against an AC with many slots; B is SIGKILLed and started again: B is
#    back (its old session ended with one PADT), A never drops (same ppp0,
#    same session, no PADT for it on the wire, its record untouched);
# b. a stale session on a one-slot AC whose pppd gives a terminated session
#    up after one 1 s Terminate-Request (lcp-restart 1, lcp-max-terminate 1),
#    so the slot is free about a second after the PADT: from the SIGKILL to
#    ppp0 up takes at most the normal bring-up + 2 s (three rounds, each a
#    normal bring-up, then SIGKILL and a new pppd; the bound must hold in
#    one of them: bring-ups in the emulated guest vary by a second or more
#    on a busy host).
#
# Prints `metric: round N: normal_bringup_ms=N stale_reconnect_ms=N` and where
# the time went.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

plugin=${1:?usage: recovery.sh PLUGIN [a|b|ab]}
parts=${2:-ab}
label="pppd $(pppd_version) $(basename "$plugin")"
name() { echo "$label: $*"; }
RECORDS=/var/lib/rs-pppoe

net_setup
printf 'lcp-restart 1\nlcp-max-terminate 1\n' >>/etc/ppp/pppoe-server-options

# peer UNIT LOG PPPD-OPTIONS...: a client pppd of its own (lib.sh's
# client_start is the one `nodetach` client), logging to LOG. Run it with
# `&`: the background subshell becomes pppd, so $! is pppd's pid.
peer() {
    local unit=$1 log=$2
    shift 2
    exec pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" user "$RSG_USER" noauth nodefaultroute \
        noipdefault debug logfile "$log" ip-up-script "$RSG_IPUP" \
        lcp-echo-interval 2 lcp-echo-failure 5 lcp-restart 1 unit "$unit" "$@"
}

# session_in LOG: the session id pppd logged last ("PPP session is N").
session_in() {
    local line id=""
    while IFS= read -r line; do
        [[ $line =~ PPP\ session\ is\ ([0-9]+) ]] && id=${BASH_REMATCH[1]}
    done <"$1"
    echo "$id"
}

# pid_of_unit UNIT: the running pppd started with `unit UNIT` (after
# updetach that is the child, not the process we started).
pid_of_unit() {
    local dir args i
    for dir in /proc/[0-9]*; do
        [ "$(cat "$dir/comm" 2>/dev/null)" = pppd ] || continue
        mapfile -d '' args <"$dir/cmdline" 2>/dev/null || continue
        for ((i = 0; i + 1 < ${#args[@]}; i++)); do
            if [ "${args[i]}" = unit ] && [ "${args[i + 1]}" = "$1" ]; then
                echo "${dir#/proc/}"
                return 0
            fi
        done
    done
    return 1
}

# records_of SESSION: our records of SESSION on the client interface.
records_of() { compgen -G "$RECORDS/$RSG_CLIENT_IF:$1:*.session"; }
record_count() {
    local files=("$RECORDS/$RSG_CLIENT_IF":*.session)
    if [ -e "${files[0]}" ]; then echo "${#files[@]}"; else echo 0; fi
}
# held FILE: another process holds FILE's lock (flock(1) cannot take it).
held() {
    [ -e "$1" ] || return 1
    flock -n -E 99 "$1" true
    [ $? = 99 ]
}
all_held() {
    local f
    for f in "$RECORDS/$RSG_CLIENT_IF":*.session; do held "$f" || return 1; done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
attached() {
    local hex
    printf -v hex '%04x' "$1"
    # /proc/net/pppoe prints the big-endian id as a host-order number.
    grep -qi "^0000${hex:2:2}${hex:0:2} .* $RSG_CLIENT_IF\$" /proc/net/pppoe
}
padts_for() {
    local hex
    printf -v hex '%x' "$1"
    grep -ci "$RSG_CLIENT_MAC > $RSG_SERVER_MAC.*PADT \[ses 0x$hex\]" "$2"
}

# a. two sessions on one interface ---------------------------------------------
two_sessions() {
    server_start
    ip netns exec "$RSG_NS" tcpdump -i "$RSG_SERVER_IF" -t -n -e -l -U 'ether proto 0x8863' \
        >"$RSG_DIR/two.tcpdump" 2>"$RSG_DIR/two-tcpdump.err" &
    capture=$!
    wait_for 10 grep -q 'listening on' "$RSG_DIR/two-tcpdump.err"

    note "pppd A (updetach, unit 0)"
    peer 0 "$RSG_DIR/a.log" updetach >>"$RSG_DIR/a.out" 2>&1 &
    a_first=$!
    wait_for 60 ipup_at_least 1
    wait_for 10 gone "$a_first"
    wait "$a_first" 2>/dev/null
    status=$?
    check "$(name "A came up with updetach, its first process exited 0 (status $status)")" test "$status" = 0
    a_pid=$(pid_of_unit 0)
    a_session=$(session_in "$RSG_DIR/a.log")
    a_ifindex=$(cat /sys/class/net/ppp0/ifindex 2>/dev/null)
    a_record=$(records_of "$a_session" | head -1)
    note "A: pid $a_pid (after updetach), session $a_session, ppp0 ifindex $a_ifindex"
    check "$(name "A's session $a_session is recorded under $RECORDS")" test -n "$a_record"
    check "$(name "A's record is locked by A's detached child (updetach)")" held "$a_record"
    private() { [ "$(stat -c %a "$RECORDS")" = 700 ] && [ "$(stat -c %a "$a_record")" = 600 ]; }
    check "$(name "the record directory is mode 700, the record 600")" private

    # Watch ppp0 for the rest of part a, without forking.
    watch_a() {
        local idx
        while :; do
            if ! read -r idx </sys/class/net/ppp0/ifindex 2>/dev/null || [ "$idx" != "$a_ifindex" ]; then
                echo "ppp0 gone or replaced at ${EPOCHREALTIME}"
            fi
            nap 0.2
        done
    }
    watch_a >"$RSG_DIR/a-watch.log" 2>&1 &
    watcher=$!

    note "pppd B (unit 1)"
    peer 1 "$RSG_DIR/b.log" nodetach >>"$RSG_DIR/b.out" 2>&1 &
    b_pid=$!
    if wait_for 60 ipup_at_least 2; then
        b_session=$(session_in "$RSG_DIR/b.log")
        ok "$(name "B came up beside A (session $b_session)")"
        both_attached() { attached "$a_session" && attached "$b_session"; }
        check "$(name "both sessions are attached on $RSG_CLIENT_IF")" both_attached
        check "$(name "two records")" test "$(record_count)" = 2
        check "$(name "both records are held")" all_held

        note "SIGKILL to B, then B again"
        disown "$b_pid"
        kill -KILL "$b_pid"
        wait_for 10 gone "$b_pid"
        wait_for 10 test ! -e /sys/class/net/ppp1
        peer 1 "$RSG_DIR/b2.log" nodetach >>"$RSG_DIR/b.out" 2>&1 &
        b_pid=$!
        if wait_for 60 ipup_at_least 3; then
            b2_session=$(session_in "$RSG_DIR/b2.log")
            ok "$(name "B is back after its SIGKILL (session $b2_session)")"
        else
            not_ok "$(name "B is back after its SIGKILL")"
            b2_session=""
        fi
        check "$(name "B's old session $b_session got exactly one PADT")" \
            test "$(padts_for "$b_session" "$RSG_DIR/two.tcpdump")" = 1
        check "$(name "B logged the stale PADT")" \
            grep -q "Sent PADT for stale session $b_session " "$RSG_DIR/b2.log"
    else
        not_ok "$(name "B came up beside A")"
    fi
    kill "$watcher" 2>/dev/null
    wait "$watcher" 2>/dev/null

    check "$(name "A never dropped: ppp0 stayed, same interface, throughout")" test ! -s "$RSG_DIR/a-watch.log"
    check "$(name "A's pppd still runs")" kill -0 "$a_pid"
    check "$(name "A's session $a_session is still attached")" attached "$a_session"
    check "$(name "A's session is still the one ppp0 logged")" test "$(session_in "$RSG_DIR/a.log")" = "$a_session"
    check "$(name "no PADT for A's session $a_session on the wire")" \
        test "$(padts_for "$a_session" "$RSG_DIR/two.tcpdump")" = 0
    check "$(name "A's record is untouched and still held")" held "$a_record"
    check "$(name "two records: A's and the new B's")" test "$(record_count)" = 2

    kill -TERM "$b_pid" 2>/dev/null
    wait "$b_pid" 2>/dev/null
    kill -TERM "$a_pid" 2>/dev/null
    wait_for 15 gone "$a_pid"
    check "$(name "clean stops remove both records")" test "$(record_count)" = 0
    kill "$capture" 2>/dev/null
    wait "$capture" 2>/dev/null
    server_stop
}

# b. stale session on a one-slot AC -------------------------------------------
stale_session() {
    rm -f "$RSG_DIR"/ipup.*.env
    : >"$RSG_DIR/client.log"
    RSG_SERVER_SLOTS=1 server_start
    client_capture_start

    # bring_up: start our client and wait for its next ip-up. `silent`:
    # the client waits for the AC's first LCP request instead of sending one
    # the AC's pppd (started only after the PADS) may miss, which would add a
    # 1 s retransmit to some bring-ups and not to others.
    ups=0
    bring_up() {
        ups=$((ups + 1))
        client_start "$plugin" silent
        wait_for 90 ipup_or_client_gone "$ups" && ipup_at_least "$ups"
    }
    # stop_and_free: stop the client cleanly, wait until the AC's slot is free.
    # (pppoe-server 3.15's relays of killed sessions may linger: they go too.)
    no_session() { [ -z "$(server_session_pids "$@")" ]; }
    stop_and_free() {
        client_stop
        wait_for 10 no_session || return 1
        if ! wait_for 2 no_session --with-relays; then
            # shellcheck disable=SC2046
            kill -TERM $(server_session_pids --with-relays) 2>/dev/null
            wait_for 10 no_session --with-relays
        fi
    }
    # at_ns REGEX START_NS: capture time of the first matching frame since START_NS.
    at_ns() {
        awk -v re="$1" -v start="$2" '{ split($1, t, "."); ns = t[1] * 1000000000 + t[2] * 1000 }
            ns >= start && $0 ~ re { printf "%d%06d000\n", t[1], t[2]; exit }' \
            "$RSG_DIR/client-discovery.tcpdump"
    }
    # phases LABEL FROM_NS IPUP_NS: where one bring-up's time went.
    phases() {
        local first pads
        first=$(at_ns 'PAD[IT]' "$2")
        pads=$(at_ns 'PADS \[ses' "$2")
        [ -n "$first" ] && [ -n "$pads" ] || return 0
        echo "metric: $1: to_first_frame_ms=$(((first - $2) / 1000000))" \
            "first_frame_to_pads_ms=$(((pads - first) / 1000000)) pads_to_ipup_ms=$((($3 - pads) / 1000000))"
    }

    # repeat_logged: pppd's line for the AC's "no slot" PADS, then ours.
    repeat_logged() {
        grep -A3 "PADS: .*No client slots available" "$RSG_DIR/client.log" |
            grep -q "Sending PADR again in [0-9.]* s"
    }
    # watch_ac PID: prints when the AC's session pppd PID is gone (its slot free).
    watch_ac() {
        while [ -e "/proc/$1" ]; do nap 0.05; done
        echo "${EPOCHREALTIME/[.,]/}000"
    }
    # stale_round N: a normal bring-up on the free slot, SIGKILL to its pppd,
    # a new pppd at once; both times measured, the stale PADT checked. Counts
    # the round in `within` when SIGKILL -> ip-up took at most the normal
    # bring-up + 2 s.
    stale_round() {
        local round=$1 normal old_session old_pid ac_pid t kill_ns stale freed_ns padt_ns
        : >"$RSG_DIR/client.log"
        note "round $round: normal bring-up on the free slot"
        bring_up || { not_ok "$(name "round $round: normal bring-up on the one-slot AC")"; return 1; }
        ipup_load "$ups"
        normal=$(((T_NS - RSG_CLIENT_START_NS) / 1000000))
        phases "round $round, normal" "$RSG_CLIENT_START_NS" "$T_NS"
        old_session=$(session_in "$RSG_DIR/client.log")
        : >"$RSG_DIR/ac-freed"
        ac_pid=$(server_session_pids)
        [[ $ac_pid =~ ^[0-9]+$ ]] && watch_ac "$ac_pid" >"$RSG_DIR/ac-freed" &
        note "round $round: SIGKILL to pppd in session $old_session; a new pppd at once"
        old_pid=$RSG_CLIENT_PID
        # Reaped by polling, so bash does not announce the kill.
        disown "$old_pid"
        t=${EPOCHREALTIME/[.,]/}
        kill_ns=${t}000
        kill -KILL "$old_pid"
        if ! bring_up; then
            not_ok "$(name "round $round: a new session on the one-slot AC after the SIGKILL")"
            return 1
        fi
        ipup_load "$ups"
        stale=$(((T_NS - kill_ns) / 1000000))
        echo "metric: round $round: normal_bringup_ms=$normal stale_reconnect_ms=$stale"
        phases "round $round, stale (from the SIGKILL)" "$kill_ns" "$T_NS"
        freed_ns=$(cat "$RSG_DIR/ac-freed" 2>/dev/null)
        padt_ns=$(at_ns 'PADT' "$kill_ns")
        if [ -n "$freed_ns" ] && [ -n "$padt_ns" ]; then
            echo "metric: round $round: the AC freed its slot $(((freed_ns - padt_ns) / 1000000)) ms after the PADT"
        fi
        results="$results $stale/$normal"
        [ "$stale" -gt $((normal + 2000)) ] || within=$((within + 1))
        wait_for 10 gone "$old_pid"
        # Frames since the kill, in order: the stale PADT must lead.
        awk -v start="$kill_ns" '{ split($1, t, "."); if (t[1] * 1000000000 + t[2] * 1000 >= start) print }' \
            "$RSG_DIR/client-discovery.tcpdump" >"$RSG_DIR/stale-$round.tcpdump"
        check "$(name "round $round: one PADT for the stale session $old_session")" \
            test "$(padts_for "$old_session" "$RSG_DIR/stale-$round.tcpdump")" = 1
        check "$(name "round $round: the stale PADT went out before the first PADI")" \
            bash -c "grep -E 'PADT|PADI' '$RSG_DIR/stale-$round.tcpdump' | head -1 | grep -q PADT"
        check "$(name "round $round: pppd logged the stale PADT")" \
            grep -q "Sent PADT for stale session $old_session " "$RSG_DIR/client.log"
        check "$(name "round $round: the busy AC's error PADS was logged, and the quick PADR repeat")" \
            repeat_logged
        stop_and_free || not_ok "$(name "round $round: the AC's slot is free again after a clean stop")"
    }

    # Part a warmed the caches (pppd, the plugin, the server); else do it here.
    warm_up() {
        note "warm-up session (caches; not measured)"
        bring_up || { note "warm-up: no ip-up"; return 1; }
        stop_and_free || { note "warm-up: the AC still runs: $(server_session_pids --with-relays)"; return 1; }
    }
    if [ "$1" = warm ] || warm_up; then
        within=0
        results=""
        # Three paired rounds: under emulation on a busy host a pppd started
        # right after a SIGKILL, and the AC's pppd after it freed a slot, can
        # take a second longer than in the round before. A plugin without
        # the stale PADT or the quick PADR repeat misses the bound in every
        # round (by 3 s or more: the 5 s PADS wait).
        for round in 1 2 3; do
            stale_round "$round" || break
        done
        check "$(name "SIGKILL to ppp0 up within the normal bring-up + 2000 ms in one of three rounds (stale/normal ms:$results)")" \
            test "$within" -ge 1
    else
        not_ok "$(name "warm-up session on the one-slot AC")"
    fi
    ! kill -0 "$RSG_CLIENT_PID" 2>/dev/null || client_stop
    check "$(name "no record left after a clean stop")" test "$(record_count)" = 0
    kill "$RSG_CLIENT_CAPTURE_PID" 2>/dev/null
    server_stop
}

warm=cold
case $parts in *a*) two_sessions && warm=warm ;; esac
case $parts in *b*) stale_session "$warm" ;; esac

save_logs "recovery-$(pppd_version)"
if [ "$RSG_FAILED" -gt 0 ]; then
    dump_logs
    for f in a b b2; do
        [ -s "$RSG_DIR/$f.log" ] && tail -25 "$RSG_DIR/$f.log" | sed "s/^/# $f: /"
    done
    ls -la "$RECORDS" 2>&1 | sed 's/^/# records: /'
fi
summary
