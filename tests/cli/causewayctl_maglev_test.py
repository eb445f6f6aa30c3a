#!/usr/bin/env python3
"""causewayctl maglev as an operator runs it: real process, output parsed, exit codes checked."""
import json
import subprocess
import sys

ctl = sys.argv[1]
failures = []
passed = []


def run(*args):
    return subprocess.run([ctl, *args], capture_output=True, text=True, timeout=60)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (passed if cond else failures).append(what)


r = run("maglev", "--endpoints", "1000", "--table-size", "65537", "-o", "json")
check(r.returncode == 0, f"json run exits 0 (stderr: {r.stderr.strip()})")
fig = json.loads(r.stdout)
check(fig["table_size"] == 65537 and fig["endpoints"] == 1000, "json echoes N and M")
check(abs(fig["max_over_mean"] - 66 / 65.537) < 1e-5, f"max/mean is ceil(M/N)/(M/N): {fig['max_over_mean']}")
check(0.001 <= fig["moved_fraction"] <= 0.0071, f"moved fraction within Katran's 0.71%: {fig['moved_fraction']}")
check(fig["build_ms"] > 0, "build time reported")

r = run("maglev", "--endpoints", "10")
check(r.returncode == 0, "table output exits 0")
check("table size       1021 slots" in r.stdout, "automatic size for 10 endpoints is 1021")
check("max/mean" in r.stdout and "moved on removal" in r.stdout, "table output names the figures")

r = run("maglev", "--endpoints", "10", "--table-size", "65536")
check(r.returncode == 2 and "65536 is not prime" in r.stderr, "non-prime size refused with exit 2")

r = run("maglev", "--endpoints", "0")
check(r.returncode == 2 and "--endpoints must be" in r.stderr, "zero endpoints refused")

r = run("nosuchcommand")
check(r.returncode != 0, "unknown subcommand fails")

print(f"{len(passed)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
