#!/usr/bin/env python3
"""Island mode on the island lab (scripts/lib/island-lab.sh): clusters A and B, both on
10.244.0.0/16, as network namespaces, each with two rebel-base backends and a gateway veth.

Checks:
  - lab: each cluster's backends answer with their own cluster's message; a pod of A has no route to
    B's side of the fabric (islands);
  - gateway veth: the kernel is kept off it (netdev ingress drop) while af_packet sees its frames;
  - the kernel baseline: 20 requests through nftables DNAT reach both of A's backends (10/10), a bulk
    download through it arrives complete with every byte of the pattern; the same 20 through HAProxy;
  - causewayd starts on gateway A's veth with the lab's next hops, its exception TAP takes the host
    address, and it stops cleanly on SIGTERM;
  - issue #6's island scenarios with both gateways (real causewayd, full-NAT, GUE between them,
    configs/lab's state pushed with causewayctl): affinity none splits between the islands, affinity
    local stays local, both local pods killed -> marked down within interval x fall and traffic moves
    to B, pods back -> local again, a keep-alive connection survives a push and an added backend,
    bulk downloads from both islands arrive whole, GUE from a non-peer is dropped and counted, and
    both gateways exit 0 on SIGTERM.

Needs root (namespaces) and ip, nft, curl, haproxy, ethtool: exits 77 (skipped) otherwise.
Exit code: 1 if any check failed, 0 if all that ran passed, 77 if none ran.

usage: island_test.py ISLAND_LAB_SH [CAUSEWAYD [CAUSEWAYCTL [WORKERS]]]
WORKERS (1): worker lcores per gateway; with 2, replies cross between workers (hand-off rings).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
REQUESTS = 20
BLOB_BYTES = 16 << 20
PERIOD = 251 * 256
PATTERN = bytes(((i % 251) ^ ((i // 251) % 256)) for i in range(PERIOD))


class Skip(Exception):
    """A check that cannot run (yet)."""


class Lab:
    """scripts/lib/island-lab.sh under its own prefix, driven function by function."""

    def __init__(self, lib):
        self.lib = lib
        self.prefix = "cwi%d" % (os.getpid() % 100000)
        self.env = dict(os.environ, CW_LAB_PREFIX=self.prefix, CW_LAB_RUN="/run/causeway-lab/" + self.prefix)
        self.vars = {}

    def call(self, fn, *args, check=True, capture=True, timeout=60):
        """Runs one library function in bash; returns its stdout."""
        r = subprocess.run(["bash", "-c", 'set -euo pipefail; source "$0"; "$@"', self.lib, fn, *args],
                           env=self.env, text=True, capture_output=capture, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("%s %s: exit %d\n%s%s" % (fn, " ".join(args), r.returncode, r.stdout or "",
                                                          r.stderr or ""))
        return r.stdout if capture else ""

    def up(self):
        self.call("lab_up", capture=False)
        self.vars = dict(line.split("=", 1) for line in self.call("lab_env").split())

    def ns(self, role):
        return "%s-%s" % (self.prefix, role)

    def exec(self, role, *cmd, **kw):
        return subprocess.run(["ip", "netns", "exec", self.ns(role)] + list(cmd), text=True, capture_output=True, **kw)

    def http(self, role, url, timeout=3):
        """GET from namespace `role`: (status, X-Backend, body bytes); status 0 when no answer."""
        with tempfile.NamedTemporaryFile() as body:
            r = subprocess.run(["ip", "netns", "exec", self.ns(role), "curl", "-sS", "--max-time", str(timeout),
                                "-D", "-", "-o", body.name, url], capture_output=True, text=True)
            if r.returncode != 0:
                return 0, None, b""
            status, backend = 0, None
            for line in r.stdout.splitlines():
                if line.startswith("HTTP/"):
                    status = int(line.split()[1])
                elif line.lower().startswith("x-backend:"):
                    backend = line.split(":", 1)[1].strip()
            with open(body.name, "rb") as f:
                return status, backend, f.read()

    def down(self):
        self.call("lab_down", check=False, capture=False)


def pattern_ok(data, offset=0):
    """True when `data` is the blob pattern (rebel_base.py, perf/e2e) from `offset` on."""
    start = offset % PERIOD
    whole = (PATTERN * (2 + len(data) // PERIOD))[start:start + len(data)]
    return data == whole


def spread(lab, role, url, n=REQUESTS):
    """n requests; returns {backend: count} and the set of bodies seen."""
    counts, bodies = {}, set()
    for _ in range(n):
        status, backend, body = lab.http(role, url)
        assert status == 200, "%s: no answer (status %d)" % (url, status)
        counts[backend] = counts.get(backend, 0) + 1
        bodies.add(body.decode().strip())
    return counts, bodies


# ---- the lab and the kernel baselines ---------------------------------------------------------

def check_islands(lab, _):
    """Each cluster's backends answer with their own message; A's pods cannot reach B's side."""
    for c, message in (("a", "Cluster A: Alderaan base"), ("b", "Cluster B: Hoth base")):
        for be, addr in (("be1", lab.vars["LAB_BE1_ADDR"]), ("be2", lab.vars["LAB_BE2_ADDR"])):
            status, backend, body = lab.http("%s-%s" % (c, be), "http://%s:8080/" % addr)
            assert (status, backend, body) == (200, "%s-%s" % (c, be), (message + "\n").encode()), (status, backend, body)
    # Inside a cluster pods share one segment; across clusters only the gateways' tunnel addresses are
    # routed, and a pod has no route to them.
    r = lab.exec("a-client", "ip", "route", "get", lab.vars["LAB_TUNNEL_B"])
    assert r.returncode != 0, "a-client has a route to gateway B: " + r.stdout
    r = lab.exec("fabric", "ip", "route", "get", "10.244.2.10")
    assert "unreachable" in (r.stdout + r.stderr) or r.returncode != 0, "the fabric routes pod addresses: " + r.stdout


