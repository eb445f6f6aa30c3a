#!/usr/bin/env python3
"""End to end: causewayd on a veth (net_af_packet) inside network namespaces.

    cli (10.99.0.2) ─┐
    lb  (causewayd) ─┼─ bridge in namespace sw
    b1  (10.99.0.11)─┤
    b2  (10.99.0.12)─┘

The client reaches the VIP 10.99.1.100 through the gateway address 10.99.0.1 (answered by
causewayd's ARP). causewayd encapsulates to the backends in IPIP; each backend runs dsr_backend.py,
which checks every encapsulated packet it captures and decapsulates it into a TUN device, so the
backend's kernel answers the client directly (DSR). Asserts: UDP and TCP through both backends,
a flow stays on one backend, every captured IPIP packet is well formed, the /causeway/ telemetry
commands answer, causewayd stops cleanly on SIGTERM with exit code 0. Needs root (namespaces); exits 77 (skipped) otherwise.

usage: e2e_test.py CAUSEWAYD DSR_BACKEND_PY
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
TAG = "cwe%d" % (os.getpid() % 100000)
NS = {n: "%s-%s" % (TAG, n) for n in ("sw", "cli", "lb", "b1", "b2")}
VIP, GW, CLIENT = "10.99.1.100", "10.99.0.1", "10.99.0.2"
BACKENDS = {"b1": "10.99.0.11", "b2": "10.99.0.12"}
PORT = 80


def sh(*args, ns=None, check=True, capture=False):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, check=check, text=True, capture_output=capture)
    return r.stdout if capture else r


def mac_of(ns, ifname):
    return sh("cat", "/sys/class/net/%s/address" % ifname, ns=ns, capture=True).strip()


class Topology:
    def __init__(self):
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="causeway-e2e-")

    def build(self):
        for ns in NS.values():
            sh("ip", "netns", "add", ns)
        sw = NS["sw"]
        sh("ip", "link", "add", "br0", "type", "bridge", ns=sw)
        sh("ip", "link", "set", "br0", "up", ns=sw)
        for name, inner in (("cli", "c0"), ("lb", "l0"), ("b1", "e0"), ("b2", "e0")):
            peer = "s-" + name
            sh("ip", "link", "add", inner, "netns", NS[name], "type", "veth", "peer", "name", peer, "netns", sw)
            sh("ip", "link", "set", peer, "master", "br0", ns=sw)
            sh("ip", "link", "set", peer, "up", ns=sw)
            sh("ip", "link", "set", inner, "up", ns=NS[name])
            sh("ip", "link", "set", "lo", "up", ns=NS[name])
            # Kernel-side veths must fill their checksums before af_packet sees the frames.
            sh("ethtool", "-K", inner, "tx", "off", ns=NS[name], capture=True)
        sh("ip", "addr", "add", CLIENT + "/24", "dev", "c0", ns=NS["cli"])
        sh("ip", "route", "add", "10.99.1.0/24", "via", GW, ns=NS["cli"])
        for b, addr in BACKENDS.items():
            sh("ip", "addr", "add", addr + "/24", "dev", "e0", ns=NS[b])

    def start(self, causewayd, helper):
        for b, addr in BACKENDS.items():
            p = subprocess.Popen(["ip", "netns", "exec", NS[b], sys.executable, helper, "--iface", "e0", "--addr", addr,
                                  "--gateway", GW, "--vip", VIP, "--name", b, "--stats", os.path.join(self.tmp, b + ".json"),
                                  "--port", str(PORT)], stdout=subprocess.PIPE, text=True)
            self.procs.append(p)
            assert p.stdout.readline().strip() == "ready", "backend helper did not start"
        snap = os.path.join(self.tmp, "snapshot.txt")
        with open(snap, "w") as f:
            f.write("version 1\ngateway %s\nmtu 1500\nflow_key 0x1234 0x5678\nservice 1 ipip\n" % GW)
            f.write("frontend %s %d tcp\nfrontend %s %d udp\n" % (VIP, PORT, VIP, PORT))
            for i, (b, addr) in enumerate(BACKENDS.items()):
                f.write("backend %d %s\n" % (i + 1, addr))
        neighbors = ["--neighbor=%s,%s" % (addr, mac_of(NS[b], "e0")) for b, addr in BACKENDS.items()]
        self.prefix = TAG
        self.lb = subprocess.Popen(
            ["ip", "netns", "exec", NS["lb"], causewayd, "-l", "0", "--no-pci", "--no-huge", "-m", "256",
             "--no-shconf", "--file-prefix", self.prefix, "--log-level=error",
             "--vdev=net_af_packet0,iface=l0,framecnt=4096", "--", "--snapshot-file=" + snap,
             "--idle-sleep-us=200", "--flow-table-size=65536"] + neighbors,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.procs.append(self.lb)
        line = self.lb.stdout.readline()
        assert "port 0 up" in line, "causewayd did not start: " + line + self.lb.stdout.read()

    def stop_lb(self):
        self.lb.send_signal(signal.SIGTERM)
        out, _ = self.lb.communicate(timeout=20)
        return self.lb.returncode, out

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in NS.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree("/var/run/dpdk/" + TAG, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def setns(fd):
    # os.setns arrived in Python 3.12; Debian 12 has 3.11.
    if LIBC.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def in_ns(ns):
    """Runs the rest of this thread's socket calls in namespace `ns`."""
    fd = os.open("/var/run/netns/" + ns, os.O_RDONLY)
    setns(fd)
    os.close(fd)


