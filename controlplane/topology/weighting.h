// From mesh endpoints to the weights one client zone's Maglev table is built from.
//
// 1. Eligibility (Cilium's global services): a remote endpoint is used only if the service is not
//    local-only here and the endpoint's cluster exports it.
// 2. Conditions (kube-proxy): terminating endpoints get no new flows; when no eligible endpoint is
//    ready, serving-and-terminating ones are used instead.
// 3. Tiers: endpoints are ordered by the service's affinity (preferred clusters first) and, with
//    PreferSameZone, by closeness to the client (same zone, same region, elsewhere).
// 4. Spill-over (Envoy's priority load, spillover.h): a tier keeps its traffic while
//    healthy/total × factor ≥ 1 and spills the rest to the next.
// 5. Panic: when the healthy share of all eligible endpoints is under the threshold, the tiers that
//    get traffic spread it over all their endpoints, health ignored.
// 6. Inside a tier, an endpoint's share is its weight over the weights of the tier's chosen
//    endpoints.
// Everything is integer arithmetic over the input's values, so the result does not depend on input
// order, machine or build.
#ifndef CAUSEWAY_CONTROLPLANE_TOPOLOGY_WEIGHTING_H_
#define CAUSEWAY_CONTROLPLANE_TOPOLOGY_WEIGHTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "controlplane/topology/model.h"

namespace causeway::topology {

// Why an endpoint gets no new flows (or kNone).
enum class Exclusion {
  kNone,
  kServiceLocalOnly,  // remote, and the service is local-only in this cluster
  kNotExported,       // remote, and its cluster does not export the service
  kZeroWeight,
  kTerminating,       // keeps its established flows, gets no new ones
  kNotServing,        // terminating and not serving, while falling back to terminating endpoints
  kNotReady,          // counted in its tier's capacity, gets nothing
  kUnhealthy,         // counted in its tier's capacity, gets nothing (unless panic)
  kTierUnused,        // healthy, but its tier gets no traffic (the tiers before it have enough)
};
const char* ExclusionText(Exclusion e);

struct Tier {
  std::string label;  // e.g. "local cluster, zone us-east-1a"
  uint32_t members = 0;
  uint32_t healthy = 0;
  uint64_t total_weight = 0;
  uint64_t healthy_weight = 0;
  uint64_t load = 0;  // share of new flows, of kLoadScale
};

struct EndpointWeight {
  int tier = -1;  // index into WeightedView::tiers; -1 when not a member of any tier
  // Relative weight for the Maglev table; shares of kLoadScale, so weights of a view add up to at
  // most kLoadScale. 0: no new flows.
  uint32_t weight = 0;
  Exclusion exclusion = Exclusion::kNone;
};

struct WeightedView {
  std::string client_zone;
  std::vector<Tier> tiers;
  std::vector<EndpointWeight> endpoints;  // one per input endpoint, in input order
  bool panic = false;
  bool terminating_fallback = false;
};

// The view for clients in `client_zone`.
WeightedView ComputeView(const GatewayView& gateway, const ServicePolicy& policy,
                         absl::Span<const EndpointState> endpoints, const std::string& client_zone);

}  // namespace causeway::topology

#endif  // CAUSEWAY_CONTROLPLANE_TOPOLOGY_WEIGHTING_H_
