// State → weighting → Maglev tables → an immutable CompiledSnapshot for the dataplane.
// A change to one service recompiles that service only: compiled services are cached by their
// generation (state/model.h) and reused while neither it nor the shared generation moved.
#ifndef CAUSEWAY_CONTROLPLANE_COMPILE_COMPILER_H_
#define CAUSEWAY_CONTROLPLANE_COMPILE_COMPILER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
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

// The clusters treated as stale (partition/: their leases ran out, or they are holding down), as
// the services' partition policies see them. KEEP ignores them; DROP leaves their endpoints out of
// the weighting (as if deleted); SAFE_MODE compiles them as usual and marks their backends
// refuse_new; a service whose writer cluster is stale gets no slots for its write ports.
struct PartitionView {
  std::set<std::string> stale;
};

// Whether the partition view can change how `s` compiles: a policy other than KEEP, or a writer.
bool PartitionSensitive(const v1::Service& s);

// The topology inputs of one service, as the model defines them (defaults applied).
struct ServiceInputs {
  topology::GatewayView gateway;
  topology::ServicePolicy policy;
  std::vector<topology::EndpointState> endpoints;
  std::vector<const v1::Endpoint*> sources;  // the model's endpoint behind each entry of `endpoints`
};
// `failing`: the service's endpoints that our health checks find down (HealthOverlay), or null.
// `stale`: the clusters treated as stale (PartitionView), or null. These are the inputs of the
// service's own table: without the endpoints a DROP policy leaves out, and with only the writer
// cluster's endpoints when every port is a write port.
ServiceInputs InputsOf(const state::Model& m, const state::ServiceEntry& entry,
                       const std::map<state::EndpointId, std::string>* failing = nullptr,
                       const std::set<std::string>* stale = nullptr);
// The inputs of the write ports' table (the writer cluster's endpoints), for a service with a writer.
ServiceInputs WriterInputsOf(const state::Model& m, const state::ServiceEntry& entry,
                             const std::map<state::EndpointId, std::string>* failing,
                             const std::set<std::string>* stale);

class Compiler {
 public:
  struct Result {
    std::shared_ptr<const snapshot::CompiledSnapshot> snapshot;
    size_t recompiled = 0;  // services compiled afresh (the rest came from the cache)
    // Of those services' Maglev tables: built, or copied from their previous tables (same input).
    size_t tables_built = 0;
    size_t tables_copied = 0;
  };

  // Errors only for what validation cannot see (none expected); nothing is published then.
  // A service with a writer and write ports compiles to two CompiledServices on its VIPs: its own
  // (without the write ports' frontends) and "<namespace>/<name>#write" (the write ports, the writer
  // cluster's endpoints only; for a port-0 frontend, exact-port frontends that the dataplane's
  // lookup finds before port 0).
  absl::StatusOr<Result> Compile(const state::Model& m, uint64_t version, const HealthOverlay& overlay = {},
                                 const PartitionView& partition = {});

  // The tables and views of a service in the last compiled snapshot (for Explain and listings).
  std::shared_ptr<const topology::ServiceTables> TablesOf(const std::string& service) const;

 private:
  struct Cached {
    uint64_t generation = 0;
    uint64_t shared_generation = 0;
    uint64_t overlay_generation = 0;
    std::string partition_key;  // the stale clusters, when the service is partition-sensitive
    std::shared_ptr<const topology::ServiceTables> tables;
    // The write-port view's tables (a service with a writer and write ports), for the next build.
    std::shared_ptr<const topology::ServiceTables> write_tables;
    // What CompileService made, until Compile() moves it into the snapshot.
    snapshot::CompiledService compiled;
    std::optional<snapshot::CompiledService> write_view;
    // Where they are in last_snapshot_.
    size_t index = 0;
    std::optional<size_t> write_index;
  };
  // `previous`: the service's last compilation, if any (tables whose inputs did not change are
  // copied from its tables and write-port tables).
  absl::StatusOr<Cached> CompileService(const state::Model& m, const std::string& key,
                                        const state::ServiceEntry& entry, const HealthOverlay& overlay,
                                        const PartitionView& partition, const Cached* previous);
  // One compiled table set: the backends the views use, the slots remapped onto them.
  snapshot::CompiledService CompileView(const state::Model& m, const std::string& id_key, const ServiceInputs& in,
                                        const topology::ServiceTables& tables);
  // Appends a service's view (and its write-port view, if any) to `snap`, and notes in `c` where.
  static void Place(Cached& c, snapshot::CompiledService main, std::optional<snapshot::CompiledService> write,
                    snapshot::CompiledSnapshot& snap);
  uint32_t ServiceId(const std::string& id_key);
  uint32_t BackendId(const maglev::EndpointKey& key);
  // Forgets the ids of backends that left (a backend that comes back gets a new id).
  void PruneBackendIds(const state::Model& m);

  std::map<std::string, Cached> cache_;
  // The last compiled snapshot: holds the cached services' compiled forms.
  std::shared_ptr<const snapshot::CompiledSnapshot> last_snapshot_;
  // Backend ids stay the same while a backend exists, so per-backend counters survive recompiles.
  // Hashed: a recompile looks up every backend of the service, and ordered keys compare strings.
  absl::flat_hash_map<maglev::EndpointKey, uint32_t> backend_ids_;
  uint32_t next_backend_id_ = 1;
  uint32_t next_service_id_ = 1;
  std::map<std::string, uint32_t> service_ids_;
};

}  // namespace causeway::compile

#endif  // CAUSEWAY_CONTROLPLANE_COMPILE_COMPILER_H_
