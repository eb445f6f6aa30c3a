#include "controlplane/topology/service_tables.h"

#include <algorithm>
#include <map>

namespace causeway::topology {

std::vector<std::string> ClientZones(const GatewayView& gateway) {
  std::vector<std::string> others;
  for (const ClientZonePrefix& p : gateway.client_zones) {
    if (p.zone != gateway.zone) others.push_back(p.zone);
  }
  std::sort(others.begin(), others.end());
  others.erase(std::unique(others.begin(), others.end()), others.end());
  std::vector<std::string> zones = {gateway.zone};
  zones.insert(zones.end(), others.begin(), others.end());
  return zones;
}

absl::StatusOr<ServiceTables> BuildServiceTables(const GatewayView& gateway, const ServicePolicy& policy,
                                                 absl::Span<const EndpointState> endpoints) {
  ServiceTables out;
  out.zones = ClientZones(gateway);
  // Views with equal weights share a table; the key is the weight of every input endpoint.
  std::map<std::vector<uint32_t>, uint16_t> table_of_weights;
  for (const std::string& zone : out.zones) {
    WeightedView view = ComputeView(gateway, policy, endpoints, zone);
    std::vector<uint32_t> weights;
    weights.reserve(endpoints.size());
    for (const EndpointWeight& w : view.endpoints) weights.push_back(w.weight);
    auto [it, inserted] = table_of_weights.emplace(std::move(weights), static_cast<uint16_t>(out.tables.size()));
    if (inserted) {
      std::vector<maglev::WeightedEndpoint> weighted;
      weighted.reserve(endpoints.size());
      size_t with_weight = 0;
      for (size_t i = 0; i < endpoints.size(); ++i) {
        const EndpointState& e = endpoints[i];
        weighted.push_back({{e.cluster, e.address, e.port}, view.endpoints[i].weight});
        with_weight += view.endpoints[i].weight > 0;
      }
      const uint32_t size = policy.table_size != 0 ? policy.table_size : maglev::AutomaticTableSize(with_weight);
      absl::StatusOr<maglev::MaglevTable> table = maglev::BuildMaglevTable(weighted, size);
      if (!table.ok()) return table.status();
      out.tables.push_back(*std::move(table));
    }
    out.zone_table.push_back(it->second);
    out.views.push_back(std::move(view));
  }
  return out;
}

}  // namespace causeway::topology
