#!/bin/bash
# A PPPoE session from an installed package, run inside the test guest:
#
#   tests/guest/run.sh --pppd 2.4.9 --bookworm --root-etc-ppp package-session.sh --deb DEB
#   tests/guest/run.sh --pppd 2.5.2 --root-etc-ppp package-session.sh --deb DEB
#   tests/guest/run.sh --pppd 2.5.3 --root-etc-ppp --layer ROOT package-session.sh --arch
#
# --deb DEB: `dpkg -i DEB` into the guest's root (an overlay: only guest
#   memory changes); Debian's own /etc/ppp/ip-up runs the hook through
#   run-parts. After the session, `dpkg --purge rs-pppoe` must leave
#   nothing of the package behind, /var/lib/rs-pppoe included.
# --arch: the package is already installed in ROOT (`pacman -U --root` on
#   the host), layered over the root; /etc/ppp/ip-up and ip-down become
#   Arch's (every executable ip-up.d/*.sh, with pppd's arguments).
#
# Either way the session uses only the installed files: the example peers
# file, edited as its EDIT comments say, started with
# `pppd call rs-pppoe-provider`; the plugin is found by name in pppd's
# plugin directory; the hook adds `200: from <addr> lookup 100` and the
# table-100 default route, and removes both on ip-down.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mode=""
deb=""
case ${1:-} in
    --deb) mode=debian deb=${2:?--deb needs a package} ;;
    --arch) mode=arch ;;
    *) echo "usage: package-session.sh --deb DEB | --arch" >&2; exit 2 ;;
esac
version=$(pppd_version)
label="pppd $version, $mode package"
name() { echo "$label: $*"; }
peers=/etc/ppp/peers/rs-pppoe-provider

# 1. the package's files are in place ------------------------------------------
if [ "$mode" = debian ]; then
    # The man-db trigger would index every manual page (a minute under
    # emulation); it is not what is tested.
    rm -f /var/lib/man-db/auto-update
    check "$(name "dpkg -i $(basename "$deb")")" \
        bash -c "dpkg -i '$deb' >'$RSG_DIR/dpkg.log' 2>&1"
    note "installed"
    dpkg-query -L rs-pppoe >"$RSG_DIR/package-paths" 2>/dev/null
    hook=/etc/ppp/ip-up.d/10-rule
else
    # Arch's dispatchers, in effect: every executable *.sh in the .d
    # directory, with pppd's arguments (Arch's ppp package ships these).
    for phase in up down; do
        cat >"/etc/ppp/ip-$phase" <<EOF
#!/bin/sh
# As Arch's /etc/ppp/ip-$phase: run the ip-$phase.d/*.sh hooks.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
for hook in /etc/ppp/ip-$phase.d/*.sh; do
    [ -x "\$hook" ] && "\$hook" "\$@"
done
exit 0
EOF
        chmod 755 "/etc/ppp/ip-$phase"
    done
    hook=/etc/ppp/ip-up.d/10-rule.sh
fi
check "$(name "the plugin is in pppd $version's plugin directory")" \
    test -f "/usr/lib/pppd/$version/rs-pppoe.so"
check "$(name "the hook $hook is root's, mode 755")" \
    bash -c "[ \"\$(stat -c '%U %a' '$hook')\" = 'root 755' ]"
check "$(name "the example connection $peers is installed")" grep -q '^plugin rs-pppoe.so$' "$peers"

# 2. a session from the installed files -------------------------------------------
net_setup
# What the example asks the user to edit: the interface and the user name
# (the password is in chap-secrets, written by net_setup).
sed -i -e "s/^nic-eth0\$/nic-$RSG_CLIENT_IF/" -e "s/^user .*/user $RSG_USER/" "$peers"
server_start
note "server listening, pppd call rs-pppoe-provider"
# lcp-restart 1: as in client_start, so emulation delays do not dominate.
pppd call rs-pppoe-provider nodetach debug lcp-restart 1 >>"$RSG_DIR/client.log" 2>&1 &
RSG_CLIENT_PID=$!

