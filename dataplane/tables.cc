#include "dataplane/tables.h"

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_memory.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace causeway::dataplane {
namespace {

// DPDK tables need process-unique names.
std::string UniqueName(const char* what) {
  static std::atomic<uint32_t> next{0};
  return absl::StrCat("cw_", what, "_", next.fetch_add(1));
}

std::atomic<uint32_t> g_generation{0};

std::array<uint8_t, 16> WireBytes(const net::IpAddress& a) {
  // IpAddress keeps IPv4 in its first 4 bytes in network order already.
  return a.bytes();
}

VipKey MakeVipKey(const net::IpAddress& a, uint16_t port_host, uint8_t protocol) {
  VipKey k;
  k.address = WireBytes(a);
  k.port = rte_cpu_to_be_16(port_host);
  k.protocol = protocol;
  k.family = a.is_v4() ? 4 : 6;
  return k;
}

std::optional<net::IpAddress> FirstOfFamily(const std::vector<net::IpAddress>& all, bool v4) {
  for (const auto& a : all) {
    if (a.is_v4() == v4) return a;
  }
  return std::nullopt;
}

// A neighbour table (static or learned) sorted once per compile, so that resolving every backend's
// next hop costs O(log n) each rather than a scan of the table (backends × neighbours).
using MacTable = std::vector<std::pair<net::IpAddress, rte_ether_addr>>;

MacTable SortedMacs(MacTable table) {
  // Stable: with an address listed twice, the first entry wins, as a scan would have it.
  std::stable_sort(table.begin(), table.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return table;
}

const rte_ether_addr* FindMac(const MacTable& sorted, const net::IpAddress& address) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), address,
                             [](const auto& entry, const net::IpAddress& a) { return entry.first < a; });
  return it != sorted.end() && it->first == address ? &it->second : nullptr;
}

size_t CommonPrefixBits(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b) {
  size_t bits = 0;
  for (size_t i = 0; i < 16; ++i) {
    const uint8_t diff = a[i] ^ b[i];
    if (diff != 0) return bits + static_cast<size_t>(__builtin_clz(diff) - 24);
    bits += 8;
  }
  return bits;
}

// The MAC frames for `next_hop` go to: a static neighbour, else a learned one, else the default
// next hop (a router). Next hops without a static entry are remembered for ARP/ND resolution.
struct Neighbors {
  MacTable statics, learned;  // SortedMacs
  std::optional<rte_ether_addr> default_mac;
};

// See BackendRoute::ipip4_fixed_sum. Addresses in network order, first 4 bytes.
uint32_t Ipip4FixedSum(uint8_t ttl, const std::array<uint8_t, 16>& source, const std::array<uint8_t, 16>& destination) {
  auto word = [](const std::array<uint8_t, 16>& a, int i) { return uint32_t{a[i]} << 8 | a[i + 1]; };
  return (uint32_t{RTE_IPV4_VHL_DEF} << 8) + (uint32_t{ttl} << 8 | IPPROTO_IPIP) + word(source, 0) +
         word(source, 2) + word(destination, 0) + word(destination, 2);
}

void ResolveMac(const Neighbors& neighbors, const net::IpAddress& next_hop, BackendRoute& r,
                std::vector<net::IpAddress>& to_resolve) {
  const rte_ether_addr* mac = FindMac(neighbors.statics, next_hop);
  if (mac == nullptr) {
    to_resolve.push_back(next_hop);
    mac = FindMac(neighbors.learned, next_hop);
  }
  if (mac == nullptr && neighbors.default_mac) mac = &*neighbors.default_mac;
  if (mac != nullptr) {
    r.mac = *mac;
    r.has_mac = true;
  }
}

