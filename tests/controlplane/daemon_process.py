"""What the causewayd process tests share: stopping the daemon as an operator would, and leaving
nothing behind whatever happened (the process, its work directory, DPDK's runtime directory)."""
import shutil
import signal
import subprocess


def stop(daemon, timeout):
    """SIGTERM, then its exit code, or None if it did not exit within `timeout` seconds."""
    daemon.send_signal(signal.SIGTERM)
    try:
        return daemon.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def clean_up(daemon, work, prefix):
    """Kills the daemon if it still runs, prints what it said, removes its directories."""
    if daemon.poll() is None:
        daemon.kill()
        daemon.wait()
    print(daemon.stdout.read())
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
