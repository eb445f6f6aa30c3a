#!/usr/bin/env python3
"""causewayd started under a real-time policy (`chrt -f 10 causewayd ...`): the packet worker runs
SCHED_FIFO, and every other thread — EAL's interrupt and telemetry threads, gRPC's, the control
thread — keeps SCHED_OTHER, so EAL's start-up is not starved (before: every thread inherited
SCHED_FIFO, and with one lcore on one CPU causewayd did not listen within 60 s). Once with one
lcore (the worker on the main thread, pinned with the process to one CPU), once with two (the
worker on rte-worker-N).

A real causewayd (net_null port, --no-huge). Needs root (DPDK's runtime directory, chrt -f):
exits 77 (skipped) otherwise.
"""
import os
import subprocess
import sys
import tempfile
import time

from daemon_process import clean_up, stop

causewayd, configs = sys.argv[1], sys.argv[2]
if os.geteuid() != 0:
    print("skipped: needs root for DPDK and chrt -f")
    sys.exit(77)

passed, failed = [], []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (passed if cond else failed).append(what)


def threads(pid):
    """(name, policy, rt priority, tid) of every thread of `pid` (policy 0: SCHED_OTHER, 1:
    SCHED_FIFO); empty if the process is gone."""
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                name = f.read().strip()
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread just ended
        # After "(comm)": field 3 is fields[0], so rt_priority (40) and policy (41) are [37], [38].
        out.append((name, int(fields[38]), int(fields[37]), int(tid)))
    return sorted(out)


def settled(pid, deadline):
    """The threads once exactly one of them is real-time (the worker has applied its policy), or
    as they are at `deadline`."""
    while True:
        seen = threads(pid)
        if sum(1 for t in seen if t[1] != 0) == 1 or time.time() > deadline:
            return seen
        time.sleep(0.05)


def run(lcores, label):
    """causewayd on EAL lcores `lcores` (CPU numbers), the process pinned to those CPUs."""
    prefix = "cwrt%d%s" % (os.getpid(), label)
    work = tempfile.mkdtemp(prefix="causewayd-rt-")
    sock = os.path.join(work, "causeway.sock")
    cmd = ["taskset", "-c", lcores, "chrt", "-f", "10", causewayd, "--listen=unix:" + sock,
           "--state_dir=" + os.path.join(work, "state"),
           "--config=" + os.path.join(configs, "north-south.yaml"), "--idle_sleep_us=1000",
           "--", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--file-prefix", prefix,
           "--log-level=error", "--vdev=net_null0", "-l", lcores]
    start = time.time()
    daemon = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while not os.path.exists(sock) and time.time() - start < 60 and daemon.poll() is None:
            time.sleep(0.05)
        took = time.time() - start
        check(os.path.exists(sock), "%s: causewayd under chrt -f 10 listens after %.1f s" % (label, took))
        check(took < 5, "%s: within 5 s" % label)
        seen = settled(daemon.pid, time.time() + 5)
        check(daemon.poll() is None, "%s: and keeps running" % label)
        fifo = [t for t in seen if t[1] != 0]
        check(len(fifo) == 1 and fifo[0][1:3] == (1, 10),
              "%s: one thread, the worker, is SCHED_FIFO 10: %s" % (label, fifo))
        if lcores.count(",") == 0:
            check(len(fifo) == 1 and fifo[0][3] == daemon.pid, "%s: the worker is the main thread" % label)
        else:
            check(len(fifo) == 1 and fifo[0][0].startswith("rte-worker"), "%s: the worker is an lcore thread" % label)
        named = {t[0]: t[1] for t in seen}
        check(named.get("eal-intr-thread") == 0 and named.get("telemetry-v2") == 0,
              "%s: EAL's interrupt and telemetry threads are SCHED_OTHER: %s" % (label, seen))
        check(len(seen) - len(fifo) >= 4, "%s: and so are the other %d threads" % (label, len(seen) - len(fifo)))
        code = stop(daemon, timeout=15)
        check(code == 0, "%s: SIGTERM stops it cleanly (exit %s)" % (label, code))
    finally:
        clean_up(daemon, work, prefix)


probe = subprocess.run(["chrt", "-f", "10", "true"], capture_output=True)
if probe.returncode != 0:
    print("skipped: chrt -f is not permitted here: %s" % probe.stderr.decode().strip())
    sys.exit(77)

cpus = sorted(os.sched_getaffinity(0))
run(str(cpus[0]), "one-lcore")
if len(cpus) >= 2:
    run("%d,%d" % (cpus[0], cpus[1]), "two-lcores")
else:
    print("skip two-lcores: one CPU allowed")

print("%d passed, %d failed" % (len(passed), len(failed)))
sys.exit(1 if failed else 0)
