#!/usr/bin/env python3
"""causewayctl against a real causewayd, both as processes: apply, read back, refusals, explain,
stats, watch, restart, TLS, costs and /metrics, and the exit codes an operator's script relies on.

usage: causewayctl_process_test.py CAUSEWAYCTL CAUSEWAYD CONFIGS_DIR
Exits 77 (meson: skipped) when CAUSEWAYD is empty or missing.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

ctl, daemon, configs = sys.argv[1], sys.argv[2], sys.argv[3]
if not daemon or not os.path.exists(daemon):
    print(f"SKIP: causewayd not built ({daemon!r})")
    sys.exit(77)

failures = []
passed = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond or not detail else f"\n     {detail}"))
    (passed if cond else failures).append(what)
    return cond


def config(name):
    return os.path.join(configs, name)


class Daemon:
    """One causewayd process; stop() always ends it (TERM, then KILL)."""

    def __init__(self, workdir, listen, extra=()):
        self.listen = listen
        self.log_path = os.path.join(workdir, "causewayd.log")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            # Health checks off: the example configs' endpoints do not exist here, and their verdicts
            # would interleave with the watch events these tests count (test_health_checks has them on).
            [daemon, f"--listen={listen}", f"--state_dir={os.path.join(workdir, 'state')}",
             "--health_checks=false", *extra],
            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, ctl_args=()):
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            r = run(*ctl_args, "--server", self.listen, "--timeout", "2", "stats")
            if r.returncode == EXIT_OK:
                return True
            time.sleep(0.2)
        with open(self.log_path) as f:
            print("causewayd log:\n" + f.read())
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_daemon(workdir, socket_name, what, extra=()):
    """A causewayd on a unix socket in workdir: (daemon, env with CAUSEWAY_SERVER, whether it answers)."""
    sock = f"unix:{os.path.join(workdir, socket_name)}"
    d = Daemon(workdir, sock, extra)
    return d, dict(os.environ, CAUSEWAY_SERVER=sock), check(d.wait_ready(), what)


def run(*args, stdin=None, env=None):
    return subprocess.run([ctl, *args], input=stdin, capture_output=True, text=True, timeout=60,
                          env=env)


def as_json(text):
    """The JSON a command printed, or {} (the check that uses it then fails with the output shown)."""
    try:
        return json.loads(text)
    except ValueError:
        return {}


def problem_lines(stderr):
    return [l for l in stderr.splitlines() if l.startswith("  ")]


def services_by_key(listing):
    return {f"{s['service']['namespace']}/{s['service']['name']}": s for s in listing.get("services", [])}


def test_unix_socket(workdir):
    sock = f"unix:{os.path.join(workdir, 'causewayd.sock')}"
    d = Daemon(workdir, sock)
    try:
        if not check(d.wait_ready(), "causewayd answers stats on a unix socket"):
            return
        env = dict(os.environ, CAUSEWAY_SERVER=sock)

        r = run("apply", "-f", config("island-pair-a.yaml"), env=env)
        check(r.returncode == EXIT_OK, "apply island-pair-a exits 0 ($CAUSEWAY_SERVER)", r.stderr)
        check("2 clusters, 2 services, 6 endpoints" in r.stdout and "version" in r.stdout,
              "apply says what it sent and the version", r.stdout)

        r = run("get", "services", "-o", "json", env=env)
        check(r.returncode == EXIT_OK, "get services -o json exits 0", r.stderr)
        listing = as_json(r.stdout)
        svcs = services_by_key(listing)
        check(sorted(svcs) == ["default/rebel-base", "kube-system/kube-dns"],
              "both services of the file are there", sorted(svcs))
        rebel = svcs.get("default/rebel-base", {})
        check(rebel.get("service", {}).get("frontends") ==
              [{"vip": "10.96.100.10", "port": 80, "protocol": "TCP"}],
              "rebel-base's frontend read back as written", rebel)
        check(rebel.get("service", {}).get("affinity") == "LOCAL" and
              rebel.get("service", {}).get("forwarding") == "FULL_NAT",
              "rebel-base's policy read back", rebel)
        check(rebel.get("endpoints") == 4, "rebel-base has its 4 endpoints", rebel.get("endpoints"))
        version_before = int(listing.get("version", 0))

        r = run("get", "services", env=env)
        lines = r.stdout.splitlines()
        check(r.returncode == EXIT_OK and len(lines) == 3 and lines[0].startswith("SERVICE"),
              "get services prints a header and one row per service", r.stdout)
        col = lines[0].find("FRONTENDS") if lines else -1
        check(col > 0 and len(lines) > 1 and all(l[col - 2:col] == "  " and l[col] != " " for l in lines[1:]),
              "table columns are aligned", r.stdout)

        r = run("get", "endpoints", "--service", "default/rebel-base", "-o", "json", env=env)
        eps = as_json(r.stdout).get("endpoints", []) if r.returncode == 0 else []
        check(len(eps) == 4 and all(e["service"] == "default/rebel-base" for e in eps),
              "get endpoints --service lists that service's 4", r.stdout + r.stderr)
        same_ip = sorted(e["cluster"] for e in eps if e["address"] == "10.244.1.11")
        check(same_ip == ["cluster-a", "cluster-b"],
              "10.244.1.11 exists in both islands as two endpoints", same_ip)

        r = run("get", "clusters", "-o", "yaml", env=env)
        check(r.returncode == EXIT_OK and "gateway_address: 192.0.2.20" in r.stdout,
              "get clusters -o yaml shows the peer's gateway_address", r.stdout + r.stderr)

        # A refused change: every problem printed, exit 1, nothing changed.
        bad = os.path.join(workdir, "bad.yaml")
        with open(bad, "w") as f:
            f.write("endpoints:\n"
                    "  - {service: default/rebel-base, cluster: cluster-a, address: 10.244.9.9, port: 0}\n"
                    "  - {service: default/rebel-base, cluster: nowhere, address: 10.244.9.8, port: 80}\n")
        r = run("apply", "-f", bad, env=env)
        check(r.returncode == EXIT_REFUSED, "an invalid file is refused with exit 1", r.returncode)
        problems = problem_lines(r.stderr)
        check("refused the change (INVALID_ARGUMENT)" in r.stderr, "the refusal names its code", r.stderr)
        check(len(problems) >= 2 and any("port" in p for p in problems) and
              any("nowhere" in p for p in problems),
              "each problem (port 0, unknown cluster) on its own line", r.stderr)
        check(any("port" in p and p.endswith(f"({bad}:2)") for p in problems) and
              any("nowhere" in p and p.endswith(f"({bad}:3)") for p in problems),
              "each problem points at its line in the file", r.stderr)
        r = run("get", "services", "-o", "json", env=env)
        check(int(as_json(r.stdout).get("version", 0)) == version_before,
              "the refused change changed nothing (same version)", r.stdout)

        # Standard input, and kubectl-apply semantics: upserting one service keeps the others.
        r = run("apply", "-f", "-", env=env, stdin=(
            "services:\n"
            "  - namespace: default\n"
            "    name: x-wing\n"
            "    frontends: [{vip: 10.96.100.11, port: 443, protocol: TCP}]\n"
            "endpoints:\n"
            "  - {service: default/x-wing, cluster: cluster-b, zone: eu-west-1a, address: 10.244.3.3, port: 8443}\n"))
        check(r.returncode == EXIT_OK, "apply -f - reads standard input", r.stderr)
        r = run("get", "services", "-o", "json", env=env)
        check(sorted(services_by_key(as_json(r.stdout))) ==
              ["default/rebel-base", "default/x-wing", "kube-system/kube-dns"],
              "apply upserts: the new service joins the others", r.stdout)

        r = run("explain", "default/rebel-base", "--zone", "eu-west-1b", env=env)
        check(r.returncode == EXIT_OK and "cluster-a/10.244.130.4:8080" in r.stdout and "tier" in r.stdout,
              "explain prints each endpoint and the tiers", r.stdout + r.stderr)
        r = run("explain", "default/rebel-base", "--zone", "eu-west-1b", "-o", "json", env=env)
        lines = as_json(r.stdout).get("endpoints", []) if r.returncode == 0 else []
        shares = {l["endpoint"]: l.get("share", 0) for l in lines}
        check(abs(sum(shares.values()) - 1) < 1e-6 and shares.get("cluster-a/10.244.130.4:8080", 0) > 0.99,
              "explain --zone eu-west-1b: the local pod in that zone takes the flows", shares)
        r = run("explain", "default/no-such-service", env=env)
        check(r.returncode == EXIT_REFUSED and "refused" in r.stderr,
              "explain of an unknown service exits 1", r.stderr)

        r = run("stats", "-o", "json", env=env)
        stats = as_json(r.stdout) if r.returncode == 0 else {}
        check(int(stats.get("version", 0)) > version_before and int(stats.get("pushes_rejected", 0)) >= 1
              and int(stats.get("services", 0)) == 3,
              "stats counts versions, rejections and services", stats)
        r = run("stats", env=env)
        check(r.returncode == EXIT_OK and "pushes accepted" in r.stdout, "stats prints a table", r.stdout)

        # watch: the first event is the current state; the second is the change applied meanwhile.
        w = subprocess.Popen([ctl, "--server", sock, "watch", "--count", "2", "-o", "json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            first = as_json(w.stdout.readline())
            v0 = int(first.get("version", 0))
            r = run("apply", "-f", "-", env=env, stdin=(
                "endpoints:\n"
                "  - {service: default/x-wing, cluster: cluster-b, zone: eu-west-1a, address: 10.244.3.3,"
                " port: 8443, weight: 5}\n"))
            out, err = w.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            w.kill()
            out, err = w.communicate()
        events = [as_json(l) for l in out.splitlines() if l.strip()]
        check(w.returncode == EXIT_OK and len(events) == 1, "watch --count 2 ends after two events",
              f"rc={w.returncode} out={out!r} err={err!r}")
        applied = int(r.stdout.rsplit("version", 1)[-1]) if "version" in r.stdout else -1
        check(bool(events) and int(events[0].get("version", 0)) == applied > v0 and events[0].get("changes")
              and events[0].get("source") == "causewayctl",
              "watch shows the change applied while watching, with the version apply reported",
              f"first={first} then={events} apply={r.stdout!r}")

        # Ctrl-C ends a watch like a finished command (exit 0), not a kill.
        w = subprocess.Popen([ctl, "--server", sock, "watch"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            first_line = w.stdout.readline()
            w.send_signal(signal.SIGINT)
            out, err = w.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            w.kill()
            out, err = w.communicate()
        check(first_line.startswith("version ") and w.returncode == EXIT_OK and not err,
              "watch prints events as lines and Ctrl-C ends it with exit 0",
              f"rc={w.returncode} first={first_line!r} err={err!r}")

        # causewayd restarted on the same state directory comes back with the same state.
        d.stop()
        d = Daemon(workdir, sock)
        check(d.wait_ready(), "causewayd restarts")
        r = run("get", "services", "-o", "json", env=env)
        check(r.returncode == 0 and len(services_by_key(as_json(r.stdout))) == 3,
              "the state survives a restart", r.stdout + r.stderr)

        # --replace: each example alone is the whole state, and causewayd accepts it (north-south.yaml
        # last: what is left is checked below).
        for name in sorted(os.listdir(configs), key=lambda n: (n == "north-south.yaml", n)):
            if not name.endswith(".yaml"):
                continue
            r = run("apply", "--replace", "-f", config(name), env=env)
            check(r.returncode == EXIT_OK and "replaced the state" in r.stdout,
                  f"causewayd accepts configs/{name} as the whole state", r.stderr)
        r = run("get", "services", "-o", "json", env=env)
        check(sorted(services_by_key(as_json(r.stdout))) == ["ingress/public-web"],
              "after --replace with north-south.yaml only its service is left", r.stdout)

        # Bad input never reaches the server: exit 2 with file and line.
        with open(bad, "w") as f:
            f.write("services:\n  - namespace: default\n    nmae: typo\n")
        r = run("apply", "-f", bad, env=env)
        check(r.returncode == EXIT_USAGE and f"{bad}:3:5: services[0].nmae: unknown field" in r.stderr,
              "an unknown field in the file exits 2 naming file, line and field", r.stderr)
        with open(bad, "w") as f:
            f.write("services: [\n")
        r = run("apply", "-f", bad, env=env)
        check(r.returncode == EXIT_USAGE and "YAML syntax" in r.stderr, "bad YAML exits 2", r.stderr)
        r = run("apply", "-f", os.path.join(workdir, "missing.yaml"), env=env)
        check(r.returncode == EXIT_USAGE and "cannot open" in r.stderr, "a missing file exits 2", r.stderr)
        r = run("get", "pods", env=env)
        check(r.returncode == EXIT_USAGE, "an unknown kind is a usage error (2)", r.returncode)
    finally:
        d.stop()


HEALTH_STATE = """
gateway: {cluster: cluster-a, zone: zone-1}
clusters: [{name: cluster-a, id: 1, region: region-1}]
services:
  - namespace: default
    name: web
    frontends: [{vip: 10.96.0.10, port: 80, protocol: TCP}]
    panicThreshold: 0
    healthCheck: {kind: TCP, intervalMs: 100, fall: 2, rise: 2}
