#!/bin/bash
# The plugin inside real pppd against a hostile access concentrator, run in
# the test guest:
#
#   tests/guest/run.sh --pppd V hostile.sh PLUGIN TESTKIT [--reference]
#
# TESTKIT is tools/testkit's rs-pppoe-testkit. Its `ac` shares the AC's
# veth end with pppoe-server and watches every discovery frame there: it
# exits 3 when a PADR or PADT of the client carried anything of an offer
# the client had to refuse or of another AC (tag mixing, CVE-2022-29867
# class), or went to an AC / session id nobody confirmed.
#
# a. refused offers (wrong, missing and hidden Host-Uniq, broadcast and
#    multicast sources, the three error tags, four kinds of malformed
#    frame, Host-Uniq repeated, tag mixing across two ACs, PADT during
#    discovery, an offer tagged for VLAN 7): each is logged with its
#    reason, and the session is with pppoe-server, which starts only once
#    the hostile answers to the first PADI are out; then PADTs during the
#    session from a foreign MAC, from the AC's MAC with another session id,
#    and tagged for VLAN 7: the session stays up
# b. mtu/mru 1500 on a 1508-byte link (PPP-Max-Payload): an offer whose
#    PADR would not fit is refused with the reason, pppoe-server wins, the
#    PADR carries our own PPP-Max-Payload and no refused offer's
# c. the hostile AC chosen, every tag of its offer twice: the PADR and the
#    PADT echo the first cookie and relay id, once
# d. the hostile AC chosen, its PADR answered by forged PADS (another AC,
#    session 0 and 0xFFFF, error tag, wrong Host-Uniq) before the good one:
#    each refused, the session is the good PADS's
# e. (--reference) pppd's own plugin (rp-pppoe.so) in case a's tag-mixing
#    exchange: reported, not counted — it echoes a refused offer's relay
#    id, which shows the monitor catches what it is there to catch
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=proof-lib.sh
. "$(dirname "$0")/proof-lib.sh"

plugin=${1:?usage: hostile.sh PLUGIN TESTKIT [--reference]}
testkit=${2:?usage: hostile.sh PLUGIN TESTKIT [--reference]}
reference=0
[ "${3:-}" = --reference ] && reference=1
label="pppd $(pppd_version) $(basename "$plugin")"
name() { echo "$label: $*"; }
hostile=02:ba:d0:00:00:0a
other=02:ba:d0:00:00:0b

net_setup

# kit_verdict WHAT: the monitor found nothing (and say what it saw).
kit_verdict() {
    kit_stop
    sed -n 's/^/# kit: /p' "$RSG_DIR/kit.out" | grep -v 'answered\|^# kit: ready' | tail -8
    check "$(name "$1: nothing of a refused or foreign offer in the PADR/PADT (kit status $RSG_KIT_STATUS)")" \
        test "$RSG_KIT_STATUS" = 0
}

# refused LINE...: pppd's log has each "Ignoring discovery frame from LINE".
refused() {
    local line
    for line in "$@"; do
        check "$(name "logged: $line")" client_log_has "Ignoring discovery frame from $line"
    done
}

# a. refused offers, then PADTs from the wrong places ---------------------------
note "a: refused offers"
client_fresh_log
kit_start "$testkit" wrong-host-uniq,non-unicast-source,error-tags,malformed,repeated-host-uniq,tag-mixing,padt-in-discovery,vlan-tagged \
    --answers 1
