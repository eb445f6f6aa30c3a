// Dynamic neighbour resolution, on the control thread (never a worker): every Tick() it
//   1. follows the current tables' list of next hops to resolve (those without a static entry),
//   2. takes the (address, MAC) reports workers put on reports() (ARP replies and requests,
//      neighbour advertisements and solicitations from wanted next hops) into its NeighborTable,
//   3. builds the ARP requests / neighbour solicitations due — from the gateway's own address
//      nearest the next hop, out of every port — and puts them on tx(), a ring that one worker
//      drains onto its own TX queue (so any PMD works, af_packet included, and only workers touch
//      the queues); no more a round than the ring and the pool have room for, the rest stay due,
//   4. when a MAC was learned, changed or forgotten, hands the learned MACs to the SnapshotStore,
//      which compiles the last snapshot again and swaps it in through RCU: has_mac becomes true
//      and forwarding starts (static entries always win). A first MAC for an unresolved next hop is
//      published at once; other changes at most once per republish_interval_ms (each is a whole
//      Tables::Compile), and a failed republish is retried with a back-off.
// Telemetry reads View() and stats() from another thread: the table is behind a mutex (off the
// fast path), the counters are atomics.
#ifndef CAUSEWAY_DATAPLANE_NEIGHBOR_RESOLVER_H_
#define CAUSEWAY_DATAPLANE_NEIGHBOR_RESOLVER_H_

#include <rte_ether.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/neighbor_table.h"
#include "dataplane/snapshot_store.h"

struct rte_mempool;
struct rte_ring;

namespace causeway::dataplane {

// X(name, meaning): the resolver's counters, in the order /causeway/neighbor_stats lists them. One
// list gives the fields of NeighborStats, the resolver's atomics, the copy between them and the
// telemetry output, so a new counter is one line.
#define CAUSEWAY_NEIGHBOR_STATS(X)                                                                   \
  X(requests_sent, "ARP requests and neighbour solicitations put on the TX ring")                    \
  X(requests_lost, "no mbuf, or the TX ring full")                                                   \
  X(replies_learned, "reports that taught or confirmed a MAC")                                       \
  X(macs_changed, "a next hop's MAC replaced by another")                                            \
  X(forgotten, "MACs aged out")                                                                      \
  X(reports_ignored, "reports for addresses no longer wanted")                                       \
  X(republish_failed, "the store could not take the learned MACs (retried with a back-off)")         \
  X(changes_locked, "a different MAC within locktime of the last update: not taken")                 \
  X(confirmations, "solicited advertisements without the option confirming the MAC held")

struct NeighborStats {
#define CAUSEWAY_NEIGHBOR_STAT_FIELD(name, meaning) uint64_t name = 0;
  CAUSEWAY_NEIGHBOR_STATS(CAUSEWAY_NEIGHBOR_STAT_FIELD)
#undef CAUSEWAY_NEIGHBOR_STAT_FIELD
};

// One line of the table as an operator sees it.
struct NeighborView {
  std::string address;
  std::string mac;     // empty when unresolved
  std::string state;   // static, reachable, probing, unresolved
  int64_t confirmed_ago_ms = -1;  // learned entries: since the last reply
};

class NeighborResolver {
 public:
  struct Port {
    uint16_t id = 0;
    rte_ether_addr mac{};
  };
  // Creates the report ring (many producers, one consumer), the TX ring (one producer, one
  // consumer) and a small mbuf pool for the requests.
  static absl::StatusOr<std::unique_ptr<NeighborResolver>> Create(SnapshotStore* store, std::vector<Port> ports,
                                                                   NeighborTimings timings = {});
  // Between republishes that are not a first learn, and the first retry of a failed one (doubling
  // up to 30 s).
  static constexpr uint64_t kRepublishIntervalMs = 1000, kRepublishRetryMaxMs = 30000;
  // Frames still on the TX ring are freed. Workers must have stopped.
  ~NeighborResolver();

  rte_ring* reports() const { return reports_; }
  rte_ring* tx() const { return tx_; }
  rte_mempool* pool() const { return pool_; }

  // One round (see above), on the control thread only; `now_ms` from a monotonic clock.
  void Tick(uint64_t now_ms);

  NeighborStats stats() const;
  std::vector<NeighborView> View(uint64_t now_ms) const;

 private:
  NeighborResolver(SnapshotStore* store, std::vector<Port> ports, NeighborTimings timings, uint64_t seed)
      : store_(store), ports_(std::move(ports)), table_(timings, seed) {}
  // How many probes this round has room for: each takes an mbuf per port and a slot on tx().
  size_t ProbeBudget() const;
  void Send(const NeighborTable::Probe& probe);

  SnapshotStore* const store_;
  const std::vector<Port> ports_;
  rte_ring* reports_ = nullptr;
  rte_ring* tx_ = nullptr;
  rte_mempool* pool_ = nullptr;
  uint32_t wants_generation_ = 0;
  bool republish_due_ = false;   // the learned MACs changed and the store has not taken them yet
  bool republish_urgent_ = false;  // among them a first MAC for an unresolved next hop
  bool republished_once_ = false;
  uint64_t last_republish_ms_ = 0;
  uint64_t retry_at_ms_ = 0;       // after a failed republish
  uint64_t retry_backoff_ms_ = kRepublishIntervalMs;
  mutable std::mutex mu_;  // table_: the control thread writes, telemetry reads
  NeighborTable table_;
  struct Counters {
#define CAUSEWAY_NEIGHBOR_STAT_ATOMIC(name, meaning) std::atomic<uint64_t> name{0};
    CAUSEWAY_NEIGHBOR_STATS(CAUSEWAY_NEIGHBOR_STAT_ATOMIC)
#undef CAUSEWAY_NEIGHBOR_STAT_ATOMIC
  } counters_;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_NEIGHBOR_RESOLVER_H_
