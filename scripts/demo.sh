#!/usr/bin/env bash
# The README's "run it" command: causeway as the east-west gateway between two island clusters.
#
# Cluster A and cluster B both use pod CIDR 10.244.0.0/16 (network namespaces stand in for kind
# clusters: scripts/lib/island-lab.sh). Each has two rebel-base pods — the same addresses in both
# islands — answering "Cluster A: Alderaan base" / "Cluster B: Hoth base", and a real causewayd
# gateway (control plane + DPDK dataplane on a veth). A client pod in cluster A asks the service VIP
# 10.96.0.10 twenty times per phase:
#   1. affinity none              → about 10/10 between the islands
#   2. affinity local             → 20/0
#   3. both local pods killed     → the gateway's health checks take them out; traffic moves to B
#   4. local pods back            → local again
# Every namespace and process it makes is removed on exit, Ctrl-C included. Root only.
# Environment: BUILD_DIR (build), CW_LAB_PREFIX (cw).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces)" >&2; exit 1; }

BUILD_DIR=${BUILD_DIR:-build}
REQUESTS=20
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# Packages, then the build (quiet unless it fails).
setup_log=$(mktemp /tmp/causeway-demo-setup.XXXXXX)
say "installing what is missing and building ($BUILD_DIR; the first time takes a few minutes)"
BUILD_DIR=$BUILD_DIR scripts/setup.sh >"$setup_log" 2>&1 || { cat "$setup_log" >&2; exit 1; }
rm -f "$setup_log"
CAUSEWAYD=$PWD/$BUILD_DIR/controlplane/daemon/causewayd
export CAUSEWAYCTL=$PWD/$BUILD_DIR/controlplane/ctl/causewayctl

# shellcheck source=lib/island-lab.sh
source scripts/lib/island-lab.sh
# shellcheck source=lib/causeway-gw.sh
source scripts/lib/causeway-gw.sh
cleanup() {
  gw_stop A || true
  gw_stop B || true
  lab_down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Twenty requests from the client pod of cluster A; prints who answered and how many times.
ask() {
  local i answers=()
  for i in $(seq $REQUESTS); do
    answers+=("$(lab_exec a-client curl -s -m 2 "http://10.96.0.10/" || echo "(no answer)")")
  done
  printf '%s\n' "${answers[@]}" | sort | uniq -c | sed 's/^/   /'
}

# Waits until causewayd A reports `want` for both of cluster A's pods; prints how long it took.
wait_local_health() {
  local want=$1 start=$SECONDS i
  for i in $(seq 100); do
    if [ "$(gw_ctl A get endpoints | grep -c "cluster-a .* $want ")" -eq 2 ]; then
      echo "   gateway A marked both cluster-a pods $want after $((SECONDS - start)) s"
      return 0
    fi
    sleep 0.1
  done
  echo "   gateway A did not mark them $want in 10 s" >&2
  return 1
}

say "the islands: clusters A and B, both on 10.244.0.0/16, joined only by their gateways"
lab_up 2>/dev/null
gw_start A "$CAUSEWAYD" configs/lab/gateway-a.yaml
gw_start B "$CAUSEWAYD" configs/lab/gateway-b.yaml
echo "   gateway A: causewayd in $(lab_ns a-gw), SNAT 10.244.0.2, tunnel 192.168.10.2"
echo "   gateway B: causewayd in $(lab_ns b-gw), SNAT 10.244.0.2, tunnel 192.168.20.2"

say "push the service to both gateways (affinity none, full-NAT, HTTP health checks every 500 ms)"
run gw_ctl A apply -f configs/lab/rebel-base.yaml
run gw_ctl B apply -f configs/lab/rebel-base.yaml
run gw_ctl A get endpoints
say "1. affinity none: $REQUESTS requests from cluster A's client pod to 10.96.0.10"
ask

say "2. affinity local"
run gw_ctl A apply -f configs/lab/rebel-base-local.yaml
ask

say "3. both of cluster A's rebel-base pods die"
lab_backends_stop A
wait_local_health UNHEALTHY
run gw_ctl A explain default/rebel-base
ask

say "4. cluster A's pods come back"
lab_backends_start A
wait_local_health HEALTHY
ask

say "what the gateways counted"
gw_ctl A stats | grep -E "forwarded_nat|tunnel_in|drop_nat|drop_tunnel" | sed 's/^/   A /'
gw_ctl B stats | grep -E "forwarded_nat|tunnel_in|drop_nat|drop_tunnel" | sed 's/^/   B /'
say "done: removing every namespace and process"
