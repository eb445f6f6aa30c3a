#include "controlplane/health/target.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace causeway::health {

std::optional<CheckSpec> SpecOf(const v1::HealthCheck& check) {
  CheckSpec s;
  switch (check.kind()) {
    case v1::HealthCheck::TCP:
      s.kind = ProbeKind::kTcp;
      break;
    case v1::HealthCheck::HTTP:
      s.kind = ProbeKind::kHttp;
      break;
    default:
      return std::nullopt;
  }
  if (check.interval_ms() != 0) s.interval_ms = check.interval_ms();
  s.timeout_ms = check.timeout_ms() != 0 ? check.timeout_ms() : std::min(s.timeout_ms, s.interval_ms);
  if (check.rise() != 0) s.rise = check.rise();
  if (check.fall() != 0) s.fall = check.fall();
  if (!check.http_path().empty()) s.http_path = check.http_path();
  s.port = check.port();
  return s;
}

std::string ToString(const TargetKey& key) {
  const state::EndpointId& e = key.endpoint;
  const bool v6 = e.address.find(':') != std::string::npos;
  return absl::StrCat(key.service, " ", e.cluster, "/", v6 ? "[" : "", e.address, v6 ? "]" : "", ":", e.port);
}

std::vector<Target> TargetsOf(const state::Model& m) {
  std::vector<Target> out;
  if (!m.has_gateway) return out;
  const std::string& local = m.gateway.cluster();
  for (const auto& [key, entry] : m.services) {
    const std::optional<CheckSpec> spec = SpecOf(entry->service.health_check());
    if (!spec) continue;
    for (const auto& [id, e] : entry->endpoints) {
      if (id.cluster != local) continue;
      absl::StatusOr<net::IpAddress> address = net::IpAddress::Parse(id.address);
      if (!address.ok()) continue;  // validated: does not happen
      out.push_back({{key, id}, *address, static_cast<uint16_t>(spec->port != 0 ? spec->port : id.port), *spec});
    }
  }
  return out;
}

}  // namespace causeway::health
