#!/usr/bin/env python3
"""A direct-server-return backend for the end-to-end test, run inside a backend namespace.

The kernel here has no ipip module, so this helper decapsulates: it captures every frame on the
backend's veth with an AF_PACKET socket, checks each IPIP packet causewayd sent (outer header
checksum, outer source = the gateway, outer destination = this backend, inner TTL decremented,
inner header checksum) and writes the inner packet into a TUN device. The kernel then delivers it
to the VIP (on lo) and answers the client directly, as a real DSR backend would. A TCP and a UDP
server on the VIP answer with this backend's name. On SIGTERM, counts go to --stats as JSON.
"""
import argparse
import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading

ETH_P_ALL = 0x0003
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def checksum_ok(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--addr", required=True)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--port", type=int, default=80)
    a = ap.parse_args()

    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", b"tun0", IFF_TUN | IFF_NO_PI))
    for cmd in (["ip", "link", "set", "tun0", "up"], ["ip", "addr", "add", a.vip + "/32", "dev", "lo"],
                ["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0"], ["sysctl", "-qw", "net.ipv4.conf.tun0.rp_filter=0"]):
        subprocess.run(cmd, check=True)

    stats = {"ipip_ok": 0, "ipip_bad": 0, "bad_reasons": [], "inner_tcp": 0, "inner_udp": 0}
    me, gw = socket.inet_aton(a.addr), socket.inet_aton(a.gateway)

    def serve_tcp():
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((a.vip, a.port))
        srv.listen(64)
        while True:
            c, _ = srv.accept()
            try:
                c.recv(100)
                c.sendall(a.name.encode())
            finally:
                c.close()

    def serve_udp():
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((a.vip, a.port))
        while True:
            data, peer = u.recvfrom(2048)
            u.sendto(a.name.encode() + b" " + data, peer)

    for f in (serve_tcp, serve_udp):
        threading.Thread(target=f, daemon=True).start()

    def finish(*_):
        with open(a.stats, "w") as out:
            json.dump(stats, out)
        os._exit(0)

    signal.signal(signal.SIGTERM, finish)
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.bind((a.iface, 0))
    print("ready", flush=True)
    while True:
        frame, addr = raw.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING or len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        outer = frame[14:34]
        if outer[9] != 4 or outer[16:20] != me:
            continue
        reasons = []
        if not checksum_ok(outer):
            reasons.append("outer checksum")
        if outer[12:16] != gw:
            reasons.append("outer source")
        total = struct.unpack("!H", outer[2:4])[0]
        inner = frame[34:14 + total]
        if len(inner) < 20 or not checksum_ok(inner[:(inner[0] & 15) * 4]):
            reasons.append("inner header")
        elif inner[8] != 63:
            reasons.append("inner ttl %d" % inner[8])
        if reasons:
            stats["ipip_bad"] += 1
            stats["bad_reasons"].append(reasons)
            continue
        stats["ipip_ok"] += 1
        stats["inner_tcp" if inner[9] == 6 else "inner_udp"] += 1
        os.write(tun, inner)


if __name__ == "__main__":
    sys.exit(main())
