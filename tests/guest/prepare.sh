#!/bin/bash
# Prepare everything the QEMU guest harness needs, caching it outside the
# repository so fresh clones on the same machine reuse it.
#
#   tests/guest/prepare.sh [--pppd 2.4.9|2.5.2] [--all] [--quiet]
#
# Idempotent: a second run with a warm cache only checks stamps (well under a
# second). Progress goes to stderr; stdout carries KEY=VALUE lines that
# run.sh reads:
#   GUEST_KERNEL=...             kernel image to boot (PVH vmlinux)
#   GUEST_INITRAMFS=...          busybox initramfs with the needed modules
#   GUEST_TRIXIE_ROOT=...        Debian trixie root with pppd 2.5.2 (if prepared)
#   PPPD_INCLUDE_DIR_2_5=...     pppd 2.5.2 headers for building the plugin
#
# Cache layout (RS_PPPOE_CACHE, default /var/cache/rs-pppoe):
#   kernel-<kver>/               vmlinuz, vmlinux, config, lib/modules/<kver>
#   kernel-<kver>/.complete      written last; without it the dir is rebuilt
#   kernel-current               name of the kernel dir in use
#   initramfs-<sha>.cpio.gz      keyed by init script + modules + busybox
#   trixie/                      debootstrapped root; trixie/.rs-pppoe-stamp
#                                holds the build key (built in trixie.tmp.*,
#                                stamped, then renamed into place)
set -euo pipefail

CACHE=${RS_PPPOE_CACHE:-/var/cache/rs-pppoe}
GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRIXIE_SUITE=trixie
TRIXIE_MIRROR=${RS_PPPOE_TRIXIE_MIRROR:-http://deb.debian.org/debian}
TRIXIE_PACKAGES=ppp,ppp-dev,pppoe,iproute2,tcpdump,iputils-ping,procps,nftables
# Modules the guest loads at boot (dependencies are resolved with modprobe).
# 8021q: VLAN scenarios. nf_tables ... bridge: the hook's forwarding part and
# a Docker-like DNAT (hook-forward scenario, cargo xtask demo --container).
GUEST_MODULES="virtio_pci 9p 9pnet_virtio overlay ppp_generic pppoe veth ppp_async ppp_synctty ppp_deflate bsd_comp 8021q nf_tables nft_ct nft_nat nft_chain_nat nft_masq nft_fib_ipv4 bridge"
HOST_PACKAGES="ppp ppp-dev pppoe qemu-system-x86 busybox-static cpio kmod debootstrap tcpdump xz-utils iproute2"

want_trixie=0
quiet=0
while [ $# -gt 0 ]; do
    case $1 in
        --pppd)
            case ${2:-} in
                2.5.2) want_trixie=1 ;;
                2.4.9) ;;
                *) echo "prepare.sh: --pppd must be 2.4.9 or 2.5.2" >&2; exit 2 ;;
            esac
            shift ;;
        --all) want_trixie=1 ;;
        --quiet) quiet=1 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "prepare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

