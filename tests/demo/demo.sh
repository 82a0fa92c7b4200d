#!/bin/bash
# The article, end to end, inside the test guest (`cargo xtask demo` boots
# the guest and runs this as root):
#
#   tests/guest/run.sh --pppd 2.4.9|2.5.2 tests/demo/demo.sh \
#       --plugin PATH/librs_pppoe.so --hook PATH/rs-pppoe-rule [--without-hook | --container]
#
# Topology (all inside the guest; nothing leaves it):
#
#   internet ns               isp ns                      home (guest root ns)
#   198.51.100.20 ---- 198.51.100.1  pppoe-server ==PPPoE== demo-wan  ppp0 203.0.113.10
#   (the client)              10.67.15.1 "demo-isp"         demo-lan 192.168.1.10
#                                                              |  main default route
#                                                   lan-router ns 192.168.1.1
#                                                   (no route to 198.51.100.0/24)
#
# The home host runs pppd from the example peers file (plugin rs-pppoe.so,
# nodefaultroute), the distro's /etc/ppp/ip-up dispatcher with the hook as
# ip-up.d/10-rule, and a web server on 0.0.0.0:80. The internet client
# fetches http://203.0.113.10/. With the hook the reply leaves by ppp0 and
# the fetch works; without it the reply follows the main default route to
# the LAN router, which drops it.
#
# --container adds what most people publish: a web server in a "container"
# (a namespace on a docker0-style bridge, 172.17.0.2) published on
# ppp0:8080 by a Docker-like DNAT (nftables table ip nat). The internet
# client fetches it through ppp0; then 10-rule is run again with
# `forward = no` (only the source rule, as the article's hook does) and
# the same fetch fails: the container's replies leave by the LAN.
#
# Prints narration lines and ends with a one-line verdict. Exit status 0
# when the outcome is the one expected for the mode.
set -u

plugin=""
hook=""
with_hook=1
container=0
while [ $# -gt 0 ]; do
    case $1 in
        --plugin) plugin=$2; shift 2 ;;
        --hook) hook=$2; shift 2 ;;
        --without-hook) with_hook=0; shift ;;
        --container) container=1; shift ;;
        *) echo "demo.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

DEMO_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$DEMO_DIR/../.." && pwd)
WORK=/tmp/demo
PEER=rs-pppoe-provider
AC_NAME=demo-isp
USER_NAME=demo@example.net
SECRET=demo-secret
ISP_IP=10.67.15.1
HOME_PPP_IP=203.0.113.10
ISP_NET_IP=198.51.100.1
CLIENT_IP=198.51.100.20
LAN_ROUTER_IP=192.168.1.1
HOME_LAN_IP=192.168.1.10
ISP_MAC=02:de:00:00:00:01
HOME_WAN_MAC=02:de:00:00:00:02
PAGE="Hello from the home server, reached over PPPoE through rs-pppoe.so"
URL="http://$HOME_PPP_IP/"
CONTAINER_IP=172.17.0.2
CONTAINER_PAGE="Hello from a container behind DNAT, reached over PPPoE"
CONTAINER_URL="http://$HOME_PPP_IP:8080/"

if [ "$with_hook" = 1 ]; then tag="demo"; else tag="demo (without hook)"; fi
if [ "$container" = 1 ]; then
    tag="demo --container"
    [ "$with_hook" = 1 ] || { echo "demo.sh: --container shows the hook's forwarding part; it needs the hook" >&2; exit 2; }
fi
say() { echo "$tag: $*"; }
detail() { echo "$tag:       $*"; }
verdict_fail() {
    say "FAILED — $*"
    dump_logs
    exit 1
}

# shellcheck source=../guest/scenarios/poll.sh
. "$REPO_DIR/tests/guest/scenarios/poll.sh"

dump_logs() {
    local f
    for f in "$WORK"/pppd.log "$WORK"/messages "$WORK"/pppoe-server.log "$WORK"/isp-pppd.log; do
        [ -s "$f" ] || continue
        echo "# --- $f (last 30 lines)"
        tail -30 "$f" | sed 's/^/# /'
    done
}

