#include "tests/dataplane/test_snapshot.h"

#include <stdexcept>

#include "controlplane/maglev/maglev_table.h"

namespace causeway::dataplane::testing {

net::IpAddress Addr(const std::string& text) {
  auto a = net::IpAddress::Parse(text);
  if (!a.ok()) throw std::invalid_argument(text);
  return *a;
}

snapshot::Backend MakeBackend(uint32_t id, const std::string& address) {
  snapshot::Backend b;
  b.id = id;
  b.cluster = "c1";
  b.address = Addr(address);
  b.next_hop = b.address;
  return b;
}

snapshot::Table MaglevSlots(const std::vector<snapshot::Backend>& backends, uint32_t table_size) {
  std::vector<maglev::WeightedEndpoint> endpoints;
  for (const auto& b : backends) endpoints.push_back({{b.cluster, b.address, b.port}, 1});
  auto table = maglev::BuildMaglevTable(endpoints, table_size);
  if (!table.ok()) throw std::runtime_error(std::string(table.status().message()));
  // The builder's endpoints are in its canonical order; map them back to `backends` indices.
  snapshot::Table out;
  for (uint16_t s : table->slots()) {
    const auto& key = table->endpoints()[s].key;
    for (size_t i = 0; i < backends.size(); ++i) {
      if (backends[i].address == key.address && backends[i].port == key.port &&
          backends[i].cluster == key.cluster) {
        out.slots.push_back(static_cast<uint16_t>(i));
      }
    }
  }
  return out;
}

snapshot::CompiledService MakeService(uint32_t id, std::vector<snapshot::Frontend> frontends,
                                      std::vector<snapshot::Backend> backends,
                                      snapshot::Forwarding forwarding, uint32_t table_size) {
  snapshot::CompiledService s;
  s.id = id;
  s.name = "default/svc" + std::to_string(id);
  s.frontends = std::move(frontends);
  s.forwarding = forwarding;
  s.backends = std::move(backends);
  if (!s.backends.empty()) {
    s.tables.push_back(MaglevSlots(s.backends, table_size));
  } else {
    s.tables.push_back({});
  }
  s.zone_table = {0};
  return s;
}

snapshot::CompiledSnapshot BaseSnapshot() {
  snapshot::CompiledSnapshot snap;
  snap.version = 1;
  snap.gateway.cluster = "c1";
  snap.gateway.addresses = {Addr("10.0.0.1"), Addr("fd00::1")};
  snap.gateway.mtu = 1500;
  snap.gateway.gue_port = 6080;
  snap.gateway.flow_hash_key[0] = 0x0123456789abcdefULL;
  snap.gateway.flow_hash_key[1] = 0xfedcba9876543210ULL;
  snap.zones = {"zone-a"};
  return snap;
}

rte_ether_addr BackendMac(uint32_t backend_id) {
  return rte_ether_addr{{0x02, 0, 0, 0, static_cast<uint8_t>(backend_id >> 8), static_cast<uint8_t>(backend_id)}};
}

DataplaneSettings SettingsFor(const snapshot::CompiledSnapshot& snap) {
  DataplaneSettings s;
  for (const auto& svc : snap.services) {
    for (const auto& b : svc.backends) s.neighbors.emplace_back(b.next_hop, BackendMac(b.id));
  }
  return s;
}

}  // namespace causeway::dataplane::testing
