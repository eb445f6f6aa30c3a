#include "dataplane/snapshot_store.h"

#include <rte_log.h>
#include <rte_malloc.h>

#include <string>

namespace causeway::dataplane {

absl::StatusOr<std::unique_ptr<SnapshotStore>> SnapshotStore::Create(DataplaneSettings settings,
                                                                     uint32_t max_workers) {
  const size_t size = rte_rcu_qsbr_get_memsize(max_workers);
  auto* rcu = static_cast<rte_rcu_qsbr*>(rte_zmalloc("causeway_rcu", size, RTE_CACHE_LINE_SIZE));
  if (rcu == nullptr) return absl::ResourceExhaustedError("RCU variable");
  if (rte_rcu_qsbr_init(rcu, max_workers) != 0) {
    rte_free(rcu);
    return absl::InvalidArgumentError("rte_rcu_qsbr_init");
  }
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(std::move(settings), rcu, max_workers));
}

SnapshotStore::~SnapshotStore() {
  retired_.clear();
  delete current_.load();
  rte_free(rcu_);
}

void SnapshotStore::Publish(std::shared_ptr<const snapshot::CompiledSnapshot> snapshot) {
  if (snapshot == nullptr) return;
  const uint64_t version = snapshot->version;
  if (absl::Status s = PublishOrError(std::move(snapshot)); !s.ok()) {
    const std::string text(s.message());
    RTE_LOG(ERR, USER1, "causeway: snapshot %lu refused: %s\n", static_cast<unsigned long>(version), text.c_str());
  }
}

absl::Status SnapshotStore::PublishOrError(const snapshot::CompiledSnapshot& snapshot) {
  return PublishOrError(std::make_shared<const snapshot::CompiledSnapshot>(snapshot));
}

absl::Status SnapshotStore::PublishOrError(std::shared_ptr<const snapshot::CompiledSnapshot> snapshot) {
  std::lock_guard<std::mutex> compiling(compile_mu_);
  return CompileAndSwap(std::move(snapshot), /*republish=*/false);
}

absl::Status SnapshotStore::SetLearnedNeighbors(std::vector<std::pair<net::IpAddress, rte_ether_addr>> learned) {
  std::lock_guard<std::mutex> compiling(compile_mu_);
  learned_ = std::move(learned);
  if (last_ == nullptr) return absl::OkStatus();  // used by the first publish
  return CompileAndSwap(last_, /*republish=*/true);
}

absl::Status SnapshotStore::ForgetLearnedNeighbors(std::vector<std::pair<net::IpAddress, rte_ether_addr>> learned,
                                                  uint32_t generation) {
  std::lock_guard<std::mutex> compiling(compile_mu_);
  learned_ = std::move(learned);
  const Tables* t = nullptr;
  {
    std::lock_guard<std::mutex> lock(publish_mu_);
    t = current_.load(std::memory_order_acquire);
    // Only publishes (under compile_mu_, held here) replace the tables, so this stays true.
    if (t == nullptr || last_ == nullptr || t->generation() == generation) return absl::OkStatus();
  }
  return CompileAndSwap(last_, /*republish=*/true);
}

uint64_t SnapshotStore::CurrentVersion() const {
  std::lock_guard<std::mutex> lock(publish_mu_);  // the current tables cannot be retired meanwhile
  const Tables* t = current_.load(std::memory_order_acquire);
  return t == nullptr ? 0 : t->version();
}

bool SnapshotStore::NeighborWants(uint32_t* generation, std::vector<NeighborWant>* wants) const {
  std::lock_guard<std::mutex> lock(publish_mu_);  // the current tables cannot be retired meanwhile
  const Tables* t = current_.load(std::memory_order_acquire);
  if (t == nullptr || t->generation() == *generation) return false;
  *generation = t->generation();
  *wants = t->neighbor_wants();
  return true;
}

absl::Status SnapshotStore::CompileAndSwap(std::shared_ptr<const snapshot::CompiledSnapshot> snapshot,
                                           bool republish) {
  // The zone maps in use, kept alive by this reference while we compile, may be taken over.
  std::shared_ptr<const ZoneMaps> reusable;
  {
    std::lock_guard<std::mutex> lock(publish_mu_);
    if (const Tables* current = current_.load(std::memory_order_acquire)) reusable = current->zone_maps();
  }
  DataplaneSettings settings = settings_;
  settings.learned_neighbors = learned_;
  // Compiling (the expensive part) happens outside publish_mu_ and never near a worker.
  auto tables = Tables::Compile(*snapshot, settings, max_workers_, std::move(reusable));
  if (!tables.ok()) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    return tables.status();
  }
  last_ = std::move(snapshot);
  std::lock_guard<std::mutex> lock(publish_mu_);
  const Tables* old = current_.exchange(tables->release(), std::memory_order_acq_rel);
  if (old != nullptr) retired_.emplace_back(rte_rcu_qsbr_start(rcu_), old);
  (republish ? republished_ : published_).fetch_add(1, std::memory_order_relaxed);
  ReclaimLocked();
  return absl::OkStatus();
}

size_t SnapshotStore::Reclaim() {
  std::lock_guard<std::mutex> lock(publish_mu_);
  return ReclaimLocked();
}

size_t SnapshotStore::ReclaimLocked() {
  // Tokens only grow, so the oldest retirements complete first.
  size_t done = 0;
  while (done < retired_.size() && rte_rcu_qsbr_check(rcu_, retired_[done].first, false) == 1) {
    // No worker can still count into these tables: their statistics are final.
    retired_[done].second->CollectStats(retired_services_, retired_backends_);
    retired_[done].second->CollectZonePairs(retired_zone_pairs_);
    ++done;
  }
  retired_.erase(retired_.begin(), retired_.begin() + static_cast<std::ptrdiff_t>(done));
  return retired_.size();
}

void SnapshotStore::Traffic(TrafficTotals& services, TrafficTotals& backends) {
  std::lock_guard<std::mutex> lock(publish_mu_);  // the current tables cannot be retired meanwhile
  services = retired_services_;
  backends = retired_backends_;
  // Retired tables not yet reclaimed may still be counting; they are added when reclaimed.
  if (const Tables* t = current_.load(std::memory_order_acquire); t != nullptr) t->CollectStats(services, backends);
}

void SnapshotStore::ZonePairs(ZonePairTotals& totals) {
  std::lock_guard<std::mutex> lock(publish_mu_);
  totals = retired_zone_pairs_;
  if (const Tables* t = current_.load(std::memory_order_acquire); t != nullptr) t->CollectZonePairs(totals);
}

void SnapshotStore::RegisterWorker(uint32_t worker_id) {
  rte_rcu_qsbr_thread_register(rcu_, worker_id);
  rte_rcu_qsbr_thread_online(rcu_, worker_id);
}

void SnapshotStore::UnregisterWorker(uint32_t worker_id) {
  rte_rcu_qsbr_thread_offline(rcu_, worker_id);
  rte_rcu_qsbr_thread_unregister(rcu_, worker_id);
}

}  // namespace causeway::dataplane