def check_gateway_veth(lab, _):
    """The kernel ignores the gateway veth (ingress drop) while af_packet still sees its frames."""
    lab.call("lab_gw_tap_check", "A")
    lab.call("lab_gw_tap_check", "B")


def assert_split_over_a(lab, url, label):
    """20 requests to `url` from a-client all answer Alderaan, split about evenly over a-be1/a-be2."""
    counts, bodies = spread(lab, "a-client", url)
    print("  %s:" % label, counts)
    assert bodies == {"Cluster A: Alderaan base"}, bodies
    assert set(counts) == {"a-be1", "a-be2"} and all(7 <= n <= 13 for n in counts.values()), counts


def check_kernel_dnat(lab, _):
    """20 requests through nftables DNAT (numgen inc) reach both of A's backends, 10/10."""
    lab.call("lab_kernel_lb_up")
    assert_split_over_a(lab, "http://%s/" % lab.vars["LAB_KNAT_VIP"], "nftables DNAT")


def check_kernel_dnat_bulk(lab, _):
    """A 16 MiB download through nftables DNAT arrives whole, every byte of the pattern in place."""
    lab.call("lab_kernel_lb_up")
    status, backend, body = lab.http("a-client", "http://%s/blob?bytes=%d" % (lab.vars["LAB_KNAT_VIP"], BLOB_BYTES),
                                     timeout=30)
    assert status == 200 and backend in ("a-be1", "a-be2"), (status, backend)
    assert len(body) == BLOB_BYTES, "got %d of %d bytes" % (len(body), BLOB_BYTES)
    assert pattern_ok(body), "the blob's bytes differ from the pattern"


def check_haproxy(lab, _):
    """20 requests through HAProxy (TCP mode, roundrobin) reach both of A's backends, 10/10."""
    lab.call("lab_haproxy_up")
    assert_split_over_a(lab, "http://%s/" % lab.vars["LAB_HAPROXY_ADDR"], "HAProxy")


# ---- causeway -----------------------------------------------------------------------------------

def lcores(workers):
    """EAL's lcores for `workers` worker lcores: the main one polls alone, else main + workers spread
    over the CPUs (with several, full-NAT replies RSS gives another worker are handed over)."""
    if workers <= 1:
        return ["-l", "0"]
    return ["--lcores", ",".join("%d@%d" % (i, i % os.cpu_count()) for i in range(workers + 1))]


