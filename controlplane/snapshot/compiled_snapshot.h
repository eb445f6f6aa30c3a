// The compiled snapshot: everything a worker needs to forward, in plain immutable C++ (no protobuf,
// no gRPC, no DPDK). The control plane builds one per accepted change and hands it to the dataplane
// through SnapshotSink; the dataplane turns it into its own lookup structures (rte_hash, rte_lpm) on
// its control thread and publishes them to workers by RCU.
//
// Identity: a backend is (cluster, address, port). Island clusters reuse pod addresses, so two
// backends may share an address and differ only by cluster.
#ifndef CAUSEWAY_CONTROLPLANE_SNAPSHOT_COMPILED_SNAPSHOT_H_
#define CAUSEWAY_CONTROLPLANE_SNAPSHOT_COMPILED_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/net/ip_address.h"

namespace causeway::snapshot {

enum class Protocol : uint8_t { kTcp = 6, kUdp = 17 };

// How packets reach a backend.
enum class Forwarding : uint8_t {
  kIpip,     // IPIP (4in4, 6in6, 4in6) to the backend; the backend answers the client directly (DSR)
  kGue,      // GUE over UDP to the backend, flow entropy in the outer source port (DSR)
  kFullNat,  // DNAT to the backend, SNAT to the gateway: replies come back through the gateway
};

// One (VIP, port, protocol) a service answers on. port 0 = every port of the VIP.
struct Frontend {
  net::IpAddress vip;
  uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
};

struct Backend {
  // Stable across snapshots while the backend exists (counters are kept per id).
  uint32_t id = 0;
  std::string cluster;
  uint32_t cluster_id = 0;
  net::IpAddress address;
  uint16_t port = 0;
  std::string zone;
  std::string region;
  // Where encapsulated packets go: the backend itself when it is in this gateway's cluster, else the
  // gateway of its cluster (which decapsulates and forwards into its island).
  net::IpAddress next_hop;
  bool local = true;
  // Partition safe mode: the backend's cluster is cut off. It keeps its Maglev slots (so no other
  // flow moves) and its established flows, but a new flow that lands on it is refused (TCP RST,
  // ICMP unreachable for UDP) and counted.
  bool refuse_new = false;
};

// One Maglev table: `slots[flow_hash % slots.size()]` indexes CompiledService::backends.
// Empty means the service has no backend for this view: drop and count "no backend".
struct Table {
  std::vector<uint16_t> slots;
};

struct CompiledService {
  uint32_t id = 0;
  std::string name;  // namespace/name
  std::vector<Frontend> frontends;
  Forwarding forwarding = Forwarding::kIpip;
  std::vector<Backend> backends;
  // Identical views share one table: zone_table[z] indexes `tables` for client zone id z
  // (CompiledSnapshot::zones).
  std::vector<Table> tables;
  std::vector<uint16_t> zone_table;
};

// A client source prefix and the zone id (index into CompiledSnapshot::zones) its clients are in.
struct ZonePrefix {
  net::IpPrefix prefix;
  uint16_t zone = 0;
};

struct GatewaySettings {
  std::string cluster;
  uint32_t cluster_id = 0;
  std::string region;
  std::string zone;
  std::vector<net::IpAddress> addresses;  // the gateway's own addresses (ARP/ND, SNAT, tunnel source)
  uint16_t gue_port = 6080;               // Katran's GUE destination port
  uint16_t mtu = 1500;
  std::vector<net::IpAddress> peer_gateways;  // tunnelled traffic is accepted only from these
  // The secret key of the dataplane's keyed flow hash (SipHash), the same on every gateway of the
  // group so that they all choose the same Maglev slot for a flow. Changing it re-hashes flows.
  uint64_t flow_hash_key[2] = {0, 0};
};

struct CompiledSnapshot {
  uint64_t version = 0;
  GatewaySettings gateway;
  std::vector<std::string> zones;  // zone id → name; id 0 is the gateway's own zone
  std::vector<ZonePrefix> client_zones;  // sources not covered belong to zone 0
  std::vector<CompiledService> services;
};

// The one interface between the control plane and the dataplane. Publish() takes ownership of an
// immutable snapshot; it must not block on packet processing (the dataplane swaps by RCU and frees
// the old snapshot after the grace period).
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  virtual void Publish(std::shared_ptr<const CompiledSnapshot> snapshot) = 0;
};

}  // namespace causeway::snapshot

#endif  // CAUSEWAY_CONTROLPLANE_SNAPSHOT_COMPILED_SNAPSHOT_H_