// What to resolve, each asked from the gateway address (of its family) nearest to it.
std::vector<NeighborWant> MakeNeighborWants(std::vector<net::IpAddress> next_hops,
                                            const std::vector<net::IpAddress>& own) {
  std::sort(next_hops.begin(), next_hops.end());
  next_hops.erase(std::unique(next_hops.begin(), next_hops.end()), next_hops.end());
  std::vector<NeighborWant> wants;
  for (const auto& hop : next_hops) {
    NeighborWant w;
    w.address = WireBytes(hop);
    w.ipv6 = !hop.is_v4();
    size_t best = 0;
    for (const auto& a : own) {
      if (a.is_v4() != hop.is_v4()) continue;
      const size_t common = CommonPrefixBits(a.bytes(), w.address);
      if (!w.has_source || common > best) {
        w.has_source = true;
        w.source = WireBytes(a);
        best = common;
      }
    }
    wants.push_back(w);
  }
  std::sort(wants.begin(), wants.end());
  return wants;
}

bool TargetLess(const NatTarget& a, const NatTarget& b) {
  return std::tie(a.ipv6, a.address, a.port_be) < std::tie(b.ipv6, b.address, b.port_be);
}

// A peer's tag in flow keys: its IPv4 address with a marker bit, or a fold of its IPv6 address.
uint64_t PeerTag(const net::IpAddress& a) {
  const auto b = a.bytes();
  uint64_t hi, lo;
  std::memcpy(&hi, b.data(), 8);
  std::memcpy(&lo, b.data() + 8, 8);
  return a.is_v4() ? (hi & 0xffffffffu) | (uint64_t{1} << 32) : (hi ^ lo) | (uint64_t{1} << 63);
}

}  // namespace

int ServiceRoute::FindBackend(uint32_t id) const {
  auto it = std::lower_bound(by_id.begin(), by_id.end(), std::make_pair(id, uint16_t{0}));
  if (it == by_id.end() || it->first != id) return -1;
  return it->second;
}

const std::vector<uint16_t>* ServiceRoute::TableForZone(uint16_t zone) const {
  const uint16_t t = zone < zone_table.size() ? zone_table[zone] : (zone_table.empty() ? 0 : zone_table[0]);
  if (t >= tables.size() || tables[t].empty()) return nullptr;
  return &tables[t];
}

