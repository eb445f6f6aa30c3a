#include "controlplane/server/control_plane.h"

#include <chrono>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/server/allocator_tuning.h"
#include "controlplane/server/costs.h"
#include "controlplane/server/cycle_clock_warmup.h"
#include "controlplane/state/apply.h"
#include "controlplane/state/persist.h"
#include "controlplane/topology/explain.h"

namespace causeway::server {

std::string ProblemsText(const state::Problems& problems) {
  std::vector<std::string> lines;
  lines.reserve(problems.size());
  for (const state::Problem& p : problems) lines.push_back(absl::StrCat(p.field, ": ", p.message));
  return absl::StrJoin(lines, "\n");
}

struct ControlPlane::Round {
  state::Model model;
  uint64_t version = 0;
  bool state_changed = false;  // else only health verdicts or leases changed: nothing to persist
  compile::HealthOverlay overlay;
  compile::PartitionView partition;
  uint64_t partition_generation = 0;
  v1::SavedState saved;
  std::vector<v1::WatchEvent> events;
};

ControlPlane::ControlPlane(Options options, snapshot::SnapshotSink* sink)
    : options_(std::move(options)),
      sink_(sink),
      clock_(options_.clock != nullptr ? options_.clock : partition::Clock::Real()),
      started_(clock_->Now()),
      files_(options_.state_dir.empty() ? nullptr : std::make_unique<state::StateFiles>(options_.state_dir)),
      publisher_([this] { PublisherLoop(); }) {
  KeepFreedMemoryForReuse();  // rounds reuse the memory of the tables they replace
  MeasureCycleClockFrequencyNow();  // else the first contended lock of a request sleeps ~3 ms
}

ControlPlane::~ControlPlane() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // A push may be leading a round.
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !round_running_; };
    mu_.Await(absl::Condition(&idle));
  }
  publisher_.join();
}

absl::Status ControlPlane::Restore() {
  if (files_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::optional<v1::SavedState>> saved = files_->Load();
  if (!saved.ok()) return saved.status();
  if (!saved->has_value()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (version_ != 0) return absl::FailedPreconditionError("Restore() after pushes");
  state::Candidate c = state::FromSnapshot(model_, (*saved)->state());
  if (!c.problems.empty()) {
    return absl::DataLossError(absl::StrCat("saved state in ", options_.state_dir, " is invalid:\n", ProblemsText(c.problems)));
  }
  for (const auto& [key, w] : (*saved)->fencing()) state::HoldFencing(c.model.fencing, key, w);
  // The publisher is idle (version_ == published_version_ == 0) and stays so while we hold mu_.
  absl::StatusOr<compile::Compiler::Result> compiled = compiler_.Compile(c.model, (*saved)->version());
  if (!compiled.ok()) return compiled.status();
  model_ = std::move(c.model);
  published_model_ = model_;
  version_ = published_version_ = (*saved)->version();
  source_versions_ = {(*saved)->source_versions().begin(), (*saved)->source_versions().end()};
  for (const auto& [key, entry] : model_.services) published_tables_[key] = compiler_.TablesOf(key);
  // Every restored cluster's lease starts now: causewayd cannot know how fresh it was.
  leases_.Sync(model_, Now());
  leases_changed_ = true;
  published_snapshot_ = compiled->snapshot;
  tables_built_ += compiled->tables_built;
  tables_copied_ += compiled->tables_copied;
  if (sink_ != nullptr) sink_->Publish(compiled->snapshot);
  return absl::OkStatus();
}

PushOutcome ControlPlane::Push(v1::PushRequest request) {
  absl::MutexLock lock(&mu_);
  PushOutcome out;
  out.version = version_;
  out.version_info = source_versions_[request.source()];
  if (request.change_case() == v1::PushRequest::CHANGE_NOT_SET) {
    out.problems.push_back({"change", "a push carries a snapshot or a delta"});
  } else if (request.has_delta() && request.base_version() != 0 && request.base_version() != version_) {
    ++rejected_;
    out.status = absl::FailedPreconditionError(
        absl::StrCat("delta built on version ", request.base_version(), " but the current version is ", version_,
                     ": resend from the current state"));
    return out;
  }
  state::Candidate c;
  if (out.problems.empty() && request.has_delta() && state::OnlyRenews(request.delta())) {
    // Renewals only: not a change of the state (no version, nothing persisted, no watch event), and
    // nothing to check but the clusters named (the current model is valid): no candidate model.
    state::CheckRenewals(model_, request.delta(), c.problems, c.renewed);
    if (c.problems.empty()) {
      RenewLeases(c.renewed);
      EvaluateLeases();
      out.version_info = request.version_info();
      return out;
    }
    out.problems = std::move(c.problems);
  } else if (out.problems.empty()) {
    c = request.has_snapshot() ? state::FromSnapshot(model_, std::move(*request.mutable_snapshot()))
                               : state::FromDelta(model_, std::move(*request.mutable_delta()));
    out.problems = std::move(c.problems);
  }
  if (!out.problems.empty()) {
    ++rejected_;
    out.status = absl::InvalidArgumentError(ProblemsText(out.problems));
    return out;
  }

  // Accepted: this is now the state every later push builds on. The publisher takes it from here.
  model_ = std::move(c.model);
  const uint64_t mine = ++version_;
  source_versions_[request.source()] = request.version_info();
  v1::WatchEvent event;
  event.set_version(mine);
  event.set_source(request.source());
  event.set_version_info(request.version_info());
  for (const std::string& change : c.changes) event.add_changes(change);
  pending_events_.push_back(std::move(event));
  ++accepted_;
  leases_.Sync(model_, Now());
  RenewLeases(c.renewed);
  EvaluateLeases();

  auto done = [this, mine]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return published_version_ >= mine || failed_version_ >= mine || stopping_;
  };
  auto done_or_idle = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done() || !round_running_; };
  // Group commit, led by a push: when no round runs, this thread runs one for everything accepted
  // so far (waking the publisher thread, and being woken by it, cost two thread hops a push); when
  // one runs, the pushes accepted meanwhile wait for it to end and one of them leads the next.
  while (true) {
    mu_.Await(absl::Condition(&done_or_idle));
    if (done()) break;
    Round round;
    BeginRound(round);
    mu_.Unlock();
    RunRound(round);
    mu_.Lock();
  }
  out.version = mine;
  out.version_info = request.version_info();
  if (published_version_ < mine) {
    out.status = stopping_ && failed_version_ < mine ? absl::UnavailableError("shutting down") : failure_;
  }
  // What a big request still holds — a snapshot's endpoint messages, emptied by the move into the
  // model, a thousand allocations — is freed by the reaper, not here before the answer goes out. A
  // small one (an adapter's single-endpoint delta) is cheaper freed here than handed over.
  if (request.snapshot().endpoints_size() > 64 || request.delta().upsert_endpoints_size() > 64) {
    reaper_.Discard({std::make_shared<const v1::PushRequest>(std::move(request))});
  }
  return out;
}

