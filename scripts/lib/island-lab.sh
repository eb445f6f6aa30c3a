# shellcheck shell=bash
# The island lab: two Kubernetes-like clusters, A and B, both with pod CIDR 10.244.0.0/16, as
# network namespaces on one machine, plus the kernel load balancers causeway is compared with.
# A bash library: source it, then call lab_up / lab_down (root).
#
#   source scripts/lib/island-lab.sh
#   trap lab_down EXIT; trap 'exit 130' INT TERM     # Ctrl-C included
#   lab_up                       # fabric, both clusters, rebel-base on the four backends
#   lab_curl a-be1 http://10.244.2.10:8080/
#
# Topology (namespace names are "$CW_LAB_PREFIX-ROLE", prefix "cw" by default):
#
#   cw-fabric   bridges br-a (cluster A's L2) and br-b (cluster B's); the transit router between
#               192.168.10.0/24 (br-a, .1) and 192.168.20.0/24 (br-b, .1), nothing else. Pods of A
#               and B never reach each other: only the gateways' tunnel addresses are routed.
#   cluster A on br-a                          cluster B on br-b
#     a-client  10.244.1.5/16                    b-client  10.244.1.5/16
#               10.96.0.0/16 via 10.244.0.2                10.96.0.0/16 via 10.244.0.2
#     a-be1     10.244.2.10/16  :8080            b-be1     10.244.2.10/16  :8080
#     a-be2     10.244.2.11/16  :8080            b-be2     10.244.2.11/16  :8080
#               "Cluster A: Alderaan base"                 "Cluster B: Hoth base"
#     a-gw      veth "gw", no address: causewayd's DPDK port (net_af_packet); it answers
#               10.244.0.2 (SNAT) and owns 192.168.10.2 / 192.168.20.2 (tunnel); its exception
#               TAP cwhost gets 10.244.0.3/16 (lab_host_tap_up).
#   kernel baselines on br-a (lab_kernel_lb_up, lab_haproxy_up):
#     a-knat    10.244.0.4/16, nftables DNAT of 10.96.0.20:80 to a-be1/a-be2 :8080 + masquerade
#               (full-NAT); a-client routes 10.96.0.20 via 10.244.0.4
#     a-haproxy 10.244.0.5/16, HAProxy mode tcp, roundrobin, 10.244.0.5:80 -> a-be1/a-be2 :8080
#
# Every veth has a deterministic MAC, 02:ca:CC:RR:00:0S: CC = 0a (cluster A) / 0b (cluster B),
# RR = role (01 client, 02 gw, 04 knat, 05 haproxy, 10 be1, 11 be2), S = 0 for the pod's end and 1
# for its port on the fabric bridge. The bridges: br-a 02:ca:0a:ff:00:01, br-b 02:ca:0b:ff:00:01.
# lab_neighbors A and lab_next_hop_mac A give causewayd its static next hops.
#
# Inside the clusters, pods share one L2 segment and one /16, as pods of one cluster reach each
# other in Kubernetes; the services (10.96.0.0/16) are reached through the gateway.
#
# The kernel's stack is kept off the gateway's veth with an nftables netdev ingress drop (policy
# drop on hook ingress of "gw"); af_packet still sees every frame, because packet taps run before
# the ingress hook (lab_gw_tap_check verifies it). Kernel-side veths have transmit checksum
# offload off (af_packet would otherwise see unfilled checksums), IPv6 off, MTU 1500.
#
# State (pid files, logs, configs) lives in $CW_LAB_RUN (/run/causeway-lab/PREFIX).

