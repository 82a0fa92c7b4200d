#!/bin/bash
# The Debian packages, installed for real:
#
#   tests/packaging/debian.sh --deb VERSION DEB|DIR [--deb VERSION DEB|DIR ...]
#
# For each `cargo xtask deb` package (or the newest rs-pppoe_*.deb in DIR,
# where `cargo xtask deb` leaves it) built for pppd VERSION (2.4.9: Debian
# 12, against this host's headers; 2.5.2: Debian 13, against the trixie
# root's):
# 1. lintian (as an unprivileged user) reports no error and no warning; the
#    overrides the package carries say why each is expected;
# 2. Depends pins exactly the ppp that root has installed;
# 3. one guest boot of that root with its own /etc/ppp (scenarios/
#    package-session.sh --deb): dpkg -i, a session with `pppd call`
#    through Debian's ip-up and run-parts, dpkg --purge leaving nothing.
#    Both roots are debootstrapped minbase roots from the cache (trixie,
#    bookworm) under an overlay: dpkg writes only to guest memory. Not this
#    host's own Debian 12 root: dpkg reads every installed package's file
#    list on each install and purge, and over 9p under emulation the host's
#    thousand packages made that about two minutes per boot.
# Last line: `packaging: N passed, N failed`; exit status non-zero on failure.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

debs=()
while [ $# -gt 0 ]; do
    case $1 in
        --deb) debs+=("${2:?--deb needs a version}=${3:?--deb needs a package}"); shift 3 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "debian.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ "${#debs[@]}" -gt 0 ] || { sed -n '2,19p' "$0" >&2; exit 2; }

PKG_WORK=$REPO_DIR/target/deb-checks
rm -rf "$PKG_WORK"
mkdir -p "$PKG_WORK"
PKG_LOG=$PKG_WORK/check.log
cache=${RS_PPPOE_CACHE:-/var/cache/rs-pppoe}

for entry in "${debs[@]}"; do
    version=${entry%%=*}
    deb=${entry#*=}
    if [ -d "$deb" ]; then
        deb=$(ls -t "$deb"/rs-pppoe_*.deb 2>/dev/null | head -1)
    fi
    [ -f "$deb" ] || { echo "debian.sh: no package for pppd $version (${entry#*=})" >&2; exit 2; }
    deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
    case $version in
        2.4.9) root=$cache/bookworm distro="Debian 12" boot=(--bookworm) ;;
        2.5.2) root=$cache/trixie distro="Debian 13" boot=() ;;
        *) echo "debian.sh: no Debian root for pppd $version" >&2; exit 2 ;;
    esac
    label="pppd $version ($distro) package"

    # lintian unpacks the package as the build user, into its own home.
    check "$label: lintian reports no errors or warnings" \
        as_build_user -- lintian --fail-on error,warning --tag-display-limit 0 "$deb"
    grep -E '^[EW]:' "$PKG_LOG" | sed 's/^/#   /'

    ppp=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' ppp)
    depends=$(dpkg-deb -f "$deb" Depends)
    check "$label: Depends pins ppp (= $ppp), the ppp $distro has ($depends)" \
        grep -qF "ppp (= $ppp)" <<<"$depends"
    check "$label: the plugin is in /usr/lib/pppd/$version" \
        bash -c "dpkg-deb -c '$deb' | grep -q ' ./usr/lib/pppd/$version/rs-pppoe.so\$'"

    guest_run "$label: dpkg -i, pppd call, dpkg --purge" \
        --pppd "$version" "${boot[@]}" --root-etc-ppp package-session.sh --deb "$deb"
done

summary