void ControlPlane::PublisherLoop() {
  while (true) {
    Round round;
    {
      absl::MutexLock lock(&mu_);
      // Pushes lead their own rounds (Push); this thread runs the rest: health verdicts, leases, and
      // pushes whose leader failed.
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ ||
               (!round_running_ &&
                (version_ > std::max(published_version_, failed_version_) || overlay_dirty_ || partition_dirty_));
      };
      auto wake = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return work() || leases_changed_; };
      // The lease timer: sleep until there is work, a renewal moved the leases, or the next lease
      // runs out (or hold-down ends).
      while (true) {
        EvaluateLeases();
        if (work()) break;
        leases_changed_ = false;
        timer_deadline_ = leases_.NextDeadline(model_);
        if (timer_deadline_ == absl::InfiniteFuture()) {
          mu_.Await(absl::Condition(&wake));
        } else {
          mu_.AwaitWithTimeout(absl::Condition(&wake), std::max(timer_deadline_ - Now(), absl::Milliseconds(1)));
        }
      }
      if (stopping_) return;
      BeginRound(round);
    }
    RunRound(round);
  }
}

void ControlPlane::BeginRound(Round& round) {
  round_running_ = true;
  round.model = model_;  // cheap: service entries are shared
  round.version = version_;
  round.state_changed = version_ > published_version_;
  round.overlay = overlay_;  // small: failing endpoints only
  overlay_dirty_ = false;
  round.partition.stale = leases_.stale();
  round.partition_generation = partition_generation_;
  partition_dirty_ = false;
  round.events = std::move(pending_events_);
  pending_events_.clear();
  round.saved.set_version(version_);
  for (const auto& [source, v] : source_versions_) (*round.saved.mutable_source_versions())[source] = v;
}