def telemetry(prefix, command):
    """One DPDK telemetry command over causewayd's socket (what dpdk-telemetry.py does)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    try:
        s.recv(16384)  # the greeting
        s.send(command.encode())
        return json.loads(s.recv(65536).decode())[command]
    finally:
        s.close()


def udp_round(sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.bind((CLIENT, sport))
    try:
        s.sendto(b"hello", (VIP, PORT))
        data, peer = s.recvfrom(100)
        assert peer[0] == VIP, "reply not from the VIP: %s" % (peer,)
        return data.split()[0].decode()
    finally:
        s.close()


def tcp_round():
    for attempt in range(3):
        try:
            c = socket.create_connection((VIP, PORT), timeout=3)
            c.sendall(b"hi")
            name = c.recv(100).decode()
            c.close()
            return name
        except OSError:
            if attempt == 2:
                raise
    return None


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        return SKIP
    for tool in ("ip", "ethtool"):
        if shutil.which(tool) is None:
            print("SKIP: %s missing" % tool)
            return SKIP
    causewayd, helper = sys.argv[1], sys.argv[2]
    topo = Topology()
    try:
        topo.build()
        topo.start(causewayd, helper)
        root = os.open("/proc/self/ns/net", os.O_RDONLY)
        in_ns(NS["cli"])
        try:
            udp = [udp_round(20000 + i) for i in range(40)]
            sticky = {udp_round(30000) for _ in range(5)}
            tcp = [tcp_round() for _ in range(20)]
        finally:
            setns(root)
        print("udp backends:", {b: udp.count(b) for b in BACKENDS}, "tcp backends:", {b: tcp.count(b) for b in BACKENDS})
        assert set(udp) == set(BACKENDS), "UDP did not reach both backends: %s" % udp
        assert len(sticky) == 1, "one UDP flow went to several backends: %s" % sticky
        assert set(tcp) <= set(BACKENDS) and len(tcp) == 20
        assert len(set(tcp)) == 2, "TCP did not reach both backends: %s" % tcp

        tel = telemetry(TAG, "/causeway/counters")
        print("telemetry:", {k: v for k, v in tel.items() if v})
        assert tel["forwarded_new_flow"] >= 40 + 1 + 20 and tel["rx"] > 0
        assert telemetry(TAG, "/causeway/snapshot")["version"] == 1
        per_backend = telemetry(TAG, "/causeway/backends")
        print("per backend:", per_backend)
        assert per_backend["1_packets"] > 0 and per_backend["2_packets"] > 0
        assert telemetry(TAG, "/causeway/services")["1_packets"] == per_backend["1_packets"] + per_backend["2_packets"]

        rc, out = topo.stop_lb()
        print(out)
        assert rc == 0, "causewayd exit code %d" % rc
        assert "causewayd: stopped" in out
        counters = {l.split()[2]: int(l.split()[3]) for l in out.splitlines() if l.startswith("causewayd: counter ")}
        assert counters.get("arp_replies", 0) >= 1
        assert counters.get("forwarded_new_flow", 0) >= 40 + 1 + 20
        assert counters.get("forwarded_flow_hit", 0) >= 4 + 40  # the sticky flow's repeats, TCP ACKs
        for p in topo.procs[:2]:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
        for b in BACKENDS:
            with open(os.path.join(topo.tmp, b + ".json")) as f:
                st = json.load(f)
            print(b, st)
            assert st["ipip_bad"] == 0, st["bad_reasons"][:5]
            assert st["ipip_ok"] > 0 and st["inner_tcp"] > 0 and st["inner_udp"] > 0
        print("PASS")
        return 0
    finally:
        topo.cleanup()


if __name__ == "__main__":
    sys.exit(main())
