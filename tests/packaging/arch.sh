#!/bin/bash
# The Arch package, proven as far as a Debian host allows:
#
#   tests/packaging/arch.sh --include-dir DIR --target-dir DIR
#
#   --include-dir DIR  pppd 2.5.3's headers (prepare.sh's PPPD_INCLUDE_DIR_2_5_3)
#   --target-dir DIR   a cargo target directory to build in (and reuse:
#                      target/pppd-2.5.3, where the plugin for the 2.5.3 guest
#                      sessions was built); handed to the build user for the
#                      build and given back to root afterwards
#
# 1. Debian's makepkg builds dist/arch/PKGBUILD as an unprivileged user
#    (makepkg refuses root), without its dependency check (pacman on Debian
#    knows no packages) and without check() (cargo test runs those tests).
# 2. The package holds exactly the expected files, and depends on ppp=2.5.3.
# 3. pacman -U into scratch roots whose databases hold stand-in packages:
#    with ppp 2.5.3 it installs; with ppp 2.5.2 pacman refuses it; once it
#    is installed, pacman refuses to upgrade ppp to 2.5.4 under it.
# 4. A guest boot with pppd 2.5.3 and the installed root layered over it
#    (scenarios/package-session.sh --arch): Arch's ip-up runs 10-rule.sh.
# 5. pacman -R takes every file back.
# Last line: `packaging: N passed, N failed`; exit status non-zero on failure.
#
# RS_PPPOE_HOOK_TARGET_DIR, when set, is where the static hook is built (a
# directory shared with other builds); it is handed over the same way.
# SOURCE_DATE_EPOCH, when set, is passed to makepkg (cargo xtask test sets
# the one its own builds use, so makepkg rebuilds nothing).
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

include_dir=""
target_dir=""
while [ $# -gt 0 ]; do
    case $1 in
        --include-dir) include_dir=${2:?}; shift 2 ;;
        --target-dir) target_dir=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
        *) echo "arch.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -f "$include_dir/pppd.h" ] || { echo "arch.sh: --include-dir must hold pppd.h" >&2; exit 2; }
[ -n "$target_dir" ] || { echo "arch.sh: --target-dir is required" >&2; exit 2; }
mkdir -p "$target_dir"
target_dir=$(cd "$target_dir" && pwd)
pppd_version=$(sed -n 's/^#define PPPD_VERSION "\(.*\)"$/\1/p' "$include_dir/pppdconf.h")

PKG_WORK=$REPO_DIR/target/arch-package
rm -rf "$PKG_WORK"
mkdir -p "$PKG_WORK/build" "$PKG_WORK/out" "$PKG_WORK/pacman/cache" "$PKG_WORK/pacman/query/var/lib/pacman"
chown "$BUILD_USER:$BUILD_GROUP" "$PKG_WORK/build" "$PKG_WORK/out"
PKG_LOG=$PKG_WORK/check.log

