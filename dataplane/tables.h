// The dataplane's form of a CompiledSnapshot: lookup structures built on the control thread
// (rte_hash for VIPs, rte_lpm/rte_lpm6 for client zones, flat arrays for services and Maglev tables)
// and then only read by workers until the RCU grace period after they are replaced.
#ifndef CAUSEWAY_DATAPLANE_TABLES_H_
#define CAUSEWAY_DATAPLANE_TABLES_H_

#include <rte_ether.h>

#include <array>
#include <map>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/snapshot/compiled_snapshot.h"
#include "dataplane/flow_hash.h"

struct rte_hash;
struct rte_lpm;
struct rte_lpm6;

namespace causeway::dataplane {

// What the dataplane is told besides the snapshot: things that belong to this machine (MAC
// addresses of next hops, the outer TTL) rather than to the gateway group.
struct DataplaneSettings {
  // Static neighbour table: next-hop address → MAC, set by the operator. Always wins.
  std::vector<std::pair<net::IpAddress, rte_ether_addr>> neighbors;
  // MACs learned by ARP/ND (NeighborResolver) for next hops missing from `neighbors`; filled by the
  // snapshot store from its resolver, never by the operator.
  std::vector<std::pair<net::IpAddress, rte_ether_addr>> learned_neighbors;
  // Used for next hops neither static nor learned (the router in a routed design); none: drop.
  std::optional<rte_ether_addr> default_next_hop_mac;
  // Outer tunnel sources; when unset, the gateway's first address of each family.
  std::optional<net::IpAddress> tunnel_source_v4;
  std::optional<net::IpAddress> tunnel_source_v6;
  uint8_t outer_ttl = 64;
  // Full-NAT source addresses (island mode), at most kMaxSnatAddresses; when empty, the gateway's
  // first address of each family. They answer ARP/ND like gateway addresses.
  std::vector<net::IpAddress> snat_sources;
};

inline constexpr size_t kMaxSnatAddresses = 32;

// A next hop without a static neighbour entry, to be resolved by ARP (IPv4) or neighbour discovery
// (IPv6), and the gateway address the requests are sent from: of the same family, the one sharing
// the longest prefix with the next hop (the gateway's address on its subnet).
struct NeighborWant {
  std::array<uint8_t, 16> address{};  // IPv4 in the first 4 bytes, network order
  bool ipv6 = false;
  bool has_source = false;  // false: the gateway has no address of this family to ask from
  std::array<uint8_t, 16> source{};
  auto operator<=>(const NeighborWant&) const = default;
};

// Packets and bytes (of the client's IP packets) forwarded, per service or backend and worker.
struct TrafficStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};
using TrafficTotals = std::map<uint32_t, TrafficStats>;  // by service or backend id

// Where traffic went, for cost accounting: the client's zone → the backend's zone, cluster and
// region, and which way (to the backend, or full-NAT replies back to the client).
struct ZonePairKey {
  std::string client_zone, backend_zone, backend_cluster, backend_region;
  bool to_backend = true;
  auto operator<=>(const ZonePairKey&) const = default;
};
using ZonePairTotals = std::map<ZonePairKey, TrafficStats>;

// One backend as the fast path needs it: where to send, already resolved to a MAC.
struct BackendRoute {
  uint32_t id = 0;
  uint32_t stat_slot = 0;   // index into a worker's TrafficStats block
  bool ipv6 = false;        // family of next_hop (the outer header)
  bool has_mac = false;
  rte_ether_addr mac{};
  std::array<uint8_t, 16> next_hop{};  // IPv4 in the first 4 bytes, network order
  // The backend itself, for full-NAT's destination rewrite.
  bool local = true;           // in this gateway's cluster (else next_hop is its cluster's gateway)
  bool refuse_new = false;     // partition safe mode: new flows that land here are refused
  uint16_t place = 0;          // its (zone, cluster, region) in the tables' zone-pair counters
  bool address_ipv6 = false;
  uint16_t port_be = 0;
  std::array<uint8_t, 16> address{};
  // An IPv4 outer header to this next hop has fields that never change: version and IHL, TTL and
  // protocol (IPIP), source, destination. Their 16-bit words summed (host order, not folded), so
  // the IPv4-in-IPv4 encapsulation adds only type of service, length and DF per packet.
  uint32_t ipip4_fixed_sum = 0;
};

// A peer gateway: tunnelled traffic is accepted only from these, and full-NAT replies for flows a
// peer tunnelled in go back to it.
struct PeerRoute {
  BackendRoute route;  // next_hop = the peer's address, mac = how to reach it
  uint64_t tag = 0;    // the peer in flow keys (FlowKey word 5): never 0
};

// The low 32 bits of a peer's tag: its IPv4 address, or part of the fold of its IPv6 one (a clash
// between two IPv6 peers would only make the owner drop the frame: replies are checked against the
// session's peer address).
inline uint32_t HandoffPeerId(const PeerRoute& p) {
  const auto id = static_cast<uint32_t>(p.tag);
  return id != 0 ? id : 1;
}

