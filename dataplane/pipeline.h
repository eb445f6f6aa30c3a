// One burst through every stage: parse → (ARP / ND / echo replies) → VIP lookup → flow table →
// Maglev select → encapsulation. Stage by stage over the whole burst (as l3fwd does), so that the
// flow table is looked up in bulk with its prefetching, and each stage's code stays hot.
#ifndef CAUSEWAY_DATAPLANE_PIPELINE_H_
#define CAUSEWAY_DATAPLANE_PIPELINE_H_

#include <cstdint>

#include "dataplane/tables.h"
#include "dataplane/worker_context.h"

struct rte_mbuf;

namespace causeway::dataplane {

// Processes `n` ≤ kBurstSize frames. Frames to send (encapsulated packets, replies) are written to
// `out` (room for n) and their number returned; every other frame is freed and counted by reason.
// `tables` may be null (nothing published yet): everything is dropped. `now_ms` is the worker's
// millisecond clock for flow timeouts.
uint16_t ProcessBurst(WorkerContext& ctx, const Tables* tables, rte_mbuf** pkts, uint16_t n,
                      uint32_t now_ms, rte_mbuf** out);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_PIPELINE_H_