absl::StatusOr<std::unique_ptr<Tables>> Tables::Compile(const snapshot::CompiledSnapshot& snap,
                                                       const DataplaneSettings& settings,
                                                       uint32_t max_workers,
                                                       std::shared_ptr<const ZoneMaps> reusable) {
  std::unique_ptr<Tables> t(new Tables());
  t->generation_ = g_generation.fetch_add(1) + 1;
  t->version_ = snap.version;
  t->flow_key_ = {snap.gateway.flow_hash_key[0], snap.gateway.flow_hash_key[1]};
  t->mtu_ = snap.gateway.mtu;
  t->gue_port_be_ = rte_cpu_to_be_16(snap.gateway.gue_port);
  t->outer_ttl_ = settings.outer_ttl;
  auto v4 = settings.tunnel_source_v4 ? settings.tunnel_source_v4 : FirstOfFamily(snap.gateway.addresses, true);
  auto v6 = settings.tunnel_source_v6 ? settings.tunnel_source_v6 : FirstOfFamily(snap.gateway.addresses, false);
  if (v4) { t->has_source_v4_ = true; t->source_v4_ = WireBytes(*v4); }
  if (v6) { t->has_source_v6_ = true; t->source_v6_ = WireBytes(*v6); }

  // Zone-pair places: every distinct (zone, cluster, region) of a backend.
  for (const auto& svc : snap.services) {
    for (const auto& b : svc.backends) t->places_.push_back({b.zone, b.cluster, b.region});
  }
  std::sort(t->places_.begin(), t->places_.end());
  t->places_.erase(std::unique(t->places_.begin(), t->places_.end()), t->places_.end());
  t->client_zones_ = snap.zones.empty() ? std::vector<std::string>{snap.gateway.zone} : snap.zones;
  t->client_zone_count_ = static_cast<uint16_t>(std::min<size_t>(t->client_zones_.size(), 65535));

  // Services, backends resolved to MACs.
  size_t vip_entries = snap.gateway.addresses.size();
  uint32_t stat_slots = 0;
  std::vector<net::IpAddress> to_resolve;
  const Neighbors neighbors{SortedMacs(settings.neighbors), SortedMacs(settings.learned_neighbors),
                            settings.default_next_hop_mac};
  for (const auto& svc : snap.services) {
    ServiceRoute r;
    r.id = svc.id;
    r.stat_slot = stat_slots++;
    r.forwarding = svc.forwarding;
    t->has_full_nat_ |= svc.forwarding == snapshot::Forwarding::kFullNat;
    if (svc.backends.size() > 65535) return absl::InvalidArgumentError("too many backends");
    for (size_t i = 0; i < svc.backends.size(); ++i) {
      const auto& b = svc.backends[i];
      BackendRoute br;
      br.id = b.id;
      br.stat_slot = stat_slots++;
      br.ipv6 = !b.next_hop.is_v4();
      br.next_hop = WireBytes(b.next_hop);
      ResolveMac(neighbors, b.next_hop, br, to_resolve);
      br.local = b.local;
      br.refuse_new = b.refuse_new;
      br.place = static_cast<uint16_t>(
          std::lower_bound(t->places_.begin(), t->places_.end(), Place{b.zone, b.cluster, b.region}) - t->places_.begin());
      br.address_ipv6 = !b.address.is_v4();
      br.address = WireBytes(b.address);
      br.port_be = rte_cpu_to_be_16(b.port);
      if (!br.ipv6) br.ipip4_fixed_sum = Ipip4FixedSum(t->outer_ttl_, t->source_v4_, br.next_hop);
      if (svc.forwarding == snapshot::Forwarding::kFullNat && b.local) {
        NatTarget target;
        target.address = br.address;
        target.port_be = br.port_be;
        target.ipv6 = br.address_ipv6;
        // Frames for a local backend go to the backend itself.
        target.route = br;
        t->nat_targets_.push_back(target);
      }
      r.backends.push_back(br);
      r.by_id.emplace_back(b.id, static_cast<uint16_t>(i));
    }
    std::sort(r.by_id.begin(), r.by_id.end());
    for (const auto& table : svc.tables) {
      for (uint16_t s : table.slots) {
        if (s >= svc.backends.size()) {
          return absl::InvalidArgumentError(absl::StrCat("service ", svc.name, ": slot ", s, " beyond ",
                                                         svc.backends.size(), " backends"));
        }
      }
      r.tables.push_back(table.slots);
    }
    for (uint16_t t_index : svc.zone_table) {
      if (t_index >= svc.tables.size()) {
        return absl::InvalidArgumentError(absl::StrCat("service ", svc.name, ": zone table names table ", t_index,
                                                       " of ", svc.tables.size()));
      }
    }
    r.zone_table = svc.zone_table;
    t->services_.push_back(std::move(r));
    vip_entries += 2 * svc.frontends.size();
  }

  // Full-NAT: the targets peers may tunnel to (one entry per backend address and port), the SNAT
  // addresses, the peer gateways.
  std::sort(t->nat_targets_.begin(), t->nat_targets_.end(), TargetLess);
  t->nat_targets_.erase(std::unique(t->nat_targets_.begin(), t->nat_targets_.end(),
                                    [](const NatTarget& a, const NatTarget& b) {
                                      return !TargetLess(a, b) && !TargetLess(b, a);
                                    }),
                        t->nat_targets_.end());
  std::vector<net::IpAddress> snat = settings.snat_sources;
  if (snat.empty()) {
    for (bool v4 : {true, false}) {
      if (auto a = FirstOfFamily(snap.gateway.addresses, v4)) {
        snat.push_back(*a);
      }
    }
  }
  if (snat.size() > kMaxSnatAddresses) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxSnatAddresses, " SNAT addresses"));
  }
  for (size_t i = 0; i < snat.size(); ++i) {
    t->snat_.emplace_back(WireBytes(snat[i]), !snat[i].is_v4());
    if (snat[i].is_v4()) {
      uint32_t v4;
      std::memcpy(&v4, t->snat_.back().first.data(), 4);
      t->snat_v4_.emplace_back(v4, static_cast<int>(i));
    }
    (snat[i].is_v4() ? t->snat_mask_v4_ : t->snat_mask_v6_) |= 1u << i;
    for (const auto& svc : snap.services) {
      for (const auto& fe : svc.frontends) {
        if (fe.vip == snat[i]) t->snat_shared_with_vip_ |= 1u << i;
      }
    }
  }
  vip_entries += snat.size();
  for (const auto& peer : snap.gateway.peer_gateways) {
    PeerRoute pr;
    pr.route.ipv6 = !peer.is_v4();
    pr.route.next_hop = WireBytes(peer);
    ResolveMac(neighbors, peer, pr.route, to_resolve);
    if (!pr.route.ipv6) pr.route.ipip4_fixed_sum = Ipip4FixedSum(t->outer_ttl_, t->source_v4_, pr.route.next_hop);
    pr.tag = PeerTag(peer);
    for (const auto& other : t->peers_) {
      if (other.tag == pr.tag) return absl::InvalidArgumentError("two peer gateways with one tag (IPv6 fold)");
    }
    t->peers_.push_back(pr);
  }

  // Requests go out from the gateway's own addresses (or the configured tunnel sources).
  std::vector<net::IpAddress> own = snap.gateway.addresses;
  for (const auto& source : {settings.tunnel_source_v4, settings.tunnel_source_v6}) {
    if (source) own.push_back(*source);
  }
  t->neighbor_wants_ = MakeNeighborWants(std::move(to_resolve), own);

  constexpr size_t kPerLine = RTE_CACHE_LINE_SIZE / sizeof(TrafficStats);
  t->max_workers_ = max_workers;
  // Zone pairs: clients' zones × places × 2 directions, unless that grows absurd (then not counted).
  const size_t cells = size_t{t->client_zone_count_} * t->places_.size() * 2;
  if (t->places_.size() <= 65535 && cells <= (size_t{1} << 20)) {
    t->zone_cells_base_ = stat_slots;
    t->zone_cells_ = cells;
  }
  t->stats_stride_ = (stat_slots + t->zone_cells_ + kPerLine - 1) / kPerLine * kPerLine;
  t->stats_ = std::make_unique<TrafficStats[]>(t->stats_stride_ * max_workers + kPerLine);

  rte_hash_parameters hp{};
  const std::string vip_name = UniqueName("vip");
  hp.name = vip_name.c_str();
  hp.entries = static_cast<uint32_t>(std::max<size_t>(64, vip_entries * 2));
  hp.key_len = sizeof(VipKey);
  hp.hash_func = rte_hash_crc;  // through the pointer: not affected by the inline miscompile
  hp.hash_func_init_val = 0;
  hp.socket_id = SOCKET_ID_ANY;
  t->vips_ = rte_hash_create(&hp);
  if (t->vips_ == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("rte_hash_create(vips): ", rte_strerror(rte_errno)));
  }
  auto add = [&](const VipKey& k, uint32_t value, bool must_be_new) -> absl::Status {
    void* old = nullptr;
    if (rte_hash_lookup_data(t->vips_, &k, &old) >= 0) {
      if (must_be_new) return absl::InvalidArgumentError("a VIP frontend is listed twice");
      return absl::OkStatus();
    }
    if (rte_hash_add_key_data(t->vips_, &k, reinterpret_cast<void*>(uintptr_t{value})) < 0) {
      return absl::ResourceExhaustedError("VIP table full");
    }
    return absl::OkStatus();
  };
  for (const auto& a : snap.gateway.addresses) {
    if (auto s = add(MakeVipKey(a, 0, 0), kLocalAddressMark, false); !s.ok()) return s;
  }
  for (const auto& a : snat) {
    if (auto s = add(MakeVipKey(a, 0, 0), kLocalAddressMark, false); !s.ok()) return s;
  }
  for (uint32_t i = 0; i < snap.services.size(); ++i) {
    for (const auto& fe : snap.services[i].frontends) {
      if (auto s = add(MakeVipKey(fe.vip, fe.port, static_cast<uint8_t>(fe.protocol)), i, true); !s.ok()) {
        return s;
      }
      if (auto s = add(MakeVipKey(fe.vip, 0, 0), kLocalAddressMark, false); !s.ok()) return s;
    }
  }

  // Client zones: reused from the tables in use when the prefixes are the same.
  const bool same_prefixes =
      reusable != nullptr && reusable->prefixes.size() == snap.client_zones.size() &&
      std::equal(snap.client_zones.begin(), snap.client_zones.end(), reusable->prefixes.begin(),
                 [](const snapshot::ZonePrefix& a, const snapshot::ZonePrefix& b) {
                   return a.prefix == b.prefix && a.zone == b.zone;
                 });
  if (same_prefixes) {
    t->zone_maps_ = std::move(reusable);
  } else {
    auto maps = std::make_shared<ZoneMaps>();
    maps->prefixes = snap.client_zones;
    size_t n4 = 0, n6 = 0;
    for (const auto& z : snap.client_zones) (z.prefix.address.is_v4() ? n4 : n6)++;
    const std::string lpm_name = UniqueName("zone4");
    rte_lpm_config lc{};
    lc.max_rules = static_cast<uint32_t>(std::max<size_t>(16, n4 * 2));
    lc.number_tbl8s = 256;
    maps->v4 = rte_lpm_create(lpm_name.c_str(), SOCKET_ID_ANY, &lc);
    const std::string lpm6_name = UniqueName("zone6");
    rte_lpm6_config l6{};
    l6.max_rules = static_cast<uint32_t>(std::max<size_t>(16, n6 * 2));
    l6.number_tbl8s = static_cast<uint32_t>(std::max<size_t>(64, n6 * 16));
    maps->v6 = rte_lpm6_create(lpm6_name.c_str(), SOCKET_ID_ANY, &l6);
    if (maps->v4 == nullptr || maps->v6 == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat("rte_lpm_create: ", rte_strerror(rte_errno)));
    }
    for (const auto& z : snap.client_zones) {
      int rc;
      if (z.prefix.address.is_v4()) {
        rc = rte_lpm_add(maps->v4, z.prefix.address.v4(), z.prefix.length, z.zone);
      } else {
        rc = rte_lpm6_add(maps->v6, z.prefix.address.bytes().data(), z.prefix.length, z.zone);
      }
      if (rc < 0) return absl::ResourceExhaustedError(absl::StrCat("zone prefix ", z.prefix.ToString()));
    }
    t->zone_maps_ = std::move(maps);
  }
  t->zones_v4_ = t->zone_maps_->v4;
  t->zones_v6_ = t->zone_maps_->v6;
  return t;
}