endpoints:
  - {service: default/web, cluster: cluster-a, zone: zone-1, address: 127.0.0.1, port: %d}
"""


def test_health_checks(workdir):
    """causewayd probes a local endpoint (a real listener): closing it takes the endpoint out of the
    tables within interval x fall, and SIGTERM still stops causewayd promptly."""
    import threading
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    d, env, ready = start_daemon(workdir, "health.sock", "causewayd with health checks answers",
                                 ("--health_checks=true",))
    try:
        if not ready:
            return
        r = run("apply", "-f", "-", stdin=HEALTH_STATE % port, env=env)
        check(r.returncode == EXIT_OK, "a service with a TCP health check applies", r.stderr)

        def health():
            r = run("get", "endpoints", "--service", "default/web", "-o", "json", env=env)
            eps = as_json(r.stdout).get("endpoints", [])
            return eps[0].get("health", "") if eps else None

        time.sleep(0.5)
        check(health() in ("", "HEALTH_UNSPECIFIED", "HEALTHY"), "a listening endpoint stays healthy", health())
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        deadline = time.time() + 10
        while time.time() < deadline and health() != "UNHEALTHY":
            time.sleep(0.1)
        check(health() == "UNHEALTHY", "a closed endpoint is UNHEALTHY in get endpoints within seconds", health())
        r = run("explain", "default/web", env=env)
        check("health check failing" in r.stdout and "no backend" in r.stdout,
              "explain says the health check is failing and the service has no backend", r.stdout + r.stderr)
        r = run("get", "state", "-o", "json", env=env)
        check("UNHEALTHY" not in r.stdout, "the state keeps the pushed health (the verdict is an overlay)", r.stdout)
    finally:
        start = time.time()
        d.stop()
        check(time.time() - start < 3, "SIGTERM stops causewayd with health checks running within 3 s",
              time.time() - start)


PARTITION_STATE = """
gateway: {cluster: cluster-a, zone: zone-1}
clusters:
  - {name: cluster-a, id: 1, region: region-1}
  - {name: cluster-b, id: 2, region: region-1, leaseTtlMs: 300, holdDownMs: 1500}
