// What the health checker probes: each local endpoint (in the gateway's own cluster) of each service
// with a health check, and how. Remote endpoints are never probed: their health is what their
// cluster's gateway or feed pushes.
#ifndef CAUSEWAY_CONTROLPLANE_HEALTH_TARGET_H_
#define CAUSEWAY_CONTROLPLANE_HEALTH_TARGET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "causeway/v1/config.pb.h"
#include "controlplane/net/ip_address.h"
#include "controlplane/state/model.h"

namespace causeway::health {

enum class ProbeKind { kTcp, kHttp };

// A service's HealthCheck with its defaults applied (see config.proto).
struct CheckSpec {
  ProbeKind kind = ProbeKind::kTcp;
  uint32_t interval_ms = 1000;
  uint32_t timeout_ms = 500;
  uint32_t rise = 2;
  uint32_t fall = 2;
  std::string http_path = "/";
  uint32_t port = 0;  // 0: the endpoint's port
  friend bool operator==(const CheckSpec&, const CheckSpec&) = default;
};

// The spec of a validated HealthCheck; nullopt when it checks nothing (kind NONE or unset).
std::optional<CheckSpec> SpecOf(const v1::HealthCheck& check);

// An endpoint of a service: what verdicts are about.
struct TargetKey {
  std::string service;  // "namespace/name"
  state::EndpointId endpoint;
  friend auto operator<=>(const TargetKey&, const TargetKey&) = default;
};
// "default/web cluster-a/10.0.0.1:8080"
std::string ToString(const TargetKey& key);

struct Target {
  TargetKey key;
  net::IpAddress address;
  uint16_t port = 0;  // the port probed
  CheckSpec spec;
};

// Every endpoint of the model to probe, in the model's order.
std::vector<Target> TargetsOf(const state::Model& m);

}  // namespace causeway::health

#endif  // CAUSEWAY_CONTROLPLANE_HEALTH_TARGET_H_
