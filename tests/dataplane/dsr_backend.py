#!/usr/bin/env python3
"""A direct-server-return backend for the end-to-end test, run inside a backend namespace.

The kernel here has no ipip or fou module, so this helper decapsulates: it captures every frame on
the backend's veth with an AF_PACKET socket, checks each packet causewayd encapsulated — IPIP over
IPv4 (4in4), GUE over IPv4 (UDP to the GUE port, source port >= 0x8000) and IPIP over IPv6 (6in6):
outer header checksum, outer source = the gateway, outer destination = this backend, inner TTL /
hop limit decremented, inner IPv4 header checksum — and writes the inner packet into a TUN device. The kernel then delivers it
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
    ap.add_argument("--vip", action="append", required=True)
    ap.add_argument("--addr6", required=True)
    ap.add_argument("--gateway6", required=True)
    ap.add_argument("--vip6", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--gue-port", type=int, default=6080)
    a = ap.parse_args()

    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", b"tun0", IFF_TUN | IFF_NO_PI))
    cmds = [["ip", "link", "set", "tun0", "up"], ["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0"],
            ["sysctl", "-qw", "net.ipv4.conf.tun0.rp_filter=0"],
            ["ip", "-6", "addr", "add", a.vip6 + "/128", "dev", "lo", "nodad"]]
    cmds += [["ip", "addr", "add", v + "/32", "dev", "lo"] for v in a.vip]
    for cmd in cmds:
        subprocess.run(cmd, check=True)

    stats = {"ok": {"ipip4": 0, "gue4": 0, "ipip6": 0}, "bad": 0, "bad_reasons": [], "inner_tcp": 0, "inner_udp": 0}
    me, gw = socket.inet_aton(a.addr), socket.inet_aton(a.gateway)
    me6, gw6 = socket.inet_pton(socket.AF_INET6, a.addr6), socket.inet_pton(socket.AF_INET6, a.gateway6)

    def serve_tcp(family, vip):
        srv = socket.socket(family, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((vip, a.port))
        srv.listen(64)
        while True:
            c, _ = srv.accept()
            try:
                c.recv(100)
                c.sendall(a.name.encode())
            finally:
                c.close()

    def serve_udp(family, vip):
        u = socket.socket(family, socket.SOCK_DGRAM)
        u.bind((vip, a.port))
        while True:
            data, peer = u.recvfrom(2048)
            u.sendto(a.name.encode() + b" " + data, peer)

    for family, vip in [(socket.AF_INET, v) for v in a.vip] + [(socket.AF_INET6, a.vip6)]:
        for f in (serve_tcp, serve_udp):
            threading.Thread(target=f, args=(family, vip), daemon=True).start()

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
        if addr[2] == socket.PACKET_OUTGOING or len(frame) < 34:
            continue
        kind, inner, reasons = classify(frame, me, gw, me6, gw6, a.gue_port)
        if kind is None:
            continue
        if reasons:
            stats["bad"] += 1
            stats["bad_reasons"].append([kind] + reasons)
            continue
        stats["ok"][kind] += 1
        proto = inner[9] if inner[0] >> 4 == 4 else inner[6]
        stats["inner_tcp" if proto == 6 else "inner_udp"] += 1
        os.write(tun, inner)


def classify(frame, me, gw, me6, gw6, gue_port):
    """(kind, inner packet, problems) for an encapsulated packet to this backend, else (None, ..)."""
    reasons = []
    if frame[12:14] == b"\x08\x00":
        outer = frame[14:34]
        if outer[16:20] != me or outer[9] not in (4, 17):
            return None, None, None
        total = struct.unpack("!H", outer[2:4])[0]
        if outer[9] == 17:
            udp = frame[34:42]
            sport, dport, length, csum = struct.unpack("!HHHH", udp)
            if dport != gue_port:
                return None, None, None
            kind, inner = "gue4", frame[42:14 + total]
            if sport < 0x8000:
                reasons.append("GUE source port %d without entropy bit" % sport)
            if length != total - 20:
                reasons.append("UDP length")
        else:
            kind, inner = "ipip4", frame[34:14 + total]
        if not checksum_ok(outer):
            reasons.append("outer checksum")
        if outer[12:16] != gw:
            reasons.append("outer source")
    elif frame[12:14] == b"\x86\xdd" and len(frame) >= 54:
        outer = frame[14:54]
        if outer[24:40] != me6 or outer[6] != 41:
            return None, None, None
        kind = "ipip6"
        inner = frame[54:54 + struct.unpack("!H", outer[4:6])[0]]
        if outer[8:24] != gw6:
            reasons.append("outer source")
    else:
        return None, None, None
    if len(inner) < 20:
        reasons.append("short inner packet")
    elif inner[0] >> 4 == 4:
        if not checksum_ok(inner[:(inner[0] & 15) * 4]):
            reasons.append("inner header checksum")
        if inner[8] != 63:
            reasons.append("inner ttl %d" % inner[8])
    elif inner[7] != 63:
        reasons.append("inner hop limit %d" % inner[7])
    return kind, inner, reasons


if __name__ == "__main__":
    sys.exit(main())
