#!/usr/bin/env bash
# End-to-end benchmark on the island lab (scripts/lib/island-lab.sh), root only:
# TCP connections per second and bulk throughput from a-client to cluster A's two backends through
#   (1) the kernel's nftables DNAT + masquerade (what kube-proxy's nftables mode does), VIP 10.96.0.20:80
#   (2) HAProxy in TCP mode, roundrobin, 10.244.0.5:80
#   (3) causeway: causewayd A (full-NAT) in a-gw, VIP 10.96.0.30:80        -> bench_causeway
# Backends: cw-tcp-server on a-be1/a-be2 :8080. One JSON document on stdout (each system's figures,
# ratios causeway/nftables and causeway/haproxy); the story on stderr. About two minutes.
#
#   scripts/bench-e2e.sh
# Environment: BUILD_DIR (build-release) for cw-tcp-load/cw-tcp-server; CAUSEWAYD (else the newest of
# $BUILD_DIR's, build-release's and build's causewayd); CW_LAB_PREFIX (cw); CW_BENCH_SECONDS (3 per
# connection-rate run); CW_BENCH_REPEAT (5 rounds of connection-rate runs, one per system each,
# interleaved; the median counts);
# CW_BENCH_CONCURRENCY (64); CW_BENCH_THREADS (2 client threads); CW_BENCH_BULK_BYTES (512 MiB per
# connection); CW_BENCH_BULK_CONNECTIONS (2); CW_BENCH_IDLE_SLEEP_US (50: causewayd's idle back-off;
# 0 gives it a whole core, as a DPDK deployment would); CW_BENCH_PMD (af_xdp, or af_packet).
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "bench-e2e: needs root (network namespaces)" >&2; exit 1; }
BUILD_DIR=${BUILD_DIR:-build-release}
SECS=${CW_BENCH_SECONDS:-3}
REPEAT=${CW_BENCH_REPEAT:-5}
CONCURRENCY=${CW_BENCH_CONCURRENCY:-64}
THREADS=${CW_BENCH_THREADS:-2}
BULK_BYTES=${CW_BENCH_BULK_BYTES:-536870912}
BULK_CONNS=${CW_BENCH_BULK_CONNECTIONS:-2}
CAUSEWAY_VIP=10.96.0.30

say() { echo "bench-e2e: $*" >&2; }

for tool in haproxy nft curl python3; do
  command -v "$tool" >/dev/null || { say "$tool missing: run scripts/setup.sh"; exit 1; }
