// State → weighting → Maglev tables → an immutable CompiledSnapshot for the dataplane.
// A change to one service recompiles that service only: compiled services are cached by their
// generation (state/model.h) and reused while neither it nor the shared generation moved.
#ifndef CAUSEWAY_CONTROLPLANE_COMPILE_COMPILER_H_
#define CAUSEWAY_CONTROLPLANE_COMPILE_COMPILER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controlplane/maglev/maglev_table.h"
#include "controlplane/snapshot/compiled_snapshot.h"
#include "controlplane/state/model.h"
#include "controlplane/topology/service_tables.h"

namespace causeway::compile {

// The verdicts of causeway's own health checks (health/), kept beside the pushed state: an endpoint
// listed here compiles as unhealthy whatever its pushed health, and the model (what is persisted and
// what pushes change) is left as it was pushed.
struct HealthOverlay {
  struct Service {
    // Changes whenever `failing` does (never 0): the compiler recompiles the service then.
    uint64_t generation = 0;
    // The endpoints found down, with the last failure ("connect: Connection refused").
    std::map<state::EndpointId, std::string> failing;
  };
  std::map<std::string, Service> services;  // by "namespace/name"; services with no failing endpoint absent

  // The failing endpoints of `service`, or null.
  const std::map<state::EndpointId, std::string>* FailingOf(const std::string& service) const;
};

// The topology inputs of one service, as the model defines them (defaults applied).
struct ServiceInputs {
  topology::GatewayView gateway;
  topology::ServicePolicy policy;
  std::vector<topology::EndpointState> endpoints;
  std::vector<const v1::Endpoint*> sources;  // the model's endpoint behind each entry of `endpoints`
};
// `failing`: the service's endpoints that our health checks find down (HealthOverlay), or null.
ServiceInputs InputsOf(const state::Model& m, const state::ServiceEntry& entry,
                       const std::map<state::EndpointId, std::string>* failing = nullptr);

class Compiler {
 public:
  struct Result {
    std::shared_ptr<const snapshot::CompiledSnapshot> snapshot;
    size_t recompiled = 0;  // services compiled afresh (the rest came from the cache)
  };

  // Errors only for what validation cannot see (none expected); nothing is published then.
  absl::StatusOr<Result> Compile(const state::Model& m, uint64_t version, const HealthOverlay& overlay = {});

  // The tables and views of a service in the last compiled snapshot (for Explain and listings).
  std::shared_ptr<const topology::ServiceTables> TablesOf(const std::string& service) const;

 private:
  struct Cached {
    uint64_t generation = 0;
    uint64_t shared_generation = 0;
    uint64_t overlay_generation = 0;
    std::shared_ptr<const topology::ServiceTables> tables;
    snapshot::CompiledService compiled;
  };
  absl::StatusOr<Cached> CompileService(const state::Model& m, const std::string& key,
                                        const state::ServiceEntry& entry, const HealthOverlay& overlay);
  uint32_t BackendId(const maglev::EndpointKey& key);
  // Forgets the ids of backends that left (a backend that comes back gets a new id).
  void PruneBackendIds(const state::Model& m);

  std::map<std::string, Cached> cache_;
  // Backend ids stay the same while a backend exists, so per-backend counters survive recompiles.
  std::map<maglev::EndpointKey, uint32_t> backend_ids_;
  uint32_t next_backend_id_ = 1;
  uint32_t next_service_id_ = 1;
  std::map<std::string, uint32_t> service_ids_;
};

}  // namespace causeway::compile

#endif  // CAUSEWAY_CONTROLPLANE_COMPILE_COMPILER_H_
