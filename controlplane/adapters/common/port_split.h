// A causeway endpoint has one port, which every frontend of its service forwards to. A Kubernetes
// service with several ports (http 80 → 8080, grpc 9090 → 9090) therefore becomes one causeway
// service per port name, so that a flow's backend port follows from the service it hit.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_PORT_SPLIT_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_PORT_SPLIT_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace causeway::adapters {

// The causeway service name for port `port_name` of service `name`, which has `port_names` ports:
// `name` itself for a single-port service and for the unnamed port (""), else "<name>-<port name>".
// Fails when the result is not a valid name (at most 63 lower-case letters, digits and '-').
absl::StatusOr<std::string> ServiceNameForPort(absl::string_view name, absl::string_view port_name,
                                               size_t port_names);

}  // namespace causeway::adapters

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_PORT_SPLIT_H_
