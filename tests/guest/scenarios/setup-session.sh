# shellcheck shell=bash
# A real pppd session from the files rs-pppoe-setup writes (sourced by
# plugin-extras.sh, after lib.sh and net_setup; runs inside the guest):
#
#   setup_session PLUGIN SETUP
#
# rs-pppoe-setup, scripted (user, password file, --yes), finds the interface
# pppoe-server answers on and writes /etc/ppp/peers/rsg-setup, chap-secrets
# and pap-secrets (the guest's /etc/ppp is a tmpfs). Then `pppd call
# rsg-setup` must bring the session up with CHAP. The password has both
# quotes, a backslash, a space, '#' and '$'; the server's pppds read their own
# chap-secrets, where the same password is written another way (unquoted,
# with backslash escapes), so the session only comes up if pppd read from
# setup's file exactly the password that was given.

SETUP_PEER=rsg-setup
SETUP_USER=setup-user@example.net

setup_session() {
    local plugin=$1 setup=$2
    local name_prefix="pppd $(pppd_version) rs-pppoe-setup"
    note "setup session: start"
    if ! plugin_installed "$plugin"; then
        not_ok "$name_prefix: rs-pppoe.so in pppd's plugin directory"
        return
    fi
    cat >"$RSG_DIR/setup-password" <<'EOF'
pa"ss w\rd#1'$x
EOF
    local server_ppp=$RSG_DIR/server-etc-ppp
    mkdir -p "$server_ppp"
    cp /etc/ppp/pppoe-server-options "$server_ppp/"
    cat >"$server_ppp/chap-secrets" <<'EOF'
# The server's view of the same secret, in pppd's other notation.
setup-user@example.net * pa\"ss\ w\\rd\#1\'$x *
EOF
    chmod 600 "$server_ppp/chap-secrets"
    # Another client's entry is already there (net_setup's); it must stay.
    cp /etc/ppp/chap-secrets "$RSG_DIR/chap-secrets.before"

    RSG_SERVER_PPP_DIR=$server_ppp server_start
    "$setup" --user "$SETUP_USER" --password-file "$RSG_DIR/setup-password" --yes \
        --name "$SETUP_PEER" >"$RSG_DIR/setup.out" 2>&1
    local status=$?
    note "rs-pppoe-setup exited with status $status"
    [ "$status" = 0 ] || sed 's/^/#   setup: /' "$RSG_DIR/setup.out"
    check "$name_prefix exits 0 (status $status)" test "$status" = 0
    check "$name_prefix found the access concentrator on $RSG_CLIENT_IF" \
        grep -qF "$RSG_CLIENT_IF: access concentrator \"$RSG_AC_NAME\"" "$RSG_DIR/setup.out"
    check "$name_prefix wrote nic-$RSG_CLIENT_IF into /etc/ppp/peers/$SETUP_PEER" \
        grep -qx "nic-$RSG_CLIENT_IF" "/etc/ppp/peers/$SETUP_PEER"
    check "$name_prefix never printed the password" \
        bash -c "! grep -qF 'w\\rd' '$RSG_DIR/setup.out'"
    check "$name_prefix kept the other chap-secrets entry" \
        cmp -n "$(stat -c %s "$RSG_DIR/chap-secrets.before")" \
        "$RSG_DIR/chap-secrets.before" /etc/ppp/chap-secrets
    check "$name_prefix: chap-secrets and pap-secrets are 0600" \
        test "$(stat -c %a /etc/ppp/chap-secrets /etc/ppp/pap-secrets | sort -u)" = 600

    rm -f "$RSG_DIR"/ipup.*.env
    local t=${EPOCHREALTIME/[.,]/}
    RSG_CLIENT_START_NS=${t}000
    pppd call "$SETUP_PEER" nodetach debug ip-up-script "$RSG_IPUP" lcp-restart 1 \
        >>"$RSG_DIR/setup-client.log" 2>&1 &
    RSG_CLIENT_PID=$!
    if wait_for 60 ipup_or_client_gone 1 && ipup_at_least 1; then
        ipup_load 1
        note "ip-up ran"
        ok "$name_prefix: pppd call $SETUP_PEER brought $IFNAME up ($IPLOCAL) with CHAP"
        check "$name_prefix: the client authenticated with CHAP" \
            grep -q 'CHAP authentication succeeded' "$RSG_DIR/setup-client.log"
        check "$name_prefix: ping over $IFNAME" \
            bash -c "ping -c 2 -i 0.2 -W 3 -I '$IFNAME' '$RSG_SERVER_IP' >>'$RSG_DIR/ping.log' 2>&1"
    else
        not_ok "$name_prefix: pppd call $SETUP_PEER brought a session up with CHAP"
        tail -30 "$RSG_DIR/setup-client.log" | sed 's/^/#   client: /'
    fi
    client_stop
    server_stop
    note "setup session: end"
}
