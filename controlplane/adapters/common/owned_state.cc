#include "controlplane/adapters/common/owned_state.h"

#include <google/protobuf/message.h>

namespace causeway::adapters {
namespace {

// These messages have no map fields, so equal messages serialize to equal bytes.
bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

template <typename Map>
bool SameMaps(const Map& a, const Map& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || !Same(ia->second, ib->second)) return false;
  }
  return true;
}

const std::map<EndpointId, v1::Endpoint>& EndpointsOf(const OwnedState& s, const std::string& key) {
  static const std::map<EndpointId, v1::Endpoint> kNone;
  auto it = s.endpoints.find(key);
  return it == s.endpoints.end() ? kNone : it->second;
}

}  // namespace

OwnedState OwnedState::From(const v1::State& state) {
  OwnedState out;
  for (const v1::Cluster& c : state.clusters()) out.clusters[c.name()] = c;
  for (const v1::Service& s : state.services()) out.services[s.namespace_() + "/" + s.name()] = s;
  for (const v1::Endpoint& e : state.endpoints()) {
    out.endpoints[e.service()][{e.cluster(), e.address(), e.port()}] = e;
  }
  return out;
}

v1::State OwnedState::ToState() const {
  v1::State out;
  for (const auto& [name, c] : clusters) *out.add_clusters() = c;
  for (const auto& [key, s] : services) *out.add_services() = s;
  for (const auto& [key, eps] : endpoints) {
    for (const auto& [id, e] : eps) *out.add_endpoints() = e;
  }
  return out;
}

bool OwnedState::operator==(const OwnedState& other) const {
  if (!SameMaps(clusters, other.clusters) || !SameMaps(services, other.services) ||
      endpoints.size() != other.endpoints.size()) {
    return false;
  }
  for (auto a = endpoints.begin(), b = other.endpoints.begin(); a != endpoints.end(); ++a, ++b) {
    if (a->first != b->first || !SameMaps(a->second, b->second)) return false;
  }
  return true;
}

void OwnedState::TakeClusters(const OwnedState& other) {
  for (const auto& [name, c] : other.clusters) clusters[name] = c;
}

void OwnedState::TakeService(const std::string& key, const OwnedState& other) {
  if (auto s = other.services.find(key); s != other.services.end()) {
    services[key] = s->second;
  } else {
    services.erase(key);
  }
  if (auto e = other.endpoints.find(key); e != other.endpoints.end()) {
    endpoints[key] = e->second;
  } else {
    endpoints.erase(key);
  }
}

std::vector<DeltaPart> Diff(const OwnedState& from, const OwnedState& to) {
  std::vector<DeltaPart> parts;
  DeltaPart clusters;
  for (const auto& [name, c] : to.clusters) {
    auto old = from.clusters.find(name);
    if (old == from.clusters.end() || !Same(old->second, c)) *clusters.delta.add_upsert_clusters() = c;
  }
  if (clusters.delta.upsert_clusters_size() > 0) parts.push_back(std::move(clusters));

  std::map<std::string, bool> keys;  // every service either side names, in order
  for (const auto& [key, s] : from.services) keys[key] = true;
  for (const auto& [key, s] : to.services) keys[key] = true;
  for (const auto& [key, e] : from.endpoints) keys[key] = true;
  for (const auto& [key, e] : to.endpoints) keys[key] = true;
  for (const auto& [key, unused] : keys) {
    DeltaPart part;
    part.service_key = key;
    v1::Delta& d = part.delta;
    auto was = from.services.find(key);
    auto is = to.services.find(key);
    if (is == to.services.end()) {
      // Its endpoints go with it.
      if (was != from.services.end()) d.add_delete_services(key);
    } else {
      if (was == from.services.end() || !Same(was->second, is->second)) *d.add_upsert_services() = is->second;
      const auto& old_eps = EndpointsOf(from, key);
      const auto& new_eps = EndpointsOf(to, key);
      for (const auto& [id, e] : old_eps) {
        if (new_eps.contains(id)) continue;
        v1::EndpointRef& ref = *d.add_delete_endpoints();
        ref.set_service(key);
        ref.set_cluster(std::get<0>(id));
        ref.set_address(std::get<1>(id));
        ref.set_port(std::get<2>(id));
      }
      for (const auto& [id, e] : new_eps) {
        auto old = old_eps.find(id);
        if (old == old_eps.end() || !Same(old->second, e)) *d.add_upsert_endpoints() = e;
      }
    }
    if (d.ByteSizeLong() > 0) parts.push_back(std::move(part));
  }
  return parts;
}

v1::Delta Merge(const std::vector<DeltaPart>& parts) {
  v1::Delta out;
  for (const DeltaPart& p : parts) out.MergeFrom(p.delta);
  return out;
}

std::vector<std::vector<DeltaPart>> Batch(const std::vector<DeltaPart>& parts, size_t max_bytes) {
  std::vector<std::vector<DeltaPart>> out;
  size_t bytes = 0;
  for (const DeltaPart& p : parts) {
    const size_t size = p.delta.ByteSizeLong();
    if (out.empty() || (bytes + size > max_bytes && !out.back().empty())) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(p);
    bytes += size;
  }
  return out;
}

}  // namespace causeway::adapters
