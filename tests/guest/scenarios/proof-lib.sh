# shellcheck shell=bash
# Shared by the issue-12 scenarios (hostile.sh, flood.sh, soak.sh, proof.sh),
# sourced after lib.sh, inside the guest: the test kit's hostile AC and
# flood, pppd's CPU/fd/RSS read without forking, the hook's installation.

# kit_start TESTKIT CASES [ARGS...]: the hostile AC on the server's veth
# end (it shares the link with pppoe-server and sees all its frames);
# returns once its socket is open. Its output goes to $RSG_DIR/kit.out.
kit_start() {
    local testkit=$1 cases=$2
    shift 2
    : >"$RSG_DIR/kit.out"
    # `ip netns exec` execs, so $! is the kit itself.
    ip netns exec "$RSG_NS" "$testkit" ac "$RSG_SERVER_IF" --case "$cases" --ac-name "$RSG_AC_NAME" \
        "$@" >>"$RSG_DIR/kit.out" 2>&1 &
    RSG_KIT_PID=$!
    wait_for 10 grep -q '^ready' "$RSG_DIR/kit.out"
}

# kit_stop: SIGTERM the kit, which prints its monitor's verdict; sets
# RSG_KIT_STATUS (0: nothing of one AC's offer reached another, 3: it did).
kit_stop() {
    kill -TERM "$RSG_KIT_PID" 2>/dev/null
    wait "$RSG_KIT_PID"
    RSG_KIT_STATUS=$?
}

# kit_padt TESTKIT FROM SESSION [ARGS...]: one PADT to the client.
kit_padt() {
    local testkit=$1 from=$2 session=$3
    shift 3
    ip netns exec "$RSG_NS" "$testkit" padt "$RSG_SERVER_IF" --from "$from" --to "$RSG_CLIENT_MAC" \
        --session "$session" "$@" >>"$RSG_DIR/kit.out" 2>&1
}

# client_log_has TEXT: the client pppd's log has a line containing TEXT
# (case-insensitive; pppd 2.4.9 prints MACs in lower case). Builtins only:
# the checks run dozens of times and every process costs 100-200 ms here.
client_log_has() {
    local log=""
    IFS= read -r -d '' log <"$RSG_DIR/client.log"
    [[ ${log,,} == *"${1,,}"* ]]
}

# client_fresh_log: start the client's log afresh (the last one is kept as
# client.log.N for the I/O directory).
client_fresh_log() {
    if [ -s "$RSG_DIR/client.log" ]; then
        local n=1
        while [ -e "$RSG_DIR/client.log.$n" ]; do n=$((n + 1)); done
        mv "$RSG_DIR/client.log" "$RSG_DIR/client.log.$n"
    fi
    : >"$RSG_DIR/client.log"
}

# proc_cpu_ticks PID: utime + stime in clock ticks (1/100 s), no fork.
proc_cpu_ticks() {
    local stat rest
    read -r stat <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }
    rest=${stat##*) }
    # After "pid (comm) ": state is field 3, utime 14, stime 15.
    local -a f
    read -r -a f <<<"$rest"
    echo $((f[11] + f[12]))
}

# proc_fd_count PID: open descriptors, no fork.
proc_fd_count() {
    local fds=("/proc/$1/fd/"*)
    [ -e "${fds[0]}" ] && echo "${#fds[@]}" || echo 0
}

# proc_rss_kb PID: VmRSS in kB, no fork.
proc_rss_kb() {
    local key value _
    while read -r key value _; do
        [ "$key" = VmRSS: ] && { echo "$value"; return; }
    done <"/proc/$1/status"
    echo 0
}

# stop_timed PID: SIGTERM PID (a child of this shell, so not from a
# command substitution) and set RSG_STOP_MS to the ms until it exited, as
# `wait` sees it (a watchdog SIGKILLs it after 10 s).
stop_timed() {
    local pid=$1 start watchdog
    (
        nap 10
        kill -KILL "$pid" 2>/dev/null
    ) &
    watchdog=$!
    start=$(now_ns)
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    RSG_STOP_MS=$((($(now_ns) - start) / 1000000))
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
}

# discovery_socket_open: some process of this namespace holds a packet
# socket bound to 0x8863 (in the guest's root namespace: the client pppd's,
# bound as the last step before its first PADI). Builtins only.
discovery_socket_open() {
    local _sk _ref _type proto _rest
    while read -r _sk _ref _type proto _rest; do
        [ "$proto" = 8863 ] && return 0
    done </proc/net/packet
    return 1
}

# net_teardown: stop everything in the isp namespace and remove it (its
# end of the veth pair takes ours with it), so the next part starts clean.
net_teardown() {
    local p
    for p in $(ip netns pids "$RSG_NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$RSG_NS" 2>/dev/null
    ip link del "$RSG_CLIENT_IF" 2>/dev/null
    rm -f "$RSG_DIR"/ipup.*.env
    return 0
}

# hook_install HOOK: the distribution's /etc/ppp/ip-up and ip-down
# dispatchers (run-parts), the ip-up recorder as ip-up.d/00-record and the
# hook as ip-up.d/10-rule and ip-down.d/10-rule, as `cargo xtask install`
# puts it on Debian. pppd then runs /etc/ppp/ip-up (pass no ip-up-script).
hook_install() {
    local hook=$1 script
    # /etc/ppp is a tmpfs in the guest; a non-recursive bind mount of /
    # shows the distribution's files underneath it.
    mkdir -p "$RSG_DIR/distro-root"
    mount --bind / "$RSG_DIR/distro-root" || return 1
    for script in ip-up ip-down; do
        cp -a "$RSG_DIR/distro-root/etc/ppp/$script" "/etc/ppp/$script" || { umount "$RSG_DIR/distro-root"; return 1; }
        mkdir -p "/etc/ppp/$script.d"
    done
    umount "$RSG_DIR/distro-root"
    cp "$RSG_IPUP" /etc/ppp/ip-up.d/00-record
    install -m 0755 "$hook" /etc/ppp/ip-up.d/10-rule
    install -m 0755 "$hook" /etc/ppp/ip-down.d/10-rule
    # The server's pppd shares /etc/ppp: keep the hook out of its ip-up.
    printf '#!/bin/sh\nexit 0\n' >/etc/ppp/rsg-noop
    chmod 755 /etc/ppp/rsg-noop
    printf 'ip-up-script /etc/ppp/rsg-noop\nip-down-script /etc/ppp/rsg-noop\n' >>/etc/ppp/pppoe-server-options
}

# hook_rules: the rules the hook manages (table 100), one per line.
hook_rules() { ip rule show | grep -F 'lookup 100'; }
