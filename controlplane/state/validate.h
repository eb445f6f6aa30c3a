// Validation with field paths: every problem in a push is reported at once, and a push with any
// problem changes nothing.
#ifndef CAUSEWAY_CONTROLPLANE_STATE_VALIDATE_H_
#define CAUSEWAY_CONTROLPLANE_STATE_VALIDATE_H_

#include <set>
#include <string>
#include <vector>

#include "causeway/v1/config.pb.h"
#include "controlplane/state/model.h"

namespace causeway::state {

struct Problem {
  std::string field;    // e.g. "delta.upsert_endpoints[3].port"
  std::string message;  // e.g. "port 0 is out of range 1..65535"
};
using Problems = std::vector<Problem>;

// Limits beyond which a push is refused rather than slowly accepted.
inline constexpr size_t kMaxEndpointsPerService = 65535;  // a Maglev slot holds 16 bits
inline constexpr size_t kMaxServices = 100000;
inline constexpr size_t kMaxClusters = 4096;
inline constexpr uint32_t kMaxWeight = 1000000;
inline constexpr uint32_t kMaxLeaseMs = 3600000;  // lease TTL and hold-down: an hour

// Checks of one object on its own; `path` names it in the push.
void CheckCluster(const v1::Cluster& c, const std::string& path, Problems& out);
void CheckService(const v1::Service& s, const std::string& path, Problems& out);
void CheckEndpoint(const v1::Endpoint& e, const std::string& path, Problems& out);
void CheckGateway(const v1::Gateway& g, const std::string& path, Problems& out);

// Single writer: a push of `s` naming a writer with a lower fencing token than the highest
// `current` holds for the service (Model::fencing: also after the writer was cleared or the service
// deleted) is refused, and so is the held token for another cluster (two holders of
// one lease). Equal for the same cluster (a retry) and higher are accepted. `path` names the service.
void CheckFencing(const Model& current, const v1::Service& s, const std::string& path, Problems& out);

// Checks across objects of a whole model: references (endpoints of unknown clusters or services,
// the gateway's cluster), uniqueness (cluster ids, VIP:port:protocol claimed by two services) and
// limits. Paths name objects by key, e.g. services["default/web"].frontends[0].
// `touched`: when given, the only services whose endpoints may have changed (the rest were checked
// when they were accepted), so a one-endpoint delta does not re-check every endpoint of the state.
void CheckModel(const Model& m, Problems& out, const std::set<std::string>* touched = nullptr);

}  // namespace causeway::state

#endif  // CAUSEWAY_CONTROLPLANE_STATE_VALIDATE_H_