// A local backend of a full-NAT service, which peers may tunnel flows to.
struct NatTarget {
  std::array<uint8_t, 16> address{};
  uint16_t port_be = 0;
  bool ipv6 = false;
  BackendRoute route;
};

struct ServiceRoute {
  uint32_t id = 0;
  uint32_t stat_slot = 0;
  snapshot::Forwarding forwarding = snapshot::Forwarding::kIpip;
  std::vector<BackendRoute> backends;                 // the snapshot's order: slots index it
  std::vector<std::pair<uint32_t, uint16_t>> by_id;   // (backend id, index), sorted by id
  std::vector<std::vector<uint16_t>> tables;          // Maglev tables
  std::vector<uint16_t> zone_table;                   // zone id → index into tables

  // The index of backend `id`, or -1 when it is gone from this service.
  int FindBackend(uint32_t id) const;
  // The Maglev table for a client in `zone`, nullptr when it is empty (no backend).
  const std::vector<uint16_t>* TableForZone(uint16_t zone) const;
};

// The VIP table's key: address, port (network order; 0 = every port) and protocol. Protocol 0 with
// port 0 marks "this address is ours" (a VIP or a gateway address) for ARP, ND and echo.
// Padded to 32 bytes, a length rte_hash compares with vector code.
struct alignas(8) VipKey {
  std::array<uint8_t, 16> address{};
  uint16_t port = 0;
  uint8_t protocol = 0;
  uint8_t family = 4;
  std::array<uint8_t, 12> zero{};
};
static_assert(sizeof(VipKey) == 32);

inline constexpr uint32_t kLocalAddressMark = 0xffffffffu;

// The client-zone lookup structures of a snapshot. rte_lpm's IPv4 table alone is ~64 MB, so tables
// whose client prefixes did not change share one ZoneMaps with the tables before them (freed with the
// last tables that use it, after their RCU grace period) instead of building another.
struct ZoneMaps {
  std::vector<snapshot::ZonePrefix> prefixes;
  rte_lpm* v4 = nullptr;
  rte_lpm6* v6 = nullptr;
  ~ZoneMaps();
};

class Tables {
 public:
  // Builds everything or nothing. Errors: a VIP listed twice, a table index out of range, DPDK
  // table creation failing (memory).
  // `max_workers`: how many workers keep traffic statistics in these tables (worker ids below it).
  // `reusable`: the zone maps of the tables in use, taken over when the prefixes are the same.
  static absl::StatusOr<std::unique_ptr<Tables>> Compile(const snapshot::CompiledSnapshot& snap,
                                                        const DataplaneSettings& settings,
                                                        uint32_t max_workers = 1,
                                                        std::shared_ptr<const ZoneMaps> reusable = nullptr);
  const std::shared_ptr<const ZoneMaps>& zone_maps() const { return zone_maps_; }
  ~Tables();
  Tables(const Tables&) = delete;
  Tables& operator=(const Tables&) = delete;

  // Bumped for every compiled snapshot in this process; flow entries cache a backend index per
  // generation.
  uint32_t generation() const { return generation_; }
  uint64_t version() const { return version_; }
  const FlowHashKey& flow_key() const { return flow_key_; }
  uint16_t mtu() const { return mtu_; }
  uint16_t gue_port_be() const { return gue_port_be_; }
  uint8_t outer_ttl() const { return outer_ttl_; }
  // Tunnel sources (network order); has_* false when the gateway has no address of that family.
  bool has_source_v4() const { return has_source_v4_; }
  bool has_source_v6() const { return has_source_v6_; }
  const std::array<uint8_t, 16>& source_v4() const { return source_v4_; }
  const std::array<uint8_t, 16>& source_v6() const { return source_v6_; }

  // The service answering `key`, trying the exact port and then port 0; nullptr when none.
  const ServiceRoute* FindService(const VipKey& key) const;
  // True when `address` (4 or 16 bytes, network order) is a VIP or a gateway address.
  bool IsLocalAddress(const uint8_t* address, bool ipv6) const;
  // The client zone of a source address (zone 0 when no prefix matches).
  uint16_t ZoneOfV4(uint32_t address_be) const;
  uint16_t ZoneOfV6(const uint8_t* address) const;

  const std::vector<ServiceRoute>& services() const { return services_; }