void Tables::CollectStats(TrafficTotals& services, TrafficTotals& backends) const {
  auto add = [](TrafficStats& to, const TrafficStats& from) {
    to.packets += __atomic_load_n(&from.packets, __ATOMIC_RELAXED);
    to.bytes += __atomic_load_n(&from.bytes, __ATOMIC_RELAXED);
  };
  for (uint32_t w = 0; w < max_workers_; ++w) {
    const TrafficStats* block = stats(w);
    for (const ServiceRoute& s : services_) {
      add(services[s.id], block[s.stat_slot]);
      for (const BackendRoute& b : s.backends) add(backends[b.id], block[b.stat_slot]);
    }
  }
}

void Tables::CollectZonePairs(ZonePairTotals& totals) const {
  if (zone_cells_ == 0) return;
  for (uint32_t w = 0; w < max_workers_; ++w) {
    const TrafficStats* block = stats(w);
    for (size_t z = 0; z < client_zone_count_; ++z) {
      for (size_t pl = 0; pl < places_.size(); ++pl) {
        for (int dir = 0; dir < 2; ++dir) {
          const TrafficStats& cell = block[zone_cells_base_ + (z * places_.size() + pl) * 2 + dir];
          const uint64_t packets = __atomic_load_n(&cell.packets, __ATOMIC_RELAXED);
          if (packets == 0) continue;
          const Place& place = places_[pl];
          TrafficStats& to = totals[ZonePairKey{client_zones_[z], place.zone, place.cluster, place.region, dir == 0}];
          to.packets += packets;
          to.bytes += __atomic_load_n(&cell.bytes, __ATOMIC_RELAXED);
        }
      }
    }
  }
}