void ControlPlane::RunRound(Round& round) {
  const absl::Status status = PublishRound(round);
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    failed_version_ = round.version;
    failure_ = status;
    round_running_ = false;
    return;
  }
  if (round.state_changed) {
    absl::MutexLock ol(&observer_mu_);
    if (observer_) observer_(round.model);
  }
  Broadcast(round.events);
  // Only now: the next round's events must reach the watchers after these.
  absl::MutexLock lock(&mu_);
  round_running_ = false;
}

absl::Status ControlPlane::PublishRound(Round& round) {
  const auto start = std::chrono::steady_clock::now();
  // Writing the state to disk (mostly fsync) and compiling the tables are independent: do both at
  // once, and tell nobody until both are done.
  absl::Status persisted;
  // The writer refers to `persisted` and `round`: waited for on every way out of this scope.
  absl::Cleanup wait_for_writer = [this] { writer_.Wait(); };
  if (files_ != nullptr && round.state_changed) {
    // Both threads only read round.model.
    writer_.Start([&] {
      for (const auto& [key, w] : round.model.fencing) (*round.saved.mutable_fencing())[key] = w;
      persisted = files_->SaveSerialized(round.version, state::SerializeSaved(round.saved, round.model));
    });
  }
  absl::StatusOr<compile::Compiler::Result> compiled = compiler_.Compile(round.model, round.version, round.overlay, round.partition);
  std::move(wait_for_writer).Invoke();
  if (!compiled.ok()) return compiled.status();
  if (!persisted.ok()) return absl::InternalError(absl::StrCat("persisting state: ", persisted.message()));
  // A round for the leases alone that changed no service (all KEEP) has nothing new for the dataplane.
  const bool same_snapshot = !round.state_changed && compiled->recompiled == 0;
  if (sink_ != nullptr && !same_snapshot) sink_->Publish(compiled->snapshot);

  std::map<std::string, std::shared_ptr<const topology::ServiceTables>> tables;
  for (const auto& [key, entry] : round.model.services) tables[key] = compiler_.TablesOf(key);
  // What this round replaces (for a big service, thousands of endpoint messages and the old
  // tables) goes to the reaper to free: not under the lock, not on the thread of a push that leads
  // the round, before its answer, and not competing with the next push for a core.
  auto old_tables = std::make_shared<decltype(tables)>(std::move(tables));
  std::shared_ptr<const snapshot::CompiledSnapshot> old_snapshot = compiled->snapshot;
  auto old_model = std::make_shared<state::Model>(round.model);  // round.model stays valid for the observer
  auto old_overlay = std::make_shared<compile::HealthOverlay>(std::move(round.overlay));
  {
    absl::MutexLock lock(&mu_);
    std::swap(published_tables_, *old_tables);
    std::swap(published_snapshot_, old_snapshot);
    std::swap(published_model_, *old_model);
    std::swap(published_overlay_, *old_overlay);
    published_stale_ = round.partition.stale;
    published_partition_generation_ = round.partition_generation;
    published_version_ = round.version;
    last_compile_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    last_compiled_services_ = compiled->recompiled;
    tables_built_ += compiled->tables_built;
    tables_copied_ += compiled->tables_copied;
  }
  reaper_.Discard({std::move(old_tables), std::move(old_snapshot), std::move(old_model), std::move(old_overlay)});
  return absl::OkStatus();
}

void ControlPlane::RenewLeases(const std::set<std::string>& clusters) {
  const absl::Time now = Now();
  std::vector<std::string> lines;
  for (const std::string& cluster : clusters) {
    if (std::string line = leases_.Renew(model_, cluster, now); !line.empty()) lines.push_back(std::move(line));
  }
  // A renewal moves a lease's end later, which the timer finds out when it wakes at the old
  // deadline; it is woken now only when something runs out sooner than that (a new lease, a shorter
  // TTL, a hold-down starting): not by every push, on a machine where a wake-up costs a core.
  if (leases_.NextDeadline(model_) < timer_deadline_) leases_changed_ = true;
  LeaseEvent(lines, /*with_tables=*/false);
}

void ControlPlane::EvaluateLeases() {
  bool stale_changed = false;
  std::vector<std::string> lines = leases_.Evaluate(model_, Now(), &stale_changed);
  if (stale_changed) {
    ++partition_generation_;
    partition_dirty_ = true;
  }
  LeaseEvent(lines, stale_changed);
}

void ControlPlane::LeaseEvent(const std::vector<std::string>& lines, bool with_tables) {
  if (lines.empty()) return;
  v1::WatchEvent event;
  event.set_version(version_);
  event.set_source("partition");
  for (const std::string& line : lines) event.add_changes(absl::StrCat("partition: cluster ", line));
  if (with_tables) {
    pending_events_.push_back(std::move(event));  // told once the tables it changes are published
    return;
  }
  Broadcast({event});
}

