// Everything one worker lcore owns and mutates on the fast path, in one cache-aligned object: its
// flow table, its counters and the identity it answers with. Nothing here is shared with other
// workers; the tables it reads come from SnapshotStore (RCU).
#ifndef CAUSEWAY_DATAPLANE_WORKER_CONTEXT_H_
#define CAUSEWAY_DATAPLANE_WORKER_CONTEXT_H_

#include <rte_ether.h>

#include <cstdint>
#include <memory>

#include "dataplane/counters.h"
#include "dataplane/flow_table.h"
#include "dataplane/nat_table.h"

struct rte_ring;

namespace causeway::dataplane {

inline constexpr uint16_t kBurstSize = 32;

struct alignas(64) WorkerContext {
  uint16_t worker_id = 0;     // also the RCU thread id and the queue index on every port
  rte_ether_addr port_mac{};  // the MAC replies and encapsulated frames are sent from
  uint64_t tx_offloads = 0;   // RTE_ETH_TX_OFFLOAD_* bits every data port has enabled (encap.h)
  std::unique_ptr<FlowTable> flows;
  // Full-NAT sessions (island mode); null: full-NAT services are dropped (drop_nat_unavailable).
  std::unique_ptr<NatTable> nat;
  // Every worker's inbound ring, by worker id (null when there is a single worker): a NAT reply that
  // RSS delivered to another worker than the one owning its port is handed over through them.
  rte_ring* const* handoff = nullptr;
  // Where (address, MAC) pairs heard from next hops go to the control side's neighbour table
  // (NeighborReport elements, many producers); null: not reported.
  rte_ring* neighbor_reports = nullptr;
  // Frames the control side built (ARP requests, neighbour solicitations), each with its port in
  // mbuf->port, for this worker to send on its own TX queue; null for every worker but one.
  rte_ring* control_tx = nullptr;
  WorkerCounters counters;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_WORKER_CONTEXT_H_