client_start "$plugin" pppoe-ac "$RSG_AC_NAME" pppoe-padi-timeout 2
wait_for 20 grep -q '^answered PADI 1' "$RSG_DIR/kit.out"
note "a: hostile offers out, pppoe-server starting"
server_start
note "a: pppoe-server listening"
if wait_for 60 ipup_or_client_gone 1 && ipup_at_least 1; then
    ipup_load 1
    note "a: session up"
    ok "$(name "session $SESSION with pppoe-server after the hostile offers")"
    check "$(name "MACREMOTE is pppoe-server's ($MACREMOTE)")" test "$MACREMOTE" = "$(upper "$RSG_SERVER_MAC")"
    if [ "$ACNAME_SET" = yes ]; then
        check "$(name "ACNAME is pppoe-server's ($ACNAME)")" test "$ACNAME" = "$RSG_AC_NAME"
    fi
    refused "$hostile: Host-Uniq missing or not ours" \
        "ff:ff:ff:ff:ff:ff: PADO from a non-unicast MAC address" \
        "01:00:5e:00:00:0a: PADO from a non-unicast MAC address" \
        "$hostile: PADO: Service-Name-Error: no such service\\x0a" \
        "$hostile: PADO: AC-System-Error: out of sessions\\x1b[2J\\x00" \
        "$hostile: PADO: Generic-Error: \\xe6\\x95\\x85\\xe9\\x9a\\x9c \\\\ busy" \
        "$hostile: malformed frame: invalid PPPoE tag length" \
        "$hostile: malformed frame: bogus PPPoE length field (1400 bytes claimed" \
        "$hostile: malformed frame: invalid PPPoE version/type 0x21" \
        "$hostile: AC-Name 'evil-ac' is not the requested one" \
        "$other: PADO: Generic-Error: try the other one" \
        "$hostile: unexpected PADT during discovery" \
        "$other: unexpected PADT during discovery"
    host_uniq_lines=$(grep -c 'Ignoring discovery frame from .*Host-Uniq missing or not ours' "$RSG_DIR/client.log")
    check "$(name "four Host-Uniq refusals (altered, missing, after End-Of-List, repeated) ($host_uniq_lines)")" \
        test "$host_uniq_lines" = 4
    check "$(name "the offer tagged for VLAN 7 never reached the discovery socket")" \
        bash -c "! grep -q 'Ignoring discovery frame from.*VLAN' '$RSG_DIR/client.log'"

    note "a: PADTs from the wrong places during session $SESSION"
    pid=$RSG_CLIENT_PID
    kit_padt "$testkit" "$hostile" "$SESSION"
    kit_padt "$testkit" "$RSG_SERVER_MAC" "$((SESSION ^ 1))"
    kit_padt "$testkit" "$RSG_SERVER_MAC" "$SESSION" --vlan 7
    # The kernel acts on a PADT at once, and pppd sees the hangup at once.
    nap 1.5
    check "$(name "PADT from a foreign MAC, with another session id, or tagged: pppd still running")" \
        kill -0 "$pid"
    check "$(name "... and no reconnect ($(ipup_count) ip-up)")" test "$(ipup_count)" = 1
    check "$(name "... and ping over ppp0 works")" \
        bash -c "ping -c 2 -i 0.2 -W 3 -I ppp0 '$RSG_SERVER_IP' >>'$RSG_DIR/ping.log' 2>&1"
    note "a: stopping pppd"
    client_stop
    note "a: pppd stopped"
    check "$(name "the PADT at the end went to pppoe-server for session $SESSION")" \
        grep -qi "^client sent PADT from $RSG_CLIENT_MAC to $RSG_SERVER_MAC session 0x$(printf '%x' "$SESSION") " "$RSG_DIR/kit.out"
else
    not_ok "$(name "session with pppoe-server after the hostile offers")"
    client_stop
fi
kit_verdict "refused offers"
server_stop
rm -f "$RSG_DIR"/ipup.*.env
cp "$RSG_DIR/client.log" "$RSG_DIR/hostile-a.log"

# b. PPP-Max-Payload: an offer whose PADR would not fit ------------------------
note "b: over-long offer with mtu/mru 1500"
client_fresh_log
ip link set "$RSG_CLIENT_IF" mtu 1508
ip -n "$RSG_NS" link set "$RSG_SERVER_IF" mtu 1508
kit_start "$testkit" over-long,error-tags --answers 1
client_start "$plugin" mtu 1500 mru 1500 pppoe-padi-timeout 2
wait_for 20 grep -q '^answered PADI 1' "$RSG_DIR/kit.out"
server_start
if wait_for 60 ipup_or_client_gone 1 && ipup_at_least 1; then
    ipup_load 1
    check "$(name "session $SESSION is pppoe-server's ($MACREMOTE)")" test "$MACREMOTE" = "$(upper "$RSG_SERVER_MAC")"
    refused "$hostile: its PADR would carry 1496 bytes of PPPoE payload, more than the 1494 a frame holds"
    check "$(name "the PADR to pppoe-server asks for our PPP-Max-Payload 1500")" \
        bash -c "grep -i '^client sent PADR .* to $RSG_SERVER_MAC ' '$RSG_DIR/kit.out' | grep -q 'PPP-Max-Payload 05dc'"
