#!/bin/bash
# Boot a throw-away QEMU guest (this host kernel has no PPP) and run one
# scenario script in it.
#
#   tests/guest/run.sh [options] --pppd 2.4.9|2.5.2|2.5.3 SCENARIO [ARGS...]
#
# SCENARIO is a path, or a name under tests/guest/scenarios/. It runs as
# `bash SCENARIO ARGS...` as root inside the guest; its output streams to
# stdout and its exit status becomes run.sh's exit status.
#
# Options:
#   --pppd VERSION   2.4.9: host root (Debian 12 pppd); 2.5.2: Debian trixie root;
#                    2.5.3: the trixie root with pppd 2.5.3 (built from source by
#                    prepare.sh) layered over it
#   --bookworm       with --pppd 2.4.9: a debootstrapped Debian 12 root (prepare.sh
#                    --bookworm) instead of the host's, e.g. to install a package
#                    where dpkg's database is small
#   --layer DIR      one more read-only layer over the root (repeatable; the
#                    last one given is on top), e.g. a scratch root a package
#                    was installed into
#   --root-etc-ppp   keep the root's own /etc/ppp (the distribution's ip-up,
#                    ip-down, ip-up.d/ …) instead of an empty tmpfs
#   Any of these makes the root an overlay with a tmpfs upper layer (2.4.9
#   too), so a scenario may install packages: writes stay in guest memory.
#   --share DIR      also make host DIR visible in the guest at the same path
#                    (the repository is always shared, and so is the directory
#                    of the scenario and of every absolute-path argument that
#                    exists on the host; files directly in /, /tmp or /run are
#                    copied to /run/guest/io/files instead)
#   --timeout SEC    watchdog: kill the guest after SEC seconds (default 300)
#   --io DIR         use DIR as the run's I/O directory (scenarios may leave
#                    files in /run/guest/io); default: a temporary directory
#   --state DIR      host DIR, writable, at /var/lib/rs-pppoe in the guest (the
#                    plugin's session records, kept from one boot to the next)
#   --udp-link LOCAL:REMOTE
#                    one virtio NIC (eth0 in the guest) whose frames travel as
#                    UDP datagrams between 127.0.0.1:LOCAL and 127.0.0.1:REMOTE:
#                    two guests with mirrored ports share a wire that either
#                    may leave and rejoin (reboot)
# Environment:
#   GUEST_SHELL=1       after the scenario, open a shell in the guest (on this
#                       terminal); leave it to power off
#   GUEST_KERNEL_LOG=1  show kernel messages on the console
#   GUEST_MEM=MiB       guest memory (default 768)
#   GUEST_SMP=N         guest CPUs (default 2)
#   RS_PPPOE_CACHE      cache directory (default /var/cache/rs-pppoe)
# Exit status: the scenario's, 124 when the watchdog fired, 125 when the guest
# died without reporting one.
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$GUEST_DIR/../.." && pwd)

pppd_version=""
layers=()
root_etc_ppp=0
bookworm=0
timeout_s=${GUEST_TIMEOUT:-300}
io_dir=""
state_dir=""
udp_link=""
shares=("$REPO_DIR")
while [ $# -gt 0 ]; do
    case $1 in
        --pppd) pppd_version=${2:?--pppd needs a version}; shift 2 ;;
        --layer) layers=("$(cd "${2:?--layer needs a directory}" && pwd)" "${layers[@]}"); shift 2 ;;
        --root-etc-ppp) root_etc_ppp=1; shift ;;
        --bookworm) bookworm=1; shift ;;
        --share) shares+=("$(cd "${2:?--share needs a directory}" && pwd)"); shift 2 ;;
        --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
        --io) io_dir=${2:?--io needs a directory}; shift 2 ;;
        --state) state_dir=$(cd "${2:?--state needs a directory}" && pwd); shift 2 ;;
        --udp-link) udp_link=${2:?--udp-link needs LOCAL:REMOTE}; shift 2 ;;
        -h|--help) sed -n '2,47p' "$0"; exit 0 ;;
        --) shift; break ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
case $pppd_version in
    2.4.9|2.5.2|2.5.3) ;;
    *) echo "run.sh: --pppd 2.4.9, 2.5.2 or 2.5.3 is required" >&2; exit 2 ;;