[ -r "$plugin" ] || verdict_fail "plugin $plugin is not readable in the guest"
if [ "$with_hook" = 1 ]; then
    [ -x "$hook" ] || verdict_fail "hook $hook is not executable in the guest"
fi
pppd_version=$(pppd --version 2>&1 | awk '{print $3; exit}')
mkdir -p "$WORK/www"

say "rs-pppoe, end to end: pppd $pppd_version, $(basename "$plugin") from ${plugin%/*}"

# --- 1. the networks -----------------------------------------------------------
ip netns add isp
ip netns add internet
ip netns add lan-router
for ns in isp internet lan-router; do ip -n "$ns" link set lo up; done

# The PPPoE link: home demo-wan <-> isp isp-wan (Ethernet only, no IP).
ip link add demo-wan address "$HOME_WAN_MAC" type veth peer name isp-wan address "$ISP_MAC" netns isp
ip link set demo-wan up
ip -n isp link set isp-wan up
# The internet side: isp isp-net <-> internet inet0, one network.
ip -n isp link add isp-net type veth peer name inet0 netns internet
ip -n isp addr add "$ISP_NET_IP/24" dev isp-net
ip -n isp link set isp-net up
ip -n internet addr add "$CLIENT_IP/24" dev inet0
ip -n internet link set inet0 up
ip -n internet route add default via "$ISP_NET_IP"
ip netns exec isp sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
# The home LAN: home demo-lan <-> lan-router lan0; the router knows nothing
# beyond its LAN (in the article it is the gateway whose own uplink cannot
# reach this address).
ip link add demo-lan type veth peer name lan0 netns lan-router
ip addr add "$HOME_LAN_IP/24" dev demo-lan
ip link set demo-lan up
ip -n lan-router addr add "$LAN_ROUTER_IP/24" dev lan0
ip -n lan-router link set lan0 up
ip route add default via "$LAN_ROUTER_IP" dev demo-lan
wait_for 5 ping -c 1 -W 1 "$LAN_ROUTER_IP" >/dev/null 2>&1 || verdict_fail "the home host cannot reach its LAN router"
say "[1/6] networks: ISP (pppoe-server \"$AC_NAME\", CHAP, $ISP_IP) with an internet client $CLIENT_IP beside it;"
detail "home LAN 192.168.1.0/24 whose router $LAN_ROUTER_IP holds the main default route and cannot reach the ISP side"
if [ "$container" = 1 ]; then
    # What `docker run -p 8080:80` sets up: a bridge, a container on it, a
    # DNAT from every local address's port 8080, masquerade for its own
    # traffic (Docker's tables, as iptables-nft writes them, simplified).
    command -v nft >/dev/null || verdict_fail "--container needs nft in the guest (Debian package nftables)"
    ip netns add container
    ip -n container link set lo up
    ip link add docker0 type bridge
    ip addr add 172.17.0.1/16 dev docker0
    ip link add veth-ctr type veth peer name eth0 netns container
    ip link set veth-ctr master docker0
    ip link set veth-ctr up
    ip link set docker0 up
    ip -n container addr add "$CONTAINER_IP/16" dev eth0
    ip -n container link set eth0 up
    ip -n container route add default via 172.17.0.1
    echo 1 >/proc/sys/net/ipv4/ip_forward
    nft -f - <<NFT || verdict_fail "cannot load the Docker-like DNAT (are the nf_tables modules in the guest?)"
table ip nat {
    chain PREROUTING {
        type nat hook prerouting priority dstnat; policy accept;
        fib daddr type local jump DOCKER
    }
    chain DOCKER {
        iifname != "docker0" tcp dport 8080 dnat to $CONTAINER_IP:80
    }
    chain POSTROUTING {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
    }
}
NFT
    mkdir -p "$WORK/container-www"
    printf '%s\n' "$CONTAINER_PAGE" >"$WORK/container-www/index.html"
    ip netns exec container busybox httpd -f -p 80 -h "$WORK/container-www" &
    container_httpd_pid=$!
    detail "a container $CONTAINER_IP on docker0 runs a web server, published on port 8080 by a Docker-like DNAT"
