// The /metrics page of causewayd: the dataplane's counters, traffic per service (VIP), per backend and
// per zone pair, the estimated cross-zone cost, cluster freshness and the control plane's own
// numbers, in the Prometheus text format.
#ifndef CAUSEWAY_CONTROLPLANE_METRICS_METRICS_PAGE_H_
#define CAUSEWAY_CONTROLPLANE_METRICS_METRICS_PAGE_H_

#include <string>

#include "controlplane/server/control_plane.h"

namespace causeway::metrics {

std::string RenderMetrics(const server::ControlPlane& control_plane);

}  // namespace causeway::metrics

#endif  // CAUSEWAY_CONTROLPLANE_METRICS_METRICS_PAGE_H_
