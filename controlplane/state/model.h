// The control plane's desired state, indexed by key: what pushes change and what compiles into
// tables. Ordered maps so that listings, persistence and compilation are deterministic.
#ifndef CAUSEWAY_CONTROLPLANE_STATE_MODEL_H_
#define CAUSEWAY_CONTROLPLANE_STATE_MODEL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "causeway/v1/config.pb.h"

namespace causeway::state {

// (cluster, address as written after normalisation, port): never the address alone.
struct EndpointId {
  std::string cluster;
  std::string address;
  uint32_t port = 0;
  friend auto operator<=>(const EndpointId&, const EndpointId&) = default;
};

// An endpoint's message, immutable and shared between the entries of successive models: copying an
// entry to change one endpoint (a feed's one-endpoint delta) copies pointers, not a thousand
// messages and their strings.
using SharedEndpoint = std::shared_ptr<const v1::Endpoint>;

struct ServiceEntry {
  v1::Service service;
  std::map<EndpointId, SharedEndpoint> endpoints;
  // Bumped whenever the service or one of its endpoints changes: the compiler recompiles a service
  // only when its generation (or the model's shared generation) moved.
  uint64_t generation = 0;
};

struct Model {
  bool has_gateway = false;
  v1::Gateway gateway;
  std::map<std::string, v1::Cluster> clusters;  // by name
  // By "namespace/name". Entries are immutable and shared between successive models: a change
  // copies only the services it touches (MutableService).
  std::map<std::string, std::shared_ptr<const ServiceEntry>> services;
  // Single writer: the highest fencing token each service has held (key → writer), kept when the
  // writer is cleared or the service deleted: a push naming a lower token is refused.
  std::map<std::string, v1::Writer> fencing;
  // Bumped when the gateway or the clusters change: every service depends on them.
  uint64_t shared_generation = 0;
  uint64_t next_generation = 1;

  size_t EndpointCount() const;
  // A private copy of the entry for `key` (created when missing), stored in place of the shared one.
  ServiceEntry& MutableService(const std::string& key);
  // The model as one State message (deterministic order).
  v1::State ToState() const;
};

// Keeps in `fencing[key]` the higher of its held token and `writer`'s (cluster and token only).
inline void HoldFencing(std::map<std::string, v1::Writer>& fencing, const std::string& key, const v1::Writer& writer) {
  v1::Writer& held = fencing[key];
  if (held.cluster().empty() || writer.fencing_token() > held.fencing_token()) {
    held.set_cluster(writer.cluster());
    held.set_fencing_token(writer.fencing_token());
  }
}

std::string ServiceKey(const v1::Service& s);
EndpointId IdOf(const v1::Endpoint& e);
EndpointId IdOf(const v1::EndpointRef& r);

}  // namespace causeway::state

#endif  // CAUSEWAY_CONTROLPLANE_STATE_MODEL_H_
