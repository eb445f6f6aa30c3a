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

ControlPlane::ControlPlane(Options options, snapshot::SnapshotSink* sink) : options_(std::move(options)), sink_(sink) {}

absl::Status ControlPlane::Restore() {
  if (options_.state_dir.empty()) return absl::OkStatus();
  absl::StatusOr<std::optional<v1::SavedState>> saved = state::LoadState(options_.state_dir);
  if (!saved.ok()) return saved.status();
  if (!saved->has_value()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  state::Candidate c = state::FromSnapshot(model_, (*saved)->state());
  if (!c.problems.empty()) {
    return absl::DataLossError(absl::StrCat("saved state in ", options_.state_dir, " is invalid:\n", ProblemsText(c.problems)));
  }
  absl::StatusOr<compile::Compiler::Result> compiled = compiler_.Compile(c.model, (*saved)->version());
  if (!compiled.ok()) return compiled.status();
  model_ = std::move(c.model);
  version_ = (*saved)->version();
  source_versions_ = {(*saved)->source_versions().begin(), (*saved)->source_versions().end()};
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
  return Commit(std::move(c.model), c.changes, request.source(), request.version_info());
}

PushOutcome ControlPlane::Commit(state::Model next, const std::vector<std::string>& changes, const std::string& source,
                                 const std::string& version_info) {
  PushOutcome out;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<compile::Compiler::Result> compiled = compiler_.Compile(next, version_ + 1);
  if (!compiled.ok()) {
    ++rejected_;
    out.status = compiled.status();
    out.version = version_;
    return out;
  }
  // Persist before anyone is told: an acknowledged change survives a restart.
  state::Model previous = std::exchange(model_, std::move(next));
  const std::string previous_source_version = source_versions_[source];
  source_versions_[source] = version_info;
  ++version_;
  if (absl::Status s = Persist(); !s.ok()) {
    model_ = std::move(previous);
    source_versions_[source] = previous_source_version;
    --version_;
    ++rejected_;
    out.status = absl::InternalError(absl::StrCat("persisting state: ", s.message()));
    out.version = version_;
    return out;
  }
  if (sink_ != nullptr) sink_->Publish(compiled->snapshot);
  last_compile_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  last_compiled_services_ = compiled->recompiled;
  ++accepted_;
  out.version = version_;
  out.version_info = version_info;

  v1::WatchEvent event;
  event.set_version(version_);
  event.set_source(source);
  event.set_version_info(version_info);
  for (const std::string& c : changes) event.add_changes(c);
  absl::MutexLock lock(&watchers_mu_);
  std::erase_if(watchers_, [](const std::weak_ptr<Watcher>& w) { return w.expired(); });
  for (const std::weak_ptr<Watcher>& weak : watchers_) {
    if (std::shared_ptr<Watcher> w = weak.lock()) {
      absl::MutexLock wl(&w->mu_);
      w->queue_.push_back(event);
    }
  }
  return out;
}

absl::Status ControlPlane::Persist() const {
  if (options_.state_dir.empty()) return absl::OkStatus();
  v1::SavedState saved;
  saved.set_version(version_);
  for (const auto& [source, v] : source_versions_) (*saved.mutable_source_versions())[source] = v;
  *saved.mutable_state() = model_.ToState();
  return state::SaveState(options_.state_dir, saved);
}

std::string ControlPlane::SourceVersion(const std::string& source) const {
  absl::MutexLock lock(&mu_);
  auto it = source_versions_.find(source);
  return it == source_versions_.end() ? "" : it->second;
}

uint64_t ControlPlane::version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

v1::ListClustersResponse ControlPlane::ListClusters() const {
  absl::MutexLock lock(&mu_);
  v1::ListClustersResponse out;
  out.set_version(version_);
  std::map<std::string, uint32_t> endpoints;
  for (const auto& [key, entry] : model_.services) {
    for (const auto& [id, e] : entry->endpoints) ++endpoints[id.cluster];
  }
  for (const auto& [name, c] : model_.clusters) {
    v1::ClusterStatus* s = out.add_clusters();
    *s->mutable_cluster() = c;
    s->set_endpoints(endpoints[name]);
  }
  return out;
}

v1::ListServicesResponse ControlPlane::ListServices() const {
  absl::MutexLock lock(&mu_);
  v1::ListServicesResponse out;
  out.set_version(version_);
  for (const auto& [key, entry] : model_.services) {
    v1::ServiceStatus* s = out.add_services();
    *s->mutable_service() = entry->service;
    s->set_endpoints(static_cast<uint32_t>(entry->endpoints.size()));
    if (auto tables = compiler_.TablesOf(key)) {
      s->set_tables(static_cast<uint32_t>(tables->tables.size()));
      for (const maglev::MaglevTable& t : tables->tables) s->add_table_sizes(t.empty() ? 0 : t.size());
    }
  }
  return out;
}

v1::ListEndpointsResponse ControlPlane::ListEndpoints(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  v1::ListEndpointsResponse out;
  out.set_version(version_);
  for (const auto& [key, entry] : model_.services) {
    if (!service.empty() && key != service) continue;
    for (const auto& [id, e] : entry->endpoints) *out.add_endpoints() = e;
  }
  return out;
}

absl::StatusOr<v1::Service> ControlPlane::GetService(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  auto it = model_.services.find(service);
  if (it == model_.services.end()) return absl::NotFoundError(absl::StrCat("no service \"", service, "\""));
  return it->second->service;
}

absl::StatusOr<v1::ExplainResponse> ControlPlane::Explain(const std::string& service, const std::string& zone) const {
  absl::MutexLock lock(&mu_);
  auto it = model_.services.find(service);
  if (it == model_.services.end()) return absl::NotFoundError(absl::StrCat("no service \"", service, "\""));
  std::shared_ptr<const topology::ServiceTables> tables = compiler_.TablesOf(service);
  if (tables == nullptr) return absl::UnavailableError("service not compiled yet");
  size_t z = 0;
  if (!zone.empty()) {
    auto found = std::find(tables->zones.begin(), tables->zones.end(), zone);
    if (found == tables->zones.end()) {
      return absl::NotFoundError(absl::StrCat("unknown client zone \"", zone, "\"; known: ", absl::StrJoin(tables->zones, ", ")));
    }
    z = static_cast<size_t>(found - tables->zones.begin());
  }
  const compile::ServiceInputs in = compile::InputsOf(model_, *it->second);
  const topology::Explanation e =
      topology::Explain(in.policy, in.endpoints, tables->views[z], tables->tables[tables->zone_table[z]]);
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
  out.set_version(version_);
  out.set_pushes_accepted(accepted_);
  out.set_pushes_rejected(rejected_);
  out.set_services(model_.services.size());
  out.set_endpoints(model_.EndpointCount());
  out.set_clusters(model_.clusters.size());
  uint64_t tables = 0;
  for (const auto& [key, entry] : model_.services) {
    if (auto t = compiler_.TablesOf(key)) tables += t->tables.size();
  }
  out.set_tables(tables);
  out.set_last_compile_ms(last_compile_ms_);
  out.set_last_compiled_services(last_compiled_services_);
  return out;
}

std::shared_ptr<ControlPlane::Watcher> ControlPlane::Watch() {
  auto w = std::make_shared<Watcher>();
  // Under mu_, so that no change slips between the first event and the registration.
  absl::MutexLock lock(&mu_);
  v1::WatchEvent first;
  first.set_version(version_);
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
