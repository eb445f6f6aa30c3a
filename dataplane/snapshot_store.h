// The SnapshotSink the control plane publishes to, and where workers find their tables. Publish()
// compiles the snapshot into Tables on the caller's (control) thread, swaps one atomic pointer, and
// retires the old Tables with an rte_rcu_qsbr token: they are freed by a later Reclaim() (Publish
// calls it too) once every registered worker has reported a quiescent state since the swap. Workers
// never block and never take a lock: they load the pointer once per burst and report quiescent after
// the burst.
#ifndef CAUSEWAY_DATAPLANE_SNAPSHOT_STORE_H_
#define CAUSEWAY_DATAPLANE_SNAPSHOT_STORE_H_

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controlplane/snapshot/compiled_snapshot.h"
#include "dataplane/tables.h"

namespace causeway::dataplane {

class SnapshotStore final : public snapshot::SnapshotSink {
 public:
  static absl::StatusOr<std::unique_ptr<SnapshotStore>> Create(DataplaneSettings settings, uint32_t max_workers);
  // Workers must be unregistered (stopped) first.
  ~SnapshotStore() override;

  // SnapshotSink: compiles and swaps. A snapshot that does not compile is refused, counted in
  // failed() and logged; the previous tables stay in use.
  void Publish(std::shared_ptr<const snapshot::CompiledSnapshot> snapshot) override;
  // The same, saying why it failed.
  absl::Status PublishOrError(std::shared_ptr<const snapshot::CompiledSnapshot> snapshot);
  absl::Status PublishOrError(const snapshot::CompiledSnapshot& snapshot);  // keeps a copy

  // Neighbour resolution (the control side's NeighborResolver). The MACs learned for next hops
  // without a static entry: the last published snapshot is compiled again with them and swapped
  // in (static entries still win). Publishes are serialised, so a republish never brings back an
  // older snapshot.
  absl::Status SetLearnedNeighbors(std::vector<std::pair<net::IpAddress, rte_ether_addr>> learned);
  // The learned MACs after next hops left the tables of `generation` (NeighborWants'): taken without
  // compiling (no table uses the MACs dropped), unless tables of another generation came in since —
  // a publish may have brought a dropped next hop back with its old MAC — then compiled again.
  absl::Status ForgetLearnedNeighbors(std::vector<std::pair<net::IpAddress, rte_ether_addr>> learned,
                                      uint32_t generation);
  // The current tables' next hops to resolve into *wants, unless *generation already names the
  // current tables (then false, nothing copied); *generation is updated.
  bool NeighborWants(uint32_t* generation, std::vector<NeighborWant>* wants) const;
  const DataplaneSettings& settings() const { return settings_; }

  // Frees retired tables whose grace period is over; returns how many are still waiting.
  size_t Reclaim();

  // Worker side. `worker_id` < max_workers.
  void RegisterWorker(uint32_t worker_id);
  void UnregisterWorker(uint32_t worker_id);
  // For workers (inside their read-side section) and single-threaded tests only: another thread
  // may see the tables freed under it. Other threads read through CurrentVersion() and the like.
  const Tables* Current() const { return current_.load(std::memory_order_acquire); }
  // The current tables' snapshot version (0: none yet), read while they cannot be retired.
  uint64_t CurrentVersion() const;
  void Quiescent(uint32_t worker_id) { rte_rcu_qsbr_quiescent(rcu_, worker_id); }

  // Packets and bytes forwarded per service and per backend id, since the store was created: the
  // retired tables' final counts plus the current tables' live ones.
  void Traffic(TrafficTotals& services, TrafficTotals& backends);
  // The same by zone pair (client zone → backend zone, cluster, region, direction).
  void ZonePairs(ZonePairTotals& totals);

  uint64_t published() const { return published_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
  // The same snapshot compiled again because learned neighbours changed (not in published()).
  uint64_t republished() const { return republished_.load(std::memory_order_relaxed); }

 private:
  size_t ReclaimLocked();
  // Compiles `snapshot` with the learned neighbours and swaps it in; compile_mu_ held.
  // `republish`: the same snapshot again with other learned neighbours (counted apart).
  absl::Status CompileAndSwap(std::shared_ptr<const snapshot::CompiledSnapshot> snapshot, bool republish);
  SnapshotStore(DataplaneSettings settings, rte_rcu_qsbr* rcu, uint32_t max_workers)
      : settings_(std::move(settings)), rcu_(rcu), max_workers_(max_workers) {}

  const DataplaneSettings settings_;
  rte_rcu_qsbr* const rcu_;
  const uint32_t max_workers_;
  TrafficTotals retired_services_, retired_backends_;  // counts of reclaimed tables
  ZonePairTotals retired_zone_pairs_;
  std::atomic<const Tables*> current_{nullptr};
  // Serialises whole publishes (compile and swap), from the control plane and the resolver alike.
  std::mutex compile_mu_;
  std::shared_ptr<const snapshot::CompiledSnapshot> last_;  // compile_mu_: the snapshot in use
  std::vector<std::pair<net::IpAddress, rte_ether_addr>> learned_;  // compile_mu_
  mutable std::mutex publish_mu_;  // the swap, the retired list and Reclaim (control threads only)
  std::vector<std::pair<uint64_t, std::unique_ptr<const Tables>>> retired_;  // (RCU token, tables)
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> republished_{0};
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_SNAPSHOT_STORE_H_
