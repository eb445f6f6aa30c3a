#!/usr/bin/env python3
"""causewayd with its dataplane: the control plane's compiled snapshots reach the DPDK workers, and
/metrics (--metrics_listen) and `causewayctl costs` read the dataplane's counters.

A real causewayd process with EAL arguments after `--` (a net_null port, --no-huge), driven by the
real causewayctl; DPDK telemetry (/causeway/snapshot) says which snapshot the dataplane holds.
Root is needed for DPDK's runtime directory: exits 77 (skipped) otherwise.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from daemon_process import clean_up, stop

causewayd, causewayctl, configs = sys.argv[1], sys.argv[2], sys.argv[3]
if os.geteuid() != 0:
    print("skipped: needs root for DPDK")
    sys.exit(77)

prefix = "cwcp%d" % os.getpid()
work = tempfile.mkdtemp(prefix="causewayd-dp-")
sock = os.path.join(work, "causeway.sock")
env = dict(os.environ, CAUSEWAY_SERVER="unix:" + sock)
passed, failed = [], []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (passed if cond else failed).append(what)


def telemetry(command):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    try:
        s.recv(16384)
        s.send(command.encode())
        return json.loads(s.recv(65536).decode())[command]
    finally:
        s.close()


def ctl(*args, stdin=None):
    return subprocess.run([causewayctl, *args], env=env, capture_output=True, text=True, input=stdin, timeout=30)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


metrics_port = free_port()
daemon = subprocess.Popen(
    [causewayd, "--listen=unix:" + sock, "--state_dir=" + os.path.join(work, "state"),
     "--config=" + os.path.join(configs, "north-south.yaml"), "--idle_sleep_us=1000",
     "--metrics_listen=127.0.0.1:%d" % metrics_port,
     "--", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--file-prefix", prefix, "--log-level=error",
     "--vdev=net_null0", "-l", "0"],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
try:
    deadline = time.time() + 20
    while not os.path.exists(sock) and time.time() < deadline and daemon.poll() is None:
        time.sleep(0.1)
    check(os.path.exists(sock), "causewayd with a dataplane listens")

    snap = telemetry("/causeway/snapshot")
    check(snap["version"] == 1 and snap["refused"] == 0, "the dataplane holds the config file's snapshot: %s" % snap)

    change = """
endpoints:
  - {service: ingress/public-web, cluster: cluster-a, zone: eu-west-1a, address: 10.1.0.99, port: 8443}
"""
    r = ctl("apply", "-f", "-", stdin=change)
    check(r.returncode == 0 and "version 2" in r.stdout, "apply answered with version 2: %r" % r.stdout.strip())
    snap = telemetry("/causeway/snapshot")
    check(snap["version"] == 2 and snap["published"] == 2 and snap["refused"] == 0,
          "the dataplane holds version 2 as soon as apply returns: %s" % snap)

    r = ctl("apply", "-f", "-", stdin="endpoints:\n  - {service: ingress/public-web, cluster: nowhere, address: 10.1.0.1, port: 1}\n")
    check(r.returncode == 1, "a refused change exits 1")
    check(telemetry("/causeway/snapshot")["version"] == 2, "and the dataplane keeps version 2")

    r = ctl("stats", "-o", "json")
    stats = json.loads(r.stdout) if r.returncode == 0 else {}
    counters = stats.get("dataplane_counters", stats.get("dataplaneCounters", {}))
    check("rx" in counters and "drop_no_vip" in counters and "drop_malformed" in counters,
          "causewayctl stats carries the dataplane's counters, drops by reason: %d counters" % len(counters))
    r = ctl("stats")
    check("dataplane drop_no_backend" in r.stdout, "and prints them in its table")

    import urllib.request
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port, timeout=10) as response:
            page = response.read().decode()
    except OSError as e:
        page = "fetch failed: %s" % e
    check('causeway_dataplane_packets_total{counter="drop_no_vip"} ' in page
          and "# TYPE causeway_zone_pair_bytes_total counter" in page
          and "# TYPE causeway_service_packets_total counter" in page,
          "/metrics has the dataplane's counters and its traffic families")
    promtool = shutil.which("promtool")
    if promtool is None:
        print("skip promtool: not installed (Debian package prometheus)")
    else:
        p = subprocess.run([promtool, "check", "metrics"], input=page, capture_output=True, text=True)
        check(p.returncode == 0, "promtool check metrics accepts the page: %s" % (p.stdout + p.stderr).strip())
    r = ctl("costs", "-o", "json")
    costs = json.loads(r.stdout) if r.returncode == 0 else {}
    check(costs.get("dataplane") is True and costs.get("gateway_cluster") == "cluster-a",
          "causewayctl costs reads the dataplane's zone pairs: %r" % r.stdout[:200])

    code = stop(daemon, timeout=10)
    check(code == 0, "SIGTERM stops causewayd cleanly (exit %s)" % code)
finally:
    clean_up(daemon, work, prefix)

print("%d passed, %d failed" % (len(passed), len(failed)))
sys.exit(1 if failed else 0)
