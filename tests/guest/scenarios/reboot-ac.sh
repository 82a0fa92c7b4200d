#!/bin/bash
# The access concentrator of tests/guest/reboot-test.sh, in a guest of its own
# that stays up while the client guest reboots:
#
#   tests/guest/run.sh --pppd VERSION --udp-link A:B reboot-ac.sh
#
# pppoe-server with one slot on eth0 (the wire to the client guest). Its
# pppd keeps a session whose client went silent (no LCP echo), as an ISP
# does for many minutes, and gives a session up about a second after a PADT
# (lcp-restart 1, lcp-max-terminate 1). The host steers it through files in
# the I/O directory: it writes `ready` once listening; the host writes
# `second-boot` when the client's second boot starts and `done` at the end.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

IO=/run/guest/io
label="pppd $(pppd_version) AC"
name() { echo "$label: $*"; }

ppp_config
printf 'lcp-echo-interval 0\nlcp-restart 1\nlcp-max-terminate 1\n' >>/etc/ppp/pppoe-server-options
ip netns add "$RSG_NS"
ip link set eth0 netns "$RSG_NS"
ip netns exec "$RSG_NS" ip link set eth0 name "$RSG_SERVER_IF"
ip netns exec "$RSG_NS" ip link set "$RSG_SERVER_IF" address "$RSG_SERVER_MAC" up
ip netns exec "$RSG_NS" ip link set lo up
ip netns exec "$RSG_NS" tcpdump -i "$RSG_SERVER_IF" -tt -n -e -l -U 'ether proto 0x8863' \
    >"$RSG_DIR/ac.tcpdump" 2>"$RSG_DIR/ac-tcpdump.err" &
capture=$!
wait_for 20 grep -q 'listening on' "$RSG_DIR/ac-tcpdump.err"
RSG_SERVER_SLOTS=1 server_start
note "AC listening (one slot)"
touch "$IO/ready"

wait_for 900 test -e "$IO/second-boot"
held_sessions=$(server_session_pids | wc -l)
note "client's second boot starting; sessions the AC holds: $held_sessions"
check "$(name "the AC still held the first boot's session when the client came back")" \
    test "$held_sessions" = 1
wait_for 900 test -e "$IO/done"
note "host says done"

kill "$capture" 2>/dev/null
wait "$capture" 2>/dev/null
first_session() { awk '/PADS \[ses/ { sub(/.*PADS \[ses /, ""); sub(/\].*/, ""); print; exit }' "$RSG_DIR/ac.tcpdump"; }
old=$(first_session)
check "$(name "the client's second boot ended the old session $old with a PADT")" \
    grep -qi "$RSG_CLIENT_MAC > $RSG_SERVER_MAC.*PADT \[ses $old\]" "$RSG_DIR/ac.tcpdump"
check "$(name "and got the only slot again")" \
    test "$(grep -c 'PADS \[ses' "$RSG_DIR/ac.tcpdump")" = 2
server_stop
save_logs "reboot-ac-$(pppd_version)"
if [ "$RSG_FAILED" -gt 0 ]; then
    dump_logs
    cut -c1-150 "$RSG_DIR/ac.tcpdump" | sed 's/^/# ac: /'
fi
summary
