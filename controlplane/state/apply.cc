#include "controlplane/state/apply.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace causeway::state {
namespace {

// Equality by serialized bytes: these messages have no map fields, so equal messages serialize
// equally, and comparing bytes is ~10x faster than reflection-based comparison.
bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

bool SameEntry(const ServiceEntry& a, const ServiceEntry& b) {
  if (!Same(a.service, b.service) || a.endpoints.size() != b.endpoints.size()) return false;
  return std::equal(a.endpoints.begin(), a.endpoints.end(), b.endpoints.begin(), [](const auto& x, const auto& y) {
    return x.first == y.first && (x.second == y.second || Same(*x.second, *y.second));
  });
}

bool SameShared(const Model& a, const Model& b) {
  return a.has_gateway == b.has_gateway && Same(a.gateway, b.gateway) &&
         a.clusters.size() == b.clusters.size() &&
         std::equal(a.clusters.begin(), a.clusters.end(), b.clusters.begin(), [](const auto& x, const auto& y) {
           return x.first == y.first && Same(x.second, y.second);
         });
}

// The candidate model being built, with the service entries it already copied: an entry shared with
// the current model is copied once per push, not once per endpoint.
class Builder {
 public:
  explicit Builder(Model& m) : m_(m) {}
  ServiceEntry& Own(const std::string& key) {
    auto it = owned_.find(key);
    if (it != owned_.end()) return *it->second;
    ServiceEntry* entry = &m_.MutableService(key);
    owned_.emplace(key, entry);
    return *entry;
  }
  void Forget(const std::string& key) { owned_.erase(key); }
  // The entry if this push already made its own copy, else null.
  ServiceEntry* Owned(const std::string& key) const {
    auto it = owned_.find(key);
    return it == owned_.end() ? nullptr : it->second;
  }

 private:
  Model& m_;
  std::map<std::string, ServiceEntry*> owned_;
};

// Adds an endpoint to its service in `m`, or says why not. `movable`: the same message when the
// caller gives it up (it is moved into the model rather than copied), else null.
void PutEndpoint(Model& m, Builder& b, const v1::Endpoint& e, v1::Endpoint* movable, const std::string& path,
                 bool refuse_duplicate, Problems& out, std::set<std::string>& touched) {
  if (!m.services.contains(e.service())) {
    out.push_back({path + ".service", absl::StrCat("unknown service \"", e.service(), "\"")});
    return;
  }
  ServiceEntry& entry = b.Own(e.service());
  auto [it, inserted] = entry.endpoints.try_emplace(IdOf(e));
  if (!inserted && refuse_duplicate) {
    out.push_back({path, absl::StrCat("duplicate endpoint ", e.cluster(), "/", e.address(), ":", e.port(),
                                      " of service ", e.service())});
    return;
  }
  touched.insert(e.service());
  it->second = movable != nullptr ? std::make_shared<const v1::Endpoint>(std::move(*movable))
                                  : std::make_shared<const v1::Endpoint>(e);
}

// "<prefix>[i]" for element after element of a repeated field, in one buffer: a snapshot has
// thousands of endpoints, nearly all fine, and their paths are needed only for a problem.
class IndexedPath {
 public:
  explicit IndexedPath(absl::string_view field) : text_(absl::StrCat(field, "[")), prefix_(text_.size()) {}
  const std::string& At(int i) {
    text_.resize(prefix_);
    absl::StrAppend(&text_, i, "]");
    return text_;
  }

