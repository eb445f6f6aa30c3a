# shellcheck shell=bash
# causewayd as the island lab's gateways (source after scripts/lib/island-lab.sh): gw_start runs the
# real causewayd — control plane and DPDK dataplane — in a-gw or b-gw on the veth "gw"
# (net_af_packet), with the lab's static neighbours, its tunnel address as the outer source and its
# exception TAP for the kernel's health-check probes; gw_ctl runs causewayctl against it.
#
#   gw_start A build/controlplane/daemon/causewayd configs/lab/gateway-a.yaml
#   gw_ctl A apply -f configs/lab/rebel-base.yaml
#   gw_stop A

CW_GW_WORKERS=${CW_GW_WORKERS:-1}        # worker lcores (1: the main lcore polls)
CW_GW_IDLE_SLEEP_US=${CW_GW_IDLE_SLEEP_US:-100}

gw_socket() { echo "$CW_LAB_RUN/gw-$(echo "$1" | tr AB ab).sock"; }
gw_log() { echo "$CW_LAB_RUN/gw-$(echo "$1" | tr AB ab).log"; }
gw_pidfile() { echo "$CW_LAB_RUN/gw-$(echo "$1" | tr AB ab).pid"; }

# gw_start A|B CAUSEWAYD CONFIG [extra causewayd flags...]: waits until the gRPC socket answers and
# the exception TAP has its address; returns non-zero (log tail on stderr) when it does not come up.
gw_start() {
  local c=$1 bin=$2 config=$3; shift 3
  local lc ns sock log tunnel lcores i
  lc=$(echo "$c" | tr AB ab)
  ns=$(lab_ns "$lc-gw")
  sock=$(gw_socket "$c"); log=$(gw_log "$c")
  tunnel=$(lab_tunnel_addr "$c")
  rm -f "$sock"
  # One lcore polls when CW_GW_WORKERS=1; else the main lcore plus that many workers, spread over
  # the CPUs there are (lcore i on CPU i mod n).
  lcores="-l 0"
  if [ "$CW_GW_WORKERS" -gt 1 ]; then
    lcores="--lcores=$(for i in $(seq 0 "$CW_GW_WORKERS"); do printf '%d@%d,' "$i" $((i % $(nproc))); done)"
    lcores=${lcores%,}
  fi
  ip netns exec "$ns" "$bin" --listen="unix:$sock" --state_dir= --config="$config" \
    --neighbors="$(lab_neighbors "$c")" --default_next_hop_mac="$(lab_next_hop_mac "$c")" \
    --tunnel_sources="$tunnel" --idle_sleep_us="$CW_GW_IDLE_SLEEP_US" --flow_table_size=65536 \
    --mbufs_per_port=4095 --exception_tap="$LAB_HOST_TAP" "$@" -- \
    $lcores --no-huge -m 512 --no-pci --no-shconf --file-prefix="$CW_LAB_PREFIX-gw-$lc" --log-level=warning \
    --vdev="net_af_packet0,iface=gw,framecnt=4096,qpairs=$CW_GW_WORKERS" >"$log" 2>&1 &
  echo $! >"$(gw_pidfile "$c")"
  for i in $(seq 300); do
    [ -S "$sock" ] && grep -q "exception path to $LAB_HOST_TAP" "$log" && break
    kill -0 "$(cat "$(gw_pidfile "$c")")" 2>/dev/null || break
    sleep 0.05
  done
  if ! [ -S "$sock" ] || ! grep -q "exception path to $LAB_HOST_TAP" "$log"; then
    echo "gw $c did not come up; its log:" >&2
    tail -20 "$log" >&2
    return 1
  fi
  lab_host_tap_up "$c"
}

# gw_ctl A|B ARGS...: causewayctl against that gateway (a unix socket: no namespace needed).
gw_ctl() {
  local c=$1; shift
  "${CAUSEWAYCTL:-causewayctl}" --server="unix:$(gw_socket "$c")" "$@"
}

# gw_stop A|B: SIGTERM (causewayd drains and exits), SIGKILL after 3 s.
gw_stop() {
  local pidfile pid i
  pidfile=$(gw_pidfile "$1")
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile" "$(gw_socket "$1")"
}