say() { [ "$quiet" = 1 ] || echo "prepare: $*" >&2; }
die() { echo "prepare: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (installs packages, builds a root fs)"
mkdir -p "$CACHE"

# One prepare at a time per cache: concurrent test runs wait here instead of
# building the same thing twice.
exec 9>"$CACHE/.lock"
flock 9
# remove_tree DIR: delete a build directory. A killed debootstrap can leave
# /proc and /sys mounted inside it, so unmount whatever is below it first
# and never let rm cross into another file system.
remove_tree() {
    local dir=$1 mnt
    [ -e "$dir" ] || return 0
    dir=$(cd "$dir" && pwd -P)
    awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r mnt; do
        umount -l "$mnt" || true
    done
    rm -rf --one-file-system "$dir"
}

# Leftovers of builds that were killed before they could clean up.
for leftover in "$CACHE"/kernel-*.tmp.* "$CACHE"/initramfs.tmp.* "$CACHE"/trixie.tmp.*; do
    remove_tree "$leftover"
done

apt_updated=0
apt_update_once() {
    if [ "$apt_updated" = 0 ]; then
        say "apt-get update"
        apt-get update -qq >&2 || die "apt-get update failed"
        apt_updated=1
    fi
}

# --- host packages ---------------------------------------------------------
missing=""
for p in $HOST_PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    apt_update_once
    say "installing host packages:$missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 \
        || die "apt-get install$missing failed"
else
    say "host packages present"
fi

# --- kernel + modules --------------------------------------------------------
kernel_package() {
    if [ -n "${RS_PPPOE_GUEST_KERNEL:-}" ]; then
        echo "$RS_PPPOE_GUEST_KERNEL"
        return
    fi
    local dep
    dep=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    if [ -z "$dep" ]; then
        apt_update_once
        dep=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    fi
    [ -n "$dep" ] || die "cannot find the linux-image-*-amd64 package behind linux-image-amd64"
    echo "$dep"
}

# Unpack the ELF vmlinux from a bzImage so QEMU can boot it through the PVH
# entry point (skips the real-mode setup and decompression: ~2 s less boot).
extract_vmlinux() {
    local bz=$1 out=$2 off
    for off in $(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$bz" | cut -d: -f1); do
        tail -c +"$((off + 1))" "$bz" | xz -dc >"$out" 2>/dev/null || true
        if [ -s "$out" ] && [ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            return 0
        fi
    done
    rm -f "$out"
    return 1
}

kdir=""
if [ -z "${RS_PPPOE_GUEST_KERNEL:-}" ] && [ -f "$CACHE/kernel-current" ]; then
    kdir="$CACHE/$(cat "$CACHE/kernel-current")"
    [ -f "$kdir/.complete" ] || kdir=""
fi
if [ -z "$kdir" ]; then
    pkg=$(kernel_package)
    kver=${pkg#linux-image-}
    kdir="$CACHE/kernel-$kver"
    if [ ! -f "$kdir/.complete" ]; then
        say "fetching $pkg"
        tmp="$CACHE/kernel-$kver.tmp.$$"
        remove_tree "$tmp"
        remove_tree "$kdir"
        mkdir -p "$tmp/deb"
        (cd "$tmp/deb" && apt-get download "$pkg" >&2 2>/dev/null) \
            || { apt_update_once; (cd "$tmp/deb" && apt-get download "$pkg" >&2); } \
            || die "apt-get download $pkg failed"
        dpkg-deb -x "$tmp"/deb/*.deb "$tmp/root"
        mkdir -p "$tmp/lib/modules"
        mv "$tmp/root/lib/modules/$kver" "$tmp/lib/modules/$kver"
        mv "$tmp/root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
        mv "$tmp/root/boot/config-$kver" "$tmp/config"
        rm -rf "$tmp/root" "$tmp/deb"
        depmod -b "$tmp" "$kver"
        if extract_vmlinux "$tmp/vmlinuz" "$tmp/vmlinux"; then
            say "unpacked vmlinux for PVH boot"
        else
            say "could not unpack vmlinux; guests boot the bzImage (slower)"
        fi
        echo "$kver" >"$tmp/kver"
        touch "$tmp/.complete"
        mv "$tmp" "$kdir"
    else
        say "kernel $kver cached"
    fi
    echo "kernel-$kver" >"$CACHE/kernel-current.tmp"
    mv "$CACHE/kernel-current.tmp" "$CACHE/kernel-current"
else
    say "kernel $(cat "$kdir/kver") cached"
fi
kver=$(cat "$kdir/kver")
if [ -f "$kdir/vmlinux" ]; then kernel_image="$kdir/vmlinux"; else kernel_image="$kdir/vmlinuz"; fi

# --- initramfs -------------------------------------------------------------
busybox=$(command -v busybox) || die "busybox not found"
init_script="$GUEST_DIR/initramfs/init"
[ -f "$init_script" ] || die "missing $init_script"
key=$( { echo "$kver"; echo "$GUEST_MODULES"; sha256sum "$init_script" "$busybox" | cut -d' ' -f1; } | sha256sum | cut -c1-16)
initramfs="$CACHE/initramfs-$key.cpio.gz"
if [ ! -f "$initramfs" ]; then
    say "building initramfs $initramfs"
    tmp=$(mktemp -d "$CACHE/initramfs.tmp.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/root/bin" "$tmp/root/modules" "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/dev" \
        "$tmp/root/host" "$tmp/root/io" "$tmp/root/newroot" "$tmp/root/upper"
    cp "$busybox" "$tmp/root/bin/busybox"
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$tmp/root/bin/$applet"
    done
    ln -s bin "$tmp/root/sbin"
    cp "$init_script" "$tmp/root/init"
    chmod 755 "$tmp/root/init"
    : >"$tmp/root/modules/order"
    for m in $GUEST_MODULES; do
        modprobe -d "$kdir" -S "$kver" --show-depends "$m" || die "module $m not found in $kver"
    done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' | while read -r ko; do
        cp "$ko" "$tmp/root/modules/"
        basename "$ko" >>"$tmp/root/modules/order"
    done
    (cd "$tmp/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initramfs.cpio.gz"
    mv "$tmp/initramfs.cpio.gz" "$initramfs"
    rm -rf "$tmp"
    trap - EXIT
    # Images of older init scripts: drop them once nobody can be booting one
    # (another checkout may still use its own for a while).
    find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "initramfs-$key.cpio.gz" -mmin +120 -delete
else
    say "initramfs cached"
fi

# --- trixie root (pppd 2.5.2) -----------------------------------------------
trixie="$CACHE/trixie"
trixie_key="$TRIXIE_SUITE $TRIXIE_PACKAGES"
if [ "$want_trixie" = 1 ]; then
    if [ -f "$trixie/.rs-pppoe-stamp" ] && [ "$(cat "$trixie/.rs-pppoe-stamp")" = "$trixie_key" ]; then
        say "trixie root cached"
    else
        say "debootstrapping $TRIXIE_SUITE ($TRIXIE_PACKAGES), about a minute"
        tmp="$CACHE/trixie.tmp.$$"
        remove_tree "$tmp"
        trap 'remove_tree "$tmp"' EXIT
        debootstrap --variant=minbase --include="$TRIXIE_PACKAGES" "$TRIXIE_SUITE" "$tmp" "$TRIXIE_MIRROR" \
            >"$CACHE/trixie-debootstrap.log" 2>&1 \
            || { tail -20 "$CACHE/trixie-debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/trixie-debootstrap.log)"; }
        # Nothing in the image needs the downloaded .debs any more.
        rm -rf "$tmp/var/cache/apt/archives/"*.deb
        if [ ! -x "$tmp/usr/sbin/pppd" ] || [ ! -f "$tmp/usr/include/pppd/pppd.h" ]; then
            die "trixie root lacks pppd or its headers"
        fi
        echo "$trixie_key" >"$tmp/.rs-pppoe-stamp"
        remove_tree "$trixie"
        mv "$tmp" "$trixie"
        trap - EXIT
        say "trixie root ready: ppp $(dpkg-query --admindir="$trixie/var/lib/dpkg" -W -f='${Version}' ppp)"
    fi
fi

echo "GUEST_KERNEL=$kernel_image"
echo "GUEST_INITRAMFS=$initramfs"
echo "GUEST_KERNEL_VERSION=$kver"
if [ -f "$trixie/.rs-pppoe-stamp" ]; then
    echo "GUEST_TRIXIE_ROOT=$trixie"
    echo "PPPD_INCLUDE_DIR_2_5=$trixie/usr/include/pppd"
fi
