#include "controlplane/adapters/mcs/manifests.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/adapters/common/port_split.h"
#include "controlplane/adapters/mcs/yaml_reader.h"
#include "controlplane/config/yaml_to_json.h"

namespace causeway::mcs {
namespace {

struct ImportPort {
  std::string name;
  v1::Protocol protocol = v1::TCP;
  uint32_t port = 0;
};

// What a ServiceImport says about its ports: EndpointSlices of the same file are matched to it.
struct Import {
  std::vector<ImportPort> ports;
};

bool IsObject(const YAML::Node& doc) {
  return doc.IsMap() && Reader::Present(Reader::Child(doc, "apiVersion")) &&
         Reader::Present(Reader::Child(doc, "kind"));
}

std::optional<v1::Protocol> Protocol(Reader& r, const YAML::Node& map, const std::string& path) {
  std::optional<std::string> p = r.String(map, "protocol", path, "TCP");
  if (!p.has_value()) return std::nullopt;
  if (*p == "TCP") return v1::TCP;
  if (*p == "UDP") return v1::UDP;
  r.Note(map,
         absl::StrCat(path, ": protocol ", *p, " is not one causeway forwards (TCP, UDP): port skipped"));
  return std::nullopt;
}

class Converter {
 public:
  explicit Converter(absl::string_view source) : source_(source), r_(source) {}