CW_LAB_PREFIX=${CW_LAB_PREFIX:-cw}
CW_LAB_RUN=${CW_LAB_RUN:-/run/causeway-lab/$CW_LAB_PREFIX}
CW_LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Addresses (the same in both clusters: they are islands).
LAB_POD_PREFIX=16
LAB_CLIENT_ADDR=10.244.1.5
LAB_BE1_ADDR=10.244.2.10
LAB_BE2_ADDR=10.244.2.11
LAB_BACKEND_PORT=8080
LAB_GW_SNAT_ADDR=10.244.0.2         # causewayd's address in its cluster (SNAT, ARP)
LAB_GW_HOST_ADDR=10.244.0.3         # the gateway host's kernel, behind causewayd's TAP cwhost
LAB_KNAT_ADDR=10.244.0.4
LAB_HAPROXY_ADDR=10.244.0.5
LAB_SERVICE_CIDR=10.96.0.0/16
LAB_KNAT_VIP=10.96.0.20             # the nftables DNAT baseline's VIP (port 80)
LAB_VIP_PORT=80
LAB_TUNNEL_A=192.168.10.2           # gateway A's tunnel address
LAB_TUNNEL_B=192.168.20.2           # gateway B's tunnel address
LAB_FABRIC_A=192.168.10.1           # the fabric router on br-a
LAB_FABRIC_B=192.168.20.1           # the fabric router on br-b
LAB_MESSAGE_A="Cluster A: Alderaan base"
LAB_MESSAGE_B="Cluster B: Hoth base"
LAB_HOST_TAP=cwhost

# Every namespace role the lab may create (lab_down removes exactly these).
LAB_ROLES=(fabric a-client a-be1 a-be2 a-gw a-knat a-haproxy b-client b-be1 b-be2 b-gw)

lab_log() { echo "lab: $*" >&2; }

# lab_ns ROLE -> the namespace's name (ROLE may already be a full name).
lab_ns() {
  case "$1" in
    "$CW_LAB_PREFIX"-*) echo "$1" ;;
    *) echo "$CW_LAB_PREFIX-$1" ;;
  esac
}

_lab_cluster_byte() { case "$1" in a|A) echo 0a ;; b|B) echo 0b ;; *) lab_log "no cluster $1"; return 1 ;; esac; }
_lab_role_byte() {
  case "$1" in
    client) echo 01 ;; gw) echo 02 ;; knat) echo 04 ;; haproxy) echo 05 ;; be1) echo 10 ;; be2) echo 11 ;;
    *) lab_log "no role $1"; return 1 ;;
  esac
}

# lab_mac ROLE [port] -> the MAC of ROLE's veth (a-be1, b-gw, ...); with "port", of its end on the
# fabric bridge. lab_mac br-a / br-b -> the bridge's (the fabric router's) MAC.
lab_mac() {
  local role=$1 side=00
  [ "${2:-}" = port ] && side=01
  case "$role" in
    br-a) echo 02:ca:0a:ff:00:01; return ;;
    br-b) echo 02:ca:0b:ff:00:01; return ;;
  esac
  local c r
  c=$(_lab_cluster_byte "${role%%-*}") || return 1
  r=$(_lab_role_byte "${role#*-}") || return 1
  echo "02:ca:$c:$r:00:$side"
}

# lab_addr ROLE -> the pod address of ROLE (no prefix length).
lab_addr() {
  case "${1#*-}" in
    client) echo $LAB_CLIENT_ADDR ;; be1) echo $LAB_BE1_ADDR ;; be2) echo $LAB_BE2_ADDR ;;
    gw) echo $LAB_GW_SNAT_ADDR ;; knat) echo $LAB_KNAT_ADDR ;; haproxy) echo $LAB_HAPROXY_ADDR ;;
    *) lab_log "no address for $1"; return 1 ;;
  esac
}

# lab_tunnel_addr A|B -> the gateway's tunnel address; lab_fabric_addr A|B -> the router's on that side.
lab_tunnel_addr() { case "$1" in a|A) echo $LAB_TUNNEL_A ;; b|B) echo $LAB_TUNNEL_B ;; esac; }
lab_fabric_addr() { case "$1" in a|A) echo $LAB_FABRIC_A ;; b|B) echo $LAB_FABRIC_B ;; esac; }

