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

namespace {

// The table of `previous` built from `input` at `size`, if there is one. The build is a function
// of exactly these, so the table is the one a build would give.
const maglev::MaglevTable* SameBuild(const ServiceTables* previous, const std::vector<maglev::WeightedEndpoint>& input,
                                     uint32_t size) {
  if (previous == nullptr) return nullptr;
  for (size_t j = 0; j < previous->tables.size() && j < previous->inputs.size(); ++j) {
    if (previous->tables[j].size() == size && previous->inputs[j] == input) return &previous->tables[j];
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ServiceTables> BuildServiceTables(const GatewayView& gateway, const ServicePolicy& policy,
                                                 absl::Span<const EndpointState> endpoints,
                                                 const ServiceTables* previous) {
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
      if (const maglev::MaglevTable* same = SameBuild(previous, weighted, size)) {
        out.tables.push_back(*same);
        ++out.reused;
      } else {
        absl::StatusOr<maglev::MaglevTable> table = maglev::BuildMaglevTable(weighted, size);
        if (!table.ok()) return table.status();
        out.tables.push_back(*std::move(table));
      }
      out.inputs.push_back(std::move(weighted));
    }
    out.zone_table.push_back(it->second);
    out.views.push_back(std::move(view));
  }
  return out;
}

}  // namespace causeway::topology
