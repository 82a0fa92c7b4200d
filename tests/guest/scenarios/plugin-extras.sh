#!/bin/bash
# rs-pppoe.so specifics, run inside the test guest:
#
#   tests/guest/run.sh --pppd 2.4.9|2.5.2 plugin-extras.sh PLUGIN [--setup RS-PPPOE-SETUP] [DISCOVERY]
#
# a. every option name and alias, with real pppd's parser and `dryrun`:
#    values taken (exit 0), clamped (exit 0 and a warning naming the value
#    the plugin got) and refused (exit 2 naming the option); interface
#    errors exit with status 2 and say what is wrong
# b. pppoe-padi-* given after the interface are honoured (order independence);
#    a discovery that got nothing ends with one line saying why; an
#    interface without carrier fails the attempt at once, saying so
# c. a session left by a SIGKILLed pppd gets a PADT before the next discovery;
#    rs-pppoe-discovery --terminate refuses the session while it is held
# d. pppoe-service NO-SERVICE-NAME-NON-RFC-COMPLIANT: the PADI has no
#    Service-Name tag and a session comes up against pppoe-server
# e. (pppoe-server -k only) the plugin as the server side (rp_pppoe_sess)
# f. (pppd 2.4.9 run only, with DISCOVERY) rs-pppoe-discovery --probe-vlans
#    finds pppoe-server on a real 802.1Q VLAN device (8021q)
# g. (with --setup) a session from the files rs-pppoe-setup writes
#    (setup-session.sh)
#
# DISCOVERY is an rs-pppoe-discovery binary; without it c's --terminate
# check and f are skipped. Version-agnostic: run unchanged with every pppd
# the harness boots.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=setup-session.sh
. "$(dirname "$0")/setup-session.sh"

#   tests/guest/run.sh --pppd 2.4.9|2.5.2 plugin-extras.sh PLUGIN [--setup RS-PPPOE-SETUP] [DISCOVERY]
label="pppd $(pppd_version) $(basename "$plugin")"
name() { echo "$label: $*"; }

net_setup