# lab_neighbors A|B -> causewayd's --neighbors value: the cluster's pods (client when present,
# backends, and the kernel baselines when present) as IP@MAC,...
lab_neighbors() {
  local c out="" role
  c=$(echo "$1" | tr AB ab)
  for role in client be1 be2 knat haproxy; do
    case $role in be1|be2) ;; *) lab_ns_exists "$c-$role" || continue ;; esac
    out="$out${out:+,}$(lab_addr "$c-$role")@$(lab_mac "$c-$role")"
  done
  echo "$out"
}

# lab_next_hop_mac A|B -> causewayd's --default_next_hop_mac: the fabric router's MAC on the
# gateway's bridge (the next hop of its tunnel to the other gateway).
lab_next_hop_mac() { lab_mac "br-$(echo "$1" | tr AB ab)"; }

# lab_env -> every address and MAC as shell assignments (eval-able), for scripts and people.
lab_env() {
  local c role
  echo "CW_LAB_PREFIX=$CW_LAB_PREFIX"
  for v in LAB_CLIENT_ADDR LAB_BE1_ADDR LAB_BE2_ADDR LAB_BACKEND_PORT LAB_GW_SNAT_ADDR LAB_GW_HOST_ADDR \
           LAB_KNAT_ADDR LAB_HAPROXY_ADDR LAB_SERVICE_CIDR LAB_KNAT_VIP LAB_VIP_PORT LAB_TUNNEL_A LAB_TUNNEL_B \
           LAB_FABRIC_A LAB_FABRIC_B; do
    echo "$v=${!v}"
  done
  echo "LAB_MAC_BR_A=$(lab_mac br-a)"
  echo "LAB_MAC_BR_B=$(lab_mac br-b)"
  for c in a b; do
    for role in client gw be1 be2 knat haproxy; do
      echo "LAB_MAC_$(echo "$c-$role" | tr 'a-z-' 'A-Z_')=$(lab_mac "$c-$role")"
    done
    echo "LAB_NEIGHBORS_${c^^}=$(lab_neighbors "$c")"
    echo "LAB_NEXT_HOP_MAC_${c^^}=$(lab_next_hop_mac "$c")"
  done
}

lab_ns_exists() { [ -e "/var/run/netns/$(lab_ns "$1")" ]; }

# lab_exec ROLE CMD... -> runs CMD in ROLE's namespace.
lab_exec() { local ns; ns=$(lab_ns "$1"); shift; ip netns exec "$ns" "$@"; }

# lab_curl ROLE URL [curl options...] -> the body on stdout (3 s timeout, fails on HTTP errors).
lab_curl() {
  local ns url
  ns=$(lab_ns "$1"); url=$2; shift 2
  ip netns exec "$ns" curl -sS --fail --max-time "${CW_LAB_CURL_TIMEOUT:-3}" "$@" "$url"
}

# lab_curl_backend ROLE URL -> which backend answered (its X-Backend header), e.g. "a-be1".
lab_curl_backend() {
  lab_curl "$1" "$2" -o /dev/null -D - | tr -d '\r' | sed -n 's/^[Xx]-[Bb]ackend: //p'
}

_lab_sysctls() {  # common settings of a fresh namespace
  local ns=$1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.default.accept_redirects=0 \
    net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 \
    net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 \
    net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192 >/dev/null
  ip netns exec "$ns" ip link set lo up
}

_lab_add_ns() {
  local ns
  ns=$(lab_ns "$1")
  ip netns add "$ns"
  _lab_sysctls "$ns"
}

