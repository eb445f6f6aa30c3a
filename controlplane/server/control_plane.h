// The control plane's one writer: validates pushes, versions them, compiles them, hands snapshots to
// the dataplane, persists them, and tells watchers. gRPC is a thin translator in front of it
// (causeway_service.h); tests drive it directly too.
//
// Pushes are validated and accepted (or refused) one at a time under a lock, which is cheap. The
// expensive part — compiling the tables and writing the state to disk, in parallel — runs as one
// round for everything accepted since the last round (group commit), one round at a time: led by a
// push that finds no round running (on its own thread), else by the publisher thread (health
// verdicts, leases). A push returns once the snapshot holding it is persisted and handed to the
// dataplane. So many small updates cost one compile, not one each, and a push's answer means "in
// the dataplane and on disk".
#ifndef CAUSEWAY_CONTROLPLANE_SERVER_CONTROL_PLANE_H_
#define CAUSEWAY_CONTROLPLANE_SERVER_CONTROL_PLANE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "causeway/v1/api.pb.h"
#include "controlplane/compile/compiler.h"
#include "controlplane/partition/leases.h"
#include "controlplane/server/reaper.h"
#include "controlplane/server/side_thread.h"
#include "controlplane/snapshot/compiled_snapshot.h"
#include "controlplane/snapshot/dataplane_stats.h"
#include "controlplane/state/model.h"
#include "controlplane/state/persist.h"
#include "controlplane/state/validate.h"

namespace causeway::server {

struct PushOutcome {
  absl::Status status;  // OK, INVALID_ARGUMENT (problems), FAILED_PRECONDITION (stale base), INTERNAL
  uint64_t version = 0;
  std::string version_info;  // the push's when accepted, else the last accepted from its source
  state::Problems problems;
};

// Every problem as "field: message", one per line: the text of a rejection.
std::string ProblemsText(const state::Problems& problems);

// A verdict of causeway's own health checks (health/) on one endpoint.
struct HealthVerdict {
  std::string service;  // "namespace/name"
  state::EndpointId endpoint;
  bool failing = false;  // true: out of new flows; false: back to its pushed health
  std::string detail;    // the last failure, e.g. "connect: Connection refused"
  std::string event;     // what watchers are told, e.g. "health: default/web a/10.0.0.1:80 unhealthy (...)"
};

class ControlPlane {
 public:
  struct Options {
    std::string state_dir;  // empty: nothing persisted
    // The dataplane's counters for Stats(); null when there is no dataplane.
    const snapshot::DataplaneStats* dataplane_stats = nullptr;
    // What the clusters' freshness leases are measured by; null: the real clock. Tests pass their
    // own and call CheckLeases() after moving it.
    const partition::Clock* clock = nullptr;
  };
  ControlPlane(Options options, snapshot::SnapshotSink* sink);
  ~ControlPlane();

  // Loads the persisted state (if any) and publishes it. Call once, before serving.
  absl::Status Restore();

  // By value: the accepted endpoint messages are moved into the model, not copied (pass an rvalue
  // when the request is not needed afterwards, as the gRPC service does).
  PushOutcome Push(v1::PushRequest request);
  // The last version_info accepted from `source` ("" if none).
  std::string SourceVersion(const std::string& source) const;

  // Reads. Each answers from the last published version (which includes every push answered).
  v1::ListClustersResponse ListClusters() const;
  v1::ListServicesResponse ListServices() const;
  v1::ListEndpointsResponse ListEndpoints(const std::string& service) const;
  absl::StatusOr<v1::Service> GetService(const std::string& service) const;
  v1::State GetState() const;
  absl::StatusOr<v1::ExplainResponse> Explain(const std::string& service, const std::string& zone) const;
  v1::StatsResponse Stats() const;
  // Cross-zone traffic from the dataplane's zone pairs since this object started, priced with the
  // gateway's Gateway.costs (costs.h); at most `top` zone rows (0: all).
  v1::CostsResponse Costs(uint32_t top = 0) const;
  uint64_t version() const;
  // The last snapshot handed to the dataplane (null before the first), to name the dataplane's
  // service and backend ids.
  std::shared_ptr<const snapshot::CompiledSnapshot> PublishedSnapshot() const;
  const snapshot::DataplaneStats* dataplane_stats() const { return options_.dataplane_stats; }
  // Time since this object was made (on its clock): what the dataplane's counters cover.
  absl::Duration Uptime() const { return Now() - started_; }

  // Watchers receive every accepted change from now on. Next() blocks up to `timeout` and returns
  // false when nothing came.
  class Watcher {
   public:
    bool Next(v1::WatchEvent* event, absl::Duration timeout);

   private:
    friend class ControlPlane;
    absl::Mutex mu_;
    std::deque<v1::WatchEvent> queue_ ABSL_GUARDED_BY(mu_);
  };
  std::shared_ptr<Watcher> Watch();

