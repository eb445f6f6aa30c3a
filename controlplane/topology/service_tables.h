// A service's Maglev tables, one per distinct client-zone view: clients in zones that see the same
// weights share one table, so 50 client zones do not mean 50 tables.
#ifndef CAUSEWAY_CONTROLPLANE_TOPOLOGY_SERVICE_TABLES_H_
#define CAUSEWAY_CONTROLPLANE_TOPOLOGY_SERVICE_TABLES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "controlplane/maglev/maglev_table.h"
#include "controlplane/topology/model.h"
#include "controlplane/topology/weighting.h"

namespace causeway::topology {

struct ServiceTables {
  // The client zones the gateway knows: its own zone first (sources no prefix covers), then the
  // others of GatewayView::client_zones, sorted.
  std::vector<std::string> zones;
  // zones[i] uses tables[zone_table[i]] and views[i] says why.
  std::vector<uint16_t> zone_table;
  std::vector<maglev::MaglevTable> tables;
  // What each of `tables` was built from (BuildMaglevTable's input; its size is the table's): a
  // later build whose input is the same takes the table as it is.
  std::vector<std::vector<maglev::WeightedEndpoint>> inputs;
  std::vector<WeightedView> views;
  // How many of `tables` were taken from `previous` (BuildServiceTables) instead of built.
  size_t reused = 0;
};

// The client zones of `gateway`, in ServiceTables::zones order.
std::vector<std::string> ClientZones(const GatewayView& gateway);

// Weights for every client zone, then one Maglev table per distinct set of weights. A table's size
// is the policy's, or automatic for the number of endpoints with weight in that view.
// `previous`, when given, is this service's last tables: a table whose input (every endpoint's key
// and the weight this function computed for it, in order) and size are the same as one of them is
// copied from it rather than built again. An update that changes only what those weights do not
// depend on — a zone label under the default traffic distribution, say — costs a copy, not a build
// (~1.2 ms for 1000 endpoints); a health or condition change of an endpoint with weight changes
// every weight of its view and builds.
// Errors: those of BuildMaglevTable (duplicate endpoints, a bad explicit size), nothing built.
absl::StatusOr<ServiceTables> BuildServiceTables(const GatewayView& gateway, const ServicePolicy& policy,
                                                 absl::Span<const EndpointState> endpoints,
                                                 const ServiceTables* previous = nullptr);

}  // namespace causeway::topology

#endif  // CAUSEWAY_CONTROLPLANE_TOPOLOGY_SERVICE_TABLES_H_
