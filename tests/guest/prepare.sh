#!/bin/bash
# Prepare everything the QEMU guest harness needs, caching it outside the
# repository so fresh clones on the same machine reuse it.
#
#   tests/guest/prepare.sh [--pppd 2.4.9|2.5.2|2.5.3] [--bookworm] [--all] [--quiet]
#
# --bookworm also prepares a debootstrapped Debian 12 root (run.sh
# --bookworm). --all prepares every guest root and also installs what the
# package checks (tests/packaging/) use.
#
# Idempotent: a second run with a warm cache only checks stamps (well under a
# second). Progress goes to stderr; stdout carries KEY=VALUE lines that
# run.sh reads:
#   GUEST_KERNEL=...             kernel image to boot (PVH vmlinux)
#   GUEST_INITRAMFS=...          busybox initramfs with the needed modules
#   GUEST_TRIXIE_ROOT=...        Debian trixie root with pppd 2.5.2 (if prepared)
#   PPPD_INCLUDE_DIR_2_5=...     pppd 2.5.2 headers for building the plugin
#   GUEST_PPP_2_5_3_ROOT=...     pppd 2.5.3 built from source, a DESTDIR install
#                                run.sh layers over the trixie root (if prepared)
#   PPPD_INCLUDE_DIR_2_5_3=...   its headers
#   GUEST_BOOKWORM_ROOT=...      Debian 12 root (if prepared)
#
# Cache layout (RS_PPPOE_CACHE, default /var/cache/rs-pppoe):
#   kernel-<kver>/               vmlinuz, vmlinux, config, lib/modules/<kver>
#   kernel-<kver>/.complete      written last; without it the dir is rebuilt
#   kernel-current               name of the kernel dir in use
#   initramfs-<sha>.cpio.gz      keyed by init script + modules + busybox
#   trixie/                      debootstrapped root; trixie/.rs-pppoe-stamp
#                                holds the build key (built in trixie.tmp.*,
#                                stamped, then renamed into place)
#   bookworm/                    the same for Debian 12 (ppp, pppoe, iproute2)
#   ppp-2.5.3/root/              `make install DESTDIR=` of pppd 2.5.3 from
#                                RS_PPPOE_PPP_2_5_3_TARBALL (default
#                                /work/shared/upstream/ppp-2.5.3.tar.gz), built
#                                on this host; ppp-2.5.3/.rs-pppoe-stamp holds
#                                the tarball's sha256 and the configure flags
#                                (built in ppp-2.5.3.tmp.*, then renamed)
set -euo pipefail