Tables::~Tables() {
  if (vips_ != nullptr) rte_hash_free(vips_);
}

ZoneMaps::~ZoneMaps() {
  if (v4 != nullptr) rte_lpm_free(v4);
  if (v6 != nullptr) rte_lpm6_free(v6);
}


const ServiceRoute* Tables::FindService(const VipKey& key) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(vips_, &key, &data) < 0) {
    VipKey any = key;
    any.port = 0;
    if (rte_hash_lookup_data(vips_, &any, &data) < 0) return nullptr;
  }
  const auto index = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
  return index < services_.size() ? &services_[index] : nullptr;
}

const PeerRoute* Tables::FindPeer(const uint8_t* address, bool ipv6) const {
  for (const PeerRoute& p : peers_) {
    if (p.route.ipv6 == ipv6 && std::memcmp(p.route.next_hop.data(), address, ipv6 ? 16 : 4) == 0) return &p;
  }
  return nullptr;
}

const NatTarget* Tables::FindNatTarget(const uint8_t* address, uint16_t port_be, bool ipv6) const {
  NatTarget probe;
  std::memcpy(probe.address.data(), address, ipv6 ? 16 : 4);
  probe.port_be = port_be;
  probe.ipv6 = ipv6;
  auto it = std::lower_bound(nat_targets_.begin(), nat_targets_.end(), probe, TargetLess);
  if (it == nat_targets_.end() || TargetLess(probe, *it)) return nullptr;
  return &*it;
}

