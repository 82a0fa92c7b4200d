# shellcheck shell=bash
# Waiting without forking, for scripts that run inside the test guest
# (sourced by lib.sh and by tests/demo/demo.sh).
#
# Polling must not fork: under TCG every exec costs 100-200 ms of CPU that
# the pppd being measured would otherwise get. `read -t` on a pipe nobody
# writes to is a sleep without a process.
mkfifo "/tmp/.rsg-nap.$$"
exec {RSG_SLEEP_FD}<>"/tmp/.rsg-nap.$$"
rm -f "/tmp/.rsg-nap.$$"
nap() { read -r -t "${1:-0.1}" -u "$RSG_SLEEP_FD" _ || true; }

# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_for() {
    local deadline=$((EPOCHSECONDS + $1))
    shift
    until "$@"; do
        [ "$EPOCHSECONDS" -lt "$deadline" ] || return 1
        nap 0.1
    done
}