services:
  - namespace: default
    name: web
    frontends: [{vip: 10.96.0.10, port: 80, protocol: TCP}, {vip: 10.96.0.10, port: 5432, protocol: TCP}]
    partitionPolicy: DROP
    writer: {cluster: cluster-b, fencingToken: %d, writePorts: [5432]}
endpoints:
  - {service: default/web, cluster: cluster-a, zone: zone-1, address: 10.244.1.10, port: 80}
  - {service: default/web, cluster: cluster-b, zone: zone-1, address: 10.244.1.10, port: 80}
"""


def test_partition(workdir):
    """cluster-b's feed stops renewing its 300 ms lease: get clusters shows it stale and the policy in
    force; pushes of its endpoints renew it, and it is fresh again after its 1.5 s hold-down."""
    d, env, ready = start_daemon(workdir, "partition.sock", "causewayd answers (partition)")
    try:
        if not ready:
            return

        def clusters():
            r = run("get", "clusters", "-o", "json", env=env)
            return {c["cluster"]["name"]: c for c in as_json(r.stdout).get("clusters", [])}

        def apply(token=2):
            return run("apply", "-f", "-", stdin=PARTITION_STATE % token, env=env)

        r = apply()
        check(r.returncode == EXIT_OK, "a state with a leased cluster, DROP and a writer applies", r.stderr)
        r = run("get", "clusters", env=env)
        lines = r.stdout.splitlines()
        check(len(lines) == 3 and "FRESHNESS" in lines[0] and "PARTITION POLICIES" in lines[0],
              "get clusters has freshness and policy columns", r.stdout)
        check(any(l.startswith("cluster-a") and "local" in l for l in lines) and
              any(l.startswith("cluster-b") and "fresh" in l for l in lines),
              "the gateway's cluster is local, cluster-b fresh", r.stdout)

        time.sleep(0.8)
        r = run("get", "clusters", env=env)
        row = next((l for l in r.stdout.splitlines() if l.startswith("cluster-b")), "")
        check("stale for" in row and "DROP 1, writer of 1" in row and "300ms" in row and "1.5s" in row,
              "cluster-b is stale in get clusters, with its TTL, hold-down and the policies in force", r.stdout)
        b = clusters().get("cluster-b", {})
        check(b.get("freshness") == "STALE" and
              (b.get("services_by_policy") or b.get("servicesByPolicy")) == {"DROP": 1},
              "get clusters -o json: freshness STALE, services by policy", b)
        r = run("explain", "default/web", env=env)
        check("cluster cluster-b stale: its endpoints dropped" in r.stdout and "stale: no new write flows" in r.stdout,
              "explain says cluster-b's endpoints are dropped and its write ports closed", r.stdout + r.stderr)

        r = apply()  # its endpoints pushed again: a renewal
        check(r.returncode == EXIT_OK, "re-applying with the same fencing token is accepted", r.stderr)
        check(clusters().get("cluster-b", {}).get("freshness") == "HOLDING_DOWN",
              "renewed: cluster-b holds down", clusters().get("cluster-b"))
        start = time.time()
        fresh_after = None
        while time.time() - start < 10:
            apply()
            if clusters().get("cluster-b", {}).get("freshness") == "FRESH":
                fresh_after = time.time() - start
                break
            time.sleep(0.05)
        check(fresh_after is not None and fresh_after >= 1.3,
              "kept renewed, cluster-b is fresh again after its hold-down (1.5 s), not before", fresh_after)

        r = apply(token=1)
        check(r.returncode == EXIT_REFUSED and "writer.fencing_token: stale token 1 < 2 held" in r.stderr,
              "a lower fencing token is refused with its field path", r.stderr)
    finally:
        d.stop()


def test_unreachable(workdir):
    nowhere = f"unix:{os.path.join(workdir, 'nobody-listens.sock')}"
    for args in (["get", "services"], ["apply", "-f", config("flat-network.yaml")], ["watch"], ["stats"]):
        r = run("--server", nowhere, *args)
        check(r.returncode == EXIT_UNREACHABLE and
              r.stderr.startswith(f"causewayctl: cannot reach causewayd at {nowhere}: "),
              f"{args[0]} with nobody listening exits 3 with a clear message", r.stderr)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(d):
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all by openssl."""
    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=causeway test CA",
        "-keyout", "ca.key", "-out", "ca.pem")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                      ("client", "extendedKeyUsage=clientAuth")):
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
            "-out", f"{name}.csr")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(ext + "\n")
        ssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "1", "-out", f"{name}.pem", "-extfile", f"{name}.ext")
    return {n: os.path.join(d, n) for n in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


def test_mutual_tls(workdir):
    if shutil.which("openssl") is None:
        print("skip TLS: no openssl")
        return
    certs = make_certs(workdir)
    addr = f"127.0.0.1:{free_port()}"
    d = Daemon(workdir, addr, (f"--tls_cert={certs['server.pem']}", f"--tls_key={certs['server.key']}",
                               f"--tls_client_ca={certs['ca.pem']}"))
    try:
        mtls = ("--ca", certs["ca.pem"], "--cert", certs["client.pem"], "--key", certs["client.key"])
        if not check(d.wait_ready(mtls), "causewayd with mutual TLS answers a client with a certificate"):
            return
        r = run(*mtls, "--server", addr, "apply", "-f", config("flat-network.yaml"))
        check(r.returncode == EXIT_OK, "apply over mutual TLS", r.stderr)
        r = run("--ca", certs["ca.pem"], "--server", addr, "--timeout", "5", "get", "services")
        check(r.returncode == EXIT_UNREACHABLE and "cannot reach causewayd" in r.stderr,
              "a client without a certificate is refused (exit 3)", r.stderr)
        r = run("--server", addr, "--timeout", "5", "get", "services")
        check(r.returncode == EXIT_UNREACHABLE, "a plaintext client is refused (exit 3)", r.stderr)
        r = run("--cert", certs["client.pem"], "--key", certs["client.key"], "--server", addr, "stats")
        check(r.returncode == EXIT_USAGE and "need --ca" in r.stderr, "--cert without --ca is a usage error",
              r.stderr)
    finally:
        d.stop()


def test_costs_and_metrics(workdir):
    """causewayctl costs (table and JSON) with the config's price table, and /metrics served by
    causewayd --metrics_listen, parsed by promtool when it is installed. No dataplane here: the
    traffic rows stay empty (tests/controlplane/costs_test.cc has the arithmetic with known numbers)."""
    import urllib.request
    port = free_port()
    d, env, ready = start_daemon(workdir, "costs.sock", "causewayd with --metrics_listen answers",
                                 (f"--metrics_listen=127.0.0.1:{port}",))
    try:
        if not ready:
            return
        r = run("apply", "-f", config("flat-network.yaml"), env=env)
        check(r.returncode == EXIT_OK, "apply flat-network.yaml with its price table", r.stderr)
        r = run("costs", env=env)
        check(r.returncode == EXIT_OK and "inter-zone 0.01 USD/GB, inter-region 0.02 USD/GB" in r.stdout
              and "cluster cluster-east, region us-east-1" in r.stdout and "no dataplane" in r.stdout
              and "estimated 0.0000 USD/month" in r.stdout and "30 days" in r.stdout,
              "costs prints the price table, the client side and the estimate", r.stdout + r.stderr)
        r = run("costs", "-o", "json", env=env)
        costs = as_json(r.stdout) if r.returncode == 0 else {}
        check(costs.get("currency") == "USD" and costs.get("gateway_cluster") == "cluster-east"
              and costs.get("inter_region_per_gb") == 0.02 and "estimate" in costs,
              "costs -o json", r.stdout + r.stderr)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                page = response.read().decode()
                content_type = response.headers.get("Content-Type", "")
        except OSError as e:
            page, content_type = f"fetch failed: {e}", ""
        check(content_type.startswith("text/plain; version=0.0.4")
              and 'causeway_cluster_fresh{cluster="cluster-west"} 1' in page
              and 'causeway_pushes_total{result="accepted"} 1' in page
              and 'causeway_cross_zone_cost{currency="USD"} 0' in page,
              "GET /metrics", page)
        promtool = shutil.which("promtool")
        if promtool is None:
            print("skip promtool: not installed (Debian package prometheus)")
        else:
            p = subprocess.run([promtool, "check", "metrics"], input=page, capture_output=True, text=True)
            check(p.returncode == 0, "promtool check metrics accepts causewayd's page", p.stdout + p.stderr)
    finally:
        d.stop()


def main():
    # Unix socket paths are limited to ~108 bytes: a short temporary directory.
    workdir = tempfile.mkdtemp(prefix="cwctl-")
    try:
        test_unix_socket(workdir)
        test_unreachable(workdir)
        partition_dir = os.path.join(workdir, "partition")
        os.makedirs(partition_dir)
        test_partition(partition_dir)
        health_dir = os.path.join(workdir, "health")
        os.makedirs(health_dir)
        test_health_checks(health_dir)
        tls_dir = os.path.join(workdir, "tls")
        os.makedirs(tls_dir)
        test_mutual_tls(tls_dir)
        costs_dir = os.path.join(workdir, "costs")
        os.makedirs(costs_dir)
        test_costs_and_metrics(costs_dir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{len(passed)} passed, {len(failures)} failed")
    for f in failures:
        print("FAILED: " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