  // Health checks. Verdicts are an overlay on the state, held here: an endpoint found failing
  // compiles as unhealthy whatever its pushed health, and its pushed health applies again once a
  // verdict clears it. Pushes never reset the overlay and it is never persisted (GetState and the
  // state directory keep what was pushed; ListEndpoints and Explain show the effective health).
  // Returns at once: the publisher recompiles the service and publishes it with whatever else is
  // pending, then tells watchers `verdict.event` (at the current version: a verdict is not a change
  // of the state, so deltas built on that version still apply).
  void SetHealthVerdict(const HealthVerdict& verdict);
  // The health checker follows the state through this: called with the current published model at
  // once, then from the thread that ran the round with each newly published one (one call at a
  // time, in order). It must not call back into this object, except SetHealthVerdict. Null removes
  // it (and waits for a running call to end).
  using ModelObserver = std::function<void(const state::Model&)>;
  void SetModelObserver(ModelObserver observer);

  // Partition: the remote clusters' freshness leases (partition/leases.h). Pushes renew them; the
  // publisher's timer evaluates them when one runs out or a hold-down ends, and publishes the
  // tables the services' partition policies give (at the current version: not a change of the
  // state). This evaluates them now, by the clock, and returns once what changed is published.
  void CheckLeases();
  // The clusters treated as stale in the published tables.
  std::set<std::string> StaleClusters() const;

 private:
  // What one publisher round works on: the model at `version` and what changed since the last round.
  struct Round;
  void PublisherLoop();
  // Takes everything accepted (and the verdicts and leases) since the last round; a round runs
  // from here until RunRound ends, and no other starts meanwhile.
  void BeginRound(Round& round) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Compiles, persists and publishes it (answering its pushes), then tells the observer and the
  // watchers. Called without mu_, by the publisher thread or by a push leading the round.
  void RunRound(Round& round) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status PublishRound(Round& round);
  absl::Time Now() const { return clock_->Now(); }
  // Evaluates the leases at Now(); a change of the stale set is queued for the publisher.
  void EvaluateLeases() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RenewLeases(const std::set<std::string>& clusters) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tells watchers what the leases did: with the next published round when it changes the tables,
  // else at once.
  void LeaseEvent(const std::vector<std::string>& lines, bool with_tables) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends `events` to every live watcher's queue (and forgets the watchers gone).
  void Broadcast(const std::vector<v1::WatchEvent>& events) ABSL_LOCKS_EXCLUDED(watchers_mu_);

  const Options options_;
  snapshot::SnapshotSink* const sink_;
  mutable absl::Mutex mu_;
  // Accepted state: the latest model and version, ahead of what is published while a round runs.
  state::Model model_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::string> source_versions_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::WatchEvent> pending_events_ ABSL_GUARDED_BY(mu_);
  // Health verdicts (SetHealthVerdict), and whether they changed since the publisher's last round.
  compile::HealthOverlay overlay_ ABSL_GUARDED_BY(mu_);
  uint64_t overlay_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool overlay_dirty_ ABSL_GUARDED_BY(mu_) = false;
  // Freshness leases (against model_'s clusters), and whether the stale set changed since the
  // publisher's last round; leases_changed_ wakes the publisher to recompute its next deadline,
  // timer_deadline_ (when it wakes by itself; InfinitePast while it has not computed one yet).
  const partition::Clock* const clock_;
  const absl::Time started_;
  partition::Leases leases_ ABSL_GUARDED_BY(mu_);
  uint64_t partition_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool partition_dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool leases_changed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time timer_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::set<std::string> published_stale_ ABSL_GUARDED_BY(mu_);
  uint64_t published_partition_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Published state: what the dataplane has and the disk holds.
  state::Model published_model_ ABSL_GUARDED_BY(mu_);
  uint64_t published_version_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::shared_ptr<const topology::ServiceTables>> published_tables_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const snapshot::CompiledSnapshot> published_snapshot_ ABSL_GUARDED_BY(mu_);
  compile::HealthOverlay published_overlay_ ABSL_GUARDED_BY(mu_);
  // Versions up to this one failed to publish (compile or disk error): their pushes are answered
  // with the error.
  uint64_t failed_version_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool round_running_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
  double last_compile_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_compiled_services_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t tables_built_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t tables_copied_ ABSL_GUARDED_BY(mu_) = 0;
  // Used by the thread running a round only (and by Restore before any round).
  compile::Compiler compiler_;
  std::unique_ptr<state::StateFiles> files_;  // null when nothing is persisted
  mutable absl::Mutex watchers_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::vector<std::weak_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(watchers_mu_);
  // Taken before mu_ when both are held.
  absl::Mutex observer_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  ModelObserver observer_ ABSL_GUARDED_BY(observer_mu_);
  // Frees what rounds replaced.
  Reaper reaper_;
  // Writes a round's state while the round's thread compiles.
  SideThread writer_;
  // Last: it starts in the constructor and uses every member above.
  std::thread publisher_;
};

}  // namespace causeway::server

#endif  // CAUSEWAY_CONTROLPLANE_SERVER_CONTROL_PLANE_H_
