#include "tests/dataplane/pipeline_harness.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>

namespace causeway::dataplane::testing {

PipelineHarness::PipelineHarness(uint32_t flow_capacity, uint32_t pool_size) {
  static std::atomic<int> next{0};
  const std::string name = "test_pool_" + std::to_string(next++);
  pool_ = rte_pktmbuf_pool_create(name.c_str(), pool_size, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool_ == nullptr) throw std::runtime_error("mempool");
  FlowTableConfig fc;
  fc.capacity = flow_capacity;
  auto flows = FlowTable::Create(fc);
  if (!flows.ok()) throw std::runtime_error(std::string(flows.status().message()));
  ctx_.flows = std::move(*flows);
  std::memcpy(&ctx_.port_mac, kPortMac.data(), 6);
}

void PipelineHarness::EnableNat(const NatTableConfig& config) {
  auto nat = NatTable::Create(config);
  if (!nat.ok()) throw std::runtime_error(std::string(nat.status().message()));
  ctx_.nat = std::move(*nat);
  ctx_.worker_id = config.worker;
}

PipelineHarness::~PipelineHarness() {
  ctx_.flows.reset();
  ctx_.nat.reset();
  rte_mempool_free(pool_);
}

namespace {
void Collect(rte_mbuf** mbufs, uint16_t n, std::vector<Bytes>& into, std::vector<TxRequest>* requests = nullptr) {
  for (uint16_t i = 0; i < n; ++i) {
    if (requests != nullptr) {
      const rte_mbuf* m = mbufs[i];
      requests->push_back({m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, static_cast<uint16_t>(m->l2_len),
                           static_cast<uint16_t>(m->l3_len), static_cast<uint16_t>(m->l4_len)});
    }
    const auto* d = rte_pktmbuf_mtod(mbufs[i], const uint8_t*);
    into.emplace_back(d, d + mbufs[i]->data_len);
    if (mbufs[i]->pkt_len != mbufs[i]->data_len) throw std::runtime_error("pkt_len != data_len");
    rte_pktmbuf_free(mbufs[i]);
  }
}
}  // namespace

rte_mbuf* PipelineHarness::Mbuf(const Bytes& f) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) throw std::runtime_error("mbuf alloc");
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(f.size()));
  if (data == nullptr && !f.empty()) throw std::runtime_error("frame too big");
  if (!f.empty()) std::memcpy(data, f.data(), f.size());
  return m;
}

std::vector<Bytes> PipelineHarness::RunHandoff(const std::vector<rte_mbuf*>& mbufs, const Tables* tables,
                                               uint32_t now_ms) {
  std::vector<Bytes> sent;
  rte_mbuf* in[kBurstSize];
  rte_mbuf* out[kBurstSize];
  const auto n = static_cast<uint16_t>(std::min<size_t>(kBurstSize, mbufs.size()));
  std::copy(mbufs.begin(), mbufs.begin() + n, in);
  Collect(out, ProcessHandoff(ctx_, tables, in, n, now_ms, out), sent);
  return sent;
}

std::vector<Bytes> PipelineHarness::Run(const std::vector<Bytes>& frames, const Tables* tables, uint32_t now_ms,
                                        std::vector<Bytes>* to_host) {
  std::vector<Bytes> sent;
  tx_requests_.clear();
  for (size_t start = 0; start < frames.size(); start += kBurstSize) {
    const auto n = static_cast<uint16_t>(std::min<size_t>(kBurstSize, frames.size() - start));
    rte_mbuf* in[kBurstSize];
    rte_mbuf* out[kBurstSize];
    for (uint16_t i = 0; i < n; ++i) in[i] = Mbuf(frames[start + i]);
    rte_mbuf* host[kBurstSize];
    uint16_t host_count = 0;
    const uint16_t m = to_host == nullptr ? ProcessBurst(ctx_, tables, in, n, now_ms, out)
                                          : ProcessBurst(ctx_, tables, in, n, now_ms, out, host, &host_count);
    Collect(out, m, sent, &tx_requests_);
    if (to_host != nullptr) Collect(host, host_count, *to_host);
  }
  return sent;
}

}  // namespace causeway::dataplane::testing
