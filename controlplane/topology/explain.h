// `causewayctl explain`: for one service and client zone, each endpoint's tier, its share of new flows
// and why.
#ifndef CAUSEWAY_CONTROLPLANE_TOPOLOGY_EXPLAIN_H_
#define CAUSEWAY_CONTROLPLANE_TOPOLOGY_EXPLAIN_H_

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "controlplane/maglev/maglev_table.h"
#include "controlplane/topology/model.h"
#include "controlplane/topology/weighting.h"

namespace causeway::topology {

struct EndpointExplanation {
  std::string endpoint;  // cluster/address:port
  std::string zone;
  int tier = -1;         // -1: in no tier
  double share = 0;      // of new flows, measured from the table's slots (0..1)
  std::string why;
};

struct Explanation {
  std::string service;
  std::string client_zone;
  std::vector<std::string> tiers;  // one line per tier: label, members, health, share
  std::vector<EndpointExplanation> endpoints;
  std::string summary;  // panic, fallback, no backend
};

// `table` is the table built from `view` (ServiceTables::tables[zone_table[i]]).
Explanation Explain(const ServicePolicy& policy, absl::Span<const EndpointState> endpoints,
                    const WeightedView& view, const maglev::MaglevTable& table);

// Aligned text for a terminal.
std::string FormatExplanation(const Explanation& e);

}  // namespace causeway::topology

#endif  // CAUSEWAY_CONTROLPLANE_TOPOLOGY_EXPLAIN_H_