bool Tables::WantsNeighbor(const uint8_t* address, bool ipv6) const {
  NeighborWant probe;
  std::memcpy(probe.address.data(), address, ipv6 ? 16 : 4);
  probe.ipv6 = ipv6;
  // Sorted by address first, then family: the first entry not below (address, family, no source).
  auto it = std::lower_bound(neighbor_wants_.begin(), neighbor_wants_.end(), probe);
  return it != neighbor_wants_.end() && it->address == probe.address && it->ipv6 == ipv6;
}

bool Tables::IsLocalAddress(const uint8_t* address, bool ipv6) const {
  VipKey k;
  std::memcpy(k.address.data(), address, ipv6 ? 16 : 4);
  k.family = ipv6 ? 6 : 4;
  return rte_hash_lookup(vips_, &k) >= 0;
}

uint16_t Tables::ZoneOfV4(uint32_t address_be) const {
  uint32_t zone = 0;
  if (rte_lpm_lookup(zones_v4_, rte_be_to_cpu_32(address_be), &zone) != 0) return 0;
  return static_cast<uint16_t>(zone);
}

uint16_t Tables::ZoneOfV6(const uint8_t* address) const {
  uint32_t zone = 0;
  if (rte_lpm6_lookup(zones_v6_, address, &zone) != 0) return 0;
  return static_cast<uint16_t>(zone);
}

}  // namespace causeway::dataplane
