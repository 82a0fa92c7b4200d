#!/bin/bash
# The hook under real pppd, the container case end to end: pppd with the
# plugin, the distribution's /etc/ppp/ip-up dispatcher with rs-pppoe-rule
# as ip-up.d/10-rule and ip-down.d/10-rule, a web server in a container
# namespace on a docker0 bridge published on ppp0:8080 by a Docker-like
# DNAT, fetched by a client on the ISP's side. This is `cargo xtask demo
# --container` (tests/demo/demo.sh), read as TAP.
#
#   hook-forward.sh PLUGIN HOOK
set -u
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
plugin=${1:?usage: hook-forward.sh PLUGIN HOOK}
hook=${2:?usage: hook-forward.sh PLUGIN HOOK}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
log=$RSG_DIR/demo-container.log

note "pppd $(pppd_version): demo.sh --container with $plugin and $hook"
bash "$repo/tests/demo/demo.sh" --container --plugin "$plugin" --hook "$hook" >"$log" 2>&1
status=$?
sed 's/^/# /' "$log"
has() { grep -qF -- "$1" "$log"; }
check "10-rule from ip-up.d added the source rule and the fwmark rule" \
    has "ip rule:      300: from all fwmark 0x1000000/0xf000000 lookup 100"
check "the internet client fetched the host's own page through ppp0" has "got the page:"
check "the container behind DNAT answered through ppp0" has "got the container's page:"
check "without the forwarding part the container's replies left by the LAN" \
    grep -qE "^demo --container:  +the container's replies that reached the LAN router \(which drops them\): [1-9]" "$log"
check "ip-down removed the fwmark rule and the nftables table" \
    has "fwmark rule and nftables table after ip-down: absent"
check "demo --container ends in SUCCESS (exit status $status)" test "$status" = 0
summary