# _lab_attach ROLE IFNAME: a veth from ROLE's namespace (IFNAME inside) to its cluster's bridge.
_lab_attach() {
  local role=$1 ifname=$2 ns fab br port
  ns=$(lab_ns "$role"); fab=$(lab_ns fabric)
  br=br-${role%%-*}; port=$role
  ip link add "$ifname" netns "$ns" address "$(lab_mac "$role")" mtu 1500 type veth \
    peer name "$port" netns "$fab" address "$(lab_mac "$role" port)" mtu 1500
  ip -n "$fab" link set "$port" master "$br"
  ip -n "$fab" link set "$port" up
  ip -n "$ns" link set "$ifname" up
  # Fill checksums in software on both ends: af_packet must never see CHECKSUM_PARTIAL frames.
  ip netns exec "$ns" ethtool -K "$ifname" tx off >/dev/null 2>&1
  ip netns exec "$fab" ethtool -K "$port" tx off >/dev/null 2>&1
}

# _lab_pod ROLE: a pod namespace with eth0 carrying its /16 address.
_lab_pod() {
  local role=$1
  _lab_add_ns "$role"
  _lab_attach "$role" eth0
  ip -n "$(lab_ns "$role")" addr add "$(lab_addr "$role")/$LAB_POD_PREFIX" dev eth0
}