class Gateway:
    """causewayd for cluster A or B in its gateway namespace, on veth gw (net_af_packet), with the
    lab's static next hops and its exception TAP cwhost carrying the host address."""

    def __init__(self, lab, bins, cluster, config_yaml):
        if not bins.get("causewayd") or not os.access(bins["causewayd"], os.X_OK):
            raise Skip("causewayd not built")
        self.lab, self.cluster = lab, cluster.lower()
        self.dir = tempfile.mkdtemp(prefix="causeway-island-")
        self.prefix = "%s-%s" % (lab.prefix, self.cluster)
        self.sock = os.path.join(self.dir, "gw.sock")
        config = os.path.join(self.dir, "config.yaml")
        with open(config, "w") as f:
            f.write(config_yaml)
        tunnel = lab.vars["LAB_TUNNEL_" + cluster.upper()]
        self.log = open(os.path.join(self.dir, "causewayd.log"), "w+")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", lab.ns(self.cluster + "-gw"), bins["causewayd"], "--listen=unix:" + self.sock,
             "--state_dir=", "--config=" + config,
             "--neighbors=" + lab.call("lab_neighbors", cluster).strip(),
             "--default_next_hop_mac=" + lab.call("lab_next_hop_mac", cluster).strip(),
             "--tunnel_sources=" + tunnel, "--idle_sleep_us=50", "--exception_tap=cwhost",
             # Each gateway namespace has its own loopback: the same port for both.
             "--metrics_listen=127.0.0.1:9100", "--",
             ] + lcores(bins.get("workers", 1)) + [
             "--no-huge", "-m", "512", "--no-pci", "--file-prefix=" + self.prefix,
             "--vdev=net_af_packet0,iface=gw,framecnt=4096,qpairs=%d" % bins.get("workers", 1)],
            stdout=self.log, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("causewayd exited %d:\n%s" % (self.proc.returncode, self.output()))
            if "port 0 up" in self.output() and os.path.exists(self.sock):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("causewayd did not come up:\n" + self.output())
        lab.call("lab_host_tap_up", cluster)

    def output(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        """SIGTERM; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)  # EAL leaves it
        return self.proc.returncode


def gateway_config(lab, cluster, affinity="NONE", endpoints=None):
    """The island pair's state seen from gateway `cluster`: default/rebel-base on VIP 10.96.0.10:80
    with both clusters' backends (or `endpoints`: [(cluster, address)]), full-NAT."""
    me, other = ("a", "b") if cluster.lower() == "a" else ("b", "a")
    if endpoints is None:
        endpoints = [(c, lab.vars[k]) for c in ("a", "b") for k in ("LAB_BE1_ADDR", "LAB_BE2_ADDR")]
    lines = [
        "gateway:",
        "  cluster: cluster-%s" % me,
        "  zone: zone-%s" % me,
        "  addresses: [%s, %s]" % (lab.vars["LAB_GW_SNAT_ADDR"], lab.vars["LAB_TUNNEL_" + me.upper()]),
        "clusters:",
        "  - {name: cluster-%s, id: %d, region: lab}" % (me, 1 if me == "a" else 2),
        "  - {name: cluster-%s, id: %d, region: lab, gateway_address: %s}" % (
            other, 1 if other == "a" else 2, lab.vars["LAB_TUNNEL_" + other.upper()]),
        "services:",
        "  - namespace: default",
        "    name: rebel-base",
        "    frontends: [{vip: 10.96.0.10, port: 80, protocol: TCP}]",
        "    scope: GLOBAL",
        "    affinity: %s" % affinity,
        "    forwarding: FULL_NAT",
        "endpoints:",
    ]
    for c, addr in endpoints:
        lines.append("  - {service: default/rebel-base, cluster: cluster-%s, zone: zone-%s, address: %s, port: 8080}"
                     % (c, c, addr))
    return "\n".join(lines) + "\n"


def check_causewayd_on_gateway_veth(lab, bins):
    """causewayd comes up on gateway A's veth with the lab's next hops, the exception TAP takes the
    host address, and causewayd stops cleanly on SIGTERM."""
    gw = Gateway(lab, bins, "A", gateway_config(lab, "A", endpoints=[("a", lab.vars["LAB_BE1_ADDR"])]))
    try:
        r = lab.exec("a-gw", "ip", "-o", "-4", "addr", "show", "dev", "cwhost")
        assert lab.vars["LAB_GW_HOST_ADDR"] + "/16" in r.stdout, r.stdout + r.stderr
        assert gw.proc.poll() is None, "causewayd exited:\n" + gw.output()
    finally:
        out, rc = gw.output(), gw.stop()
    assert rc == 0, "causewayd exit code %s:\n%s" % (rc, out)


# ---- the island scenarios of issue #6: both gateways, the demo's story with assertions ----------

LAB_CONFIGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "lab")
REBEL_BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "lib", "rebel_base.py")
VIP_URL = "http://10.96.0.10/"
ALDERAAN, HOTH = "Cluster A: Alderaan base", "Cluster B: Hoth base"
# rebel-base*.yaml: HTTP checks every 500 ms, fall 2, rise 2.
CHECK_INTERVAL_S, FALL, RISE = 0.5, 2, 2