 private:
  std::string text_;
  const size_t prefix_;
};

// Cross-object checks, then generations: what is unchanged keeps its generation, so its compiled
// tables are reused. `touched` lists the services a delta changed; null for a snapshot, where every
// service is compared with its previous self.
void Finish(const Model& current, const std::set<std::string>* touched, const Builder& b, Candidate& c) {
  // Deleting a cluster can orphan nothing (its endpoints went with it), so only the touched
  // services' endpoints need the cross-checks.
  CheckModel(c.model, c.problems, touched);
  if (!c.problems.empty()) return;
  // The highest fencing tokens (CheckFencing refused lower ones, and the held one for another cluster).
  c.model.fencing = current.fencing;
  for (const auto& [key, entry] : c.model.services) {
    if (touched != nullptr && !touched->contains(key)) continue;
    if (!entry->service.has_writer()) continue;
    HoldFencing(c.model.fencing, key, entry->service.writer());
  }
  c.model.next_generation = current.next_generation;
  if (SameShared(c.model, current)) {
    c.model.shared_generation = current.shared_generation;
  } else {
    c.model.shared_generation = c.model.next_generation++;
    c.changes.push_back("gateway and clusters");
  }
  for (auto& [key, entry] : c.model.services) {
    auto old = current.services.find(key);
    const bool same = old != current.services.end() &&
                      (touched ? !touched->contains(key) : SameEntry(*old->second, *entry));
    if (same) {
      if (entry != old->second) entry = old->second;  // unchanged: share the old entry
      continue;
    }
    if (ServiceEntry* own = b.Owned(key)) {
      own->generation = c.model.next_generation++;  // this push's private copy: no need to copy again
    } else {
      auto renewed = std::make_shared<ServiceEntry>(*entry);
      renewed->generation = c.model.next_generation++;
      entry = std::move(renewed);
    }
    c.changes.push_back(absl::StrCat("service ", key));
  }
  for (const auto& [key, entry] : current.services) {
    if (!c.model.services.contains(key)) c.changes.push_back(absl::StrCat("service ", key, " deleted"));
  }
}

// `movable`: `snapshot` itself when the caller gives it up, else null.
Candidate SnapshotCandidate(const Model& current, const v1::State& snapshot, v1::State* movable) {
  Candidate c;
  Builder b(c.model);
  if (snapshot.has_gateway()) {
    CheckGateway(snapshot.gateway(), "snapshot.gateway", c.problems);
    c.model.has_gateway = true;
    c.model.gateway = snapshot.gateway();
  }
  for (int i = 0; i < snapshot.clusters_size(); ++i) {
    const std::string path = absl::StrCat("snapshot.clusters[", i, "]");
    CheckCluster(snapshot.clusters(i), path, c.problems);
    if (!c.model.clusters.emplace(snapshot.clusters(i).name(), snapshot.clusters(i)).second) {
      c.problems.push_back({path + ".name", absl::StrCat("duplicate cluster \"", snapshot.clusters(i).name(), "\"")});
    }
  }
  for (int i = 0; i < snapshot.services_size(); ++i) {
    const std::string path = absl::StrCat("snapshot.services[", i, "]");
    CheckService(snapshot.services(i), path, c.problems);
    CheckFencing(current, snapshot.services(i), path, c.problems);
    const std::string key = ServiceKey(snapshot.services(i));
    if (c.model.services.contains(key)) {
      c.problems.push_back({path, absl::StrCat("duplicate service \"", key, "\"")});
      continue;
    }
    b.Own(key).service = snapshot.services(i);
  }
  std::set<std::string> touched;
  IndexedPath paths("snapshot.endpoints");
  for (int i = 0; i < snapshot.endpoints_size(); ++i) {
    const std::string& path = paths.At(i);
    CheckEndpoint(snapshot.endpoints(i), path, c.problems);
    c.renewed.insert(snapshot.endpoints(i).cluster());
    PutEndpoint(c.model, b, snapshot.endpoints(i), movable != nullptr ? movable->mutable_endpoints(i) : nullptr, path,
                /*refuse_duplicate=*/true, c.problems, touched);
  }
  Finish(current, nullptr, b, c);
  return c;
}

// `movable`: `delta` itself when the caller gives it up, else null.
Candidate DeltaCandidate(const Model& current, const v1::Delta& delta, v1::Delta* movable) {
  Candidate c;
  c.model = current;  // shares every service entry; Builder copies what changes
  Builder b(c.model);
  std::set<std::string> touched;
  if (delta.has_gateway()) {
    CheckGateway(delta.gateway(), "delta.gateway", c.problems);
    c.model.has_gateway = true;
    c.model.gateway = delta.gateway();
  }
  for (const std::string& name : delta.delete_clusters()) {
    c.model.clusters.erase(name);
    for (const auto& [key, entry] : current.services) {
      const bool has = std::any_of(entry->endpoints.begin(), entry->endpoints.end(),
                                   [&](const auto& kv) { return kv.first.cluster == name; });
      if (!has) continue;
      std::erase_if(b.Own(key).endpoints, [&](const auto& kv) { return kv.first.cluster == name; });
      touched.insert(key);
    }
  }
  for (const std::string& key : delta.delete_services()) {
    c.model.services.erase(key);
    b.Forget(key);
  }
  for (const v1::EndpointRef& ref : delta.delete_endpoints()) {
    c.renewed.insert(ref.cluster());
    auto svc = c.model.services.find(ref.service());
    if (svc == c.model.services.end() || !svc->second->endpoints.contains(IdOf(ref))) continue;
    b.Own(ref.service()).endpoints.erase(IdOf(ref));
    touched.insert(ref.service());
  }
  for (int i = 0; i < delta.upsert_clusters_size(); ++i) {
    CheckCluster(delta.upsert_clusters(i), absl::StrCat("delta.upsert_clusters[", i, "]"), c.problems);
    c.model.clusters[delta.upsert_clusters(i).name()] = delta.upsert_clusters(i);
  }
  for (int i = 0; i < delta.upsert_services_size(); ++i) {
    const v1::Service& s = delta.upsert_services(i);
    CheckService(s, absl::StrCat("delta.upsert_services[", i, "]"), c.problems);
    CheckFencing(current, s, absl::StrCat("delta.upsert_services[", i, "]"), c.problems);
    b.Own(ServiceKey(s)).service = s;  // keeps the service's endpoints
    touched.insert(ServiceKey(s));
  }
  IndexedPath paths("delta.upsert_endpoints");
  for (int i = 0; i < delta.upsert_endpoints_size(); ++i) {
    const std::string& path = paths.At(i);
    CheckEndpoint(delta.upsert_endpoints(i), path, c.problems);
    c.renewed.insert(delta.upsert_endpoints(i).cluster());
    PutEndpoint(c.model, b, delta.upsert_endpoints(i),
                movable != nullptr ? movable->mutable_upsert_endpoints(i) : nullptr, path,
                /*refuse_duplicate=*/false, c.problems, touched);
  }
  CheckRenewals(c.model, delta, c.problems, c.renewed);
  Finish(current, &touched, b, c);
  return c;
}

}  // namespace