ppp0_address() {
    local line
    line=$(ip -4 -o addr show dev ppp0 2>/dev/null) || return 1
    line=${line#* inet }
    addr=${line%%[ /]*}
    [ -n "$addr" ]
}
rule_present() { ip rule show | grep -Eq "^200:[[:space:]]+from $addr lookup 100\b"; }
route_present() { ip route show table 100 | grep -Eq "^default dev ppp0 .*src $addr\b"; }
rule_and_route_gone() { ! rule_present && ! route_present; }
addr=""
if wait_for 60 ppp0_address; then
    ok "$(name "ppp0 is up with $addr")"
    check "$(name "pppd loaded the plugin by name")" grep -q 'Plugin rs-pppoe.so loaded' "$RSG_DIR/client.log"
    if wait_for 10 rule_present; then
        ok "$(name "the hook added '200: from $addr lookup 100'")"
    else
        not_ok "$(name "the hook added '200: from $addr lookup 100' (ip rule: $(ip rule show | tr '\n' ';'))")"
    fi
    check "$(name "table 100 has 'default dev ppp0 src $addr'")" route_present
    note "session up; SIGTERM to pppd"
    client_stop
    check "$(name "pppd ended (status $RSG_CLIENT_STATUS)")" test "$RSG_CLIENT_STATUS" = 5
    if wait_for 10 rule_and_route_gone; then
        ok "$(name "ip-down removed the rule and the route")"
    else
        not_ok "$(name "ip-down removed the rule and the route (rule: $(ip rule show | grep -c '^200:'), table 100: $(ip route show table 100 | tr '\n' ';'))")"
    fi
else
    not_ok "$(name "ppp0 is up")"
    client_stop
    dump_logs
fi
server_stop

# 3. Debian: a purge leaves nothing of ours ------------------------------------
if [ "$mode" = debian ]; then
    if [ ! -d /var/lib/rs-pppoe ]; then
        # Older plugins keep their records in /run/rs-pppoe (a tmpfs); the
        # purge must still clear the directory the package owns.
        echo "# /var/lib/rs-pppoe was not created by the session; a stand-in record is"
        mkdir -p /var/lib/rs-pppoe
        echo "stand-in" >/var/lib/rs-pppoe/rsg-cli.session
    fi
    note "purging"
    check "$(name "dpkg --purge rs-pppoe")" \
        bash -c "dpkg --purge rs-pppoe >>'$RSG_DIR/dpkg.log' 2>&1"
    note "purged"
    check "$(name "dpkg no longer knows rs-pppoe")" bash -c '! dpkg-query -W rs-pppoe 2>/dev/null'
    left=()
    shared=()
    while read -r path; do
        [ -n "$path" ] && [ "$path" != /. ] || continue
        if [ -d "$path" ] && [ ! -L "$path" ]; then
            shared+=("$path")
        elif [ -e "$path" ] || [ -L "$path" ]; then
            left+=("$path")
        fi
    done <"$RSG_DIR/package-paths"
    echo "# the package had $(grep -c . "$RSG_DIR/package-paths") paths"
    check "$(name "every file of the package is gone (left: ${left[*]:-none})")" test "${#left[@]}" = 0
    # A directory that is still there must belong to another package.
    if [ "${#shared[@]}" -gt 0 ]; then
        check "$(name "the ${#shared[@]} directories left belong to other packages")" \
            dpkg-query -S "${shared[@]}"
    fi
    check "$(name "/var/lib/rs-pppoe is gone")" test ! -e /var/lib/rs-pppoe
    check "$(name "no dpkg leftovers of the conffiles")" \
        bash -c '! ls /etc/ppp/*/*.dpkg-* /etc/ppp/*/*rs-pppoe* /etc/ppp/*/10-rule 2>/dev/null | grep -q .'
fi

save_logs "package-$mode-$version"
summary
