#!/usr/bin/env python3
"""End to end: causewayd on a veth (net_af_packet) inside network namespaces.

    cli (10.99.0.2) ─┐
    lb  (causewayd) ─┼─ bridge in namespace sw
    b1  (10.99.0.11)─┤
    b2  (10.99.0.12)─┘

Three services: 10.99.1.100 (IPIP 4in4), 10.99.1.101 (GUE over IPv4) and fd99:1::100 (IPIP 6in6).
The client reaches them through the gateway addresses 10.99.0.1 / fd99::1, answered by causewayd's
ARP and neighbour discovery. Each backend runs dsr_backend.py, which checks every encapsulated
packet it captures and decapsulates it into a TUN device, so the backend's kernel answers the client
directly (DSR). No static neighbours: causewayd resolves the backends' MACs by ARP and neighbour
discovery, answered by the backends' kernels (asserted through /causeway/neighbors before any traffic).
Asserts: UDP and TCP through both backends of every service, a flow stays on one
backend, the host behind causewayd's exception TAP answers TCP on its own address, every captured IPIP packet is well formed, the /causeway/ telemetry
commands answer, causewayd stops cleanly on SIGTERM with exit code 0. Needs root (namespaces); exits 77 (skipped) otherwise.

usage: e2e_test.py CAUSEWAYD DSR_BACKEND_PY [WORKERS]
WORKERS > 1 runs causewayd with that many worker lcores (plus the main one) and as many af_packet
queue pairs (the kernel's fanout hash spreads flows over them).
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
VIP, VIP_GUE, GW, CLIENT = "10.99.1.100", "10.99.1.101", "10.99.0.1", "10.99.0.2"
VIP6, GW6, CLIENT6 = "fd99:1::100", "fd99::1", "fd99::2"
HOST, HOST_PORT = "10.99.0.5", 2222  # the lb host's own address, behind causewayd's exception TAP
BACKENDS = {"b1": "10.99.0.11", "b2": "10.99.0.12"}
BACKENDS6 = {"b1": "fd99::11", "b2": "fd99::12"}
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
        self.lb = None
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
        sh("ip", "-6", "addr", "add", CLIENT6 + "/64", "dev", "c0", "nodad", ns=NS["cli"])
        sh("ip", "-6", "route", "add", "fd99:1::/64", "via", GW6, ns=NS["cli"])
        for b, addr in BACKENDS.items():
            sh("ip", "addr", "add", addr + "/24", "dev", "e0", ns=NS[b])
            sh("ip", "-6", "addr", "add", BACKENDS6[b] + "/64", "dev", "e0", "nodad", ns=NS[b])

    def start(self, causewayd, helper, workers=1):
        for b, addr in BACKENDS.items():
            p = subprocess.Popen(["ip", "netns", "exec", NS[b], sys.executable, helper, "--iface", "e0", "--addr", addr,
                                  "--gateway", GW, "--vip", VIP, "--vip", VIP_GUE, "--addr6", BACKENDS6[b],
                                  "--gateway6", GW6, "--vip6", VIP6, "--name", b,
                                  "--stats", os.path.join(self.tmp, b + ".json"), "--port", str(PORT)],
                                 stdout=subprocess.PIPE, text=True)
            self.procs.append(p)
            assert p.stdout.readline().strip() == "ready", "backend helper did not start"
        snap = os.path.join(self.tmp, "snapshot.txt")
        with open(snap, "w") as f:
            f.write("version 1\ngateway %s\ngateway %s\nmtu 1500\nflow_key 0x1234 0x5678\n" % (GW, GW6))
            for sid, (forwarding, vip, addrs) in enumerate([("ipip", VIP, BACKENDS), ("gue", VIP_GUE, BACKENDS),
                                                            ("ipip", VIP6, BACKENDS6)]):
                f.write("service %d %s\nfrontend %s %d tcp\nfrontend %s %d udp\n" % (sid + 1, forwarding, vip, PORT, vip, PORT))
                for i, addr in enumerate(addrs.values()):
                    f.write("backend %d %s\n" % (2 * sid + i + 1, addr))
        # No static neighbours: causewayd resolves the backends by ARP and neighbour discovery, and
        # the backends' kernels answer.
        self.prefix = TAG
        self.lb = subprocess.Popen(
            ["ip", "netns", "exec", NS["lb"], causewayd, "-l" if workers == 1 else "--lcores",
             "0" if workers == 1 else ",".join("%d@%d" % (i, i % os.cpu_count()) for i in range(workers + 1)),
             "--no-pci", "--no-huge", "-m", "256", "--no-shconf", "--file-prefix", self.prefix, "--log-level=error",
             "--vdev=net_af_packet0,iface=l0,framecnt=4096,qpairs=%d" % workers, "--", "--snapshot-file=" + snap,
             "--idle-sleep-us=200", "--flow-table-size=65536", "--exception-tap=cwhost"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.procs.append(self.lb)
        # Read until causewayd says the port and the exception path are up (DPDK logs may come
        # first on the same pipe); EOF means it exited.
        seen = []
        while not any("exception path to cwhost" in l for l in seen):
            line = self.lb.stdout.readline()
            assert line, "causewayd exited: " + "".join(seen)
            seen.append(line)
        assert any("port 0 up" in l for l in seen), "".join(seen)
        # The host's own address and a service on it, reached through causewayd's exception path.
        sh("ip", "addr", "add", HOST + "/24", "dev", "cwhost", ns=NS["lb"])
        sh("ip", "link", "set", "cwhost", "up", ns=NS["lb"])
        server = ("import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                  "s.bind((%r, %d))\ns.listen(8)\nprint('ready', flush=True)\n"
                  "while True:\n    c, _ = s.accept()\n    c.sendall(b'host')\n    c.close()\n" % (HOST, HOST_PORT))
        host = subprocess.Popen(["ip", "netns", "exec", NS["lb"], sys.executable, "-c", server],
                                stdout=subprocess.PIPE, text=True)
        self.procs.append(host)
        assert host.stdout.readline().strip() == "ready"

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


def wait_for_neighbors(prefix, expected, timeout=10):
    """Polls /causeway/neighbors until every next hop in `expected` (address -> MAC) shows that MAC,
    learned (not static); returns the table."""
    deadline = time.time() + timeout
    while True:
        # One line per next hop: "ADDRESS MAC STATE ...".
        table = {line.split()[0]: line.split(None, 1)[1] for line in telemetry(prefix, "/causeway/neighbors")}
        if all(table.get(a, "").lower().startswith(mac + " reachable") for a, mac in expected.items()):
            return table
        if time.time() > deadline:
            raise AssertionError("next hops not resolved within %ds: %s (want %s)" % (timeout, table, expected))
        time.sleep(0.1)


def udp_round(sport, vip=VIP):
    v6 = ":" in vip
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.bind((CLIENT6 if v6 else CLIENT, sport))
    try:
        # UDP over af_packet may lose a datagram now and then: ask again (same flow) before failing.
        for attempt in range(3):
            s.sendto(b"hello", (vip, PORT))
            try:
                data, peer = s.recvfrom(100)
            except socket.timeout:
                if attempt == 2:
                    raise
                continue
            assert peer[0] == vip, "reply not from the VIP: %s" % (peer,)
            return data.split()[0].decode()
    finally:
        s.close()


def tcp_round(vip=VIP):
    for attempt in range(3):
        try:
            c = socket.create_connection((vip, PORT), timeout=3)
            c.sendall(b"hi")
            name = c.recv(100).decode()
            c.close()
            return name
        except OSError:
            if attempt == 2:
                raise
    return None


def main():
    # A SIGTERM (meson's timeout) must still run the cleanup below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        return SKIP
    for tool in ("ip", "ethtool"):
        if shutil.which(tool) is None:
            print("SKIP: %s missing" % tool)
            return SKIP
    causewayd, helper = sys.argv[1], sys.argv[2]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    topo = Topology()
    ok = False
    try:
        topo.build()
        topo.start(causewayd, helper, workers)
        # The backends' MACs come from their kernels' ARP replies and neighbour advertisements.
        expected = {addr: mac_of(NS[b], "e0") for b, addr in list(BACKENDS.items()) + list(BACKENDS6.items())}
        print("neighbours:", wait_for_neighbors(TAG, expected), flush=True)
        # The requests came from the gateway's addresses with causewayd's MAC: the backends'
        # kernels, answering them, learned those.
        lb_mac = mac_of(NS["lb"], "l0")
        for b in BACKENDS:
            for family, gw in (("-4", GW), ("-6", GW6)):
                neigh = sh("ip", family, "neigh", "show", gw, "dev", "e0", ns=NS[b], capture=True)
                assert lb_mac in neigh.lower(), "%s: %s not learned from causewayd's request: %r" % (b, gw, neigh)
        root = os.open("/proc/self/ns/net", os.O_RDONLY)
        in_ns(NS["cli"])
        results = {}
        try:
            for vip in (VIP, VIP_GUE, VIP6):
                print("testing", vip, flush=True)
                udp = [udp_round(20000 + i, vip) for i in range(30)]
                sticky = {udp_round(30000, vip) for _ in range(5)}
                tcp = [tcp_round(vip) for _ in range(12)]
                results[vip] = (udp, sticky, tcp)
            # The host (SSH, BGP, ...) shares the port: ARP and TCP through the exception TAP.
            c = socket.create_connection((HOST, HOST_PORT), timeout=5)
            host_reply = c.recv(10)
            c.close()
        finally:
            setns(root)
        assert host_reply == b"host", host_reply
        for vip, (udp, sticky, tcp) in results.items():
            print(vip, "udp:", {b: udp.count(b) for b in BACKENDS}, "tcp:", {b: tcp.count(b) for b in BACKENDS})
            assert set(udp) == set(BACKENDS), "%s: UDP did not reach both backends: %s" % (vip, udp)
            assert len(sticky) == 1, "%s: one UDP flow went to several backends: %s" % (vip, sticky)
            assert len(tcp) == 12 and set(tcp) == set(BACKENDS), "%s: TCP: %s" % (vip, tcp)

        tel = telemetry(TAG, "/causeway/counters")
        print("telemetry:", {k: v for k, v in tel.items() if v})
        assert tel["forwarded_new_flow"] >= 3 * (30 + 1 + 12) and tel["nd_replies"] >= 1
        assert tel["to_host"] > 0 and tel["from_host"] > 0
        assert telemetry(TAG, "/causeway/snapshot")["version"] == 1
        nstats = telemetry(TAG, "/causeway/neighbor_stats")
        print("neighbour resolution:", nstats)
        assert nstats["requests_sent"] >= 4 and nstats["replies_learned"] >= 4 and nstats["macs_changed"] == 0
        assert nstats["republished"] >= 1 and tel["neighbor_reported"] >= 4
        assert tel.get("drop_no_neighbor", 0) == 0, "frames dropped for want of a MAC after resolution"
        per_backend = telemetry(TAG, "/causeway/backends")
        print("per backend:", per_backend)
        assert all(per_backend["%d_packets" % i] > 0 for i in range(1, 7))
        assert telemetry(TAG, "/causeway/services")["1_packets"] == per_backend["1_packets"] + per_backend["2_packets"]

        rc, out = topo.stop_lb()
        print(out)
        assert rc == 0, "causewayd exit code %d" % rc
        assert "causewayd: stopped" in out
        counters = {l.split()[2]: int(l.split()[3]) for l in out.splitlines() if l.startswith("causewayd: counter ")}
        assert counters.get("arp_replies", 0) >= 1
        assert counters.get("forwarded_new_flow", 0) >= 3 * (30 + 1 + 12)
        assert counters.get("forwarded_flow_hit", 0) >= 3 * (4 + 24)  # the sticky flow's repeats, TCP ACKs
        for p in topo.procs[:2]:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
        for b in BACKENDS:
            with open(os.path.join(topo.tmp, b + ".json")) as f:
                st = json.load(f)
            print(b, st)
            assert st["bad"] == 0, st["bad_reasons"][:5]
            assert all(n > 0 for n in st["ok"].values()) and st["inner_tcp"] > 0 and st["inner_udp"] > 0
        print("PASS")
        ok = True
        return 0
    finally:
        if not ok and topo.lb is not None and topo.lb.poll() is None:
            # Show what causewayd counted before it is killed.
            try:
                print(topo.stop_lb()[1])
            except Exception as e:  # noqa: BLE001 - diagnostics only
                print("causewayd did not stop:", e)
            for p in topo.procs[:2]:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
            for b in BACKENDS:
                path = os.path.join(topo.tmp, b + ".json")
                if os.path.exists(path):
                    print(b, open(path).read())
        topo.cleanup()


if __name__ == "__main__":
    sys.exit(main())
