#!/usr/bin/env python3
"""A scripted access concentrator for the diagnosis tests: answers PADIs
with PADOs, tagged or not, or only with error tags.

    tagged_ac.py IFNAME AC_NAME [--plain] [--vlan VID] [--leak VID]
                 [--errors TEXT] [--services A,B] [--burst N] [--seconds S]

  --plain        answer untagged PADIs with an untagged PADO
  --vlan VID     answer PADIs tagged for VLAN VID with a PADO tagged VID
                 (an AC that exists only on that VLAN)
  --leak VID     answer untagged PADIs with a PADO tagged VID (answers that
                 come back on another VLAN than the question went out on)
  --errors TEXT  answer untagged PADIs with PADOs that carry an
                 AC-System-Error tag with TEXT (and nothing usable)
  --services A,B offer these Service-Names whatever was asked (as many ACs
                 do; pppoe-server stays silent instead)
  --burst N      send each answer N times (a chatty or hostile AC)

The kernel moves a VLAN tag into the packet's metadata before a packet
socket sees the frame, so the VLAN of a received PADI is read from
PACKET_AUXDATA. Tagged answers are written with the tag in the frame.
Prints "ready" once its socket is open; exits after --seconds (default 30).
"""
import argparse
import socket
import struct
import time

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
ETH_P_ALL = 0x0003
PPPOE_DISCOVERY = 0x8863
PADI, PADO = 0x09, 0x07
TAG_SERVICE_NAME, TAG_AC_NAME, TAG_HOST_UNIQ = 0x0101, 0x0102, 0x0103
TAG_AC_COOKIE, TAG_AC_SYSTEM_ERROR = 0x0104, 0x0202


def tag(tag_type, value):
    return struct.pack("!HH", tag_type, len(value)) + value


def tags_of(payload):
    """(type, value) pairs of a PPPoE payload; stops at the first overrun."""
    out, at = [], 0
    while at + 4 <= len(payload):
        tag_type, length = struct.unpack("!HH", payload[at:at + 4])
        value = payload[at + 4:at + 4 + length]
        if len(value) < length:
            break
        out.append((tag_type, value))
        at += 4 + length
    return out


def vlan_of(ancdata):
    for level, kind, data in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= 20:
            status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", data[:20])
            if status & TP_STATUS_VLAN_VALID and tci & 0x0FFF:
                return tci & 0x0FFF
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ifname")
    parser.add_argument("ac_name")
    parser.add_argument("--vlan", type=int)
    parser.add_argument("--leak", type=int)
    parser.add_argument("--errors")
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--services")
    parser.add_argument("--burst", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.bind((args.ifname, ETH_P_ALL))
    sock.settimeout(0.2)
    our_mac = sock.getsockname()[4][:6]
    print("ready", flush=True)

    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        try:
            data, ancdata, _, addr = sock.recvmsg(2048, 256)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 20:
            continue
        dst, src = data[0:6], data[6:12]
        ethertype, = struct.unpack("!H", data[12:14])
        if ethertype != PPPOE_DISCOVERY or dst != b"\xff" * 6 or data[15] != PADI:
            continue
        length, = struct.unpack("!H", data[18:20])
        request = tags_of(data[20:20 + length])
        vlan = vlan_of(ancdata)

        if vlan is not None and vlan == args.vlan:
            answer_vlan = vlan
        elif vlan is None and args.leak is not None:
            answer_vlan = args.leak
        elif vlan is None and (args.errors is not None or args.plain):
            answer_vlan = None
        else:
            continue

        tags = [tag(TAG_AC_NAME, args.ac_name.encode())]
        if args.services is not None:
            tags += [tag(TAG_SERVICE_NAME, s.encode()) for s in args.services.split(",")]
        else:
            tags += [tag(TAG_SERVICE_NAME, v) for t, v in request if t == TAG_SERVICE_NAME]
        tags += [tag(TAG_HOST_UNIQ, v) for t, v in request if t == TAG_HOST_UNIQ]
        if args.errors is not None and answer_vlan is None:
            tags.append(tag(TAG_AC_SYSTEM_ERROR, args.errors.encode()))
        else:
            tags.append(tag(TAG_AC_COOKIE, b"cookie-" + args.ac_name.encode()))
        payload = b"".join(tags)
        header = struct.pack("!BBHH", 0x11, PADO, 0, len(payload))
        if answer_vlan is None:
            frame = src + our_mac + struct.pack("!H", PPPOE_DISCOVERY) + header + payload
        else:
            frame = (src + our_mac + struct.pack("!HHH", 0x8100, answer_vlan, PPPOE_DISCOVERY)
                     + header + payload)
        for _ in range(args.burst):
            sock.send(frame)


if __name__ == "__main__":
    main()