fi

# --- 2. pppd's configuration on the home host --------------------------------
# /etc/ppp is an empty tmpfs in the guest. Restore the distro's dispatcher
# from the root file system underneath it (a non-recursive bind mount of /
# shows / without the tmpfs), so the real ip-up -> run-parts path runs.
mkdir -p "$WORK/distro-root"
mount --bind / "$WORK/distro-root" || verdict_fail "cannot look at the distro's /etc/ppp"
for script in ip-up ip-down; do
    [ -x "$WORK/distro-root/etc/ppp/$script" ] || verdict_fail "the distro has no /etc/ppp/$script dispatcher"
    cp -a "$WORK/distro-root/etc/ppp/$script" "/etc/ppp/$script"
    mkdir -p "/etc/ppp/$script.d"
    cp -a "$WORK/distro-root/etc/ppp/$script.d/." "/etc/ppp/$script.d/" 2>/dev/null
done
umount "$WORK/distro-root"

# Make `plugin rs-pppoe.so` resolve as on an installed system: put the
# plugin in pppd's plugin directory (a tmpfs copy when the root is read-only).
plugin_dir=/usr/lib/pppd/$pppd_version
if ! cp "$plugin" "$plugin_dir/rs-pppoe.so" 2>/dev/null; then
    mkdir -p "$WORK/plugins"
    cp -a "$plugin_dir/." "$WORK/plugins/"
    mount -t tmpfs -o mode=755 tmpfs "$plugin_dir" || verdict_fail "cannot make $plugin_dir writable"
    cp -a "$WORK/plugins/." "$plugin_dir/"
    cp "$plugin" "$plugin_dir/rs-pppoe.so"
fi
chmod 644 "$plugin_dir/rs-pppoe.so"

# The peers file is the shipped example with its two EDIT lines filled in.
mkdir -p /etc/ppp/peers
sed -e "s/^nic-.*/nic-demo-wan/" -e "s/^user .*/user \"$USER_NAME\"/" \
    "$REPO_DIR/docs/peers-provider.example" >"/etc/ppp/peers/$PEER"
grep -qx 'plugin rs-pppoe.so' "/etc/ppp/peers/$PEER" || verdict_fail "the example peers file does not load rs-pppoe.so"
grep -qx 'nodefaultroute' "/etc/ppp/peers/$PEER" || verdict_fail "the example peers file lacks nodefaultroute"
# Client and server share /etc/ppp, so one CHAP line serves both.
printf '"%s" * "%s" *\n' "$USER_NAME" "$SECRET" >/etc/ppp/chap-secrets
chmod 600 /etc/ppp/chap-secrets

# An observer that records what pppd and the plugin told ip-up.d; it runs
# before 10-rule (run-parts goes in lexical order) and changes nothing.
cat >/etc/ppp/ip-up.d/00-demo-observe <<'EOF'
#!/bin/sh
{
    for v in IFNAME IPLOCAL IPREMOTE MACREMOTE ACNAME DEVICE; do
        eval "printf '%s=%s\n' $v \"\${$v-}\""
    done
} >/tmp/demo/ipup.tmp && mv /tmp/demo/ipup.tmp /tmp/demo/ipup.env
EOF
chmod 755 /etc/ppp/ip-up.d/00-demo-observe

if [ "$with_hook" = 1 ]; then
    install -m 0755 "$hook" /etc/ppp/ip-up.d/10-rule
    install -m 0755 "$hook" /etc/ppp/ip-down.d/10-rule
    hook_text="the hook installed as /etc/ppp/ip-up.d/10-rule and /etc/ppp/ip-down.d/10-rule"
else
    hook_text="NO hook in /etc/ppp/ip-up.d"
fi

# syslog, so the hook's and pppd's messages can be shown.
busybox syslogd -n -O "$WORK/messages" &
syslogd_pid=$!
wait_for 5 test -S /dev/log || verdict_fail "syslogd did not start"

