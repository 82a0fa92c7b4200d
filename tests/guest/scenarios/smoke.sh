#!/bin/bash
# Smallest scenario: shows what the guest offers (pppd version, kernel PPP,
# shared directories). `tests/guest/run.sh --pppd 2.5.2 smoke.sh`
set -u
echo "pppd: $(pppd --version 2>&1 | head -1)"
echo "kernel: $(uname -r)"
for f in /dev/ppp /proc/net/pppoe; do
    if [ -e "$f" ]; then echo "ok - $f exists"; else echo "not ok - $f exists"; exit 1; fi
done
echo "args: $*"
mount | grep -E ' type (9p|overlay|tmpfs) ' | sed 's/^/mount: /'
