// DPDK telemetry commands under /causeway/ (read with dpdk-telemetry.py):
//   /causeway/counters   every counter, summed over the workers (relaxed reads, no locks)
//   /causeway/snapshot   the published snapshot's version, tables published and refused
//   /causeway/services   "<service id>_packets" / "_bytes" forwarded, over all workers and snapshots
//   /causeway/backends   the same per backend id
// DPDK's callbacks take no user argument, so the process registers its workers here once.
#ifndef CAUSEWAY_DATAPLANE_TELEMETRY_H_
#define CAUSEWAY_DATAPLANE_TELEMETRY_H_

#include <vector>

#include "dataplane/counters.h"
#include "dataplane/snapshot_store.h"

namespace causeway::dataplane {

// Call once, before workers start; the objects must outlive the EAL.
void RegisterTelemetry(std::vector<const WorkerCounters*> workers, SnapshotStore* store);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_TELEMETRY_H_
