// Where a burst's stages put their results: frames to send (with the verdict counted) and frames
// dropped (freed, with the reason counted). Shared by the pipeline's stages so that each can live in
// its own file.
#ifndef CAUSEWAY_DATAPLANE_BURST_OUTPUT_H_
#define CAUSEWAY_DATAPLANE_BURST_OUTPUT_H_

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/counters.h"

namespace causeway::dataplane {

struct BurstOutput {
  rte_mbuf** out;  // room for the burst
  uint16_t sent = 0;
  BurstCounters counters;

  void Drop(rte_mbuf* m, Counter reason) {
    counters.Add(reason);
    rte_pktmbuf_free(m);
  }
  void Send(rte_mbuf* m, Counter verdict) {
    counters.Add(verdict);
    out[sent++] = m;
  }
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_BURST_OUTPUT_H_
