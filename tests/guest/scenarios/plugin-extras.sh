#!/bin/bash
# rs-pppoe.so specifics, run inside the test guest:
#
#   tests/guest/run.sh --pppd 2.4.9|2.5.2 plugin-extras.sh PLUGIN
#
# a. plugin option errors exit with status 2 and say what is wrong
# b. pppoe-padi-* given after the interface are honoured (order independence)
# c. (pppoe-server -k only) the plugin as the server side (rp_pppoe_sess)
# (Sessions a SIGKILLed pppd left behind: recovery.sh.)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

plugin=${1:?usage: plugin-extras.sh PLUGIN}
label="pppd $(pppd_version) $(basename "$plugin")"
name() { echo "$label: $*"; }

net_setup

# a. option errors ------------------------------------------------------------
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
option_error "pppoe-padi-timeout value must be" "nic-$RSG_CLIENT_IF" pppoe-padi-timeout 0
option_error "pppoe-padi-attempts value must be" pppoe-padi-attempts 99 "nic-$RSG_CLIENT_IF"
option_error "pppoe-verbose value must be" "nic-$RSG_CLIENT_IF" pppoe-verbose 7
option_error "cannot parse pppoe-mac option value" "nic-$RSG_CLIENT_IF" pppoe-mac 02:ab:zz
option_error "Illegal value for pppoe-host-uniq option" "nic-$RSG_CLIENT_IF" host-uniq abc
option_error "Illegal value for pppoe-sess option" "nic-$RSG_CLIENT_IF" rp_pppoe_sess 0:02:ab:cd:00:00:01
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

# c. the plugin on the server side (pppoe-server -k passes rp_pppoe_sess) ------
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

save_logs "extras-$(pppd_version)"
if [ "$RSG_FAILED" -gt 0 ]; then
    dump_logs
    tail -30 "$RSG_DIR/order.log" | sed 's/^/# order: /'
fi
summary