void ControlPlane::Broadcast(const std::vector<v1::WatchEvent>& events) {
  absl::MutexLock wl(&watchers_mu_);
  std::erase_if(watchers_, [](const std::weak_ptr<Watcher>& w) { return w.expired(); });
  for (const std::weak_ptr<Watcher>& weak : watchers_) {
    if (std::shared_ptr<Watcher> w = weak.lock()) {
      absl::MutexLock lock(&w->mu_);
      w->queue_.insert(w->queue_.end(), events.begin(), events.end());
    }
  }
}

void ControlPlane::CheckLeases() {
  absl::MutexLock lock(&mu_);
  EvaluateLeases();
  const uint64_t target = partition_generation_;
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return published_partition_generation_ >= target || stopping_ || failed_version_ >= version_;
  };
  mu_.Await(absl::Condition(&done));
}

std::set<std::string> ControlPlane::StaleClusters() const {
  absl::MutexLock lock(&mu_);
  return published_stale_;
}

std::string ControlPlane::SourceVersion(const std::string& source) const {
  absl::MutexLock lock(&mu_);
  auto it = source_versions_.find(source);
  return it == source_versions_.end() ? "" : it->second;
}

uint64_t ControlPlane::version() const {
  absl::MutexLock lock(&mu_);
  return published_version_;
}

v1::ListClustersResponse ControlPlane::ListClusters() const {
  absl::MutexLock lock(&mu_);
  v1::ListClustersResponse out;
  out.set_version(published_version_);
  std::map<std::string, uint32_t> endpoints;
  // Per cluster: its services by the partition policy they follow, and the services it writes for.
  std::map<std::string, std::map<std::string, uint32_t>> policies;
  std::map<std::string, uint32_t> writer_of;
  for (const auto& [key, entry] : published_model_.services) {
    std::set<std::string> clusters;
    for (const auto& [id, e] : entry->endpoints) {
      ++endpoints[id.cluster];
      clusters.insert(id.cluster);
    }
    const v1::PartitionPolicy p = entry->service.partition_policy() == v1::PARTITION_POLICY_UNSPECIFIED
                                      ? v1::KEEP
                                      : entry->service.partition_policy();
    for (const std::string& cluster : clusters) ++policies[cluster][v1::PartitionPolicy_Name(p)];
    if (entry->service.has_writer()) ++writer_of[entry->service.writer().cluster()];
  }
  const absl::Time now = Now();
  for (const auto& [name, c] : published_model_.clusters) {
    v1::ClusterStatus* s = out.add_clusters();
    *s->mutable_cluster() = c;
    s->set_endpoints(endpoints[name]);
    const partition::LeaseStatus lease = leases_.StatusOf(published_model_, name, now);
    // partition::Freshness in its order: kLocal, kNoLease, kFresh, kStale, kHoldingDown.
    static constexpr v1::ClusterStatus::Freshness kFreshness[] = {
        v1::ClusterStatus::LOCAL, v1::ClusterStatus::NO_LEASE, v1::ClusterStatus::FRESH, v1::ClusterStatus::STALE,
        v1::ClusterStatus::HOLDING_DOWN};
    s->set_freshness(kFreshness[static_cast<int>(lease.freshness)]);
    s->set_renewed_ms_ago(absl::ToInt64Milliseconds(lease.since_renewal));
    s->set_stale_for_ms(absl::ToInt64Milliseconds(lease.stale_for));
    s->set_hold_down_left_ms(absl::ToInt64Milliseconds(lease.hold_down_left));
    for (const auto& [policy, n] : policies[name]) (*s->mutable_services_by_policy())[policy] = n;
    s->set_writer_of(writer_of[name]);
  }
  return out;
}

v1::ListServicesResponse ControlPlane::ListServices() const {
  absl::MutexLock lock(&mu_);
  v1::ListServicesResponse out;
  out.set_version(published_version_);
  for (const auto& [key, entry] : published_model_.services) {
    v1::ServiceStatus* s = out.add_services();
    *s->mutable_service() = entry->service;
    s->set_endpoints(static_cast<uint32_t>(entry->endpoints.size()));
    if (auto it = published_tables_.find(key); it != published_tables_.end() && it->second) {
      const auto& tables = it->second;
      s->set_tables(static_cast<uint32_t>(tables->tables.size()));
      for (const maglev::MaglevTable& t : tables->tables) s->add_table_sizes(t.empty() ? 0 : t.size());
    }
  }
  return out;
}

