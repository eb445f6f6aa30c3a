#!/usr/bin/env bash
# causewayd's control plane alone (no root, no packets): gateway A of the island pair driven by
# causewayctl — affinity, zone preference, spill-over when local backends fail, and table sizing.
# The README's run-it command, scripts/demo.sh, is the two-cluster demo with real packets.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
build=build
work=$(mktemp -d /tmp/causeway-demo.XXXXXX)
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

export CAUSEWAY_SERVER="unix:$work/causeway.sock"
ctl() { echo "\$ causewayctl $*"; "$build/controlplane/ctl/causewayctl" "$@"; echo; }

echo "== causewayd with gateway A of the island pair (configs/island-pair-a.yaml)"
"$build/controlplane/daemon/causewayd" --listen="$CAUSEWAY_SERVER" --state_dir="$work/state" \
  --config=configs/island-pair-a.yaml 2>"$work/causewayd.log" &
daemon_pid=$!
for _ in $(seq 50); do [ -S "$work/causeway.sock" ] && break; sleep 0.1; done

ctl get clusters
ctl get services
ctl get endpoints --service default/rebel-base
echo "== affinity LOCAL + PreferSameZone: clients in eu-west-1a stay in cluster-a, zone a first"
ctl explain default/rebel-base --zone eu-west-1a

echo "== cluster-a's backends fail their health checks: traffic spills to cluster-b"
cat > "$work/unhealthy.yaml" <<'YAML'
endpoints:
  - {service: default/rebel-base, cluster: cluster-a, zone: eu-west-1a, address: 10.244.1.11, port: 8080, health: UNHEALTHY}
  - {service: default/rebel-base, cluster: cluster-a, zone: eu-west-1b, address: 10.244.130.4, port: 8080, health: UNHEALTHY}
YAML
ctl apply -f "$work/unhealthy.yaml"
ctl explain default/rebel-base --zone eu-west-1a

echo "== the eu-west-1b backend comes back: the next tier in order (local cluster, other zone) takes it all again"
sed -n '1,2p' "$work/unhealthy.yaml" > "$work/one-back.yaml"
echo "  - {service: default/rebel-base, cluster: cluster-a, zone: eu-west-1b, address: 10.244.130.4, port: 8080, health: HEALTHY}" >> "$work/one-back.yaml"
ctl apply -f "$work/one-back.yaml"
ctl explain default/rebel-base --zone eu-west-1a

echo "== a bad push is refused whole, with every problem, and changes nothing"
cat > "$work/bad.yaml" <<'YAML'
endpoints:
  - {service: default/rebel-base, cluster: cluster-z, zone: eu-west-1a, address: 10.244.9.9, port: 0}
YAML
ctl apply -f "$work/bad.yaml" || echo "(exit code $?)"
ctl stats

echo "== sizing Maglev tables"
ctl maglev --endpoints 1000 --table-size 65537
echo "causewayd log:"; sed 's/^/  /' "$work/causewayd.log"
