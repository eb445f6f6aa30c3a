#include "dataplane/tables.h"

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_memory.h>

#include <algorithm>
#include <atomic>
#include <cstring>

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

  // Services, backends resolved to MACs.
  size_t vip_entries = snap.gateway.addresses.size();
  uint32_t stat_slots = 0;
  for (const auto& svc : snap.services) {
    ServiceRoute r;
    r.id = svc.id;
    r.stat_slot = stat_slots++;
    r.forwarding = svc.forwarding;
    if (svc.backends.size() > 65535) return absl::InvalidArgumentError("too many backends");
    for (size_t i = 0; i < svc.backends.size(); ++i) {
      const auto& b = svc.backends[i];
      BackendRoute br;
      br.id = b.id;
      br.stat_slot = stat_slots++;
      br.ipv6 = !b.next_hop.is_v4();
      br.next_hop = WireBytes(b.next_hop);
      for (const auto& [addr, mac] : settings.neighbors) {
        if (addr == b.next_hop) { br.mac = mac; br.has_mac = true; }
      }
      if (!br.has_mac && settings.default_next_hop_mac) {
        br.mac = *settings.default_next_hop_mac;
        br.has_mac = true;
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

  constexpr size_t kPerLine = RTE_CACHE_LINE_SIZE / sizeof(TrafficStats);
  t->max_workers_ = max_workers;
  t->stats_stride_ = (stat_slots + kPerLine - 1) / kPerLine * kPerLine;
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