done
[ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR" --buildtype=release >&2
ninja -C "$BUILD_DIR" perf/e2e/cw-tcp-load perf/e2e/cw-tcp-server >&2
LOAD=$PWD/$BUILD_DIR/perf/e2e/cw-tcp-load
SERVER=$PWD/$BUILD_DIR/perf/e2e/cw-tcp-server

# shellcheck source=lib/island-lab.sh
source scripts/lib/island-lab.sh
WORK=$(mktemp -d /tmp/causeway-bench-e2e.XXXXXX)
cleanup() { [ -z "$CAUSEWAYD_PID" ] || kill -CONT "$CAUSEWAYD_PID" 2>/dev/null; lab_down; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

say "lab up (prefix $CW_LAB_PREFIX)"
lab_up
lab_kernel_lb_up
lab_haproxy_up
for be in a-be1 a-be2; do
  lab_backend_start "$be" "$SERVER" --port "$LAB_BACKEND_PORT" --name "$be" --message "$LAB_MESSAGE_A"
done

# The systems measured, by name, and where each listens (causeway joins when causewayd is up).
declare -A TARGET=([nftables]="$LAB_KNAT_VIP:$LAB_VIP_PORT" [haproxy]="$LAB_HAPROXY_ADDR:$LAB_VIP_PORT")
SYSTEMS=(nftables haproxy)
CAUSEWAYD_PID=

# Only the system being measured runs: causewayd (a poller, however lightly it naps when idle) is
# stopped while the others are measured, and goes on for its own runs.
only() {
  [ -n "$CAUSEWAYD_PID" ] || return 0
  if [ "$1" = causeway ]; then kill -CONT "$CAUSEWAYD_PID"; sleep 0.2; else kill -STOP "$CAUSEWAYD_PID"; fi
}

warm_up() {  # ARP and the path
  local i
  for i in 1 2 3; do
    lab_curl a-client "http://$1/" -o /dev/null 2>/dev/null && return 0
    sleep 0.5
  done
}

# Connection rate: $REPEAT rounds, each one run per system in turn (so that a change in the
# machine's background load during the benchmark falls on every system alike; the median counts),
# into $WORK/NAME.connect.N.json.
measure_connections() {
  local i name
  for i in $(seq "$REPEAT"); do
    for name in "${SYSTEMS[@]}"; do
      only "$name"
      lab_exec a-client "$LOAD" connect --target "${TARGET[$name]}" --concurrency "$CONCURRENCY" \
        --threads "$THREADS" --seconds "$SECS" >"$WORK/$name.connect.$i.json"
      say "$name connect ($i): $(cat "$WORK/$name.connect.$i.json")"
    done
  done
}

# measure_bulk NAME: the bulk transfer from a-client into $WORK/NAME.bulk.json.
measure_bulk() {
  only "$1"
  lab_exec a-client "$LOAD" bulk --target "${TARGET[$1]}" --connections "$BULK_CONNS" --bytes "$BULK_BYTES" \
    --timeout-s 30 >"$WORK/$1.bulk.json" || true
  say "$1 bulk:    $(cat "$WORK/$1.bulk.json")"
}

# Transmit checksum offload on or off on the kernel path of the nftables baseline (client, knat,
# backends, both ends of each veth). The lab keeps it off (af_packet needs filled checksums); on,
# the kernel keeps 64 KB GSO segments end to end: the reference figure for the bulk caveat.
kernel_offload() {
  local role
  for role in a-client a-knat a-be1 a-be2; do
    lab_exec "$role" ethtool -K eth0 tx "$1" >/dev/null 2>&1
    lab_exec fabric ethtool -K "$role" tx "$1" >/dev/null 2>&1
  done
}

# ============================================================================================
# (3) causeway. Starts causewayd A in a-gw on the gateway's veth (net_af_xdp by default), full-NAT of
# $CAUSEWAY_VIP:80 to a-be1/a-be2, and adds it to the systems measured. Returns non-zero with
# CAUSEWAY_STATUS set when causeway cannot carry the traffic.
# ============================================================================================
CAUSEWAY_STATUS="not run"
# causewayd's port on the gateway veth: net_af_xdp (default, the faster) or net_af_packet (CW_BENCH_PMD=af_packet).
gw_vdev() {
  case "${CW_BENCH_PMD:-af_xdp}" in
    af_xdp) echo "net_af_xdp0,iface=gw,start_queue=0,queue_count=1" ;;
    *) echo "net_af_packet0,iface=gw,framecnt=4096" ;;
  esac
}
start_causeway() {
  local bin=${CAUSEWAYD:-} c
  if [ -z "$bin" ]; then  # the newest build of it
    for c in "$BUILD_DIR" build-release build; do
      c=$c/controlplane/daemon/causewayd
      [ -x "$c" ] && { [ -z "$bin" ] || [ "$c" -nt "$bin" ]; } && bin=$c
    done
  fi
  [ -n "$bin" ] && [ -x "$bin" ] || { CAUSEWAY_STATUS="causewayd not built"; return 1; }
  bin=$(realpath "$bin")
  cat >"$WORK/causeway-a.yaml" <<EOF
gateway:
  cluster: cluster-a
  zone: zone-a
  addresses: [$LAB_GW_SNAT_ADDR, $LAB_TUNNEL_A]
clusters:
  - {name: cluster-a, id: 1, region: lab}
  - {name: cluster-b, id: 2, region: lab, gateway_address: $LAB_TUNNEL_B}
services:
  - namespace: default
    name: rebel-base
    frontends:
      - {vip: $CAUSEWAY_VIP, port: $LAB_VIP_PORT, protocol: TCP}
    scope: GLOBAL
    affinity: LOCAL
    forwarding: FULL_NAT
endpoints:
  - {service: default/rebel-base, cluster: cluster-a, zone: zone-a, address: $LAB_BE1_ADDR, port: $LAB_BACKEND_PORT}
  - {service: default/rebel-base, cluster: cluster-a, zone: zone-a, address: $LAB_BE2_ADDR, port: $LAB_BACKEND_PORT}
EOF
  say "causeway: $bin in $(lab_ns a-gw)"
  # 16 SNAT addresses besides the gateway's own: at tens of thousands of connections a second, one
  # address's 55,296 ports would be reused while the backends still hold TIME_WAIT for them (60 s),
  # as with DPVS's local-address pools; the kernel's masquerade reuses ports per destination instead.
  local snat=$LAB_GW_SNAT_ADDR a
  for a in $(seq 64 79); do snat="$snat,10.244.0.$a"; done
  lab_exec a-gw "$bin" --listen="unix:$WORK/a.sock" --state_dir= --config="$WORK/causeway-a.yaml" \
    --neighbors="$(lab_neighbors A)" --default_next_hop_mac="$(lab_next_hop_mac A)" \
    --tunnel_sources="$LAB_TUNNEL_A" --snat_addresses="$snat" --flow_table_size=65536 \
    --idle_sleep_us="${CW_BENCH_IDLE_SLEEP_US:-50}" --exception_tap="$LAB_HOST_TAP" -- \
    -l 0 --no-huge -m 1024 --no-pci --file-prefix="$CW_LAB_PREFIX-a" \
    --vdev="$(gw_vdev)" >"$WORK/causewayd-a.log" 2>&1 &
  local pid=$! i
  for i in $(seq 150); do
    grep -q "port 0 up" "$WORK/causewayd-a.log" 2>/dev/null && [ -S "$WORK/a.sock" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$pid" 2>/dev/null || ! grep -q "port 0 up" "$WORK/causewayd-a.log"; then
    CAUSEWAY_STATUS="causeway full-NAT not available yet: causewayd did not start: $(tail -n 3 "$WORK/causewayd-a.log" | tr '\n"' ' _')"
    return 1
  fi
  lab_host_tap_up A || true
  if ! lab_curl a-client "http://$CAUSEWAY_VIP/" -o /dev/null --retry 2 --retry-all-errors 2>/dev/null; then
    CAUSEWAY_STATUS="causeway full-NAT not available yet (no answer from $CAUSEWAY_VIP:$LAB_VIP_PORT)"
    return 1
  fi
  # The daemon itself (`$pid` is the subshell around ip netns exec): what `only` stops and goes on.
  # The prefix is matched whole ("cw-a", not "cw-ab" of another lab) and must name one process.
  CAUSEWAYD_PID=$(pgrep -f "causewayd .*--file-prefix=$CW_LAB_PREFIX-a( |\$)")
  if [ "$(wc -w <<<"$CAUSEWAYD_PID")" != 1 ]; then
    CAUSEWAY_STATUS="causeway full-NAT not measured: not one causewayd with --file-prefix=$CW_LAB_PREFIX-a (${CAUSEWAYD_PID:-none})"
    CAUSEWAYD_PID=
    return 1
  fi
  TARGET[causeway]="$CAUSEWAY_VIP:$LAB_VIP_PORT"
  SYSTEMS+=(causeway)
  CAUSEWAY_STATUS=ok
}

say "systems: (1) nftables DNAT $LAB_KNAT_VIP:$LAB_VIP_PORT, (2) HAProxy TCP mode $LAB_HAPROXY_ADDR:$LAB_VIP_PORT, (3) causeway full-NAT $CAUSEWAY_VIP:$LAB_VIP_PORT"
start_causeway || say "causeway: $CAUSEWAY_STATUS"
for name in "${SYSTEMS[@]}"; do only "$name"; warm_up "${TARGET[$name]}"; done
say "connections per second: $REPEAT rounds of ${SECS} s per system, interleaved"
measure_connections
for name in "${SYSTEMS[@]}"; do measure_bulk "$name"; done
only nftables
say "nftables DNAT with transmit offload on (GSO end to end; bulk reference only)"
kernel_offload on
lab_exec a-client "$LOAD" bulk --target "$LAB_KNAT_VIP:$LAB_VIP_PORT" --connections "$BULK_CONNS" \
  --bytes "$BULK_BYTES" --timeout-s 30 >"$WORK/nftables_gso.bulk.json" || true
kernel_offload off
say "nftables_gso bulk: $(cat "$WORK/nftables_gso.bulk.json")"
[ -z "$CAUSEWAYD_PID" ] || kill -CONT "$CAUSEWAYD_PID"  # so that lab_down can stop it

python3 - "$WORK" "$CAUSEWAY_STATUS" "$CONCURRENCY" "$THREADS" "$SECS" "$BULK_CONNS" "$BULK_BYTES" <<'EOF'
import json, os, sys
work, status, concurrency, threads, secs, bulk_conns, bulk_bytes = sys.argv[1:]
def load(name):
    try:
        with open(os.path.join(work, name)) as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None
systems = {}
for name in ("nftables", "haproxy", "causeway"):
    runs = [r for r in (load("%s.connect.%d.json" % (name, i)) for i in range(1, 100)) if r is not None]
    runs.sort(key=lambda r: r["per_second"])
    c, b = runs[len(runs) // 2] if runs else None, load(name + ".bulk.json")
    if c is None and b is None:
        continue
    systems[name] = {
        "connections_per_second": c and c["per_second"],
        "connections_per_second_runs": [r["per_second"] for r in runs],
        "connect_errors": c and c["errors"] + c["timeouts"],
        "p50_ms": c and c["p50_ms"], "p99_ms": c and c["p99_ms"],
        "backends": c and c["backends"],
        "gbit_per_second": b and b["gbit_per_second"],
        "bulk_complete": bool(b and b["complete"]),
    }
gso = load("nftables_gso.bulk.json")
def ratio(key, a, b):
    x, y = systems.get(a, {}).get(key), systems.get(b, {}).get(key)
    return round(x / y, 3) if x and y else None
doc = {
    "benchmark": "island-lab e2e: a-client -> load balancer -> a-be1/a-be2 (cw-tcp-server)",
    "settings": {"concurrency": int(concurrency), "client_threads": int(threads), "seconds": float(secs),
                 "bulk_connections": int(bulk_conns),
                 "bulk_bytes_per_connection": int(bulk_bytes), "cpus": os.cpu_count()},
    "systems": systems,
    "causeway_status": status,
    "ratios": {
        "causeway_over_nftables_connections": ratio("connections_per_second", "causeway", "nftables"),
        "causeway_over_haproxy_connections": ratio("connections_per_second", "causeway", "haproxy"),
        "causeway_over_nftables_gbit": ratio("gbit_per_second", "causeway", "nftables"),
        "causeway_over_haproxy_gbit": ratio("gbit_per_second", "causeway", "haproxy"),
    },
    "reference": {"nftables_gso_gbit_per_second": gso and gso["gbit_per_second"],
                  "nftables_gso_bulk_complete": bool(gso and gso["complete"])},
    "caveat": "bulk: every lab veth has transmit checksum offload off (af_packet needs filled checksums), so "
              "the kernel segments its 64 KB GSO packets into 1500-byte frames at the first veth, as the DPDK "
              "path does; reference.nftables_gso_gbit_per_second is the kernel with offload on, keeping 64 KB "
              "GSO segments end to end, which no per-packet userspace path on veth can match",
}
print(json.dumps(doc, indent=2))
s = systems
def fmt(v, f="%.0f"):
    return f % v if isinstance(v, (int, float)) else "n/a"
print("\nconnections/s (concurrency %s, %s client thread(s), %s s) and bulk Gbit/s (%s x %d MiB):" % (
    concurrency, threads, secs, bulk_conns, int(bulk_bytes) >> 20), file=sys.stderr)
for name, v in s.items():
    print("  %-9s %8s conn/s  p99 %6s ms  %6s Gbit/s  bulk complete: %s" % (
        name, fmt(v["connections_per_second"]), fmt(v["p99_ms"], "%.1f"), fmt(v["gbit_per_second"], "%.2f"),
        v["bulk_complete"]), file=sys.stderr)
if "causeway" not in s:
    print("  causeway: %s" % status, file=sys.stderr)
print("  nftables with transmit offload on (GSO kept): %s Gbit/s" % fmt(gso and gso["gbit_per_second"], "%.2f"),
      file=sys.stderr)
print("caveat: " + doc["caveat"] + ".", file=sys.stderr)
EOF