Candidate FromSnapshot(const Model& current, const v1::State& snapshot) {
  return SnapshotCandidate(current, snapshot, nullptr);
}

Candidate FromSnapshot(const Model& current, v1::State&& snapshot) {
  return SnapshotCandidate(current, snapshot, &snapshot);
}

Candidate FromDelta(const Model& current, const v1::Delta& delta) { return DeltaCandidate(current, delta, nullptr); }

Candidate FromDelta(const Model& current, v1::Delta&& delta) { return DeltaCandidate(current, delta, &delta); }

void CheckRenewals(const Model& m, const v1::Delta& delta, Problems& problems, std::set<std::string>& renewed) {
  for (int i = 0; i < delta.renew_clusters_size(); ++i) {
    if (!m.clusters.contains(delta.renew_clusters(i))) {
      problems.push_back({absl::StrCat("delta.renew_clusters[", i, "]"),
                          absl::StrCat("unknown cluster \"", delta.renew_clusters(i), "\"")});
    }
    renewed.insert(delta.renew_clusters(i));
  }
}

bool OnlyRenews(const v1::Delta& delta) {
  return !delta.renew_clusters().empty() && !delta.has_gateway() && delta.upsert_clusters().empty() &&
         delta.delete_clusters().empty() && delta.upsert_services().empty() && delta.delete_services().empty() &&
         delta.upsert_endpoints().empty() && delta.delete_endpoints().empty();
}

}  // namespace causeway::state
