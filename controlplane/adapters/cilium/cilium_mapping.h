// From every cluster's copy of Cilium's global services to causeway's state.
//
// Cilium keeps one copy of a global service per cluster (same namespace and name); causeway has one
// service per namespace/name (per port, see common/port_split.h) whose endpoints name their cluster.
// The mapping, as seen from the gateway's own ("local") cluster:
// - the service exists when the local cluster has a copy (as in Cilium, where a global service needs
//   its Service object in the cluster that uses it); its frontends (VIPs) are that copy's frontends.
//   A service with only remote copies gets no VIP and is skipped (noted);
// - one causeway service per port name of the local copy; every copy's backend that has that port
//   name (and protocol) is an endpoint of it, on the backend's port for that name;
// - a copy with `shared: false` gives endpoints with `exported: false`; the local copy's `shared:
//   false` also makes the service IMPORT_ONLY;
// - clusters are named and numbered from the copies (`cluster`, `clusterID`); a copy without a
//   cluster id in 1..65535, or whose id disagrees with another copy of the same cluster, is skipped;
// - `zones[address].zone` is the endpoint's zone; forZones hints have no causeway field and are
//   dropped; Cilium carries no endpoint conditions (terminating backends simply vanish), so none are
//   set.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_CILIUM_MAPPING_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_CILIUM_MAPPING_H_

#include <map>
#include <string>
#include <vector>

#include "causeway/v1/config.pb.h"
#include "controlplane/adapters/cilium/cilium_service.h"

namespace causeway::cilium {

// etcd key → its parsed value.
using View = std::map<std::string, CiliumService>;

struct Mapped {
  v1::State state;
  // What was skipped and why, one line each (for the log).
  std::vector<std::string> notes;
};

Mapped MapView(const View& view, const std::string& local_cluster);

}  // namespace causeway::cilium

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_CILIUM_MAPPING_H_