v1::ListEndpointsResponse ControlPlane::ListEndpoints(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  v1::ListEndpointsResponse out;
  out.set_version(published_version_);
  for (const auto& [key, entry] : published_model_.services) {
    if (!service.empty() && key != service) continue;
    const std::map<state::EndpointId, std::string>* failing = published_overlay_.FailingOf(key);
    for (const auto& [id, e] : entry->endpoints) {
      v1::Endpoint* out_e = out.add_endpoints();
      *out_e = *e;
      if (failing != nullptr && failing->contains(id)) out_e->set_health(v1::UNHEALTHY);  // the effective health
    }
  }
  return out;
}

absl::StatusOr<v1::Service> ControlPlane::GetService(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  auto it = published_model_.services.find(service);
  if (it == published_model_.services.end()) return absl::NotFoundError(absl::StrCat("no service \"", service, "\""));
  return it->second->service;
}

v1::State ControlPlane::GetState() const {
  absl::MutexLock lock(&mu_);
  return published_model_.ToState();
}

namespace {

// What the partition does to a service's tables, for explain: safe-mode endpoints, dropped
// clusters, the writer.
void AddPartitionNotes(const v1::Service& s, const compile::ServiceInputs& in, const std::set<std::string>& stale,
                       topology::Explanation& e) {
  std::vector<std::string> notes;
  for (size_t i = 0; i < e.endpoints.size() && i < in.endpoints.size(); ++i) {
    if (s.partition_policy() == v1::SAFE_MODE && stale.contains(in.endpoints[i].cluster)) {
      absl::StrAppend(&e.endpoints[i].why, " (cluster stale, safe mode: new flows refused)");
    }
  }
  if (s.partition_policy() == v1::DROP) {
    for (const std::string& cluster : stale) notes.push_back(absl::StrCat("cluster ", cluster, " stale: its endpoints dropped"));
  }
  if (s.has_writer()) {
    const v1::Writer& w = s.writer();
    notes.push_back(absl::StrCat("write ports ", w.write_ports().empty() ? "(all)" : absl::StrJoin(w.write_ports(), ","),
                                 ": cluster ", w.cluster(), " only (fencing token ", w.fencing_token(), ")",
                                 stale.contains(w.cluster()) ? ", stale: no new write flows" : ""));
  }
  if (notes.empty()) return;
  const std::string joined = absl::StrJoin(notes, "; ");
  e.summary = e.summary.empty() ? joined : absl::StrCat(e.summary, "; ", joined);
}

}  // namespace

absl::StatusOr<v1::ExplainResponse> ControlPlane::Explain(const std::string& service, const std::string& zone) const {
  absl::MutexLock lock(&mu_);
  auto it = published_model_.services.find(service);
  if (it == published_model_.services.end()) return absl::NotFoundError(absl::StrCat("no service \"", service, "\""));
  auto t = published_tables_.find(service);
  if (t == published_tables_.end() || t->second == nullptr) return absl::UnavailableError("service not compiled yet");
  const std::shared_ptr<const topology::ServiceTables>& tables = t->second;
  size_t z = 0;
  if (!zone.empty()) {
    auto found = std::find(tables->zones.begin(), tables->zones.end(), zone);
    if (found == tables->zones.end()) {
      return absl::NotFoundError(absl::StrCat("unknown client zone \"", zone, "\"; known: ", absl::StrJoin(tables->zones, ", ")));
    }
    z = static_cast<size_t>(found - tables->zones.begin());
  }
  const std::map<state::EndpointId, std::string>* failing = published_overlay_.FailingOf(service);
  const compile::ServiceInputs in = compile::InputsOf(published_model_, *it->second, failing, &published_stale_);
  topology::Explanation e =
      topology::Explain(in.policy, in.endpoints, tables->views[z], tables->tables[tables->zone_table[z]]);
  for (size_t i = 0; failing != nullptr && i < e.endpoints.size(); ++i) {
    auto f = failing->find(state::IdOf(*in.sources[i]));
    if (f != failing->end() && !f->second.empty()) absl::StrAppend(&e.endpoints[i].why, " (", f->second, ")");
  }
  AddPartitionNotes(it->second->service, in, published_stale_, e);
  v1::ExplainResponse out;
  out.set_service(e.service);
  out.set_zone(e.client_zone);
  for (const std::string& t : e.tiers) out.add_tiers(t);
  for (const topology::EndpointExplanation& x : e.endpoints) {
    v1::ExplainResponse::EndpointLine* line = out.add_endpoints();
    line->set_endpoint(x.endpoint);
    line->set_zone(x.zone);
    line->set_tier(x.tier);
    line->set_share(x.share);
    line->set_why(x.why);
  }
  out.set_summary(e.summary);
  out.set_text(topology::FormatExplanation(e));
  return out;
}

