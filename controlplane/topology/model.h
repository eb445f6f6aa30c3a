// What the weighting needs to know: where the gateway stands, what a service asked for, and the state
// of each endpoint. Plain values; the control plane fills them from its validated state.
#ifndef CAUSEWAY_CONTROLPLANE_TOPOLOGY_MODEL_H_
#define CAUSEWAY_CONTROLPLANE_TOPOLOGY_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/net/ip_address.h"

namespace causeway::topology {

// The gateway's viewpoint. A gateway serves clients from several zones; a client source that no
// prefix covers is taken to be in the gateway's own zone.
struct ClientZonePrefix {
  net::IpPrefix prefix;
  std::string zone;
};

struct GatewayView {
  std::string cluster;
  std::string region;
  std::string zone;
  std::vector<ClientZonePrefix> client_zones;
};

// Which endpoints a service may use, from the gateway's cluster's point of view (Cilium's global
// services).
enum class Scope {
  kGlobal,      // local and remote endpoints; local ones exported (service.cilium.io/global)
  kLocalOnly,   // local endpoints only
  kImportOnly,  // local and remote endpoints, local ones not exported (service.cilium.io/shared=false)
};

enum class Affinity {
  kNone,    // local and remote endpoints together
  kLocal,   // prefer local endpoints; remote ones take what local ones cannot (spill-over)
  kRemote,  // the mirror image
};

enum class TrafficDistribution {
  kDefault,         // no zone preference
  kPreferSameZone,  // Kubernetes trafficDistribution: PreferSameZone (alias PreferClose)
};

struct ServicePolicy {
  std::string name;  // namespace/name
  Scope scope = Scope::kGlobal;
  Affinity affinity = Affinity::kNone;
  TrafficDistribution distribution = TrafficDistribution::kDefault;
  // Envoy's overprovisioning factor: a tier keeps all its traffic while healthy/total × factor ≥ 1.
  double spillover_factor = 1.4;
  // Below this healthy share of all eligible endpoints, health is ignored inside the tiers that get
  // traffic (panic). 0 turns panic off.
  double panic_threshold = 0.5;
  // 0: automatic (maglev::AutomaticTableSize); otherwise a prime.
  uint32_t table_size = 0;
};

// What the endpoint's feed (or its cluster's gateway) says, or what causeway's own health checks
// found: kCheckFailing weighs exactly as kUnhealthy, and explain says why.
enum class Health { kHealthy, kUnhealthy, kCheckFailing };

struct EndpointState {
  std::string cluster;
  std::string region;
  std::string zone;
  net::IpAddress address;
  uint16_t port = 0;
  uint32_t weight = 1;
  // EndpointSlice conditions.
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  Health health = Health::kHealthy;
  // False when the endpoint's cluster does not export the service (its copy is local-only or
  // shared=false): then only that cluster's own gateway may use it.
  bool exported = true;
};

}  // namespace causeway::topology

#endif  // CAUSEWAY_CONTROLPLANE_TOPOLOGY_MODEL_H_
