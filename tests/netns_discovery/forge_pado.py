#!/usr/bin/env python3
"""A hostile host on the AC's segment: floods the client with forged PADOs.

    forge_pado.py IFNAME CLIENT_MAC HOST_UNIQ_HEX SECONDS [--flood]

With --flood it sends as fast as it can instead of every 2 ms.

The client's Host-Uniq is known in advance (the test passes -W), so the
forgeries need not wait for its PADI: they stream before, during and after
the real exchange. Each variant must be refused for its own reason, and
nothing in them (cookie, relay id) may reach the PADR.
"""
import socket
import struct
import sys
import time


def tag(tag_type, value):
    return struct.pack("!HH", tag_type, len(value)) + value


def pado(src, dst, tags):
    payload = b"".join(tags)
    return dst + src + struct.pack("!HBBHH", 0x8863, 0x11, 0x07, 0, len(payload)) + payload


def main():
    ifname, client_mac, host_uniq_hex, seconds = sys.argv[1:5]
    pause = 0 if "--flood" in sys.argv[5:] else 0.002
    dst = bytes.fromhex(client_mac.replace(":", ""))
    host_uniq = bytes.fromhex(host_uniq_hex)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((ifname, 0))
    src = sock.getsockname()[4][:6]
    evil = [tag(0x0104, b"evil-cookie"), tag(0x0110, b"evil-relay")]
    variants = [
        # The AC-Name the client asks for, but an error tag.
        pado(src, dst, [tag(0x0102, b"rsp-test-ac"), tag(0x0101, b""), tag(0x0103, host_uniq),
                        *evil, tag(0x0203, b"forged error")]),
        # Another AC-Name.
        pado(src, dst, [tag(0x0102, b"evil-ac"), tag(0x0101, b""), tag(0x0103, host_uniq), *evil]),
        # Right name, no error, but not our Host-Uniq.
        pado(src, dst, [tag(0x0102, b"rsp-test-ac"), tag(0x0101, b""), tag(0x0103, b"nope"), *evil]),
    ]
    print("forging", flush=True)
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        for frame in variants:
            sock.send(frame)
        if pause:
            time.sleep(pause)


if __name__ == "__main__":
    main()
