#!/bin/sh
# Re-captures the discovery frames in this directory from Debian's rp-pppoe
# tools (pppoe-server/pppoe 3.15, pppoe-discovery from ppp 2.4.9) talking over
# a veth pair between two throwaway network namespaces.  Needs root.
#
#   tests/vectors/capture.sh [OUTDIR]      (default: this directory)
#
# Frames are captured with tcpdump on the *client* end of the veth, so each
# .bin is a whole Ethernet frame exactly as our AF_PACKET socket receives it.
# veth never pads short frames to 60 bytes, so none of these carries Ethernet
# padding; see README.md.  The AC-Cookie differs on every run (pppoe-server
# draws a random secret at start-up); everything else is deterministic.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
work=$(mktemp -d /tmp/rsp-vectors.XXXXXX)
ac=rsp-vec-ac
cl=rsp-vec-cl
ac_mac=02:00:00:00:0a:01
cl_mac=02:00:00:00:0c:01
host_uniq=72737070  # "rspp"

cleanup() {
    for ns in $ac $cl; do
        for pid in $(ip netns pids $ns 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    done
    sleep 0.2
    ip netns del $ac 2>/dev/null || true
    ip netns del $cl 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add $ac
ip netns add $cl
ip link add vec-ac type veth peer name vec-cl
ip link set vec-ac netns $ac
ip link set vec-cl netns $cl
ip -n $ac link set vec-ac address $ac_mac up
ip -n $cl link set vec-cl address $cl_mac up

# pppoe-server forks "pppd" for every session after PADS.  This kernel has no
# /dev/ppp, so a real pppd dies at once and the server then sends its own
# PADT.  A stand-in that just sleeps keeps the session open instead.
printf '#!/bin/sh\nexec sleep 600\n' > "$work/pppd-sleeps"
chmod +x "$work/pppd-sleeps"

start_server() {  # start_server ARGS... ; kills the previous one
    if [ -f "$work/server.pid" ]; then
        kill "$(cat "$work/server.pid")" 2>/dev/null || true
        for pid in $(ip netns pids $ac); do kill "$pid" 2>/dev/null || true; done
        sleep 0.3
    fi
    ip netns exec $ac pppoe-server -F -I vec-ac "$@" >"$work/server.log" 2>&1 &
    echo $! > "$work/server.pid"
    sleep 0.5
}

# capture NAME CLIENT-COMMAND... : runs the client while tcpdump writes NAME.pcap
capture() {
    name=$1; shift
    ip netns exec $cl tcpdump -i vec-cl -U -w "$work/$name.pcap" 'ether proto 0x8863' >/dev/null 2>&1 &
    tcpdump_pid=$!
    sleep 0.7
    echo "+ $*"
    ip netns exec $cl "$@" || echo "  (exit $?)"
    sleep 0.5
    kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
}

# split NAME FRAME-INDEX OUT.bin : frame indexes count from 1 in capture order
split() {
    python3 - "$work/$1.pcap" "$2" "$out/$3" <<'PY'
import struct, sys
path, index, dest = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(path, "rb").read()
endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
pos, n = 24, 0
while pos < len(data):
    _, _, incl, orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
    frame = data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
    n += 1
    if n == index:
        assert incl == orig, "truncated capture"
        open(dest, "wb").write(frame)
        print("  %s: %d bytes" % (dest.rsplit("/", 1)[-1], len(frame)))
        break
else:
    sys.exit("frame %d not in %s" % (index, path))
PY
}

show() { ip netns exec $cl tcpdump -r "$work/$1.pcap" -e -n 2>/dev/null | sed 's/^/  /'; }

# 1. Listing: pppoe-discovery against an AC offering two services.
start_server -C rsp-test-ac -S internet -S voip -N 1 -q "$work/pppd-sleeps"
capture listing pppoe-discovery -I vec-cl -W $host_uniq
show listing
split listing 1 padi.bin
split listing 2 pado_cookie_two_services.bin

# 2. A session: pppoe -d asks for "voip"; the stand-in pppd keeps it open.
capture session pppoe -I vec-cl -d -W $host_uniq -S voip
show session
split session 1 padi_service_voip.bin
split session 2 pado_for_voip.bin
split session 3 padr.bin
split session 4 pads.bin

# 3. The only session slot (-N 1) is taken: the AC refuses the PADR.
capture busy pppoe -I vec-cl -d -t 1 -W $host_uniq
show busy
split busy 4 pads_ac_system_error.bin

# 4. The client ends session 1 with a PADT.
capture kill pppoe -I vec-cl -k -e 1:$ac_mac
show kill
split kill 1 padt_from_client.bin

# 5. An AC whose "pppd" exits at once ends the session itself with a PADT.
start_server -C rsp-other-ac -S internet -q /bin/false
capture ac_padt pppoe -I vec-cl -d -W $host_uniq
show ac_padt
split ac_padt 2 pado_one_service.bin
split ac_padt 5 padt_from_ac.bin