printf '%s\n' "$PAGE" >"$WORK/www/index.html"
busybox httpd -f -p 80 -h "$WORK/www" &
httpd_pid=$!
say "[2/6] home host: the distro's /etc/ppp/ip-up (run-parts /etc/ppp/ip-up.d), $hook_text;"
detail "/etc/ppp/peers/$PEER from docs/peers-provider.example; web server on 0.0.0.0:80"

# --- 3. the ISP, then the PPPoE session -----------------------------------------
cat >/etc/ppp/pppoe-server-options <<EOF
require-chap
nodefaultroute
lcp-echo-interval 5
lcp-echo-failure 3
ip-up-script /etc/ppp/isp-noop
ip-down-script /etc/ppp/isp-noop
logfile $WORK/isp-pppd.log
EOF
# The ISP's own pppd shares /etc/ppp; keep the home host's dispatcher out of it.
printf '#!/bin/sh\nexit 0\n' >/etc/ppp/isp-noop
chmod 755 /etc/ppp/isp-noop
server_mode=()
if pppoe-server -h 2>&1 | grep -q -- '-k '; then
    server_mode=(-k -g "$plugin_dir/pppoe.so")
fi
ip netns exec isp pppoe-server -F -I isp-wan "${server_mode[@]}" -C "$AC_NAME" \
    -L "$ISP_IP" -R "$HOME_PPP_IP" -N 4 -O /etc/ppp/pppoe-server-options \
    >>"$WORK/pppoe-server.log" 2>&1 &