  absl::StatusOr<Conversion> Run(absl::string_view text) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(std::string(text));
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
    }
    // Imports first: a slice may come before its import in the file.
    for (size_t i = 0; i < docs.size(); ++i) {
      if (IsObject(docs[i]) && Kind(docs[i]) == "ServiceImport") ServiceImport(docs[i], Path(i));
    }
    int exports = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
      const YAML::Node& doc = docs[i];
      if (!Reader::Present(doc)) continue;  // an empty document
      if (!IsObject(doc)) {
        StateDocument(doc, Path(i));
        continue;
      }
      const std::string kind = Kind(doc);
      const std::string api = r_.String(doc, "apiVersion", Path(i) + ".apiVersion", "").value_or("");
      if (kind == "ServiceImport" || kind == "ServiceExport") {
        if (!absl::StartsWith(api, "multicluster.x-k8s.io/")) {
          r_.Problem(doc, Path(i) + ".apiVersion",
                     absl::StrCat(kind, " of apiVersion ", api, ": expected multicluster.x-k8s.io/*"));
        }
        exports += kind == "ServiceExport";
      } else if (kind == "EndpointSlice") {
        if (api != "discovery.k8s.io/v1") {
          r_.Problem(doc, Path(i) + ".apiVersion",
                     absl::StrCat("EndpointSlice of apiVersion ", api, ": expected discovery.k8s.io/v1"));
        } else {
          EndpointSlice(doc, Path(i));
        }
      } else {
        r_.Note(doc, absl::StrCat(kind, " (", api, ") is not a kind causeway reads: skipped"));
      }
    }
    if (exports > 0) {
      r_.notes().push_back(absl::StrCat(source_, ": ", exports,
                                        " ServiceExport(s): nothing to change in causeway ",
                                        "(exporting is the source cluster's business; the EndpointSlices it ",
                                        "exports carry the endpoints)"));
    }
    if (hints_ignored_) {
      r_.notes().push_back(absl::StrCat(source_, ": hints.forZones ignored: causeway has no field for them ",
                                        "(trafficDistribution PreferSameZone uses the endpoints' zones)"));
    }
    if (!r_.problems().empty()) return absl::InvalidArgumentError(absl::StrJoin(r_.problems(), "\n"));
    out_.notes = std::move(r_.notes());
    return std::move(out_);
  }

 private:
  static std::string Path(size_t i) { return absl::StrCat("documents[", i, "]"); }

  std::string Kind(const YAML::Node& doc) {
    const YAML::Node kind = Reader::Child(doc, "kind");
    return kind.IsScalar() ? kind.Scalar() : "";
  }

  // metadata.namespace (default "default") and metadata.name.
  std::optional<std::pair<std::string, std::string>> Meta(const YAML::Node& doc, const std::string& path) {
    const YAML::Node meta = Reader::Child(doc, "metadata");
    if (!meta.IsMap()) {
      r_.Problem(doc, path + ".metadata", "missing");
      return std::nullopt;
    }
    std::optional<std::string> ns = r_.String(meta, "namespace", path + ".metadata.namespace", "default");
    std::optional<std::string> name = r_.String(meta, "name", path + ".metadata.name");
    if (!ns || !name) return std::nullopt;
    return std::make_pair(*ns, *name);
  }

  // A causeway State document among the manifests: checked against the schema like a config file.
  void StateDocument(const YAML::Node& doc, const std::string& path) {
    absl::StatusOr<std::string> json = config::YamlToJson(doc, *v1::State::descriptor(), source_);
    if (!json.ok()) {
      r_.Problem(doc, path, json.status().message());
      return;
    }
    v1::State state;
    if (!google::protobuf::util::JsonStringToMessage(*json, &state).ok()) {
      r_.Problem(doc, path, "not a causeway State document");
      return;
    }
    out_.state.MergeFrom(state);
  }

  void ServiceImport(const YAML::Node& doc, const std::string& path) {
    std::optional<std::pair<std::string, std::string>> meta = Meta(doc, path);
    // v1alpha1 keeps the fields under spec; later drafts move them to the object itself.
    YAML::Node spec = Reader::Child(doc, "spec");
    std::string sp = path + ".spec";
    if (!spec.IsMap()) {
      spec = doc;
      sp = path;
    }
    const std::string type = r_.String(spec, "type", sp + ".type", "ClusterSetIP").value_or("");
    const std::string affinity =
        r_.String(spec, "sessionAffinity", sp + ".sessionAffinity", "None").value_or("");
    if (type != "ClusterSetIP" && type != "Headless") {
      r_.Problem(Reader::Child(spec, "type"), sp + ".type",
                 absl::StrCat("\"", type, "\": ClusterSetIP or Headless"));
    }
    if (affinity != "None" && affinity != "ClientIP") {
      r_.Problem(Reader::Child(spec, "sessionAffinity"), sp + ".sessionAffinity",
                 absl::StrCat("\"", affinity, "\": None or ClientIP"));
    }
    Import import;
    std::set<std::string> names;
    const std::vector<YAML::Node> ports = r_.Items(spec, "ports", sp + ".ports");
    for (size_t i = 0; i < ports.size(); ++i) {
      const std::string pp = absl::StrCat(sp, ".ports[", i, "]");
      std::optional<std::string> name = r_.String(ports[i], "name", pp + ".name", "");
      std::optional<uint32_t> port = r_.Port(ports[i], "port", pp + ".port");
      std::optional<v1::Protocol> protocol = Protocol(r_, ports[i], pp + ".protocol");
      if (name.has_value() && !names.insert(*name).second) {
        r_.Problem(ports[i], pp + ".name", absl::StrCat("duplicate port name \"", *name, "\""));
      }
      if (name && port && protocol) import.ports.push_back({*name, *protocol, *port});
    }
    std::vector<std::string> ips;
    for (const YAML::Node& ip : r_.Items(spec, "ips", sp + ".ips")) {
      if (ip.IsScalar()) ips.push_back(ip.Scalar());
    }
    if (!meta) return;
    const std::string key = absl::StrCat(meta->first, "/", meta->second);
    imports_[key] = import;
    if (type == "Headless") {
      r_.Note(doc, absl::StrCat("ServiceImport ", key, " is Headless: no VIP, nothing to balance: skipped"));
      return;
    }
    if (ips.empty()) {
      r_.Note(doc, absl::StrCat("ServiceImport ", key, " has no ips (cluster-set VIP) yet: skipped"));
      return;
    }
    if (affinity == "ClientIP") {
      r_.Note(doc, absl::StrCat(
                       "ServiceImport ", key, ": sessionAffinity ClientIP is not kept: causeway ",
                       "hashes each flow's 5-tuple, so one client's flows may go to different endpoints"));
    }
    for (const ImportPort& p : import.ports) {
      absl::StatusOr<std::string> name =
          adapters::ServiceNameForPort(meta->second, p.name, import.ports.size());
      if (!name.ok()) {
        r_.Problem(doc, path, name.status().message());
        continue;
      }
      v1::Service& s = *out_.state.add_services();
      s.set_namespace_(meta->first);
      s.set_name(*name);
      for (const std::string& ip : ips) {
        v1::Frontend& f = *s.add_frontends();
        f.set_vip(ip);
        f.set_port(p.port);
        f.set_protocol(p.protocol);
      }
    }
  }

  void EndpointSlice(const YAML::Node& doc, const std::string& path) {
    std::optional<std::pair<std::string, std::string>> meta = Meta(doc, path);
    const YAML::Node meta_node = Reader::Child(doc, "metadata");
    const YAML::Node labels = Reader::Child(meta_node, "labels");
    const std::string lp = path + ".metadata.labels";
    std::optional<std::string> service =
        r_.String(labels, kServiceNameLabel, absl::StrCat(lp, "[", kServiceNameLabel, "]"), "");
    if (service.has_value() && service->empty()) {
      service =
          r_.String(labels, "kubernetes.io/service-name", absl::StrCat(lp, "[", kServiceNameLabel, "]"));
    }
    std::optional<std::string> cluster =
        r_.String(labels, kSourceClusterLabel, absl::StrCat(lp, "[", kSourceClusterLabel, "]"));
    const std::string type = r_.String(doc, "addressType", path + ".addressType", "IPv4").value_or("");
    if (type == "FQDN") {
      r_.Note(doc, absl::StrCat("EndpointSlice ", meta ? meta->second : "", " has FQDN addresses: skipped"));
      return;
    }
    // Without these the slice's endpoints are not made, but the rest is still checked, so that one
    // run reports every problem.
    const bool usable = meta && service && cluster;
    if (!usable) {
      meta = {"", ""};
      service = cluster = "";
    }
    if (type != "IPv4" && type != "IPv6") {
      r_.Problem(Reader::Child(doc, "addressType"), path + ".addressType",
                 absl::StrCat("\"", type, "\": IPv4, IPv6 or FQDN"));
      return;
    }
    const std::string key = absl::StrCat(meta->first, "/", *service);
    const Import* import = imports_.contains(key) ? &imports_.at(key) : nullptr;
    struct SlicePort {
      std::string service_key;
      uint32_t port;
    };
    std::vector<SlicePort> slice_ports;
    const std::vector<YAML::Node> ports = r_.Items(doc, "ports", path + ".ports");
    for (size_t i = 0; i < ports.size(); ++i) {
      const std::string pp = absl::StrCat(path, ".ports[", i, "]");
      std::optional<std::string> name = r_.String(ports[i], "name", pp + ".name", "");
      if (!Reader::Present(Reader::Child(ports[i], "port"))) {
        r_.Note(ports[i], absl::StrCat(pp, ": no port (every port): causeway endpoints need one: skipped"));
        continue;
      }
      std::optional<uint32_t> port = r_.Port(ports[i], "port", pp + ".port");
      std::optional<v1::Protocol> protocol = Protocol(r_, ports[i], pp + ".protocol");
      if (!usable || !name || !port || !protocol) continue;
      size_t port_names = ports.size();
      if (import != nullptr) {
        auto it = std::find_if(import->ports.begin(), import->ports.end(), [&](const ImportPort& p) {
          return p.name == *name && p.protocol == *protocol;
        });
        if (it == import->ports.end()) {
          r_.Note(ports[i],
                  absl::StrCat(pp, ": ServiceImport ", key, " has no ", v1::Protocol_Name(*protocol),
                               " port named \"", *name, "\": skipped"));
          continue;
        }
        port_names = import->ports.size();
      }
      absl::StatusOr<std::string> svc_name = adapters::ServiceNameForPort(*service, *name, port_names);
      if (!svc_name.ok()) {
        r_.Problem(ports[i], pp, svc_name.status().message());
        continue;
      }
      slice_ports.push_back({absl::StrCat(meta->first, "/", *svc_name), *port});
    }
    const std::vector<YAML::Node> endpoints = r_.Items(doc, "endpoints", path + ".endpoints");
    for (size_t i = 0; i < endpoints.size(); ++i) {
      const YAML::Node& ep = endpoints[i];
      const std::string ep_path = absl::StrCat(path, ".endpoints[", i, "]");
      const std::vector<YAML::Node> addresses = r_.Items(ep, "addresses", ep_path + ".addresses");
      if (addresses.empty() || !addresses[0].IsScalar()) {
        r_.Problem(ep, ep_path + ".addresses", "needs at least one address");
        continue;
      }
      const YAML::Node conditions = Reader::Child(ep, "conditions");
      const std::string cp = ep_path + ".conditions";
      const std::optional<bool> ready = r_.Bool(conditions, "ready", cp + ".ready");
      const std::optional<bool> serving = r_.Bool(conditions, "serving", cp + ".serving");
      const std::optional<bool> terminating = r_.Bool(conditions, "terminating", cp + ".terminating");
      const std::string zone = r_.String(ep, "zone", ep_path + ".zone", "").value_or("");
      if (Reader::Present(Reader::Child(Reader::Child(ep, "hints"), "forZones"))) hints_ignored_ = true;
      if (!usable) continue;
      for (const SlicePort& p : slice_ports) {
        v1::Endpoint& e = *out_.state.add_endpoints();
        e.set_service(p.service_key);
        e.set_cluster(*cluster);
        e.set_address(addresses[0].Scalar());
        e.set_port(p.port);
        e.set_zone(zone);
        if (ready) e.mutable_conditions()->set_ready(*ready);
        if (serving) e.mutable_conditions()->set_serving(*serving);
        if (terminating) e.mutable_conditions()->set_terminating(*terminating);
      }
    }
  }

  std::string source_;
  Reader r_;
  Conversion out_;
  std::map<std::string, Import> imports_;
  bool hints_ignored_ = false;
};

}  // namespace

bool HasKubernetesObjects(absl::string_view text) {
  try {
    for (const YAML::Node& doc : YAML::LoadAll(std::string(text))) {
      if (IsObject(doc)) return true;
    }
  } catch (const YAML::Exception&) {
  }
  return false;
}

absl::StatusOr<Conversion> ConvertManifests(absl::string_view text, absl::string_view source) {
  return Converter(source).Run(text);
}

}  // namespace causeway::mcs
