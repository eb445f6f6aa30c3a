#include "controlplane/adapters/cilium/cilium_service.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace causeway::cilium {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Bad(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// The field under either spelling (Cilium's Go structs once had no JSON tags, so old writers used
// the Go names).
const Value* Field(const Struct& s, absl::string_view lower, absl::string_view upper) {
  auto it = s.fields().find(std::string(lower));
  if (it != s.fields().end()) return &it->second;
  it = s.fields().find(std::string(upper));
  return it == s.fields().end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> String(const Struct& s, absl::string_view name, bool required) {
  const Value* v = Field(s, name, name);
  if (v == nullptr || v->has_null_value()) {
    if (required) return Bad(name, "missing");
    return std::string();
  }
  if (!v->has_string_value()) return Bad(name, "not a string");
  return v->string_value();
}

absl::StatusOr<bool> Bool(const Struct& s, absl::string_view name, bool absent) {
  const Value* v = Field(s, name, name);
  if (v == nullptr || v->has_null_value()) return absent;
  if (!v->has_bool_value()) return Bad(name, "not true or false");
  return v->bool_value();
}

absl::StatusOr<uint32_t> Number(const Value& v, absl::string_view path, double max) {
  if (!v.has_number_value()) return Bad(path, "not a number");
  const double d = v.number_value();
  if (!(d >= 0 && d <= max) || std::floor(d) != d)
    return Bad(path, absl::StrCat(d, " is out of range 0..", max));
  return static_cast<uint32_t>(d);
}

// {"<address>": {"<port name>": {"Protocol": "TCP", "Port": 80}}}
absl::StatusOr<std::map<std::string, PortMap>> Addresses(const Struct& s, absl::string_view name) {
  std::map<std::string, PortMap> out;
  const Value* v = Field(s, name, name);
  if (v == nullptr || v->has_null_value()) return out;
  if (!v->has_struct_value()) return Bad(name, "not an object");
  for (const auto& [address, ports] : v->struct_value().fields()) {
    const std::string path = absl::StrCat(name, "[\"", address, "\"]");
    PortMap& map = out[address];
    if (ports.has_null_value()) continue;
    if (!ports.has_struct_value()) return Bad(path, "not an object");
    for (const auto& [port_name, spec] : ports.struct_value().fields()) {
      const std::string pp = absl::StrCat(path, "[\"", port_name, "\"]");
      if (!spec.has_struct_value()) return Bad(pp, "not an object");
      const Value* protocol = Field(spec.struct_value(), "protocol", "Protocol");
      const Value* port = Field(spec.struct_value(), "port", "Port");
      if (protocol == nullptr || !protocol->has_string_value()) return Bad(pp, "no protocol");
      if (port == nullptr) return Bad(pp, "no port");
      absl::StatusOr<uint32_t> number = Number(*port, pp + ".port", 65535);
      if (!number.ok()) return number.status();
      if (*number == 0) return Bad(pp + ".port", "port 0");
      map[port_name] = {absl::AsciiStrToUpper(protocol->string_value()), *number};
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<ServiceKey> ParseKey(absl::string_view key) {
  if (!absl::ConsumePrefix(&key, kServicesPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat("key does not start with ", kServicesPrefix));
  }
  std::vector<std::string> parts = absl::StrSplit(key, '/');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return absl::InvalidArgumentError("key is not <prefix><cluster>/<namespace>/<name>");
  }
  return ServiceKey{parts[0], parts[1], parts[2]};
}

absl::StatusOr<CiliumService> ParseValue(absl::string_view json) {
  Struct root;
  google::protobuf::util::JsonParseOptions options;
  if (auto s = google::protobuf::util::JsonStringToMessage(std::string(json), &root, options); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a JSON object: ", std::string(s.message().data(), s.message().size())));
  }
  CiliumService out;
  absl::StatusOr<std::string> cluster = String(root, "cluster", true);
  absl::StatusOr<std::string> ns = String(root, "namespace", true);
  absl::StatusOr<std::string> name = String(root, "name", true);
  for (const auto* s : {&cluster, &ns, &name}) {
    if (!s->ok()) return s->status();
  }
  out.cluster = *cluster;
  out.namespace_ = *ns;
  out.name = *name;
  absl::StatusOr<std::map<std::string, PortMap>> frontends = Addresses(root, "frontends");
  if (!frontends.ok()) return frontends.status();
  out.frontends = *std::move(frontends);
  absl::StatusOr<std::map<std::string, PortMap>> backends = Addresses(root, "backends");
  if (!backends.ok()) return backends.status();
  out.backends = *std::move(backends);
  absl::StatusOr<bool> shared = Bool(root, "shared", true);
  if (!shared.ok()) return shared.status();
  out.shared = *shared;
  absl::StatusOr<bool> external = Bool(root, "includeExternal", false);
  if (!external.ok()) return external.status();
  out.include_external = *external;
  if (const Value* id = Field(root, "clusterID", "clusterID"); id != nullptr && !id->has_null_value()) {
    absl::StatusOr<uint32_t> n = Number(*id, "clusterID", 65535);
    if (!n.ok()) return n.status();
    out.cluster_id = *n;
  }
  if (const Value* zones = Field(root, "zones", "zones"); zones != nullptr && !zones->has_null_value()) {
    if (!zones->has_struct_value()) return Bad("zones", "not an object");
    for (const auto& [address, info] : zones->struct_value().fields()) {
      const std::string path = absl::StrCat("zones[\"", address, "\"]");
      if (!info.has_struct_value()) return Bad(path, "not an object");
      ZoneInfo& z = out.zones[address];
      absl::StatusOr<std::string> zone = String(info.struct_value(), "zone", false);
      if (!zone.ok()) return Bad(path, zone.status().message());
      z.zone = *zone;
      const Value* hints = Field(info.struct_value(), "forZones", "forZones");
      if (hints == nullptr || hints->has_null_value()) continue;
      if (!hints->has_list_value()) return Bad(path + ".forZones", "not a list");
      for (const Value& h : hints->list_value().values()) {
        if (!h.has_struct_value()) return Bad(path + ".forZones", "not a list of objects");
        absl::StatusOr<std::string> hint = String(h.struct_value(), "name", true);
        if (!hint.ok()) return Bad(path + ".forZones", hint.status().message());
        z.for_zones.push_back(*hint);
      }
    }
  }
  return out;
}

}  // namespace causeway::cilium
