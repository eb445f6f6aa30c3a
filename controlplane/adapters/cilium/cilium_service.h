// One value of Cilium's clustermesh kvstore: a cluster's copy of a global service, as Cilium's agents
// write it under cilium/state/services/v1/<cluster>/<namespace>/<name>. Reading is lenient where
// Cilium's writers differ (Protocol/protocol, Port/port; no `shared` before it existed) and strict
// about what the mapping needs.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_CILIUM_SERVICE_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_CILIUM_SERVICE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace causeway::cilium {

inline constexpr char kServicesPrefix[] = "cilium/state/services/v1/";

struct PortSpec {
  std::string protocol;  // upper case as written: "TCP", "UDP", "SCTP", "ANY"
  uint32_t port = 0;
};

// Port name ("" when unnamed) → port.
using PortMap = std::map<std::string, PortSpec>;

struct ZoneInfo {
  std::string zone;
  std::vector<std::string> for_zones;  // topology hints; causeway has no field for them yet
};

struct CiliumService {
  std::string cluster;
  std::string namespace_;
  std::string name;
  // Address → ports. Frontends are the service's addresses in its cluster (ClusterIP and others),
  // backends the pods behind it.
  std::map<std::string, PortMap> frontends;
  std::map<std::string, PortMap> backends;
  std::map<std::string, ZoneInfo> zones;  // by backend address
  // Whether the cluster exports its backends; values written before the field existed were always
  // exported, so absent means true.
  bool shared = true;
  bool include_external = false;
  uint32_t cluster_id = 0;
};

// The key's parts after the prefix.
struct ServiceKey {
  std::string cluster;
  std::string namespace_;
  std::string name;
};
absl::StatusOr<ServiceKey> ParseKey(absl::string_view key);

// Parses one value. Unknown fields (labels, selector, ...) are ignored; a value that is not a JSON
// object, lacks cluster/namespace/name, or has a port that is not a number in 1..65535 is refused,
// with a message saying where.
absl::StatusOr<CiliumService> ParseValue(absl::string_view json);

}  // namespace causeway::cilium

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_CILIUM_SERVICE_H_