CACHE=${RS_PPPOE_CACHE:-/var/cache/rs-pppoe}
GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRIXIE_SUITE=trixie
TRIXIE_MIRROR=${RS_PPPOE_TRIXIE_MIRROR:-http://deb.debian.org/debian}
TRIXIE_PACKAGES=ppp,ppp-dev,pppoe,iproute2,tcpdump,iputils-ping,procps,nftables
# A clean Debian 12 with pppd 2.4.9 and pppoe-server for installing the .deb
# (the host root has far more packages, and dpkg reads every package's file
# list on each install and purge).
BOOKWORM_MIRROR=${RS_PPPOE_BOOKWORM_MIRROR:-http://deb.debian.org/debian}
BOOKWORM_PACKAGES=ppp,pppoe,iproute2
# Modules the guest loads at boot (dependencies are resolved with modprobe).
# 8021q: VLAN scenarios. nf_tables ... bridge: the hook's forwarding part and
# a Docker-like DNAT (hook-forward scenario, cargo xtask demo --container).
# virtio_net: the reboot test's wire between two guests.
GUEST_MODULES="virtio_pci 9p 9pnet_virtio overlay ppp_generic pppoe veth ppp_async ppp_synctty ppp_deflate bsd_comp 8021q nf_tables nft_ct nft_nat nft_chain_nat nft_masq nft_fib_ipv4 bridge virtio_net"
HOST_PACKAGES="ppp ppp-dev pppoe qemu-system-x86 busybox-static cpio kmod debootstrap tcpdump xz-utils iproute2"
# Building pppd 2.5.3 from its git archive (autogen.sh needs the autotools).
PPP_BUILD_PACKAGES="autoconf automake libtool pkg-config make gcc libc6-dev libcrypt-dev"
# The package checks of the test suite (tests/packaging/, with --all):
# Debian's makepkg and pacman for the Arch package, lintian for the .debs.
PACKAGING_PACKAGES="makepkg pacman-package-manager libarchive-tools fakeroot lintian"
PPP_2_5_3_TARBALL=${RS_PPPOE_PPP_2_5_3_TARBALL:-/work/shared/upstream/ppp-2.5.3.tar.gz}
# Distribution layout (/etc/ppp, /run/pppd, /usr/lib/pppd/2.5.3). Without
# OpenSSL (EAP-TLS and PEAP need it): CHAP-MD5, all PPPoE needs, is built in.
PPP_2_5_3_CONFIGURE="--prefix=/usr --sysconfdir=/etc --localstatedir=/var --runstatedir=/run --without-openssl --disable-eaptls --disable-peap"

want_trixie=0
want_bookworm=0
want_ppp_2_5_3=0
want_packaging=0
quiet=0
while [ $# -gt 0 ]; do
    case $1 in
        --pppd)
            case ${2:-} in
                2.5.2) want_trixie=1 ;;
                2.5.3) want_trixie=1 want_ppp_2_5_3=1 ;;
                2.4.9) ;;
                *) echo "prepare.sh: --pppd must be 2.4.9, 2.5.2 or 2.5.3" >&2; exit 2 ;;
            esac
            shift ;;
        --bookworm) want_bookworm=1 ;;
        --all) want_trixie=1 want_bookworm=1 want_ppp_2_5_3=1 want_packaging=1 ;;
        --quiet) quiet=1 ;;
        -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
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
for leftover in "$CACHE"/kernel-*.tmp.* "$CACHE"/initramfs.tmp.* "$CACHE"/trixie.tmp.* "$CACHE"/bookworm.tmp.* "$CACHE"/ppp-*.tmp.*; do
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
wanted_packages=$HOST_PACKAGES
if [ "$want_ppp_2_5_3" = 1 ]; then wanted_packages="$wanted_packages $PPP_BUILD_PACKAGES"; fi
if [ "$want_packaging" = 1 ]; then wanted_packages="$wanted_packages $PACKAGING_PACKAGES"; fi
for p in $wanted_packages; do
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

# --- cache entries built here -------------------------------------------------
# Each is built in $CACHE/NAME.tmp.<pid> and renamed into place only once its
# stamp (the build key) is written, so an interrupted build is redone.
# stamped DIR KEY: DIR is a finished build for KEY.
stamped() { [ -f "$1/.rs-pppoe-stamp" ] && [ "$(cat "$1/.rs-pppoe-stamp")" = "$2" ]; }
# begin_build NAME: a fresh, empty $tmp for NAME, removed if prepare dies.
begin_build() {
    tmp="$CACHE/$1.tmp.$$"
    remove_tree "$tmp"
    trap 'remove_tree "$tmp"' EXIT
}
# finish_build DIR KEY: stamp $tmp with KEY and put it in place as DIR.
finish_build() {
    echo "$2" >"$tmp/.rs-pppoe-stamp"
    remove_tree "$1"
    mv "$tmp" "$1"
    trap - EXIT
}

# --- debootstrapped roots ---------------------------------------------------
# debootstrap_root NAME SUITE MIRROR PACKAGES FILE...: a minbase root with
# PACKAGES in $CACHE/NAME, keyed by suite and package list in
# NAME/.rs-pppoe-stamp (written before the final rename); each FILE must be
# in it.
debootstrap_root() {
    local name=$1 suite=$2 mirror=$3 packages=$4 dir="$CACHE/$1" key="$2 $4" file
    shift 4
    if stamped "$dir" "$key"; then
        say "$name root cached"
        return
    fi
    say "debootstrapping $suite ($packages), about a minute"
    begin_build "$name"
    debootstrap --variant=minbase --include="$packages" "$suite" "$tmp" "$mirror" \
        >"$CACHE/$name-debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE/$name-debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/$name-debootstrap.log)"; }
    # Nothing in the image needs the downloaded .debs any more.
    rm -rf "$tmp/var/cache/apt/archives/"*.deb
    for file in "$@"; do
        [ -e "$tmp/$file" ] || die "the $name root lacks /$file"
    done
    finish_build "$dir" "$key"
    say "$name root ready: ppp $(dpkg-query --admindir="$dir/var/lib/dpkg" -W -f='${Version}' ppp)"
}