server_pid=$!
server_listening() {
    local fd
    for fd in /proc/"$server_pid"/fd/*; do
        [[ $(readlink "$fd" 2>/dev/null) == socket:* ]] && return 0
    done
    return 1
}
wait_for 10 server_listening || verdict_fail "pppoe-server did not start"

say "[3/6] pppd call $PEER  (plugin rs-pppoe.so, nic-demo-wan, nodefaultroute)"
pppd call "$PEER" nodetach debug logfile "$WORK/pppd.log" >>"$WORK/pppd.out" 2>&1 &
pppd_pid=$!

wait_for 90 test -s "$WORK/ipup.env" || verdict_fail "ppp0 did not come up within 90 s"
IFNAME="" IPLOCAL="" IPREMOTE="" MACREMOTE="" ACNAME="" DEVICE=""
# shellcheck disable=SC1091
. "$WORK/ipup.env"
session=$(sed -n 's/.*PPP session is \([0-9]*\).*/\1/p' "$WORK/pppd.log" | tail -1)
detail "discovery: access concentrator \"${ACNAME:-?}\" at $MACREMOTE, PPPoE session id ${session:-?}"
detail "$IFNAME is up: $IPLOCAL peer $IPREMOTE (ip-up got DEVICE=$DEVICE ACNAME=$ACNAME MACREMOTE=$MACREMOTE)"
[ "$IPLOCAL" = "$HOME_PPP_IP" ] || verdict_fail "$IFNAME got $IPLOCAL, expected $HOME_PPP_IP"
[ "$ACNAME" = "$AC_NAME" ] || verdict_fail "ACNAME is '$ACNAME', expected '$AC_NAME'"

# --- 4. routing on the home host -------------------------------------------------
rule_present() { ip rule show | grep -q "from $IPLOCAL lookup 100"; }
if [ "$with_hook" = 1 ]; then
    wait_for 10 rule_present || verdict_fail "10-rule did not add 'from $IPLOCAL lookup 100' within 10 s"
else
    nap 1
fi
# one line, single spaces: `ip` pads with tabs and trailing blanks
tidy() { tr -s ' \t' '  ' | sed 's/ $//'; }
reply_path=$(ip route get "$CLIENT_IP" from "$IPLOCAL" 2>&1 | head -1 | tidy)
say "[4/6] routing on the home host:"
rule_line=$(ip rule show | grep "from $IPLOCAL" | tidy)
detail "ip rule:      ${rule_line:-(no rule for $IPLOCAL)}"
table_line=$(ip route show table 100 2>/dev/null | head -1 | tidy)
detail "table 100:    ${table_line:-(empty)}"
detail "main default: $(ip route show default | head -1 | tidy)"
hook_said=$(grep 'rs-pppoe-rule' "$WORK/messages" 2>/dev/null | tail -1 | sed 's/^.*rs-pppoe-rule[^:]*: //')
if [ -n "$hook_said" ]; then detail "10-rule said: $hook_said"; fi
detail "a reply to $CLIENT_IP from $IPLOCAL leaves by: $reply_path"
if [ "$container" = 1 ]; then
    mark_rule_present() { ip rule show | grep -q "fwmark .* lookup 100"; }
    wait_for 10 mark_rule_present || verdict_fail "10-rule did not add its fwmark rule within 10 s"
    detail "ip rule:      $(ip rule show | grep fwmark | tidy)"
    detail "nftables:     table ip rs-pppoe-rule-$IFNAME: connections arriving on $IFNAME get a conntrack mark,"
    detail "              their replies (the container's too) the packet mark that rule sends to table 100"
fi

# --- 5. the fetch from the internet ------------------------------------------------
# fetch NAME URL EXPECTED WHAT FILTER: the internet client fetches URL while
# the LAN router captures FILTER; sets fetch_ok (1 when it got EXPECTED) and
# leaked (replies to the client that reached the LAN router). wget gets
# fetch_timeout seconds (default 10).
fetch() {
    local name=$1 url=$2 expected=$3 what=$4 filter=$5
    ip netns exec lan-router tcpdump -i lan0 -n -l -U "$filter" \
        >"$WORK/$name.tcpdump" 2>"$WORK/$name.tcpdump.err" &
    local capture=$!
    wait_for 10 grep -q 'listening on' "$WORK/$name.tcpdump.err"
    [ -z "${fetch_say:-}" ] || say "$fetch_say"
    local start=$EPOCHSECONDS got status secs
    got=$(ip netns exec internet timeout "${fetch_timeout:-10}" busybox wget -q -O - "$url" 2>"$WORK/$name.wget.err")
    status=$?
    secs=$((EPOCHSECONDS - start))
    nap 0.5
    kill "$capture" 2>/dev/null
    wait "$capture" 2>/dev/null
    leaked=$(grep -c " > $CLIENT_IP\." "$WORK/$name.tcpdump")
    fetch_ok=0
    if [ "$status" = 0 ] && [ "$got" = "$expected" ]; then
        fetch_ok=1
        detail "got $what: \"$got\""
    elif [ "$status" = 124 ]; then
        detail "no answer: wget gave up after ${secs} s"
    else
        detail "fetch failed (status $status): $(head -1 "$WORK/$name.wget.err")"
    fi
}
fetch_say="[5/6] the internet client $CLIENT_IP fetches $URL" \
    fetch lan-router "$URL" "$PAGE" "the page" "tcp and src host $IPLOCAL"
detail "replies from $IPLOCAL that reached the LAN router (which drops them): $leaked"

# fetch_container: the container's page, through its DNAT on port 8080;
# sets container_ok and container_leaked (the host page's results stay).
fetch_container() {
    local host_ok=$fetch_ok host_leaked=$leaked
    fetch "container-$1" "$CONTAINER_URL" "$CONTAINER_PAGE" "the container's page" \
        "tcp and src host $IPLOCAL and src port 8080"
    detail "the container's replies that reached the LAN router (which drops them): $leaked"
    container_ok=$fetch_ok container_leaked=$leaked
    fetch_ok=$host_ok leaked=$host_leaked
}
if [ "$container" = 1 ]; then
    say "[5/6] the internet client fetches the container: $CONTAINER_URL"
    fetch_container with
    with_forwarding_ok=$container_ok with_forwarding_leaked=$container_leaked
    # The same hook without its forwarding part: only the source rule, as
    # the article's two-line hook. 10-rule is run again as ip-up runs it.
    printf 'forward = no\n' >/etc/ppp/rs-pppoe-rule.conf
    env -i /etc/ppp/ip-up.d/10-rule "$IFNAME" "$DEVICE" 0 "$IPLOCAL" "$IPREMOTE" ""
    say "[5/6] the same fetch without the forwarding part (forward = no in /etc/ppp/rs-pppoe-rule.conf, 10-rule run again):"
    detail "fwmark rules: $(ip rule show | grep -c fwmark); nftables tables of the hook: $(nft list tables | grep -c rs-pppoe-rule)"
    # 4 s: enough for the SYN and two retransmissions, whose answers leak.
    fetch_timeout=4 fetch_container without
    without_forwarding_ok=$container_ok without_forwarding_leaked=$container_leaked
    # Back to the default, so that ip-down has the whole thing to remove.
    rm -f /etc/ppp/rs-pppoe-rule.conf
    env -i /etc/ppp/ip-up.d/10-rule "$IFNAME" "$DEVICE" 0 "$IPLOCAL" "$IPREMOTE" ""
fi

# --- 6. teardown: ip-down ------------------------------------------------------------
kill -TERM "$pppd_pid"
for _ in $(seq 100); do kill -0 "$pppd_pid" 2>/dev/null || break; nap 0.1; done
wait "$pppd_pid" 2>/dev/null
rule_after="absent"
# ip-down runs after pppd has taken ppp0 down; give run-parts a moment.
if ! wait_for 5 bash -c "! ip rule show | grep -q 'from $IPLOCAL lookup 100'"; then rule_after="still there"; fi
say "[6/6] pppd stopped; rule for $IPLOCAL after ip-down: $rule_after"
if [ "$container" = 1 ]; then
    forwarding_after="absent"
    if ! wait_for 5 bash -c "! ip rule show | grep -q fwmark && ! nft list tables | grep -q rs-pppoe-rule"; then
        forwarding_after="still there"
    fi
    detail "fwmark rule and nftables table after ip-down: $forwarding_after"
    kill "$container_httpd_pid" 2>/dev/null
fi
kill "$httpd_pid" "$syslogd_pid" 2>/dev/null
kill "$server_pid" 2>/dev/null

if [ "$with_hook" = 1 ]; then
    [ "$fetch_ok" = 1 ] || verdict_fail "the internet client could not fetch $URL even with the hook"
    [ "$leaked" = 0 ] || verdict_fail "$leaked replies still left by the LAN with the hook installed"
    [ "$rule_after" = absent ] || verdict_fail "ip-down did not remove the rule for $IPLOCAL"
    if [ "$container" = 1 ]; then
        [ "$with_forwarding_ok" = 1 ] || verdict_fail "the internet client could not fetch the container's $CONTAINER_URL with the hook"
        [ "$with_forwarding_leaked" = 0 ] || verdict_fail "$with_forwarding_leaked of the container's replies left by the LAN with the hook"
        [ "$without_forwarding_ok" = 0 ] || verdict_fail "the container answered without the forwarding part: the demo's LAN router must not reach the ISP side"
        [ "$without_forwarding_leaked" -gt 0 ] || verdict_fail "without the forwarding part the fetch failed, but no reply reached the LAN router"
        [ "$forwarding_after" = absent ] || verdict_fail "ip-down left the fwmark rule or the nftables table"
        say "SUCCESS — the container behind DNAT answered via $IFNAME (fwmark rule -> table 100) and $URL too; without the forwarding part the container's $without_forwarding_leaked replies left by the LAN and were lost; ip-down removed everything"
        exit 0
    fi
    say "SUCCESS — $URL fetched from the internet via $IFNAME (rule 200 → table 100), LAN default route untouched"
    exit 0
fi
if [ "$fetch_ok" = 1 ]; then
    say "UNEXPECTED — the fetch worked without the hook; the demo's LAN router must not reach the ISP side"
    dump_logs
    exit 1
fi
case $reply_path in
    *"via $LAN_ROUTER_IP"*) ;;
    *) verdict_fail "the fetch failed, but not because of the LAN default route (reply path: $reply_path)" ;;
esac
[ "$leaked" -gt 0 ] || verdict_fail "the fetch failed, but no reply reached the LAN router: something else dropped it"
say "fetch FAILED as expected — $leaked replies left by the LAN default route (via $LAN_ROUTER_IP) and were lost; the 10-rule hook sends them back out ppp0"
exit 0
