// DPDK telemetry commands under /causeway/ (read with dpdk-telemetry.py):
//   /causeway/counters   every counter, summed over the workers (relaxed reads, no locks)
//   /causeway/snapshot   the published snapshot's version, tables published and refused
//   /causeway/services   "<service id>_packets" / "_bytes" forwarded, over all workers and snapshots
//   /causeway/backends   the same per backend id
//   /causeway/neighbors  the neighbour table, a line per next hop: "ADDRESS MAC STATE [confirmed N ms
//                        ago]", STATE one of static, reachable, probing, unresolved (MAC "-")
//   /causeway/neighbor_stats  requests sent, replies learned, MACs changed, forgotten, …
// DPDK's callbacks take no user argument, so the process registers its workers here. DPDK cannot
// unregister a command: UnregisterTelemetry() detaches the objects instead (the commands then answer
// empty), under the lock every callback holds while it reads them.
#ifndef CAUSEWAY_DATAPLANE_TELEMETRY_H_
#define CAUSEWAY_DATAPLANE_TELEMETRY_H_

#include <vector>

#include "dataplane/counters.h"
#include "dataplane/neighbor_resolver.h"
#include "dataplane/snapshot_store.h"

namespace causeway::dataplane {

// Before workers start; the objects must stay until UnregisterTelemetry(). `neighbors` may be null
// (no dynamic resolution: the neighbour commands list the static entries only). A second call
// replaces the objects registered.
void RegisterTelemetry(std::vector<const WorkerCounters*> workers, SnapshotStore* store,
                       const NeighborResolver* neighbors = nullptr);
// Before the objects registered are destroyed: no callback reads them after it returns.
void UnregisterTelemetry();

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_TELEMETRY_H_
