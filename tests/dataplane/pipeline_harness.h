// Runs frames (byte vectors) through the real pipeline with mbufs from a mempool, and hands back the
// frames it sends. Checks for leaks: the pool's in-use count must return to zero.
#ifndef CAUSEWAY_TESTS_DATAPLANE_PIPELINE_HARNESS_H_
#define CAUSEWAY_TESTS_DATAPLANE_PIPELINE_HARNESS_H_

#include <rte_mempool.h>

#include <memory>
#include <vector>

#include "dataplane/pipeline.h"
#include "dataplane/tables.h"
#include "dataplane/worker_context.h"
#include "tests/dataplane/packet_builder.h"

namespace causeway::dataplane::testing {

inline const Mac kPortMac = {0x02, 0xca, 0x5e, 0x00, 0x00, 0x01};
inline const Mac kClientMac = {0x02, 0xc1, 0x1e, 0x00, 0x00, 0x01};

// What a sent frame asks of the port besides its bytes: TX offload flags and header lengths.
struct TxRequest {
  uint64_t flags = 0;  // the mbuf's RTE_MBUF_F_TX_* bits
  uint16_t l2_len = 0, l3_len = 0, l4_len = 0;
};

class PipelineHarness {
 public:
  explicit PipelineHarness(uint32_t flow_capacity = 4096, uint32_t pool_size = 2047);
  ~PipelineHarness();

  // Processes the frames in bursts of up to 32 and returns what the pipeline sent, in order.
  // With `to_host`, the pipeline has an exception path and what it passes to the host lands there.
  std::vector<Bytes> Run(const std::vector<Bytes>& frames, const Tables* tables, uint32_t now_ms = 1000,
                         std::vector<Bytes>* to_host = nullptr);
  // Gives the worker a full-NAT session table (worker `config.worker` of `config.plan.workers`).
  void EnableNat(const NatTableConfig& config);
  // Runs frames as another worker's hand-off (ProcessHandoff); `from_peer` is what the handing
  // worker records (peer index + 1, or 0).
  std::vector<Bytes> RunHandoff(const std::vector<rte_mbuf*>& mbufs, const Tables* tables, uint32_t now_ms = 1000);
  // An mbuf holding `frame` from this harness's pool.
  rte_mbuf* Mbuf(const Bytes& frame);
  uint64_t count(Counter c) const { return ctx_.counters[c]; }
  // For each frame the last Run sent, in order: what it asked of the port.
  const std::vector<TxRequest>& tx_requests() const { return tx_requests_; }
  unsigned in_use() const { return rte_mempool_in_use_count(pool_); }
  WorkerContext& ctx() { return ctx_; }
  rte_mempool* pool() { return pool_; }

 private:
  rte_mempool* pool_ = nullptr;
  WorkerContext ctx_;
  std::vector<TxRequest> tx_requests_;
};

// What `calls` successive burst sweeps (Sweep(now_ms) with the table's own pace) of a flow or NAT
// table free, in order.
template <typename Table>
std::vector<uint32_t> SweepCounts(Table& table, uint32_t now_ms, int calls) {
  std::vector<uint32_t> freed;
  for (int i = 0; i < calls; ++i) freed.push_back(table.Sweep(now_ms));
  return freed;
}

}  // namespace causeway::dataplane::testing

#endif  // CAUSEWAY_TESTS_DATAPLANE_PIPELINE_HARNESS_H_
