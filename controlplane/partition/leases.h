// Partition (split-brain) detection: each remote cluster's feed holds a freshness lease
// (Cluster.lease_ttl_ms). Pure logic on an injected time, no threads: ControlPlane renews leases as
// pushes arrive and evaluates them on its publisher's timer.
//
// Each leased cluster is in one of three states:
//   fresh        — renewed within its TTL;
//   stale        — the TTL passed without a renewal: the services' partition policies apply;
//   holding down — renewals resumed, but the cluster is still treated as stale until it has been
//                  renewed within its TTL for hold_down_ms (default 3 × TTL); a lapse on the way
//                  makes it stale again, and the hold-down starts over at the next renewal.
// The gateway's own cluster and clusters without a lease (TTL 0) are never stale.
#ifndef CAUSEWAY_CONTROLPLANE_PARTITION_LEASES_H_
#define CAUSEWAY_CONTROLPLANE_PARTITION_LEASES_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "causeway/v1/config.pb.h"
#include "controlplane/state/model.h"

namespace causeway::partition {

// The time leases are measured by: the real clock, or a test's.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // The process's real clock (absl::Now()).
  static const Clock* Real();
};

enum class Freshness { kLocal, kNoLease, kFresh, kStale, kHoldingDown };

// One cluster's lease as operators see it.
struct LeaseStatus {
  Freshness freshness = Freshness::kFresh;
  absl::Duration since_renewal;   // since the last renewal (or since the cluster was learned)
  absl::Duration stale_for;       // stale and holding down: since the lease ran out
  absl::Duration hold_down_left;  // holding down: until fresh again
};

// The effective hold-down of a cluster (hold_down_ms, default 3 × lease_ttl_ms).
absl::Duration HoldDownOf(const v1::Cluster& c);

class Leases {
 public:
  // Follows the model's clusters: a cluster not seen before, or one given a lease it did not have,
  // starts fresh at `now`; deleted ones are forgotten. Call after every accepted change (then
  // Evaluate).
  void Sync(const state::Model& m, absl::Time now);
  // A source renewed `cluster` (unknown names are ignored). Returns an event line when this starts a
  // stale cluster's hold-down, else "".
  std::string Renew(const state::Model& m, const std::string& cluster, absl::Time now);
  // Moves leases along their states at `now`. Returns what happened, one line per cluster whose
  // state changed ("cluster-b stale (no renewal for 5s)"); the treated-stale set changed when
  // `*stale_changed`.
  std::vector<std::string> Evaluate(const state::Model& m, absl::Time now, bool* stale_changed);
  // The clusters treated as stale (stale or holding down).
  const std::set<std::string>& stale() const { return stale_; }
  // When Evaluate next has something to do (InfiniteFuture: never without a renewal).
  absl::Time NextDeadline(const state::Model& m) const;
  LeaseStatus StatusOf(const state::Model& m, const std::string& cluster, absl::Time now) const;

 private:
  enum class State { kFresh, kStale, kHoldingDown };
  struct Lease {
    State state = State::kFresh;
    absl::Time renewed;         // last renewal
    absl::Time lapsed;          // when it last went stale
    absl::Time recovering;      // holding down: the first renewal after the outage
    uint32_t ttl_ms = 0;        // the cluster's lease_ttl_ms at the last Sync
  };
  // Leased: a remote cluster with a TTL.
  static bool Leased(const state::Model& m, const std::string& name, const v1::Cluster& c);

  std::map<std::string, Lease> leases_;
  std::set<std::string> stale_;
};

}  // namespace causeway::partition

#endif  // CAUSEWAY_CONTROLPLANE_PARTITION_LEASES_H_
