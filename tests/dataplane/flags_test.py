"""causewayd's own flags, where a wrong value once passed silently: --resolve-neighbors takes 0, 1,
true or false (or no value: on) and refuses anything else, so --resolve-neighbors=false turns
resolution off instead of on. Runs causewayd on a net_null port with --no-huge (no root needed)."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

causewayd = sys.argv[1]
PREFIX = "cwflags%d" % os.getpid()


def run(value):
    """causewayd with --resolve-neighbors`value`: (exit code, everything it printed)."""
    with tempfile.TemporaryDirectory() as tmp:
        snap = os.path.join(tmp, "snapshot.txt")
        with open(snap, "w") as f:
            f.write("version 1\ngateway 10.77.0.1\nmtu 1500\nflow_key 0x1 0x2\n")
        p = subprocess.Popen(
            [causewayd, "-l", "0", "--no-pci", "--no-huge", "-m", "256", "--no-shconf",
             "--file-prefix", PREFIX, "--log-level=error", "--vdev=net_null0", "--",
             "--snapshot-file=" + snap, "--flow-table-size=65536", "--resolve-neighbors" + value],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # A causewayd that neither says what it made of the flag nor exits is a failure, not a hang.
        watchdog = threading.Timer(30, p.kill)
        watchdog.start()
        seen = []
        while True:
            line = p.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "neighbour resolution off" in line or "resolved by ARP/ND" in line:
                p.send_signal(signal.SIGTERM)
        seen.append(p.stdout.read())
        watchdog.cancel()
        return p.wait(timeout=30), "".join(seen)


def checks():
    for value, on in [("=1", True), ("=true", True), ("", True), ("=0", False), ("=false", False)]:
        code, out = run(value)
        assert code == 0, (value, code, out)
        expected = "resolved by ARP/ND" if on else "neighbour resolution off"
        assert expected in out, (value, out)
    for value in ["=maybe", "=", "=yes", "=False"]:
        code, out = run(value)
        assert code == 2, (value, code, out)
        assert "--resolve-neighbors" + value + ": give 0, 1, true or false" in out, (value, out)


try:
    checks()
finally:
    # --no-shconf still makes a runtime directory, and causewayd leaves it.
    shutil.rmtree("/var/run/dpdk/" + PREFIX, ignore_errors=True)
print("ok")
