// Cross-zone cost accounting: the dataplane's zone-pair counters priced with the gateway's price
// table (Gateway.costs). Pure arithmetic on names and numbers, for GetCosts and /metrics.
#ifndef CAUSEWAY_CONTROLPLANE_SERVER_COSTS_H_
#define CAUSEWAY_CONTROLPLANE_SERVER_COSTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "causeway/v1/api.pb.h"
#include "controlplane/snapshot/dataplane_stats.h"

namespace causeway::server {

inline constexpr double kDefaultInterZonePerGb = 0.01;
inline constexpr double kDefaultInterRegionPerGb = 0.02;
inline constexpr char kDefaultCurrency[] = "USD";
inline constexpr double kSecondsPerMonth = 30.0 * 24 * 3600;  // the estimate's "month": 30 days

struct CostInputs {
  v1::CostModel prices;         // Gateway.costs as configured (unset fields take the defaults)
  std::string gateway_cluster;  // the client side
  std::string gateway_region;
  double seconds = 0;  // what the counters cover (since causewayd started)
  uint32_t top = 0;    // zone rows kept, 0: all
};

// Which price a client zone → backend (zone, region) cell pays. A backend region left empty counts as
// the gateway's; an empty zone on either side counts as another zone (priced, not free).
v1::CostsResponse::PriceClass PriceClassOf(const std::string& client_zone, const std::string& backend_zone,
                                           const std::string& backend_region, const std::string& gateway_region);

// Rows per (client zone, backend zone, cluster, region) with both directions summed, top talkers
// first; the cluster → cluster and region → region aggregates; the total and monthly estimates.
v1::CostsResponse ComputeCosts(const std::vector<snapshot::DataplaneStats::ZonePair>& pairs, const CostInputs& in);

}  // namespace causeway::server

#endif  // CAUSEWAY_CONTROLPLANE_SERVER_COSTS_H_