else
    not_ok "$(name "session with pppoe-server next to an over-long offer")"
fi
client_stop
kit_verdict "over-long offer"
server_stop
ip link set "$RSG_CLIENT_IF" mtu 1500
ip -n "$RSG_NS" link set "$RSG_SERVER_IF" mtu 1500
rm -f "$RSG_DIR"/ipup.*.env

# c, d. the hostile AC is the one chosen: pppd gets a session id and an AC MAC
# from it and starts LCP into nothing; SIGTERM then sends the PADT.
chosen() {
    local case=$1 what=$2
    note "$case: the hostile AC chosen"
    client_fresh_log
    kit_start "$testkit" "$case"
    # Nobody answers LCP: one Terminate-Request of 1 s at SIGTERM, not two.
    client_start "$plugin" lcp-max-terminate 1
    if wait_for 30 client_log_has "PPP session is 4660"; then
        note "$case: session 4660"
        ok "$(name "$what: PPP session is 4660 (0x1234)")"
        check "$(name "$what: connected to the hostile AC")" client_log_has "Connected to $hostile via interface"
    else
        not_ok "$(name "$what: PPP session is 4660 (0x1234)")"
    fi
    client_stop
    check "$(name "$what: the PADT went to the hostile AC for session 0x1234")" \
        grep -qi "^client sent PADT from $RSG_CLIENT_MAC to $hostile session 0x1234 " "$RSG_DIR/kit.out"
}
chosen repeated-tags "every tag twice"
# "cookie-of-evil-ac" / "relay-of-evil-ac", never "second-cookie"/"second-relay".
check "$(name "every tag twice: PADR and PADT echo the first cookie and relay id")" bash -c \
    "[ \$(grep -c '^client sent PAD[RT] .*636f6f6b69652d6f662d6576696c2d6163.*72656c61792d6f662d6576696c2d6163' '$RSG_DIR/kit.out') -ge 2 ] \
     && ! grep -q '7365636f6e642d' '$RSG_DIR/kit.out'"
kit_verdict "every tag twice"
chosen bad-pads "forged PADS first"
refused "$other: PADS from an AC we did not choose" \
    "$hostile: PADS with session id 0x0, which RFC 2516 reserves" \
    "$hostile: PADS with session id 0xffff, which RFC 2516 reserves" \
    "$hostile: PADS: Service-Name-Error: not today" \
    "$hostile: Host-Uniq missing or not ours"
kit_verdict "forged PADS first"

# e. the reference, for contrast ------------------------------------------------
if [ "$reference" = 1 ]; then
    note "e: rp-pppoe.so in the tag-mixing exchange"
    client_fresh_log
    kit_start "$testkit" tag-mixing --answers 1
    client_start rp-pppoe.so pppoe-ac "$RSG_AC_NAME" pppoe-padi-timeout 2
    wait_for 20 grep -q '^answered PADI 1' "$RSG_DIR/kit.out"
    server_start
    wait_for 60 ipup_or_client_gone 1
    client_stop
    kit_stop
    server_stop
    if [ "$RSG_KIT_STATUS" = 3 ]; then
        echo "# reference: rp-pppoe.so on pppd $(pppd_version) mixes tags of refused offers into its session:"
    else
        echo "# reference: rp-pppoe.so on pppd $(pppd_version): the monitor found no tag mixing (status $RSG_KIT_STATUS)"
    fi
    grep '^violation\|^client sent' "$RSG_DIR/kit.out" | sed 's/^/#   /'
    rm -f "$RSG_DIR"/ipup.*.env
fi

save_logs "hostile-$(pppd_version)"
if [ "$RSG_FAILED" -gt 0 ]; then
    dump_logs
    sed 's/^/# kit: /' "$RSG_DIR/kit.out"
fi
net_teardown
summary