v1::StatsResponse ControlPlane::Stats() const {
  absl::MutexLock lock(&mu_);
  v1::StatsResponse out;
  out.set_version(published_version_);
  out.set_pushes_accepted(accepted_);
  out.set_pushes_rejected(rejected_);
  out.set_services(published_model_.services.size());
  out.set_endpoints(published_model_.EndpointCount());
  out.set_clusters(published_model_.clusters.size());
  uint64_t tables = 0;
  for (const auto& [key, t] : published_tables_) {
    if (t) tables += t->tables.size();
  }
  out.set_tables(tables);
  out.set_last_compile_ms(last_compile_ms_);
  out.set_last_compiled_services(last_compiled_services_);
  out.set_maglev_tables_built(tables_built_);
  out.set_maglev_tables_copied(tables_copied_);
  if (options_.dataplane_stats != nullptr) {
    for (const auto& [name, value] : options_.dataplane_stats->Counters()) (*out.mutable_dataplane_counters())[name] = value;
  }
  return out;
}

v1::CostsResponse ControlPlane::Costs(uint32_t top) const {
  CostInputs in;
  uint64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    version = published_version_;
    in.prices = published_model_.gateway.costs();
    in.gateway_cluster = published_model_.gateway.cluster();
    if (auto it = published_model_.clusters.find(in.gateway_cluster); it != published_model_.clusters.end()) {
      in.gateway_region = it->second.region();
    }
  }
  in.seconds = absl::ToDoubleSeconds(Uptime());
  in.top = top;
  std::vector<snapshot::DataplaneStats::ZonePair> pairs;
  if (options_.dataplane_stats != nullptr) pairs = options_.dataplane_stats->ZonePairs();
  v1::CostsResponse out = ComputeCosts(pairs, in);
  out.set_version(version);
  out.set_dataplane(options_.dataplane_stats != nullptr);
  return out;
}

std::shared_ptr<const snapshot::CompiledSnapshot> ControlPlane::PublishedSnapshot() const {
  absl::MutexLock lock(&mu_);
  return published_snapshot_;
}

void ControlPlane::SetHealthVerdict(const HealthVerdict& verdict) {
  absl::MutexLock lock(&mu_);
  auto it = overlay_.services.find(verdict.service);
  if (verdict.failing) {
    if (it == overlay_.services.end()) it = overlay_.services.emplace(verdict.service, compile::HealthOverlay::Service{}).first;
    it->second.failing[verdict.endpoint] = verdict.detail;
    it->second.generation = ++overlay_generation_;
  } else {
    if (it == overlay_.services.end() || it->second.failing.erase(verdict.endpoint) == 0) return;  // nothing to clear
    it->second.generation = ++overlay_generation_;
    if (it->second.failing.empty()) overlay_.services.erase(it);
  }
  overlay_dirty_ = true;
  if (!verdict.event.empty()) {
    v1::WatchEvent event;
    event.set_version(version_);
    event.set_source("health-check");
    event.add_changes(verdict.event);
    pending_events_.push_back(std::move(event));
  }
}

void ControlPlane::SetModelObserver(ModelObserver observer) {
  absl::MutexLock ol(&observer_mu_);
  observer_ = std::move(observer);
  if (!observer_) return;
  state::Model current;
  {
    absl::MutexLock lock(&mu_);
    current = published_model_;
  }
  observer_(current);
}

std::shared_ptr<ControlPlane::Watcher> ControlPlane::Watch() {
  auto w = std::make_shared<Watcher>();
  // Under mu_, so that no change slips between the first event and the registration.
  absl::MutexLock lock(&mu_);
  v1::WatchEvent first;
  first.set_version(published_version_);
  first.add_changes("current state");
  {
    absl::MutexLock wl(&w->mu_);
    w->queue_.push_back(first);
  }
  absl::MutexLock wl(&watchers_mu_);
  watchers_.push_back(w);
  return w;
}

bool ControlPlane::Watcher::Next(v1::WatchEvent* event, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) return false;
  *event = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

}  // namespace causeway::server
