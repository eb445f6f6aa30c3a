#include "controlplane/server/control_plane.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
  bool state_changed = false;  // else only health verdicts changed: nothing to persist
  compile::HealthOverlay overlay;
  v1::SavedState saved;
  std::vector<v1::WatchEvent> events;
};

ControlPlane::ControlPlane(Options options, snapshot::SnapshotSink* sink)
    : options_(std::move(options)), sink_(sink), publisher_([this] { PublisherLoop(); }) {}

ControlPlane::~ControlPlane() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  publisher_.join();
}

absl::Status ControlPlane::Restore() {
  if (options_.state_dir.empty()) return absl::OkStatus();
  absl::StatusOr<std::optional<v1::SavedState>> saved = state::LoadState(options_.state_dir);
  if (!saved.ok()) return saved.status();
  if (!saved->has_value()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (version_ != 0) return absl::FailedPreconditionError("Restore() after pushes");
  state::Candidate c = state::FromSnapshot(model_, (*saved)->state());
  if (!c.problems.empty()) {
    return absl::DataLossError(absl::StrCat("saved state in ", options_.state_dir, " is invalid:\n", ProblemsText(c.problems)));
  }
  // The publisher is idle (version_ == published_version_ == 0) and stays so while we hold mu_.
  absl::StatusOr<compile::Compiler::Result> compiled = compiler_.Compile(c.model, (*saved)->version());
  if (!compiled.ok()) return compiled.status();
  model_ = std::move(c.model);
  published_model_ = model_;
  version_ = published_version_ = (*saved)->version();
  source_versions_ = {(*saved)->source_versions().begin(), (*saved)->source_versions().end()};
  for (const auto& [key, entry] : model_.services) published_tables_[key] = compiler_.TablesOf(key);
  if (sink_ != nullptr) sink_->Publish(compiled->snapshot);
  return absl::OkStatus();
}

PushOutcome ControlPlane::Push(const v1::PushRequest& request) {
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
  if (out.problems.empty()) {
    c = request.has_snapshot() ? state::FromSnapshot(model_, request.snapshot()) : state::FromDelta(model_, request.delta());
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

  auto done = [this, mine]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return published_version_ >= mine || failed_version_ >= mine || stopping_;
  };
  mu_.Await(absl::Condition(&done));
  out.version = mine;
  out.version_info = request.version_info();
  if (published_version_ < mine) {
    out.status = stopping_ && failed_version_ < mine ? absl::UnavailableError("shutting down") : failure_;
  }
  return out;
}

void ControlPlane::PublisherLoop() {
  while (true) {
    Round round;
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || version_ > std::max(published_version_, failed_version_) || overlay_dirty_;
      };
      mu_.Await(absl::Condition(&work));
      if (stopping_) return;
      round.model = model_;  // cheap: service entries are shared
      round.version = version_;
      round.state_changed = version_ > published_version_;
      round.overlay = overlay_;  // small: failing endpoints only
      overlay_dirty_ = false;
      round.events = std::move(pending_events_);
      pending_events_.clear();
      round.saved.set_version(version_);
      for (const auto& [source, v] : source_versions_) (*round.saved.mutable_source_versions())[source] = v;
    }
    const absl::Status status = PublishRound(round);
    if (!status.ok()) {
      absl::MutexLock lock(&mu_);
      failed_version_ = round.version;
      failure_ = status;
      continue;
    }
    if (round.state_changed) {
      absl::MutexLock ol(&observer_mu_);
      if (observer_) observer_(round.model);
    }
    absl::MutexLock wl(&watchers_mu_);
    std::erase_if(watchers_, [](const std::weak_ptr<Watcher>& w) { return w.expired(); });
    for (const std::weak_ptr<Watcher>& weak : watchers_) {
      if (std::shared_ptr<Watcher> w = weak.lock()) {
        absl::MutexLock lock(&w->mu_);
        w->queue_.insert(w->queue_.end(), round.events.begin(), round.events.end());
      }
    }
  }
}

absl::Status ControlPlane::PublishRound(Round& round) {
  const auto start = std::chrono::steady_clock::now();
  // Writing the state to disk (mostly fsync) and compiling the tables are independent: do both at
  // once, and tell nobody until both are done.
  absl::Status persisted;
  std::thread writer;
  if (!options_.state_dir.empty() && round.state_changed) {
    // Both threads only read round.model.
    writer = std::thread([&] {
      *round.saved.mutable_state() = round.model.ToState();
      persisted = state::SaveState(options_.state_dir, round.saved);
    });
  }
  absl::StatusOr<compile::Compiler::Result> compiled = compiler_.Compile(round.model, round.version, round.overlay);
  if (writer.joinable()) writer.join();
  if (!compiled.ok()) return compiled.status();
  if (!persisted.ok()) return absl::InternalError(absl::StrCat("persisting state: ", persisted.message()));
  if (sink_ != nullptr) sink_->Publish(compiled->snapshot);

  absl::MutexLock lock(&mu_);
  published_tables_.clear();
  for (const auto& [key, entry] : round.model.services) published_tables_[key] = compiler_.TablesOf(key);
  // round.model stays valid for the observer: the published model shares its service entries.
  published_model_ = round.model;
  published_overlay_ = std::move(round.overlay);
  published_version_ = round.version;
  last_compile_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  last_compiled_services_ = compiled->recompiled;
  return absl::OkStatus();
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
  for (const auto& [key, entry] : published_model_.services) {
    for (const auto& [id, e] : entry->endpoints) ++endpoints[id.cluster];
  }
  for (const auto& [name, c] : published_model_.clusters) {
    v1::ClusterStatus* s = out.add_clusters();
    *s->mutable_cluster() = c;
    s->set_endpoints(endpoints[name]);
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
      *out_e = e;
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
  const compile::ServiceInputs in = compile::InputsOf(published_model_, *it->second, failing);
  topology::Explanation e =
      topology::Explain(in.policy, in.endpoints, tables->views[z], tables->tables[tables->zone_table[z]]);
  for (size_t i = 0; failing != nullptr && i < e.endpoints.size(); ++i) {
    auto f = failing->find(state::IdOf(*in.sources[i]));
    if (f != failing->end() && !f->second.empty()) absl::StrAppend(&e.endpoints[i].why, " (", f->second, ")");
  }
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
  if (options_.dataplane_stats != nullptr) {
    for (const auto& [name, value] : options_.dataplane_stats->Counters()) (*out.mutable_dataplane_counters())[name] = value;
  }
  return out;
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
