#!/usr/bin/env bash
# Install rs-pppoe-rule and its ip-up/ip-down hook names.
#
#   hooks/install.sh [--distro debian|arch] [--prefix /usr/local]
#                    [--destdir DIR] [--bin PATH]
#
# Debian/Ubuntu: /etc/ppp/ip-up.d/10-rule and /etc/ppp/ip-down.d/10-rule
#   (run-parts skips names containing a dot; /etc/ppp/ip-up.local, if
#   executable, replaces run-parts entirely).
# Arch: /etc/ppp/ip-up.d/10-rule.sh and ip-down.d/10-rule.sh (its ip-up
#   runs only executable *.sh files).
# Both names are symlinks to PREFIX/sbin/rs-pppoe-rule, which tells up from
# down by the directory it was run from. Without --bin the binary is built
# here as a static-pie release build (faster start, no loader).
set -euo pipefail

distro=
prefix=/usr/local
destdir=
bin=
while (($#)); do
  case $1 in
    --distro) distro=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --destdir) destdir=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [[ -z $distro ]]; then
  distro=debian
  if [[ -r /etc/os-release ]] && grep -qE '^(ID|ID_LIKE)=.*arch' /etc/os-release; then
    distro=arch
  fi
fi
case $distro in
  debian) name=10-rule ;;
  arch) name=10-rule.sh ;;
  *) echo "install.sh: --distro must be debian or arch" >&2; exit 2 ;;
esac

if [[ -z $bin ]]; then
  repo=$(cd "$(dirname "$0")/.." && pwd)
  cargo rustc --quiet --release -p rs-pppoe-rule --bin rs-pppoe-rule \
    --manifest-path "$repo/Cargo.toml" -- -C target-feature=+crt-static
  bin=${CARGO_TARGET_DIR:-$repo/target}/release/rs-pppoe-rule
fi

# pppd 2.5.3 refuses scripts that are not root-owned or are group/other
# writable: install root:root 0755 (ownership only when we are root).
install -d -m 0755 "$destdir$prefix/sbin" "$destdir/etc/ppp/ip-up.d" "$destdir/etc/ppp/ip-down.d"
install -m 0755 "$bin" "$destdir$prefix/sbin/rs-pppoe-rule"
for dir in ip-up.d ip-down.d; do
  ln -sfn "$prefix/sbin/rs-pppoe-rule" "$destdir/etc/ppp/$dir/$name"
done
example=$(dirname "$0")/rs-pppoe-rule.conf.example
if [[ -r $example && ! -e $destdir/etc/ppp/rs-pppoe-rule.conf.example ]]; then
  install -m 0644 "$example" "$destdir/etc/ppp/rs-pppoe-rule.conf.example"
fi
echo "installed $prefix/sbin/rs-pppoe-rule as /etc/ppp/ip-up.d/$name and /etc/ppp/ip-down.d/$name ($distro)"