class Island:
    """Gateways A and B (real causewayd, control plane and dataplane) with configs/lab's state; the
    scenarios below run in order on one Island and share it."""
    instance = None

    @classmethod
    def get(cls, lab, bins):
        if cls.instance is None:
            if not bins.get("causewayctl") or not os.access(bins["causewayctl"], os.X_OK):
                raise Skip("causewayctl not built")
            cls.instance = Island(lab, bins)
        return cls.instance

    def __init__(self, lab, bins):
        self.lab, self.bins = lab, bins
        self.gw = {}
        for c in ("A", "B"):
            with open(os.path.join(LAB_CONFIGS, "gateway-%s.yaml" % c.lower())) as f:
                self.gw[c] = Gateway(lab, bins, c, f.read())
        for c in ("A", "B"):
            self.ctl(c, "apply", "-f", os.path.join(LAB_CONFIGS, "rebel-base.yaml"))

    def ctl(self, c, *args):
        r = subprocess.run([self.bins["causewayctl"], "--server=unix:" + self.gw[c].sock] + list(args),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, "causewayctl %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr)
        return r.stdout

    def counter(self, c, name):
        for line in self.ctl(c, "stats").splitlines():
            parts = line.split()
            if parts[:2] == ["dataplane", name]:
                return int(parts[2])
        raise AssertionError("no counter %s" % name)

    def answers(self, n=REQUESTS):
        """n requests from a-client to the VIP: {message: count} (no answer counts as "")."""
        counts = {}
        for _ in range(n):
            status, _, body = self.lab.http("a-client", VIP_URL, timeout=2)
            key = body.decode().strip() if status == 200 else ""
            counts[key] = counts.get(key, 0) + 1
        return counts

    def local_health(self):
        """The health gateway A reports for cluster-a's two pods."""
        return [line.split()[7] for line in self.ctl("A", "get", "endpoints").splitlines() if " cluster-a " in line]

    def wait_local_health(self, want, limit_s):
        """Seconds until gateway A reports `want` for both local pods; fails after limit_s."""
        start = time.monotonic()
        while time.monotonic() - start < limit_s:
            if self.local_health() == [want, want]:
                return time.monotonic() - start
            time.sleep(0.05)
        raise AssertionError("gateway A still reports %s after %.1f s, want %s" % (self.local_health(), limit_s, want))

    def stop(self):
        out = {}
        for c, g in self.gw.items():
            text, rc = g.output(), g.stop()
            out[c] = (rc, text)
        Island.instance = None
        return out


def causeway_affinity_none_splits(lab, bins):
    """affinity NONE, both gateways: 20 requests from a-client reach both islands (about 10/10),
    the remote ones through the GUE tunnel to gateway B, and every one is answered."""
    island = Island.get(lab, bins)
    counts = island.answers()
    print("  answers: %s" % counts)
    assert set(counts) <= {ALDERAAN, HOTH}, counts
    # Binomial(20, 1/2): outside 3..17 about once in 2,500 runs.
    assert 3 <= counts.get(ALDERAAN, 0) <= 17, counts
    assert island.counter("A", "tunnel_in") > 0 and island.counter("B", "tunnel_in") > 0


def causeway_affinity_local_stays_local(lab, bins):
    """affinity LOCAL: 20 requests -> 20 Alderaan, 0 Hoth."""
    island = Island.get(lab, bins)
    island.ctl("A", "apply", "-f", os.path.join(LAB_CONFIGS, "rebel-base-local.yaml"))
    counts = island.answers()
    print("  answers: %s" % counts)
    assert counts == {ALDERAAN: REQUESTS}, counts


def causeway_local_backends_killed_moves_to_b(lab, bins):
    """affinity LOCAL with HTTP health checks: both of A's pods die -> gateway A marks them down
    within interval x fall (plus one probe's slack) and all 20 requests answer Hoth, through the tunnel."""
    island = Island.get(lab, bins)
    # Kill both servers outright, and time from the moment they are gone.
    pids = []
    for role in ("a-be1", "a-be2"):
        with open(os.path.join(lab.env["CW_LAB_RUN"], role + ".pid")) as f:
            pids.append(int(f.read().strip()))
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    while any(os.path.exists("/proc/%d" % pid) and open("/proc/%d/stat" % pid).read().split()[2] != "Z"
              for pid in pids):
        time.sleep(0.005)
    took = island.wait_local_health("UNHEALTHY", limit_s=10)
    lab.call("lab_backends_stop", "A")  # the lab's bookkeeping
    print("  both marked UNHEALTHY %.2f s after they died (interval x fall = %.1f s)"
          % (took, CHECK_INTERVAL_S * FALL))
    # The first failing probe comes within one interval, `fall` of them within fall intervals; one
    # more interval of slack for a loaded machine.
    assert took <= CHECK_INTERVAL_S * (FALL + 1) + 0.5, "took %.2f s" % took
    counts = island.answers()
    print("  answers: %s" % counts)
    assert counts == {HOTH: REQUESTS}, counts


def causeway_local_backends_back(lab, bins):
    """A's pods come back -> healthy after rise probes, and 20/0 Alderaan again."""
    island = Island.get(lab, bins)
    lab.call("lab_backends_start", "A")
    took = island.wait_local_health("HEALTHY", limit_s=10)
    print("  both HEALTHY again after %.2f s" % took)
    counts = island.answers()
    print("  answers: %s" % counts)
    assert counts == {ALDERAAN: REQUESTS}, counts


KEEPALIVE_CLIENT = r"""
import socket, sys, time
s = socket.create_connection(("10.96.0.10", 80), timeout=5)
def ask():
    s.sendall(b"GET / HTTP/1.1\r\nHost: rebel-base\r\nConnection: keep-alive\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < length:
        body += s.recv(4096)
    backend = [l.split(b":")[1].strip() for l in head.split(b"\r\n") if l.lower().startswith(b"x-backend")][0]
    return backend.decode()
print(ask(), flush=True)
for line in sys.stdin:      # one more request on the same connection per line
    print(ask(), flush=True)
"""


def causeway_long_lived_connection_survives_push(lab, bins):
    """One TCP connection through the VIP keeps working, on the same backend, across a config push
    and an added backend (a real one, which new connections then reach)."""
    island = Island.get(lab, bins)
    p = subprocess.Popen(["ip", "netns", "exec", lab.ns("a-client"), sys.executable, "-c", KEEPALIVE_CLIENT],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline().strip()
        assert first, "no first answer: %s" % p.stderr.read()
        island.ctl("A", "apply", "-f", os.path.join(LAB_CONFIGS, "rebel-base.yaml"))
        # A real new backend: a second rebel-base on a-be1, port 8081.
        extra = subprocess.Popen(["ip", "netns", "exec", lab.ns("a-be1"), sys.executable, REBEL_BASE, "--message", ALDERAAN,
                                  "--name", "a-be1-8081", "--port", "8081"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        added = os.path.join(tempfile.mkdtemp(prefix="causeway-island-"), "added.yaml")
        with open(added, "w") as f:
            f.write("endpoints:\n  - {service: default/rebel-base, cluster: cluster-a, zone: zone-a, "
                    "address: 10.244.2.10, port: 8081}\n")
        island.ctl("A", "apply", "-f", added)
        deadline = time.time() + 10
        while time.time() < deadline and "10.244.2.10:8081" not in island.ctl("A", "get", "endpoints"):
            time.sleep(0.1)
        for step in ("after the push", "after the added backend", "a moment later"):
            p.stdin.write("again\n")
            p.stdin.flush()
            answer = p.stdout.readline().strip()
            print("  %s: %s (first: %s)" % (step, answer, first))
            assert answer == first, "%s: answered by %r, first by %r; %s" % (step, answer, first, p.stderr.read())
            time.sleep(0.3)
        shutil.rmtree(os.path.dirname(added), ignore_errors=True)
        # New connections now reach the added backend too.
        seen = set()
        for _ in range(40):
            seen.add(lab.http("a-client", VIP_URL, timeout=2)[1])
            if "a-be1-8081" in seen:
                break
        assert "a-be1-8081" in seen, "the added backend got no new connection: %s" % seen
        extra.kill()
        extra.wait()
    finally:
        p.kill()
        p.wait()


def causeway_bulk_transfer_complete(lab, bins):
    """GET /blob through the VIP brings every byte of the pattern, from a local pod and from a
    remote one (through the tunnel both ways: MSS clamped to fit GUE)."""
    island = Island.get(lab, bins)
    island.ctl("A", "apply", "-f", os.path.join(LAB_CONFIGS, "rebel-base.yaml"))  # affinity none again
    seen = set()
    for _ in range(12):
        status, backend, body = lab.http("a-client", VIP_URL + "blob?bytes=%d" % BLOB_BYTES, timeout=60)
        assert status == 200, "no answer"
        assert len(body) == BLOB_BYTES and pattern_ok(body), "from %s: %d bytes, pattern %s" % (
            backend, len(body), pattern_ok(body))
        # X-Backend says a-be1/b-be2...: the island it came from.
        seen.add(backend[0])
        if seen == {"a", "b"}:
            break
    print("  complete %d-byte downloads from islands %s" % (BLOB_BYTES, sorted(seen)))
    assert seen == {"a", "b"}, seen
    if bins.get("workers", 1) > 1:
        # Replies the fanout gave the other worker went over the hand-off ring, none lost.
        handed = {c: (island.counter(c, "handed_off"), island.counter(c, "rx_handoff"),
                      island.counter(c, "drop_handoff_full")) for c in ("A", "B")}
        print("  hand-offs (sent, received, ring full): %s" % handed)
        assert sum(h[0] for h in handed.values()) > 0, handed
        assert all(h[0] == h[1] and h[2] == 0 for h in handed.values()), handed


GUE_SENDER = r"""
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = socket.inet_aton("10.244.0.2"), socket.inet_aton("10.244.2.10")
tcp = struct.pack("!HHIIBBHHH", 40000, 8080, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
tcp = tcp[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[1])):
    u.sendto(ip + tcp, (sys.argv[2], 6080))
"""


def causeway_non_peer_tunnel_dropped(lab, bins):
    """GUE to gateway A's tunnel address from the fabric router (192.168.10.1, not a peer gateway)
    carrying a SYN for one of A's pods: dropped and counted, no session made."""
    island = Island.get(lab, bins)
    before_drop = island.counter("A", "drop_tunnel_not_peer")
    before_new = island.counter("A", "forwarded_nat_new")
    r = lab.exec("fabric", sys.executable, "-c", GUE_SENDER, "5", lab.vars["LAB_TUNNEL_A"], timeout=20)
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 5
    while time.time() < deadline and island.counter("A", "drop_tunnel_not_peer") < before_drop + 5:
        time.sleep(0.1)
    dropped = island.counter("A", "drop_tunnel_not_peer") - before_drop
    print("  drop_tunnel_not_peer +%d" % dropped)
    assert dropped == 5, dropped
    assert island.counter("A", "forwarded_nat_new") == before_new


def zone_row(island, client_zone, backend_zone):
    """gateway A's `costs` row for client_zone -> backend_zone (JSON field names either way)."""
    import json
    doc = json.loads(island.ctl("A", "costs", "-o", "json"))
    for row in doc.get("zones", []):
        if row.get("clientZone", row.get("client_zone")) == client_zone and \
                row.get("backendZone", row.get("backend_zone")) == backend_zone:
            t = row.get("traffic", {})
            get = lambda *names: next((float(t[n]) for n in names if n in t), 0.0)
            return {"to_client": get("bytesToClient", "bytes_to_client"), "to_backend": get("bytesToBackend", "bytes_to_backend"),
                    "cost": get("cost")}
    return {"to_client": 0.0, "to_backend": 0.0, "cost": 0.0}


def causeway_costs_count_known_traffic(lab, bins):
    """Costs: a 4 MiB download from a cluster-b pod (zone-b) to a-client (zone-a) adds at least
    4 MiB, and at most 10% more (headers), to gateway A's zone-a -> zone-b cell in the backend ->
    client direction, priced inter-zone ($0.01/GB); /metrics of the real gateway passes promtool."""
    island = Island.get(lab, bins)
    n = 4 << 20
    for _ in range(30):
        before = zone_row(island, "zone-a", "zone-b")
        status, backend, body = lab.http("a-client", VIP_URL + "blob?bytes=%d" % n, timeout=30)
        assert status == 200 and len(body) == n and pattern_ok(body), "download failed"
        if backend.startswith("b-"):
            break
    else:
        raise AssertionError("no download came from cluster-b")
    after = zone_row(island, "zone-a", "zone-b")
    grew = after["to_client"] - before["to_client"]
    print("  zone-a <- zone-b: +%d bytes for a %d-byte download; cost %.3g -> %.3g" % (grew, n, before["cost"], after["cost"]))
    assert n <= grew <= n * 1.1, grew
    assert abs(after["cost"] - (after["to_client"] + after["to_backend"]) / 1e9 * 0.01) < 1e-9, after
    r = lab.exec("a-gw", "curl", "-s", "--max-time", "5", "http://127.0.0.1:9100/metrics")
    assert r.returncode == 0 and "causeway_zone_pair_bytes_total" in r.stdout, r.stdout[:500] + r.stderr
    assert 'backend_zone="zone-b"' in r.stdout, "no zone-b cell in /metrics"
    promtool = shutil.which("promtool")
    if promtool:
        check = subprocess.run([promtool, "check", "metrics"], input=r.stdout, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        print("  /metrics: %d lines, promtool check metrics: ok" % len(r.stdout.splitlines()))


class Renewer:
    """cluster-b's feed to gateway A: pushes cluster-b's endpoints every 0.4 s (each push renews its
    lease) until stopped."""

    def __init__(self, island):
        self.island, self.stop_at = island, None
        self.dir = tempfile.mkdtemp(prefix="causeway-island-")
        self.file = os.path.join(self.dir, "cluster-b.yaml")
        with open(os.path.join(LAB_CONFIGS, "rebel-base.yaml")) as f:
            lines = [l for l in f.read().splitlines() if "cluster: cluster-b" in l]
        with open(self.file, "w") as f:
            f.write("endpoints:\n" + "\n".join(lines) + "\n")
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            subprocess.run([self.island.bins["causewayctl"], "--server=unix:" + self.island.gw["A"].sock, "apply",
                            "-f", self.file], capture_output=True, timeout=30)
            time.sleep(0.4)

    def stop(self):
        self.running = False
        self.thread.join()
        shutil.rmtree(self.dir, ignore_errors=True)


def apply_service_policy(island, policy, affinity="NONE"):
    """Applies rebel-base's service alone (no endpoints: pushing it renews nobody) with `policy` to A."""
    with open(os.path.join(LAB_CONFIGS, "rebel-base.yaml")) as f:
        text = f.read()
    service = text[text.index("services:"):text.index("endpoints:")]
    service = service.replace("affinity: NONE", "affinity: %s\n    partition_policy: %s" % (affinity, policy))
    with tempfile.TemporaryDirectory(prefix="causeway-island-") as tmp:
        path = os.path.join(tmp, "service.yaml")
        with open(path, "w") as f:
            f.write(service)
        island.ctl("A", "apply", "-f", path)


def cluster_b_state(island):
    line = [l for l in island.ctl("A", "get", "clusters").splitlines() if l.startswith("cluster-b")]
    return line[0] if line else ""


def wait_cluster_b(island, word, limit_s):
    deadline = time.time() + limit_s
    while time.time() < deadline:
        if word in cluster_b_state(island):
            return
        time.sleep(0.1)
    raise AssertionError("cluster-b is not %r after %.0f s: %s" % (word, limit_s, cluster_b_state(island)))


def requests_by_outcome(lab, n=REQUESTS):
    """n requests: {"A": answered by cluster A, "B": by B, "refused": reset at once, "timeout": hung}."""
    out = {"A": 0, "B": 0, "refused": 0, "timeout": 0}
    for _ in range(n):
        r = subprocess.run(["ip", "netns", "exec", lab.ns("a-client"), "curl", "-s", "--max-time", "2", VIP_URL],
                           capture_output=True, text=True)
        if r.returncode == 0:
            out["A" if r.stdout.strip() == ALDERAAN else "B"] += 1
        elif r.returncode in (7, 56):  # connection refused / reset by peer
            out["refused"] += 1
        else:
            out["timeout"] += 1
    return out


def causeway_partition_policies(lab, bins):
    """Partition, with cluster-b's feed renewing its 2 s lease: cut the feed -> cluster-b stale; SAFE_MODE:
    an established connection to a cluster-b pod goes on, new flows that land on cluster-b are reset at
    once (counted), the rest reach A; cut the transit link too -> still never a hang; DROP -> all 20
    to A; feed and link back -> after the hold-down, both islands again."""
    island = Island.get(lab, bins)
    renewer = Renewer(island)
    fabric = lab.ns("fabric")
    try:
        apply_service_policy(island, "SAFE_MODE")
        wait_cluster_b(island, "fresh", 5)
        # A long-lived connection to a cluster-b pod, made while the feed is fresh.
        conn = None
        for _ in range(30):
            p = subprocess.Popen(["ip", "netns", "exec", lab.ns("a-client"), sys.executable, "-c", KEEPALIVE_CLIENT],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            first = p.stdout.readline().strip()
            if first.startswith("b-"):
                conn = (p, first)
                break
            p.kill()
            p.wait()
        assert conn is not None, "no connection landed on cluster-b"
        p, first = conn
        try:
            renewer.stop()
            wait_cluster_b(island, "stale", 6)
            print("  feed cut: %s" % " ".join(cluster_b_state(island).split()))
            refused_before = island.counter("A", "refused_partition")
            p.stdin.write("again\n")
            p.stdin.flush()
            again = p.stdout.readline().strip()
            print("  established connection to %s: still answered by %s" % (first, again))
            assert again == first, (again, first)
            outcome = requests_by_outcome(lab)
            print("  SAFE_MODE, feed cut: %s" % outcome)
            assert outcome["B"] == 0 and outcome["timeout"] == 0 and outcome["refused"] > 0 and outcome["A"] > 0, outcome
            assert island.counter("A", "refused_partition") - refused_before == outcome["refused"]
        finally:
            p.kill()
            p.wait()
        subprocess.run(["ip", "-n", fabric, "link", "set", "br-b", "down"], check=True)
        outcome = requests_by_outcome(lab)
        print("  SAFE_MODE, transit link cut too: %s" % outcome)
        assert outcome["B"] == 0 and outcome["timeout"] == 0 and outcome["A"] > 0, outcome
        apply_service_policy(island, "DROP")
        outcome = requests_by_outcome(lab)
        print("  DROP: %s" % outcome)
        assert outcome == {"A": REQUESTS, "B": 0, "refused": 0, "timeout": 0}, outcome
        subprocess.run(["ip", "-n", fabric, "link", "set", "br-b", "up"], check=True)
        renewer = Renewer(island)
        wait_cluster_b(island, "holding down", 5)
        wait_cluster_b(island, "fresh", 10)
        outcome = requests_by_outcome(lab)
        print("  feed and link back, after the hold-down: %s" % outcome)
        assert outcome["A"] > 0 and outcome["B"] > 0 and outcome["timeout"] == 0, outcome
    finally:
        renewer.stop()
        subprocess.run(["ip", "-n", fabric, "link", "set", "br-b", "up"], capture_output=True)


def causeway_gateways_stop_cleanly(lab, bins):
    """Both gateways exit 0 on SIGTERM after all of the above."""
    if Island.instance is None:
        raise Skip("no island was started")
    for c, (rc, text) in Island.instance.stop().items():
        assert rc == 0, "gateway %s exit %s:\n%s" % (c, rc, text[-2000:])


CHECKS = [
    check_islands,
    check_gateway_veth,
    check_kernel_dnat,
    check_kernel_dnat_bulk,
    check_haproxy,
    check_causewayd_on_gateway_veth,
    causeway_affinity_none_splits,
    causeway_affinity_local_stays_local,
    causeway_local_backends_killed_moves_to_b,
    causeway_local_backends_back,
    causeway_bulk_transfer_complete,
    causeway_costs_count_known_traffic,
    causeway_long_lived_connection_survives_push,
    causeway_non_peer_tunnel_dropped,
    causeway_partition_policies,
    causeway_gateways_stop_cleanly,
]


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # meson's timeout: still clean up
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        return SKIP
    for tool in ("ip", "nft", "curl", "haproxy", "ethtool"):
        if shutil.which(tool) is None:
            print("SKIP: %s missing (scripts/setup.sh installs it)" % tool)
            return SKIP
    bins = {"causewayd": sys.argv[2] if len(sys.argv) > 2 else None,
            "causewayctl": sys.argv[3] if len(sys.argv) > 3 else None,
            "workers": int(sys.argv[4]) if len(sys.argv) > 4 else 1}
    lab = Lab(os.path.abspath(sys.argv[1]))
    results = {}
    try:
        lab.up()
        for check in CHECKS:
            name = check.__name__
            print("%s: %s" % (name, " ".join(check.__doc__.split("\n\n")[0].split())), flush=True)
            try:
                check(lab, bins)
                results[name] = "PASS"
            except Skip as e:
                results[name] = "SKIP (%s)" % e
            except (AssertionError, subprocess.SubprocessError, OSError) as e:
                results[name] = "FAIL"
                print("  FAIL: %s" % e, flush=True)
            print("  %s" % results[name], flush=True)
    finally:
        if Island.instance is not None:
            Island.instance.stop()
        lab.down()
    leftovers = [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
                 if n.startswith(lab.prefix + "-")]
    if leftovers:
        print("FAIL: lab_down left namespaces behind: %s" % leftovers)
        return 1
    print("\n".join("%-48s %s" % kv for kv in results.items()))
    if any(v == "FAIL" for v in results.values()):
        return 1
    return 0 if any(v == "PASS" for v in results.values()) else SKIP


if __name__ == "__main__":
    sys.exit(main())
