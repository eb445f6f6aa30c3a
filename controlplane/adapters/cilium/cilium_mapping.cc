#include "controlplane/adapters/cilium/cilium_mapping.h"

#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controlplane/adapters/common/port_split.h"

namespace causeway::cilium {
namespace {

std::optional<v1::Protocol> ProtocolOf(const std::string& name) {
  if (name == "TCP") return v1::TCP;
  if (name == "UDP") return v1::UDP;
  return std::nullopt;
}

struct Copies {
  const CiliumService* local = nullptr;
  std::vector<const CiliumService*> all;  // in cluster order (the view's key order)
};

// The clusters of the view, and which copies may be used: a copy whose cluster id is missing or
// disagrees with another claim is dropped.
std::map<std::string, Copies> Group(const View& view, const std::string& local_cluster, Mapped& out) {
  std::map<std::string, uint32_t> id_of;
  std::map<uint32_t, std::string> name_of;
  std::map<std::string, Copies> groups;
  for (const auto& [key, svc] : view) {
    if (svc.cluster_id == 0) {
      out.notes.push_back(absl::StrCat(key, ": no clusterID (1..65535): skipped"));
      continue;
    }
    auto [id, new_name] = id_of.emplace(svc.cluster, svc.cluster_id);
    auto [name, new_id] = name_of.emplace(svc.cluster_id, svc.cluster);
    if (id->second != svc.cluster_id || name->second != svc.cluster) {
      out.notes.push_back(absl::StrCat(key, ": cluster ", svc.cluster, " id ", svc.cluster_id,
                                       " conflicts with cluster ", name->second, " id ", id->second,
                                       ": skipped"));
      continue;
    }
    if (new_name) {
      v1::Cluster& c = *out.state.add_clusters();
      c.set_name(svc.cluster);
      c.set_id(svc.cluster_id);
    }
    Copies& g = groups[absl::StrCat(svc.namespace_, "/", svc.name)];
    g.all.push_back(&svc);
    if (svc.cluster == local_cluster) g.local = &svc;
  }
  return groups;
}

void MapPort(const Copies& copies, const std::string& port_name, const std::string& service_name,
             v1::Protocol protocol, Mapped& out) {
  const CiliumService& local = *copies.local;
  v1::Service& s = *out.state.add_services();
  s.set_namespace_(local.namespace_);
  s.set_name(service_name);
  if (!local.shared) s.set_scope(v1::IMPORT_ONLY);
  for (const auto& [vip, ports] : local.frontends) {
    auto p = ports.find(port_name);
    if (p == ports.end() || ProtocolOf(p->second.protocol) != protocol) continue;
    v1::Frontend& f = *s.add_frontends();
    f.set_vip(vip);
    f.set_port(p->second.port);
    f.set_protocol(protocol);
  }
  const std::string key = absl::StrCat(local.namespace_, "/", service_name);
  for (const CiliumService* copy : copies.all) {
    for (const auto& [address, ports] : copy->backends) {
      auto p = ports.find(port_name);
      if (p == ports.end()) continue;
      if (ProtocolOf(p->second.protocol) != protocol) {
        out.notes.push_back(absl::StrCat(copy->cluster, "/", key, ": backend ", address, " port \"",
                                         port_name, "\" is ", p->second.protocol, ", the frontend ",
                                         v1::Protocol_Name(protocol), ": skipped"));
        continue;
      }
      v1::Endpoint& e = *out.state.add_endpoints();
      e.set_service(key);
      e.set_cluster(copy->cluster);
      e.set_address(address);
      e.set_port(p->second.port);
      if (auto z = copy->zones.find(address); z != copy->zones.end()) e.set_zone(z->second.zone);
      if (!copy->shared) e.set_exported(false);
    }
  }
}

}  // namespace

Mapped MapView(const View& view, const std::string& local_cluster) {
  Mapped out;
  for (const auto& [key, copies] : Group(view, local_cluster, out)) {
    if (copies.local == nullptr) {
      out.notes.push_back(
          absl::StrCat(key, ": no copy from the local cluster ", local_cluster, ", so no VIP: skipped"));
      continue;
    }
    // The local copy's port names and their protocols, from its frontends.
    std::map<std::string, std::set<std::string>> protocols;
    for (const auto& [vip, ports] : copies.local->frontends) {
      for (const auto& [name, spec] : ports) protocols[name].insert(spec.protocol);
    }
    if (protocols.empty()) {
      out.notes.push_back(absl::StrCat(key, ": the local copy has no frontends: skipped"));
      continue;
    }
    for (const auto& [port_name, names] : protocols) {
      absl::StatusOr<std::string> service_name =
          adapters::ServiceNameForPort(copies.local->name, port_name, protocols.size());
      std::optional<v1::Protocol> protocol = ProtocolOf(*names.begin());
      if (!service_name.ok() || names.size() != 1 || !protocol.has_value()) {
        out.notes.push_back(absl::StrCat(
            key, " port \"", port_name, "\": ",
            !service_name.ok()
                ? std::string(service_name.status().message())
                : absl::StrCat("protocol ", *names.begin(), names.size() > 1 ? " and others" : "",
                               ": only one of TCP or UDP per port name")));
        continue;
      }
      MapPort(copies, port_name, *service_name, *protocol, out);
    }
  }
  return out;
}

}  // namespace causeway::cilium