  // Full-NAT (island mode). The SNAT address `address` has index i (or -1): replies to it are NAT
  // replies. Masks: bit i set for each SNAT address of that family.
  int SnatIndex(const uint8_t* address, bool ipv6) const {
    if (!ipv6) {
      uint32_t v4;
      std::memcpy(&v4, address, 4);
      for (const auto& [a, index] : snat_v4_) {
        if (a == v4) return index;
      }
      return -1;
    }
    for (size_t i = 0; i < snat_.size(); ++i) {
      if (snat_[i].second && std::memcmp(snat_[i].first.data(), address, 16) == 0) return static_cast<int>(i);
    }
    return -1;
  }
  const uint8_t* SnatAddress(uint16_t index) const { return snat_[index].first.data(); }
  // True when SNAT address `index` is also some frontend's VIP: its packets try the VIP first.
  bool SnatSharedWithVip(int index) const { return (snat_shared_with_vip_ >> index) & 1u; }
  uint32_t snat_mask(bool ipv6) const { return ipv6 ? snat_mask_v6_ : snat_mask_v4_; }
  // Some service forwards by full-NAT: only then can a packet be a NAT reply (decided per table
  // build, so a DSR-only gateway pays no SNAT check per packet).
  bool has_full_nat() const { return has_full_nat_; }
  // The peer gateway with address `address`, or nullptr (then tunnelled traffic is refused).
  const PeerRoute* FindPeer(const uint8_t* address, bool ipv6) const;
  // A hand-off between workers names the peer by HandoffPeerId (never 0); the receiving worker's
  // tables (perhaps another generation) find it again, or nullptr.
  const PeerRoute* FindPeerByHandoffId(uint32_t id) const {
    for (const PeerRoute& p : peers_) {
      if (HandoffPeerId(p) == id) return &p;
    }
    return nullptr;
  }
  // The local full-NAT backend (address, port), or nullptr.
  const NatTarget* FindNatTarget(const uint8_t* address, uint16_t port_be, bool ipv6) const;

  // Next hops to resolve (no static entry), sorted by (address, family). WantsNeighbor: whether
  // `address` is one of them — workers pass only those ARP/ND answers to the control side.
  const std::vector<NeighborWant>& neighbor_wants() const { return neighbor_wants_; }
  bool WantsNeighbor(const uint8_t* address, bool ipv6) const;

  // Worker `worker`'s statistics block (indexed by stat_slot), or nullptr when the id is out of
  // range. Only that worker writes it; the tables are otherwise immutable, so the block is held
  // apart from them.
  TrafficStats* stats(uint32_t worker) const {
    return worker < max_workers_ ? &stats_[size_t{worker} * stats_stride_] : nullptr;
  }
  // Adds every worker's statistics to the totals, by id (relaxed reads of live counters).
  void CollectStats(TrafficTotals& services, TrafficTotals& backends) const;
  void CollectZonePairs(ZonePairTotals& totals) const;

  // Counts `bytes` of one packet between client zone `zone` and backend place `place` in a worker's
  // block (from stats()). Zones beyond the snapshot's list count as the gateway's own (zone 0).
  void CountZonePair(TrafficStats* block, uint16_t zone, uint16_t place, bool to_backend, uint32_t bytes) const {
    if (zone_cells_ == 0) return;
    if (zone >= client_zone_count_) zone = 0;
    TrafficStats& cell = block[zone_cells_base_ + (size_t{zone} * places_.size() + place) * 2 + (to_backend ? 0 : 1)];
    cell.packets++;
    cell.bytes += bytes;
  }
  // The client zone of an address (4 or 16 bytes, network order).
  uint16_t ZoneOf(const uint8_t* address, bool ipv6) const {
    uint32_t v4;
    std::memcpy(&v4, address, 4);
    return ipv6 ? ZoneOfV6(address) : ZoneOfV4(v4);
  }

 private:
  Tables() = default;
  uint32_t generation_ = 0;
  uint64_t version_ = 0;
  FlowHashKey flow_key_;
  uint16_t mtu_ = 1500;
  uint16_t gue_port_be_ = 0;
  uint8_t outer_ttl_ = 64;
  bool has_source_v4_ = false, has_source_v6_ = false;
  std::array<uint8_t, 16> source_v4_{}, source_v6_{};
  std::vector<ServiceRoute> services_;
  std::vector<std::pair<std::array<uint8_t, 16>, bool>> snat_;  // (address, is IPv6)
  std::vector<std::pair<uint32_t, int>> snat_v4_;                // (IPv4 address as loaded, index)
  uint32_t snat_mask_v4_ = 0, snat_mask_v6_ = 0;
  uint32_t snat_shared_with_vip_ = 0;  // bit i: SNAT address i is also a VIP
  bool has_full_nat_ = false;
  std::vector<PeerRoute> peers_;
  std::vector<NatTarget> nat_targets_;  // sorted by (address, port)
  std::vector<NeighborWant> neighbor_wants_;
  uint32_t max_workers_ = 0;
  // Zone-pair cells, after the service and backend slots of each worker's block.
  struct Place {
    std::string zone, cluster, region;
    auto operator<=>(const Place&) const = default;
  };
  std::vector<Place> places_;
  std::vector<std::string> client_zones_;  // zone id → name
  uint16_t client_zone_count_ = 0;
  size_t zone_cells_base_ = 0, zone_cells_ = 0;
  size_t stats_stride_ = 0;  // TrafficStats per worker, padded to whole cache lines
  std::unique_ptr<TrafficStats[]> stats_;
  rte_hash* vips_ = nullptr;   // VipKey → service index, or kLocalAddressMark
  std::shared_ptr<const ZoneMaps> zone_maps_;
  // zone_maps_'s tables, read on the fast path without the indirection.
  rte_lpm* zones_v4_ = nullptr;
  rte_lpm6* zones_v6_ = nullptr;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_TABLES_H_
