// The running dataplane of one process: the snapshot store, one worker per lcore with its flow
// table, every probed port (one RX/TX queue pair per worker), the optional exception TAP, telemetry
// and pdump. Whoever owns the process (dataplane/causewayd.cc with a snapshot file, or the control
// plane's causewayd) initialises EAL, starts a Gateway, publishes snapshots to store() and calls
// Run() until it is told to stop.
#ifndef CAUSEWAY_DATAPLANE_GATEWAY_H_
#define CAUSEWAY_DATAPLANE_GATEWAY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct rte_ring;
#include "controlplane/snapshot/dataplane_stats.h"
#include "dataplane/counters.h"
#include "dataplane/eal_policy.h"
#include "dataplane/neighbor_resolver.h"
#include "dataplane/snapshot_store.h"
#include "dataplane/worker_loop.h"

namespace causeway::dataplane {

struct GatewayOptions {
  DataplaneSettings settings;
  WorkerLoopConfig loop;
  uint32_t flow_table_size = 1u << 20;
  bool full_nat = true;  // per-worker NAT session tables (island mode) and hand-off rings
  uint32_t mbufs_per_port = 8191;
  std::string exception_tap;  // kernel interface name for frames that are the host's; empty: none
  // Next hops without a static neighbour are resolved by ARP/ND (NeighborResolver); false: only
  // static neighbours and the default next-hop MAC.
  bool resolve_neighbors = true;
  // What each packet worker's thread takes when it starts: the policy causewayd was started with
  // (see eal_policy.h); the control thread keeps EAL's SCHED_OTHER.
  SchedulingPolicy worker_policy;
};

class Gateway final : public snapshot::DataplaneStats {
 public:
  // EAL must be initialised. Starts every port; workers start in Run().
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(const GatewayOptions& options);
  // Stops the ports (Run() must have returned).
  ~Gateway() override;

  SnapshotStore& store() { return *store_; }

  // Runs the workers until `stop` is set: on the worker lcores while this thread (the control
  // thread) frees retired tables and resolves neighbours, or, when EAL has a single lcore, the
  // worker on this thread and the control work on a thread of its own.
  void Run(const std::atomic<bool>& stop);

  // Every counter summed over the workers (relaxed reads: safe while they run).
  WorkerCounters Totals() const;
  // DataplaneStats: Totals() by name.
  std::vector<std::pair<std::string, uint64_t>> Counters() const override;
  // DataplaneStats: traffic by service and backend id, and by zone pair.
  void Traffic(std::map<uint32_t, Count>& services, std::map<uint32_t, Count>& backends) const override;
  std::vector<ZonePair> ZonePairs() const override;

  struct Worker;

 private:
  Gateway() = default;
  GatewayOptions options_;
  void ControlLoop(const std::atomic<bool>& stop);

  std::unique_ptr<SnapshotStore> store_;
  std::unique_ptr<NeighborResolver> neighbors_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<uint16_t> started_ports_;
  std::vector<rte_ring*> handoff_rings_;  // one per worker (none with a single worker)
  bool pdump_ = false;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_GATEWAY_H_