# a. option values -------------------------------------------------------------
# option_case STATUS TEXT OPTION VALUE...: `pppd plugin P nic-IF OPTION VALUE
# noauth dryrun` (pppd parses every option, runs the plugin's check and
# exits) exits with STATUS (0 taken, 2 option error) and prints TEXT (each
# of its lines); a value taken as given (STATUS 0, TEXT "") must not be
# warned about.
# Every process costs 100-200 ms under TCG: pppd is the only one started
# (no `timeout`: dryrun ends right after the check, and the guest's
# watchdog catches a hang), its output is read and logged with builtins.
option_case() {
    local want=$1 text=$2
    shift 2
    local out="" status verdict
    pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" "$@" noauth dryrun >"$RSG_DIR/option-case.out" 2>&1
    status=$?
    IFS= read -r -d '' out <"$RSG_DIR/option-case.out"
    printf '# === %s (status %s)\n%s\n' "$*" "$status" "$out" >>"$RSG_DIR/option-values.log"
    verdict=ok
    [ "$status" = "$want" ] || verdict=bad
    local needle
    if [ -n "$text" ]; then
        while IFS= read -r needle; do
            [[ $out == *"$needle"* ]] || verdict=bad
        done <<<"$text"
    elif [[ $out == *"; using "* ]]; then
        verdict=bad
    fi
    local shown="$*"
    [ "${#shown}" -le 60 ] || shown="${shown:0:40}... (${#shown} characters)"
    local said=${text//$'\n'/"', '"}
    local what="'$shown' exits $want${said:+ saying '$said'}"
    if [ "$verdict" = ok ]; then
        ok "$label: $what"
    else
        not_ok "$label: $what (status $status; output in option-values.log)"
    fi
}
taken() { option_case 0 "" "$@"; }
clamped() { local text=$1; shift; option_case 0 "$text" "$@"; }
refused() { local text=$1; shift; option_case 2 "$text" "$@"; }

note "option values: start"
ac_mac=$RSG_SERVER_MAC
# Every name and alias of every upstream plugin, with a value it takes...
taken pppoe-service internet
taken rp_pppoe_service internet
taken pppoe-service NO-SERVICE-NAME-NON-RFC-COMPLIANT
taken pppoe-ac "$RSG_AC_NAME"
taken rp_pppoe_ac "$RSG_AC_NAME"
taken pppoe-sess "4711:$ac_mac"
taken rp_pppoe_sess "4711:$ac_mac"
taken pppoe-verbose 3
taken rp_pppoe_verbose 2
taken pppoe-mac "$ac_mac"
taken rp_pppoe_mac "$ac_mac"
taken pppoe-host-uniq c0ffee
taken host-uniq c0ffee
taken pppoe-padi-timeout 300
taken pppoe-padi-attempts 17
# ...a value refused through an alias, which shows the alias reaches its
# option's check (the unit tests cover every value class of every option)...
refused "pppoe-ac must not be empty" rp_pppoe_ac ""
refused "a PADI has room for" rp_pppoe_service "$(printf '%01500d' 0)"
refused "Illegal value for pppoe-sess option" rp_pppoe_sess "0:$ac_mac"
refused "cannot parse pppoe-mac option value" rp_pppoe_mac 02:ab:zz
refused "Illegal value for pppoe-host-uniq option" host-uniq abc
# ...and pppd's number parser: 0x hex and leading-0 octal reach the plugin
# as the numbers they are (the warnings name the value the plugin got), and
# 4294967295 wraps to -1 as with every upstream plugin.
clamped "pppoe-verbose -1 is less than 0; using 0
pppoe-padi-timeout 301 is more than 300; using 300
pppoe-padi-attempts 65 is more than 64; using 64" \
    rp_pppoe_verbose -1 pppoe-padi-timeout 0x12d pppoe-padi-attempts 0101
refused "pppoe-padi-timeout value must be at least 1 (got 0)" pppoe-padi-timeout 0
refused "pppoe-padi-attempts value must be at least 1 (got -1)" pppoe-padi-attempts 4294967295
note "option values: done"

# Interface words and option order: option_error EXPECT WORDS... exits 2.
option_error() {
    local expect=$1
    shift
    local out status
    out=$(timeout 20 pppd plugin "$plugin" "$@" noauth nodetach 2>&1)
    status=$?
    echo "$out" | sed 's/^/#   /' | grep -v 'Plugin .* loaded\|PPPoE plugin for' >>"$RSG_DIR/option-errors.log"
    if [ "$status" = 2 ] && echo "$out" | grep -qF -- "$expect"; then
        ok "$(name "'$*' exits 2 saying '$expect'")"
    else
        not_ok "$(name "'$*' exits 2 saying '$expect' (status $status: $(echo "$out" | tail -1))")"
    fi
}
option_error "pppoe-padi-timeout value must be" pppoe-padi-timeout 0 "nic-$RSG_CLIENT_IF"
option_error "name is too long" nic-a-very-long-ifname0
option_error "no such interface" nic-nosuch0
option_error "not Ethernet" nic-lo
cat "$RSG_DIR/option-errors.log"

# b. order independence: no AC answers; 1 attempt of 1 s, given after the
# interface (pppd 2.4.9's own plugin ignored them there and waited 35 s).
start=$(now_ns)
timeout 30 pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" pppoe-padi-timeout 1 pppoe-padi-attempts 1 \
    noauth nodetach debug >"$RSG_DIR/order.log" 2>&1
status=$?
ms=$(((($(now_ns) - start)) / 1000000))
check "$(name "discovery gave up after one 1 s attempt (${ms} ms, status $status)")" \
    test "$ms" -lt 6000 -a "$status" != 0 -a "$status" != 2
check "$(name "the failure says why")" grep -q 'Timeout waiting for PADO' "$RSG_DIR/order.log"
check "$(name "and one line explains it: no PPPoE frame from any host")" grep -q \
    "discovery on $RSG_CLIENT_IF: 1 PADI sent; no PPPoE frame from any host on $RSG_CLIENT_IF" \
    "$RSG_DIR/order.log"

# b2. /etc/ppp/options.<interface> is read (here: the same two options)
printf 'pppoe-padi-timeout 1\npppoe-padi-attempts 1\n' >"/etc/ppp/options.$RSG_CLIENT_IF"
start=$(now_ns)
timeout 30 pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" noauth nodetach >"$RSG_DIR/optfile.log" 2>&1
status=$?
ms=$(((($(now_ns) - start)) / 1000000))
rm -f "/etc/ppp/options.$RSG_CLIENT_IF"
check "$(name "/etc/ppp/options.$RSG_CLIENT_IF is read (gave up after ${ms} ms, status $status)")" \
    test "$ms" -lt 6000 -a "$status" != 0 -a "$status" != 2
printf 'pppoe-padi-timeout 0\n' >"/etc/ppp/options.$RSG_CLIENT_IF"
timeout 30 pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" noauth nodetach >>"$RSG_DIR/optfile.log" 2>&1
status=$?
rm -f "/etc/ppp/options.$RSG_CLIENT_IF"
check "$(name "a bad value in options.$RSG_CLIENT_IF exits 2 (status $status)")" test "$status" = 2

# b3. SIGTERM during discovery ends pppd promptly (default 5 s timeout, no AC)
pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" noauth nodetach >"$RSG_DIR/sigterm.log" 2>&1 &
pid=$!
wait_for 10 grep -q 'PPPoE plugin for' "$RSG_DIR/sigterm.log"
nap 1
start=$(now_ns)
kill -TERM "$pid"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; nap 0.1; done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
ms=$(((($(now_ns) - start)) / 1000000))
check "$(name "SIGTERM during discovery: pppd gone after ${ms} ms")" test "$ms" -lt 3000

# b4. pre-flight: the AC's end of the cable is down, so ours has no carrier.
# The attempt fails at once with a plain message instead of 35 s of PADIs.
ip netns exec "$RSG_NS" ip link set "$RSG_SERVER_IF" down
start=$(now_ns)
timeout 60 pppd plugin "$plugin" "nic-$RSG_CLIENT_IF" noauth nodetach >"$RSG_DIR/carrier.log" 2>&1
status=$?
ms=$(((($(now_ns) - start)) / 1000000))
ip netns exec "$RSG_NS" ip link set "$RSG_SERVER_IF" up
check "$(name "no carrier: the attempt fails at once (${ms} ms, status $status)")" \
    test "$ms" -lt 10000 -a "$status" != 0
check "$(name "no carrier: pppd's log says so")" grep -q \
    "$RSG_CLIENT_IF has no carrier: is the cable to the gateway plugged in" "$RSG_DIR/carrier.log"

# c. stale session after SIGKILL ------------------------------------------------
server_start
client_start "$plugin"
if wait_for 60 ipup_at_least 1; then
    ipup_load 1
    first=$SESSION
    check "$(name "session $first is recorded under /run/rs-pppoe")" \
        grep -q "^session=$first\$" "/run/rs-pppoe/$RSG_CLIENT_IF.session"
    if [ -n "$discovery_bin" ]; then
        "$discovery_bin" -I "$RSG_CLIENT_IF" --terminate "$first:$RSG_SERVER_MAC" \
            >"$RSG_DIR/terminate.log" 2>&1
        status=$?
        check "$(name "--terminate refuses session $first while pppd holds it (status $status)")" \
            test "$status" = 2
        check "$(name "--terminate says the session is held by this host")" \
            grep -q "is held by this host" "$RSG_DIR/terminate.log"
    fi
    kill -KILL "$RSG_CLIENT_PID"
    wait "$RSG_CLIENT_PID" 2>/dev/null
    ip netns exec "$RSG_NS" tcpdump -i "$RSG_SERVER_IF" -t -n -e -l -U 'ether proto 0x8863' \
        >"$RSG_DIR/stale.tcpdump" 2>"$RSG_DIR/tcpdump.err" &
    tcpdump_pid=$!
    wait_for 10 grep -q 'listening on' "$RSG_DIR/tcpdump.err"
    note "client SIGKILLed in session $first; starting a new one"
    client_start "$plugin"
    if wait_for 60 ipup_at_least 2; then
        ipup_load 2
        ok "$(name "a new session ($SESSION) came up after the SIGKILL")"
    else
        not_ok "$(name "a new session came up after the SIGKILL")"
    fi
    stale_padt() {
        grep -i "^$RSG_CLIENT_MAC > $RSG_SERVER_MAC" "$RSG_DIR/stale.tcpdump" |
            grep -q "PADT \[ses 0x$(printf '%x' "$first")\]"
    }
    check "$(name "the AC got a PADT for the stale session 0x$(printf '%x' "$first")")" stale_padt
    check "$(name "the PADT came before the new PADI")" bash -c \
        "grep -n 'PADT \\[ses 0x$(printf '%x' "$first")\\]\\|PADI' '$RSG_DIR/stale.tcpdump' | head -1 | grep -q PADT"
    check "$(name "pppd logged the stale PADT")" grep -q "Sent PADT for stale session $first" "$RSG_DIR/client.log"
    kill "$tcpdump_pid" 2>/dev/null
    wait "$tcpdump_pid" 2>/dev/null
    client_stop
    check "$(name "the record is gone after a clean stop")" test ! -e "/run/rs-pppoe/$RSG_CLIENT_IF.session"
else
    not_ok "$(name ip-up ran)"
    client_stop
fi

# d. NO-SERVICE-NAME-NON-RFC-COMPLIANT against the same pppoe-server ---------
note "NO-SERVICE-NAME-NON-RFC-COMPLIANT session: start"
client_capture_start
next=$(($(ipup_count) + 1))
client_start "$plugin" pppoe-service NO-SERVICE-NAME-NON-RFC-COMPLIANT
if wait_for 60 ipup_or_client_gone "$next" && ipup_at_least "$next"; then
    ok "$(name "NO-SERVICE-NAME-NON-RFC-COMPLIANT: a session came up against pppoe-server")"
else
    not_ok "$(name "NO-SERVICE-NAME-NON-RFC-COMPLIANT: a session came up against pppoe-server")"
fi
client_stop
kill "$RSG_CLIENT_CAPTURE_PID" 2>/dev/null
wait "$RSG_CLIENT_CAPTURE_PID" 2>/dev/null
padis=$(grep -c "PADI" "$RSG_DIR/client-discovery.tcpdump")
check "$(name "NO-SERVICE-NAME-NON-RFC-COMPLIANT: $padis PADI(s) on the wire, none with a Service-Name tag")" \
    bash -c "[ '$padis' -gt 0 ] && ! grep PADI '$RSG_DIR/client-discovery.tcpdump' | grep -q 'Service-Name'"
check "$(name "NO-SERVICE-NAME-NON-RFC-COMPLIANT: the PADR asks for the offered (empty) service")" \
    bash -c "grep PADR '$RSG_DIR/client-discovery.tcpdump' | grep -q '\[Service-Name\]'"
cp "$RSG_DIR/client-discovery.tcpdump" "$RSG_DIR/no-service-name.tcpdump"
note "NO-SERVICE-NAME-NON-RFC-COMPLIANT session: done"
server_stop

# e. the plugin on the server side (pppoe-server -k passes rp_pppoe_sess) ------
if pppoe-server -h 2>&1 | grep -q -- '-k '; then
    rm -f "$RSG_DIR"/ipup.*.env
    RSG_SERVER_STARTS=$((RSG_SERVER_STARTS + 1))
    ip netns exec "$RSG_NS" pppoe-server -F -I "$RSG_SERVER_IF" -k -g "$plugin" \
        -C "$RSG_AC_NAME" -L "$RSG_SERVER_IP" -R "$RSG_POOL_START" -N 8 \
        -o 500 -O /etc/ppp/pppoe-server-options >>"$RSG_DIR/pppoe-server.log" 2>&1 &
    RSG_SERVER_PID=$!
    wait_for 10 server_listening
    client_start "$plugin"
    if wait_for 60 ipup_at_least 1; then
        ok "$(name "session up with the plugin on both sides (pppoe-sess on the server)")"
        check "$(name "ping with the plugin on both sides")" \
            bash -c "ping -c 2 -i 0.2 -W 3 -I ppp0 '$RSG_SERVER_IP' >>'$RSG_DIR/ping.log' 2>&1"
    else
        not_ok "$(name "session up with the plugin on both sides (pppoe-sess on the server)")"
    fi
    client_stop
    server_stop
fi

# f. --probe-vlans against pppoe-server on a real VLAN device -------------------
if [ -n "$discovery_bin" ] && [ "$(pppd_version)" = 2.4.9 ]; then
    vlan_if="$RSG_SERVER_IF.35"
    ip netns exec "$RSG_NS" ip link add link "$RSG_SERVER_IF" name "$vlan_if" type vlan id 35
    ip netns exec "$RSG_NS" ip link set "$vlan_if" up
    ip netns exec "$RSG_NS" pppoe-server -F -I "$vlan_if" -C rsg-vlan-ac -L "$RSG_SERVER_IP" \
        -R "$RSG_POOL_START" -N 4 >>"$RSG_DIR/pppoe-server-vlan.log" 2>&1 &
    RSG_SERVER_PID=$!
    wait_for 10 server_listening
    "$discovery_bin" -I "$RSG_CLIENT_IF" -t 1 -a 1 --probe-vlans=7,35 \
        >"$RSG_DIR/probe-vlans.out" 2>"$RSG_DIR/probe-vlans.err"
    status=$?
    check "$(name "--probe-vlans finds the AC on VLAN 35 (status $status)")" \
        bash -c "grep -A1 '^VLAN: 35\$' '$RSG_DIR/probe-vlans.out' | grep -q 'Access-Concentrator: rsg-vlan-ac'"
    check "$(name "--probe-vlans names the interface to use")" \
        grep -q "use the interface $RSG_CLIENT_IF.35" "$RSG_DIR/probe-vlans.err"
    sed 's/^/# probe-vlans: /' "$RSG_DIR/probe-vlans.out" "$RSG_DIR/probe-vlans.err"
    kill "$RSG_SERVER_PID" 2>/dev/null
    wait "$RSG_SERVER_PID" 2>/dev/null
    ip netns exec "$RSG_NS" ip link del "$vlan_if"
fi

# g. rs-pppoe-setup's files, used by a real pppd ---------------------------------
if [ -n "$setup" ]; then
    setup_session "$plugin" "$setup"
fi

save_logs "extras-$(pppd_version)"
if [ "$RSG_FAILED" -gt 0 ]; then
    dump_logs
    tail -30 "$RSG_DIR/order.log" | sed 's/^/# order: /'
    sed 's/^/# no-service-name: /' "$RSG_DIR/no-service-name.tcpdump" 2>/dev/null
    cat "$RSG_DIR/option-values.log"
fi
summary
