// A worker lcore's poll loop, l3fwd style: receive up to 32 frames per port, run them through the
// pipeline with the tables current at that moment, send, report an RCU quiescent state. When no
// port had anything for a while the worker sweeps its flow table and sleeps (idle_sleep_us), so that
// gateways, clients and backends can share a small machine.
#ifndef CAUSEWAY_DATAPLANE_WORKER_LOOP_H_
#define CAUSEWAY_DATAPLANE_WORKER_LOOP_H_

#include <rte_ether.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/snapshot_store.h"
#include "dataplane/worker_context.h"

namespace causeway::dataplane {

struct PortQueue {
  uint16_t port = 0;
  uint16_t queue = 0;
  rte_ether_addr mac{};
  // The exception path's port (a TAP to the host kernel), or -1: frames for the host go there, and
  // what the host sends through it leaves on `port`. Same queue index.
  int32_t host_port = -1;
};

struct WorkerLoopConfig {
  uint32_t idle_polls_before_sleep = 64;
  uint32_t idle_sleep_us = 100;  // 0: never sleep (a dedicated core)
  uint32_t idle_sweep = 1024;    // flow-table positions aged per idle round
  // The exception path's TAP is read every this many rounds (and before every nap): each read is a
  // syscall, and the host's own traffic (BGP, SSH) is a trickle that a few
  // rounds' delay (microseconds) does not hurt. Reading it every round cost ~9% of a busy worker.
  uint32_t host_poll_every = 8;
};

// Runs until `stop` becomes true. Registers ctx.worker_id with the store's RCU for the duration.
void RunWorker(WorkerContext& ctx, SnapshotStore& store, const std::vector<PortQueue>& ports,
               const WorkerLoopConfig& config, const std::atomic<bool>& stop);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_WORKER_LOOP_H_