esac
[ "$bookworm" = 0 ] || [ "$pppd_version" = 2.4.9 ] || { echo "run.sh: --bookworm is a pppd 2.4.9 root" >&2; exit 2; }
[ $# -ge 1 ] || { echo "run.sh: no scenario given" >&2; exit 2; }
scenario=$1
shift
if [ ! -f "$scenario" ] && [ -f "$GUEST_DIR/scenarios/$scenario" ]; then
    scenario="$GUEST_DIR/scenarios/$scenario"
fi
[ -f "$scenario" ] || { echo "run.sh: scenario $scenario not found" >&2; exit 2; }
scenario=$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")

cleanup_io=0
if [ -z "$io_dir" ]; then
    io_dir=$(mktemp -d /tmp/rs-pppoe-guest.XXXXXX)
    cleanup_io=1
else
    mkdir -p "$io_dir"
    io_dir=$(cd "$io_dir" && pwd)
    rm -f "$io_dir/rc"
fi
cleanup() { if [ "$cleanup_io" = 1 ]; then rm -rf "$io_dir"; fi; }
trap cleanup EXIT

# guest_path PATH: make a host file visible in the guest and print its path
# there. Its directory is shared at the same path, except directories the
# guest mounts its own tmpfs over (and /): files directly in those are copied
# into the I/O directory instead.
guest_path() {
    local dir
    dir=$(cd "$(dirname "$1")" && pwd -P)
    case $dir in
        / | /tmp | /run | /dev/shm | /etc/ppp)
            mkdir -p "$io_dir/files"
            cp -a "$1" "$io_dir/files/"
            echo "/run/guest/io/files/$(basename "$1")" ;;
        *)
            echo "$dir" >>"$io_dir/.shares"
            echo "$dir/$(basename "$1")" ;;
    esac
}