# lab_backend_start ROLE [CMD...]: starts ROLE's server (rebel-base by default; CMD replaces it,
# e.g. cw-tcp-server). Waits until it listens on :8080.
lab_backend_start() {
  local role=$1 ns c msg log pidf
  shift
  ns=$(lab_ns "$role"); c=${role%%-*}
  msg=$LAB_MESSAGE_A; [ "$c" = b ] && msg=$LAB_MESSAGE_B
  log=$CW_LAB_RUN/$role.log; pidf=$CW_LAB_RUN/$role.pid
  lab_backend_stop "$role"
  if [ $# -eq 0 ]; then
    set -- python3 "$CW_LAB_LIB_DIR/rebel_base.py" --message "$msg" --name "$role" --port "$LAB_BACKEND_PORT"
  fi
  ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
  echo $! >"$pidf"
  local i
  for i in $(seq 100); do
    if ip netns exec "$ns" ss -Hltn "sport = :$LAB_BACKEND_PORT" 2>/dev/null | grep -q LISTEN; then return 0; fi
    kill -0 "$(cat "$pidf")" 2>/dev/null || break
    sleep 0.05
  done
  lab_log "backend $role did not start: $(cat "$log")"
  return 1
}

# lab_backend_stop ROLE: stops ROLE's server (the demo's "backend killed").
lab_backend_stop() {
  local pidf=$CW_LAB_RUN/$1.pid
  [ -f "$pidf" ] || return 0
  _lab_kill "$(cat "$pidf")"
  rm -f "$pidf"
}

# lab_backends_start A|B [CMD...] / lab_backends_stop A|B: both of a cluster's backends.
lab_backends_start() { local c; c=$(echo "$1" | tr AB ab); shift; lab_backend_start "$c-be1" "$@" && lab_backend_start "$c-be2" "$@"; }
lab_backends_stop() { local c; c=$(echo "$1" | tr AB ab); lab_backend_stop "$c-be1"; lab_backend_stop "$c-be2"; }

_lab_kill() {  # PID...: TERM, then KILL after 2 s
  local p i alive
  [ $# -gt 0 ] || return 0
  kill "$@" 2>/dev/null || true
  for i in $(seq 40); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && return 0
    sleep 0.05
  done
  kill -9 "$@" 2>/dev/null || true
  for p in "$@"; do while kill -0 "$p" 2>/dev/null; do sleep 0.02; done; done
}

# lab_up: the fabric, both clusters and the rebel-base servers. Removes a previous run's leftovers
# first (same prefix), so it is safe after a crash. CW_LAB_B_CLIENT=0 leaves out b-client.
lab_up() {
  lab_down
  mkdir -p "$CW_LAB_RUN"
  local fab c role
  fab=$(lab_ns fabric)
  _lab_add_ns fabric
  ip netns exec "$fab" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
  for c in a b; do
    ip -n "$fab" link add "br-$c" address "$(lab_mac "br-$c")" type bridge stp_state 0 forward_delay 0
    ip -n "$fab" link set "br-$c" up
    ip netns exec "$fab" ethtool -K "br-$c" tx off >/dev/null 2>&1 || true
  done
  ip -n "$fab" addr add "$LAB_FABRIC_A/24" dev br-a
  ip -n "$fab" addr add "$LAB_FABRIC_B/24" dev br-b

  for c in a b; do
    [ "$c" = b ] && [ "${CW_LAB_B_CLIENT:-1}" = 0 ] || _lab_pod "$c-client"
    lab_ns_exists "$c-client" && ip -n "$(lab_ns "$c-client")" route add "$LAB_SERVICE_CIDR" via "$LAB_GW_SNAT_ADDR"
    _lab_pod "$c-be1"
    _lab_pod "$c-be2"
    # The gateway: veth "gw" without an address, the kernel kept off it.
    role=$c-gw
    _lab_add_ns "$role"
    _lab_attach "$role" gw
    ip netns exec "$(lab_ns "$role")" nft -f - <<EOF
table netdev causeway_lab {
  chain gw_ingress {
    type filter hook ingress device "gw" priority -500; policy drop;
    counter
  }
}
EOF
    # The fabric delivers tunnelled packets to the gateway without asking ARP.
    ip -n "$fab" neigh replace "$(lab_tunnel_addr "$c")" lladdr "$(lab_mac "$c-gw")" dev "br-$c" nud permanent
  done

  for role in a-be1 a-be2 b-be1 b-be2; do lab_backend_start "$role"; done
  lab_log "up: prefix $CW_LAB_PREFIX, state in $CW_LAB_RUN"
}

# lab_host_tap_up A|B: once causewayd has created its exception TAP cwhost in the gateway's
# namespace, gives it 10.244.0.3/16 and brings it up (waits up to 10 s for it).
lab_host_tap_up() {
  local ns i
  ns=$(lab_ns "$(echo "$1" | tr AB ab)-gw")
  for i in $(seq 200); do
    ip -n "$ns" link show "$LAB_HOST_TAP" >/dev/null 2>&1 && break
    sleep 0.05
  done
  ip -n "$ns" link show "$LAB_HOST_TAP" >/dev/null 2>&1 || { lab_log "no $LAB_HOST_TAP in $ns"; return 1; }
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$LAB_HOST_TAP.disable_ipv6=1" >/dev/null 2>&1 || true
  ip -n "$ns" addr replace "$LAB_GW_HOST_ADDR/$LAB_POD_PREFIX" dev "$LAB_HOST_TAP"
  ip -n "$ns" link set "$LAB_HOST_TAP" up
}

# lab_kernel_lb_up: the nftables DNAT baseline (a-knat) and a-client's route to its VIP.
lab_kernel_lb_up() {
  local ns
  ns=$(lab_ns a-knat)
  lab_ns_exists a-knat || _lab_pod a-knat
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.eth0.send_redirects=0 >/dev/null
  # What kube-proxy's nftables mode does for a ClusterIP, plus masquerade so that replies come back
  # through this namespace: full-NAT, like causeway.
  ip netns exec "$ns" nft -f - <<EOF
flush ruleset
table ip causeway_lab {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $LAB_KNAT_VIP tcp dport $LAB_VIP_PORT dnat to numgen inc mod 2 map { 0 : $LAB_BE1_ADDR, 1 : $LAB_BE2_ADDR } : $LAB_BACKEND_PORT
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ct status dnat masquerade
  }
}
EOF
  ip -n "$(lab_ns a-client)" route replace "$LAB_KNAT_VIP/32" via "$LAB_KNAT_ADDR"
}

# lab_haproxy_up: HAProxy in TCP mode (a-haproxy), roundrobin over a-be1/a-be2.
lab_haproxy_up() {
  local ns cfg pidf i
  ns=$(lab_ns a-haproxy); cfg=$CW_LAB_RUN/haproxy.cfg; pidf=$CW_LAB_RUN/haproxy.pid
  lab_ns_exists a-haproxy || _lab_pod a-haproxy
  cat >"$cfg" <<EOF
global
  maxconn 8000
defaults
  mode tcp
  timeout connect 3s
  timeout client 30s
  timeout server 30s
frontend rebel_base
  bind $LAB_HAPROXY_ADDR:$LAB_VIP_PORT
  default_backend rebel_base
backend rebel_base
  balance roundrobin
  server a-be1 $LAB_BE1_ADDR:$LAB_BACKEND_PORT
  server a-be2 $LAB_BE2_ADDR:$LAB_BACKEND_PORT
EOF
  if [ -f "$pidf" ]; then _lab_kill $(cat "$pidf"); rm -f "$pidf"; fi
  ip netns exec "$ns" haproxy -q -D -p "$pidf" -f "$cfg"
  for i in $(seq 100); do
    ip netns exec "$ns" ss -Hltn "sport = :$LAB_VIP_PORT" 2>/dev/null | grep -q LISTEN && return 0
    sleep 0.05
  done
  lab_log "haproxy did not start"
  return 1
}

# lab_gw_tap_check A|B: proves the gateway's veth is off-limits to the kernel but visible to
# af_packet: an address put on "gw" for a moment does not answer, while a packet socket on
# "gw" sees the ARP requests for it. Returns non-zero when that is not so.
lab_gw_tap_check() {
  local c gw cli probe=10.244.0.99 seen out i answered=0 sniffer
  c=$(echo "$1" | tr AB ab); gw=$(lab_ns "$c-gw"); cli=$(lab_ns "$c-client")
  out=$CW_LAB_RUN/gw-tap-check.$c
  ip -n "$gw" addr add "$probe/$LAB_POD_PREFIX" dev gw
  ip netns exec "$gw" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind(("gw", 0x0003))  # ETH_P_ALL
s.settimeout(0.2)
target = socket.inet_aton(sys.argv[1])
print("listening", flush=True)
n, end = 0, time.time() + 3
while time.time() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if f[12:14] == b"\x08\x06" and f[38:42] == target:  # ARP whose target is the probe address
        n += 1
print(n)
' "$probe" >"$out" &
  sniffer=$!
  for i in $(seq 100); do grep -q listening "$out" 2>/dev/null && break; sleep 0.02; done
  # A TCP connection attempt: the kernel would answer ARP and then refuse (curl exit 7); dropped,
  # it times out (exit 28).
  ip netns exec "$cli" curl -s --max-time 1 "http://$probe:9/" >/dev/null 2>&1 || [ $? = 28 ] || answered=1
  wait "$sniffer" || true
  seen=$(tail -n1 "$out")
  ip -n "$gw" addr del "$probe/$LAB_POD_PREFIX" dev gw
  ip -n "$cli" neigh flush to "$probe" >/dev/null 2>&1 || true
  [ "$answered" = 0 ] || { lab_log "the kernel answered on gw despite the ingress drop"; return 1; }
  [ "${seen:-0}" -gt 0 ] 2>/dev/null || { lab_log "af_packet saw nothing on gw"; return 1; }
  lab_log "gw ingress drop: kernel silent, af_packet saw $seen ARP request(s)"
}

# lab_down: every process in the lab's namespaces, the namespaces, the state directory. Safe to
# call twice and from a trap.
lab_down() {
  local role ns pids
  for role in "${LAB_ROLES[@]}"; do
    ns=$(lab_ns "$role")
    [ -e "/var/run/netns/$ns" ] || continue
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || _lab_kill $pids
  done
  for role in "${LAB_ROLES[@]}"; do
    ns=$(lab_ns "$role")
    [ -e "/var/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$CW_LAB_RUN" "/var/run/dpdk/$CW_LAB_PREFIX-a" "/var/run/dpdk/$CW_LAB_PREFIX-b"
  return 0
}
