#include "dataplane/worker_loop.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "dataplane/pipeline.h"
#include "dataplane/tx.h"

namespace causeway::dataplane {
namespace {

// Frames carrying their port in mbuf->port, sent on this worker's queue of that port; frames for a
// port the worker does not serve are freed.
void SendControlFrames(rte_mbuf** frames, uint16_t n, const std::vector<PortQueue>& ports, rte_mbuf** scratch,
                       WorkerCounters& counters) {
  uint16_t left = n;
  for (const PortQueue& pq : ports) {
    uint16_t mine = 0, kept = 0;
    for (uint16_t i = 0; i < left; ++i) {
      if (frames[i]->port == pq.port) {
        scratch[mine++] = frames[i];
      } else {
        frames[kept++] = frames[i];
      }
    }
    SendBurst(pq.port, pq.queue, scratch, mine, counters);
    left = kept;
  }
  rte_pktmbuf_free_bulk(frames, left);
}

}  // namespace

void RunWorker(WorkerContext& ctx, SnapshotStore& store, const std::vector<PortQueue>& ports,
               const WorkerLoopConfig& config, const std::atomic<bool>& stop) {
  const uint64_t cycles_per_ms = rte_get_tsc_hz() / 1000;
  rte_mbuf* in[kBurstSize];
  rte_mbuf* out[kBurstSize];
  rte_mbuf* host[kBurstSize];
  uint32_t idle_polls = 0;
  uint32_t round = 0;
  store.RegisterWorker(ctx.worker_id);
  rte_ring* const own_ring = ctx.handoff != nullptr ? ctx.handoff[ctx.worker_id] : nullptr;
  while (!stop.load(std::memory_order_relaxed)) {
    bool received = false;
    // The host's TAP: every host_poll_every rounds, and on every round that ends in a nap.
    const bool poll_host = idle_polls + 1 >= config.idle_polls_before_sleep || config.host_poll_every <= 1 ||
                           ++round % config.host_poll_every == 0;
    if (own_ring != nullptr && !ports.empty()) {
      // Full-NAT replies other workers received for this worker's ports. One-armed: they leave on
      // the first port, as they would have from the worker that received them.
      // Up to 8 bursts a round: every other worker may hand over a burst per round, and a ring that
      // is drained slower than it fills drops frames (drop_handoff_full).
      for (int handoff_burst = 0; handoff_burst < 8; ++handoff_burst) {
        const unsigned n = rte_ring_dequeue_burst(own_ring, reinterpret_cast<void**>(in), kBurstSize, nullptr);
        if (n == 0) break;
        received = true;
        ctx.port_mac = ports[0].mac;
        const auto now_ms = static_cast<uint32_t>(rte_get_tsc_cycles() / cycles_per_ms);
        const uint16_t m = ProcessHandoff(ctx, store.Current(), in, static_cast<uint16_t>(n), now_ms, out);
        SendBurst(ports[0].port, ports[0].queue, out, m, ctx.counters);
      }
    }
    if (ctx.control_tx != nullptr) {
      // ARP requests / neighbour solicitations from the control side, on this worker's queues.
      const unsigned n = rte_ring_sc_dequeue_burst(ctx.control_tx, reinterpret_cast<void**>(in), kBurstSize, nullptr);
      if (n > 0) SendControlFrames(in, static_cast<uint16_t>(n), ports, out, ctx.counters);
    }
    for (const PortQueue& pq : ports) {
      if (pq.host_port >= 0 && poll_host) {
        const auto hp = static_cast<uint16_t>(pq.host_port);
        const uint16_t from_host = rte_eth_rx_burst(hp, pq.queue, in, kBurstSize);
        if (from_host > 0) {
          received = true;
          ctx.counters.value[static_cast<size_t>(Counter::from_host)] += from_host;
          SendBurst(pq.port, pq.queue, in, from_host, ctx.counters);
        }
      }
      const uint16_t n = rte_eth_rx_burst(pq.port, pq.queue, in, kBurstSize);
      if (n == 0) continue;
      received = true;
      ctx.port_mac = pq.mac;
      const auto now_ms = static_cast<uint32_t>(rte_get_tsc_cycles() / cycles_per_ms);
      if (pq.host_port < 0) {
        SendBurst(pq.port, pq.queue, out, ProcessBurst(ctx, store.Current(), in, n, now_ms, out), ctx.counters);
        continue;
      }
      uint16_t to_host = 0;
      const uint16_t m = ProcessBurst(ctx, store.Current(), in, n, now_ms, out, host, &to_host);
      SendBurst(pq.port, pq.queue, out, m, ctx.counters);
      SendBurst(static_cast<uint16_t>(pq.host_port), pq.queue, host, to_host, ctx.counters);
    }
    // Between bursts the worker holds no table pointer.
    store.Quiescent(ctx.worker_id);
    if (received) {
      idle_polls = 0;
      continue;
    }
    if (++idle_polls < config.idle_polls_before_sleep) continue;
    const auto now_ms = static_cast<uint32_t>(rte_get_tsc_cycles() / cycles_per_ms);
    ctx.counters.value[static_cast<size_t>(Counter::flow_expired)] += ctx.flows->Sweep(now_ms, config.idle_sweep);
    if (ctx.nat != nullptr && ctx.nat->size() > 0) {
      ctx.counters.value[static_cast<size_t>(Counter::flow_expired)] += ctx.nat->Sweep(now_ms, config.idle_sweep);
    }
    if (config.idle_sleep_us > 0) rte_delay_us_sleep(config.idle_sleep_us);
  }
  store.UnregisterWorker(ctx.worker_id);
}

}  // namespace causeway::dataplane