scenario=$(guest_path "$scenario")
scenario_args=()
for arg in "$@"; do
    if [[ $arg == /* ]] && [ -e "$arg" ]; then
        arg=$(guest_path "$arg")
    fi
    scenario_args+=("$arg")
done
set -- "${scenario_args[@]}"
if [ -f "$io_dir/.shares" ]; then
    mapfile -t -O "${#shares[@]}" shares <"$io_dir/.shares"
fi

prepare_args=(--quiet --pppd "$pppd_version")
[ "$bookworm" = 0 ] || prepare_args+=(--bookworm)
prep=$("$GUEST_DIR/prepare.sh" "${prepare_args[@]}")
GUEST_KERNEL="" GUEST_INITRAMFS="" GUEST_TRIXIE_ROOT="" GUEST_PPP_2_5_3_ROOT="" GUEST_BOOKWORM_ROOT=""
while IFS='=' read -r k v; do
    case $k in GUEST_KERNEL|GUEST_INITRAMFS|GUEST_TRIXIE_ROOT|GUEST_PPP_2_5_3_ROOT|GUEST_BOOKWORM_ROOT) printf -v "$k" '%s' "$v" ;; esac
done <<<"$prep"
# The root's read-only layers, top first (overlayfs lowerdir order); empty
# for the host root as it is.
lower=""
case $pppd_version in
    2.4.9) [ "$bookworm" = 0 ] || lower=${GUEST_BOOKWORM_ROOT:?prepare.sh did not provide the bookworm root} ;;
    2.5.2) lower=${GUEST_TRIXIE_ROOT:?prepare.sh did not provide the trixie root} ;;
    2.5.3) lower=${GUEST_PPP_2_5_3_ROOT:?prepare.sh did not provide pppd 2.5.3}:${GUEST_TRIXIE_ROOT:?prepare.sh did not provide the trixie root} ;;
esac
if [ "${#layers[@]}" -gt 0 ] || [ "$root_etc_ppp" = 1 ]; then
    for layer in "${layers[@]}"; do
        [[ $layer != *[:,[:space:]]* ]] || { echo "run.sh: cannot layer $layer: ':', ',' or white space in the path" >&2; exit 2; }
        [ "$layer" != / ] || { echo "run.sh: cannot layer /" >&2; exit 2; }
    done
    lower=$(IFS=:; echo "${layers[*]}${layers[*]:+:}${lower:-/}")
fi

# Each shared directory becomes one 9p export; drop duplicates and
# directories already inside another share.
virtfs=()
share_list=""
n=0
mapfile -t uniq_shares < <(printf '%s\n' "${shares[@]}" | sort -u)
for dir in "${uniq_shares[@]}"; do
    [ "$dir" != / ] || continue
    if [[ $dir =~ [[:space:]] ]]; then
        echo "run.sh: cannot share $dir into the guest: white space in the path" >&2
        exit 2
    fi
    covered=0
    for other in "${uniq_shares[@]}"; do
        if [ "$other" != "$dir" ] && [ "$other" != / ] && [[ $dir == "$other"/* ]]; then covered=1; fi
    done
    [ "$covered" = 0 ] || continue
    virtfs+=(-virtfs "local,path=${dir//,/,,},mount_tag=share$n,security_model=passthrough,readonly=on,multidevs=remap")
    share_list="$share_list share$n:$dir"
    n=$((n + 1))
done

{
    printf 'GUEST_PPPD=%q\n' "$pppd_version"
    printf 'GUEST_LOWER=%q\n' "$lower"
    printf 'GUEST_ROOT_ETC_PPP=%q\n' "$root_etc_ppp"
    printf 'GUEST_SHARES=%q\n' "${share_list# }"
    printf 'GUEST_SHELL=%q\n' "${GUEST_SHELL:-0}"
    printf 'GUEST_STATE=%q\n' "${state_dir:+state}"
    printf 'GUEST_SCENARIO=%q\n' "$scenario"
    printf 'set --'
    printf ' %q' "$@"
    printf '\n'
} >"$io_dir/guest.env"

loglevel=1
if [ "${GUEST_KERNEL_LOG:-0}" = 1 ]; then loglevel=7; fi
chardev="stdio,id=console"
if [ "${GUEST_SHELL:-0}" = 1 ]; then chardev="$chardev,signal=off"; fi

qemu=(
    qemu-system-x86_64 -accel tcg -M pc -cpu max -smp "${GUEST_SMP:-2}" -m "${GUEST_MEM:-768}"
    -nodefaults -no-user-config -display none -no-reboot
    -chardev "$chardev" -serial chardev:console
    -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRAMFS"
    -append "console=ttyS0 loglevel=$loglevel quiet panic=-1 mitigations=off nokaslr no_timer_check 8250.nr_uarts=1 random.trust_cpu=on"
    -virtfs "local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap"
    -virtfs "local,path=$io_dir,mount_tag=io,security_model=none"
    "${virtfs[@]}"
)
if [ -n "$state_dir" ]; then
    if [[ $state_dir =~ [[:space:],] ]]; then
        echo "run.sh: cannot share $state_dir: ',' or white space in the path" >&2
        exit 2
    fi
    qemu+=(-virtfs "local,path=$state_dir,mount_tag=state,security_model=passthrough")
fi
if [ -n "$udp_link" ]; then
    [[ $udp_link =~ ^[0-9]+:[0-9]+$ ]] || { echo "run.sh: --udp-link LOCAL_PORT:REMOTE_PORT" >&2; exit 2; }
    qemu+=(-netdev "dgram,id=link0,local.type=inet,local.host=127.0.0.1,local.port=${udp_link%:*},remote.type=inet,remote.host=127.0.0.1,remote.port=${udp_link#*:}"
        -device virtio-net-pci,netdev=link0)
fi

start=$(date +%s%N)
set +e
if [ "${GUEST_SHELL:-0}" = 1 ]; then
    timeout --foreground -k 5 "$timeout_s" "${qemu[@]}"
    qemu_rc=$?
else
    # The serial console ends lines with CR LF; sed -u keeps the stream live.
    timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null |
        sed -u -e 's/\r$//' -e '/^\[ *[0-9.]*\] reboot: Power down$/d'
    qemu_rc=${PIPESTATUS[0]}
fi
set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))

if [ -f "$io_dir/rc" ]; then
    rc=$(cat "$io_dir/rc")
    echo "run.sh: guest finished in ${elapsed_ms} ms, scenario exit status $rc" >&2
    exit "$rc"
fi
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
    echo "run.sh: watchdog killed the guest after ${timeout_s} s" >&2
    exit 124
fi
echo "run.sh: guest stopped without a scenario exit status (qemu status $qemu_rc, ${elapsed_ms} ms)" >&2
exit 125
