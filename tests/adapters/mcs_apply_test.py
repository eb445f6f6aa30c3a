#!/usr/bin/env python3
"""Kubernetes MCS manifests through the real causewayctl into a real causewayd: conversion, notes,
refusals with their lines, upserts of changed slices, and plain causeway files still applying.

usage: mcs_apply_test.py CAUSEWAYCTL CAUSEWAYD SAMPLES_DIR CONFIGS_DIR
Exits 77 (meson: skipped) when CAUSEWAYD is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ctl, daemon, samples, configs = sys.argv[1:5]
if not os.path.exists(daemon):
    print(f"SKIP: causewayd not built ({daemon!r})")
    sys.exit(77)

passed, failures = [], []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond or not detail else f"\n     {detail}"))
    (passed if cond else failures).append(what)
    return cond


def run(*args, stdin=None):
    return subprocess.run([ctl, "--server", server, "--timeout", "5", *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def get(kind):
    r = run("get", kind, "-o", "json")
    return json.loads(r.stdout) if r.returncode == 0 else {}


def endpoint_lines():
    out = []
    for e in get("endpoints").get("endpoints", []):
        c = e.get("conditions", {})
        conds = "".join(f" {k}={str(c[k]).lower()}" for k in ("ready", "serving", "terminating") if k in c)
        out.append(f"{e['service']} {e['cluster']}/{e['address']}:{e['port']} {e.get('zone', '')}{conds}")
    return sorted(out)


work = tempfile.mkdtemp(prefix="causeway-mcs-")
server = "unix:" + os.path.join(work, "causeway.sock")
log = open(os.path.join(work, "causewayd.log"), "w")
proc = subprocess.Popen([daemon, f"--listen={server}", f"--state_dir={os.path.join(work, 'state')}"],
                        stdout=log, stderr=subprocess.STDOUT)
try:
    deadline = time.time() + 20
    while time.time() < deadline and run("stats").returncode != 0:
        time.sleep(0.1)

    example = os.path.join(samples, "mcs-example.yaml")
    r = run("apply", "-f", example)
    check(r.returncode == 0 and "applied 2 clusters, 3 services, 5 endpoints" in r.stdout,
          "the MCS example applies: 2 clusters, 3 services, 5 endpoints", r.stdout + r.stderr)
    check("ServiceImport default/db is Headless" in r.stderr and "1 ServiceExport(s)" in r.stderr
          and "hints.forZones ignored" in r.stderr,
          "what has no causeway counterpart is noted on stderr (Headless, ServiceExport, hints)", r.stderr)

    services = {f"{s['service']['namespace']}/{s['service']['name']}":
                [f"{f['vip']}:{f['port']}/{f['protocol']}" for f in s['service']['frontends']]
                for s in get("services").get("services", [])}
    check(services == {"default/rebel-base": ["10.96.200.10:80/TCP"],
                       "default/web-http": ["10.96.200.20:80/TCP"],
                       "default/web-grpc": ["10.96.200.20:9090/TCP"]},
          "ServiceImports became services on their cluster-set VIPs, one per port", services)
    want = sorted([
        "default/rebel-base cluster-a/10.244.1.17:8080 eu-west-1a ready=true serving=true terminating=false",
        "default/rebel-base cluster-a/10.244.2.23:8080 eu-west-1b ready=false serving=true terminating=true",
        "default/rebel-base cluster-b/10.245.3.4:8080 eu-west-1a ready=true",
        "default/web-grpc cluster-b/10.245.3.9:9091 eu-west-1b",
        "default/web-http cluster-b/10.245.3.9:8080 eu-west-1b",
    ])
    got = endpoint_lines()
    check(got == want, "EndpointSlices became endpoints with source cluster, zone and conditions", got)
    version = get("services").get("version")

    r = run("apply", "-f", os.path.join(samples, "mcs-bad.yaml"))
    check(r.returncode == 2 and "mcs-bad.yaml:9:41:" in r.stderr and "mcs-bad.yaml:17:5:" in r.stderr
          and "mcs-bad.yaml:23:25:" in r.stderr,
          "a bad manifest is refused before sending (exit 2), every problem at its line", r.stderr)
    check(get("services").get("version") == version, "... and nothing changed")

    slice_from = lambda cluster, ready: f"""
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: imported-rebel-base-{cluster}
  labels:
    multicluster.kubernetes.io/service-name: rebel-base
    multicluster.kubernetes.io/source-cluster: {cluster}
addressType: IPv4
ports: [{{name: http, protocol: TCP, port: 8080}}]
endpoints:
  - addresses: [10.245.3.4]
    conditions: {{ready: {str(ready).lower()}, terminating: {str(not ready).lower()}}}
    zone: eu-west-1a
"""
    r = run("apply", "-f", "-", stdin=slice_from("cluster-z", True))
    check(r.returncode == 1 and 'unknown cluster "cluster-z"' in r.stderr,
          "a slice from a cluster causewayd does not know is refused by causewayd (exit 1)", r.stderr)

    r = run("apply", "-f", "-", stdin=slice_from("cluster-b", False))
    got = [l for l in endpoint_lines() if "cluster-b/10.245.3.4" in l]
    check(r.returncode == 0 and got == ["default/rebel-base cluster-b/10.245.3.4:8080 eu-west-1a ready=false terminating=true"],
          "re-applying a changed slice updates the endpoint's conditions", (r.stderr, got))

    r = run("apply", "-f", os.path.join(configs, "flat-network.yaml"))
    check(r.returncode == 0 and "applied" in r.stdout, "plain causeway State files still apply", r.stderr)
finally:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    if failures:
        print(open(os.path.join(work, "causewayd.log")).read())
    shutil.rmtree(work, ignore_errors=True)

print(f"{len(passed)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