# 1. makepkg --------------------------------------------------------------------
owned=("$target_dir")
[ -z "${RS_PPPOE_HOOK_TARGET_DIR:-}" ] || { mkdir -p "$RS_PPPOE_HOOK_TARGET_DIR"; owned+=("$RS_PPPOE_HOOK_TARGET_DIR"); }
chown -R "$BUILD_USER:$BUILD_GROUP" "${owned[@]}"
give_back() { chown -R root:root "${owned[@]}"; }
trap give_back EXIT
start=$(date +%s%N)
# PACMAN=true: makepkg lists the installed packages in .BUILDINFO with
# pacman, whose database does not exist on Debian.
check "makepkg builds dist/arch/PKGBUILD as $BUILD_USER against pppd $pppd_version's headers" \
    as_build_user PPPD_INCLUDE_DIR="$include_dir" CARGO_TARGET_DIR="$target_dir" \
    ${RS_PPPOE_HOOK_TARGET_DIR:+RS_PPPOE_HOOK_TARGET_DIR="$RS_PPPOE_HOOK_TARGET_DIR"} \
    ${SOURCE_DATE_EPOCH:+SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH"} \
    CARGO_NET_OFFLINE=true PACMAN=true BUILDDIR="$PKG_WORK/build" PKGDEST="$PKG_WORK/out" \
    SRCDEST="$PKG_WORK/build" -- \
    bash -c 'cd "$1" && makepkg --nodeps --nocheck --noconfirm --force' makepkg "$REPO_DIR/dist/arch"
give_back
trap - EXIT
echo "# makepkg took $((($(date +%s%N) - start) / 1000000)) ms"
package=$(ls "$PKG_WORK"/out/rs-pppoe-*.pkg.tar.* 2>/dev/null | head -1)
if [ -z "$package" ]; then
    not_ok "makepkg left a package in $PKG_WORK/out"
    summary
    exit 1
fi

# pacman never touches this host's own database: every call names a scratch
# root and its database.
cat >"$PKG_WORK/pacman/pacman.conf" <<'EOF'
[options]
Architecture = x86_64
SigLevel = Never
LocalFileSigLevel = Never
EOF
# stand_in NAME VERSION: an empty package that only says it is NAME VERSION.
stand_in() {
    local dir="$PKG_WORK/pacman/stand-in-$1-$2"
    mkdir -p "$dir"
    printf 'pkgname = %s\npkgbase = %s\npkgver = %s\npkgdesc = stand-in\narch = x86_64\nsize = 0\n' \
        "$1" "$1" "$2" >"$dir/.PKGINFO"
    (cd "$dir" && bsdtar -czf "../$1-$2-x86_64.pkg.tar.gz" .PKGINFO)
    echo "$PKG_WORK/pacman/$1-$2-x86_64.pkg.tar.gz"
}
# scratch_pacman ROOT ARGS...: pacman on ROOT's own database, no hooks.
scratch_pacman() {
    local root=$1
    shift
    pacman --noconfirm --config "$PKG_WORK/pacman/pacman.conf" --root "$root" \
        --dbpath "$root/var/lib/pacman" --cachedir "$PKG_WORK/pacman/cache" \
        --logfile "$PKG_WORK/pacman/pacman.log" --hookdir "$PKG_WORK/pacman/no-hooks" "$@"
}
# scratch_files ROOT ARGS...: the files (not directories) `pacman -Ql...`
# lists, as paths on the target system (pacman prefixes them with ROOT).
scratch_files() {
    local root=$1
    shift
    scratch_pacman "$root" "$@" | sed "s|^$root||" | grep -v '/$' | sort
}

# 2. what the package holds -------------------------------------------------------
expected="/etc/ppp/ip-down.d/10-rule.sh
/etc/ppp/ip-up.d/10-rule.sh
/etc/ppp/peers/rs-pppoe-provider
/usr/bin/rs-pppoe-discovery
/usr/bin/rs-pppoe-rule
/usr/bin/rs-pppoe-setup
/usr/lib/pppd/$pppd_version/rs-pppoe.so
/usr/share/doc/rs-pppoe/chap-secrets.example
/usr/share/doc/rs-pppoe/peers-provider.example
/usr/share/licenses/rs-pppoe/LICENSE
/usr/share/man/man8/rs-pppoe-discovery.8.gz
/usr/share/man/man8/rs-pppoe-rule.8.gz
/usr/share/man/man8/rs-pppoe-setup.8.gz
/usr/share/man/man8/rs-pppoe.8.gz"
expected=$(sort <<<"$expected")
files=$(scratch_files "$PKG_WORK/pacman/query" -Qlpq "$package")
if [ "$files" = "$expected" ]; then
    ok "the package holds exactly the $(echo "$expected" | wc -l) expected files"
else
    not_ok "the package holds exactly the expected files"
    diff <(echo "$expected") <(echo "$files") | sed 's/^/#   /'
fi
pkginfo=$(bsdtar -xOf "$package" .PKGINFO)
check "the package depends on ppp=$pppd_version exactly" grep -qx "depend = ppp=$pppd_version" <<<"$pkginfo"
check "/etc/ppp/peers/rs-pppoe-provider is a backup file (edits survive upgrades)" \
    grep -qx "backup = etc/ppp/peers/rs-pppoe-provider" <<<"$pkginfo"
modes=$(bsdtar -tvf "$package" etc/ppp/ip-up.d/10-rule.sh etc/ppp/ip-down.d/10-rule.sh | awk '{print $1, $3, $4}' | sort -u)
check "the hooks are root's, mode 755 (pppd 2.5.3 runs nothing else)" test "$modes" = "-rwxr-xr-x root root"

# 3. pacman -U into scratch roots -------------------------------------------------
base=("$(stand_in glibc 2.41-1)" "$(stand_in gcc-libs 15.1.1-1)")
arch_root=$PKG_WORK/root
old_root=$PKG_WORK/root-ppp-2.5.2
mkdir -p "$arch_root/var/lib/pacman" "$old_root/var/lib/pacman"
scratch_pacman "$arch_root" -U "${base[@]}" "$(stand_in ppp "$pppd_version-1")" >"$PKG_LOG" 2>&1
scratch_pacman "$old_root" -U "${base[@]}" "$(stand_in ppp 2.5.2-1)" >"$PKG_LOG" 2>&1
check "pacman -U installs it where ppp $pppd_version is installed" scratch_pacman "$arch_root" -U "$package"
refusal=$PKG_WORK/pacman/refusal.log
if scratch_pacman "$old_root" -U "$package" >"$refusal" 2>&1; then
    not_ok "pacman -U refuses it where ppp 2.5.2 is installed"
else
    check "pacman -U refuses it where ppp 2.5.2 is installed: $(grep -o "unable to satisfy dependency '[^']*'" "$refusal")" \
        grep -q "unable to satisfy dependency 'ppp=$pppd_version' required by rs-pppoe" "$refusal"
fi
cp -a "$arch_root" "$PKG_WORK/root-upgrade"
if scratch_pacman "$PKG_WORK/root-upgrade" -U "$(stand_in ppp 2.5.4-1)" >"$refusal" 2>&1; then
    not_ok "pacman refuses to upgrade ppp to 2.5.4 under it"
else
    check "pacman refuses to upgrade ppp to 2.5.4 under it: $(grep -o "installing ppp.*required by rs-pppoe" "$refusal")" \
        grep -q "breaks dependency 'ppp=$pppd_version' required by rs-pppoe" "$refusal"
fi
rm -rf "$PKG_WORK/root-upgrade"

# 4. a session in the guest from the installed files -----------------------------
guest_run "pppd $pppd_version, Arch package installed with pacman" \
    --pppd "$pppd_version" --root-etc-ppp --layer "$arch_root" package-session.sh --arch

# 5. pacman -R --------------------------------------------------------------------
installed=$(scratch_files "$arch_root" -Qlq rs-pppoe)
check "pacman -R rs-pppoe" scratch_pacman "$arch_root" -R rs-pppoe
left=$(for f in $installed; do [ ! -e "$arch_root$f" ] || echo "$f"; done)
check "pacman -R removed all $(echo "$installed" | wc -l) files (left: ${left:-none})" \
    test -n "$installed" -a -z "$left"

summary
