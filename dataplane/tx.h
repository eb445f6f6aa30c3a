// Stage 6: handing a burst to the port. Frames the TX queue refuses are freed and counted
// (drop_tx_full): never retried in a loop, so a full queue cannot stall the worker.
#ifndef CAUSEWAY_DATAPLANE_TX_H_
#define CAUSEWAY_DATAPLANE_TX_H_

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/counters.h"

namespace causeway::dataplane {

inline void SendBurst(uint16_t port, uint16_t queue, rte_mbuf** pkts, uint16_t n, WorkerCounters& counters) {
  if (n == 0) return;
  const uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);
  if (sent < n) {
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    counters.value[static_cast<size_t>(Counter::drop_tx_full)] += n - sent;
  }
  counters.value[static_cast<size_t>(Counter::tx)] += sent;
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_TX_H_
