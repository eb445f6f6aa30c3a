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

// The same with an exception path: frames for the host rather than for causeway — other
// ethertypes, IP protocols causeway does not balance, ARP/ND/echo/TCP/UDP for addresses that are
// neither VIPs nor gateway addresses — go to `to_host` (room for n; *host_count of them) instead of
// being dropped, counted as to_host. Malformed frames are never passed on.
uint16_t ProcessBurst(WorkerContext& ctx, const Tables* tables, rte_mbuf** pkts, uint16_t n,
                      uint32_t now_ms, rte_mbuf** out, rte_mbuf** to_host, uint16_t* host_count);

// Frames another worker handed to this one (full-NAT replies for ports this worker owns), taken from
// its ring; counted as rx_handoff, not rx.
uint16_t ProcessHandoff(WorkerContext& ctx, const Tables* tables, rte_mbuf** pkts, uint16_t n,
                        uint32_t now_ms, rte_mbuf** out);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_PIPELINE_H_