# trixie: pppd 2.5.2 (and the base of 2.5.3)
trixie="$CACHE/trixie"
if [ "$want_trixie" = 1 ]; then
    debootstrap_root trixie "$TRIXIE_SUITE" "$TRIXIE_MIRROR" "$TRIXIE_PACKAGES" \
        usr/sbin/pppd usr/include/pppd/pppd.h
fi
# bookworm: a clean Debian 12 (pppd 2.4.9) the .deb is installed into
bookworm="$CACHE/bookworm"
if [ "$want_bookworm" = 1 ]; then
    debootstrap_root bookworm bookworm "$BOOKWORM_MIRROR" "$BOOKWORM_PACKAGES" \
        usr/sbin/pppd usr/sbin/pppoe-server
fi

# --- pppd 2.5.3 from source ---------------------------------------------------
# Built on this host (Debian 12, glibc 2.36) and run in the trixie root
# (glibc 2.41): it needs only libc and libcrypt, which trixie has.
ppp_2_5_3="$CACHE/ppp-2.5.3"
if [ "$want_ppp_2_5_3" = 1 ]; then
    [ -f "$PPP_2_5_3_TARBALL" ] \
        || die "pppd 2.5.3's source is missing: $PPP_2_5_3_TARBALL (set RS_PPPOE_PPP_2_5_3_TARBALL)"
    ppp_key="$(sha256sum "$PPP_2_5_3_TARBALL" | cut -d' ' -f1) $PPP_2_5_3_CONFIGURE"
    if stamped "$ppp_2_5_3" "$ppp_key"; then
        say "pppd 2.5.3 cached"
    else
        say "building pppd 2.5.3 from $PPP_2_5_3_TARBALL, about 30 s"
        begin_build ppp-2.5.3
        mkdir -p "$tmp/src"
        tar -xzf "$PPP_2_5_3_TARBALL" -C "$tmp/src"
        # shellcheck disable=SC2086 # the flags are words
        (
            cd "$tmp/src/ppp-2.5.3" &&
                ./autogen.sh $PPP_2_5_3_CONFIGURE &&
                make -j"$(nproc)" &&
                make install DESTDIR="$tmp/root"
        ) >"$CACHE/ppp-2.5.3-build.log" 2>&1 \
            || { tail -20 "$CACHE/ppp-2.5.3-build.log" >&2; die "building pppd 2.5.3 failed (log: $CACHE/ppp-2.5.3-build.log)"; }
        rm -rf "$tmp/src"
        # The distribution's /etc/ppp and the libtool archives have no place
        # in a layer over the trixie root.
        rm -rf "$tmp/root/etc" "$tmp/root/usr/lib/pppd/2.5.3/"*.la
        version=$("$tmp/root/usr/sbin/pppd" --version 2>&1 | awk '{print $3; exit}')
        [ "$version" = 2.5.3 ] && [ -f "$tmp/root/usr/include/pppd/pppd.h" ] \
            && [ -f "$tmp/root/usr/lib/pppd/2.5.3/pppoe.so" ] \
            || die "the pppd 2.5.3 build lacks pppd (it says '$version'), its headers or pppoe.so"
        finish_build "$ppp_2_5_3" "$ppp_key"
        say "pppd 2.5.3 ready: $ppp_2_5_3/root"
    fi
fi

echo "GUEST_KERNEL=$kernel_image"
echo "GUEST_INITRAMFS=$initramfs"
echo "GUEST_KERNEL_VERSION=$kver"
if [ -f "$trixie/.rs-pppoe-stamp" ]; then
    echo "GUEST_TRIXIE_ROOT=$trixie"
    echo "PPPD_INCLUDE_DIR_2_5=$trixie/usr/include/pppd"
fi
if [ -f "$bookworm/.rs-pppoe-stamp" ]; then
    echo "GUEST_BOOKWORM_ROOT=$bookworm"
fi
if [ -f "$ppp_2_5_3/.rs-pppoe-stamp" ]; then
    echo "GUEST_PPP_2_5_3_ROOT=$ppp_2_5_3/root"
    echo "PPPD_INCLUDE_DIR_2_5_3=$ppp_2_5_3/root/usr/include/pppd"
fi
