// What an adapter has told causewayd, indexed so that it can be compared with what it wants to tell
// it now. Adapters push deltas, never snapshots: a snapshot would replace what other sources
// (causewayctl, other adapters) pushed.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_OWNED_STATE_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_OWNED_STATE_H_

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "causeway/v1/config.pb.h"

namespace causeway::adapters {

// (cluster, address, port): an endpoint's identity inside its service.
using EndpointId = std::tuple<std::string, std::string, uint32_t>;

struct OwnedState {
  std::map<std::string, v1::Cluster> clusters;
  // By service key "namespace/name".
  std::map<std::string, v1::Service> services;
  std::map<std::string, std::map<EndpointId, v1::Endpoint>> endpoints;

  static OwnedState From(const v1::State& state);
  v1::State ToState() const;
  bool operator==(const OwnedState& other) const;

  // Makes this state's clusters, or one service and its endpoints, what they are in `other`: after
  // causewayd accepted that part of a change.
  void TakeClusters(const OwnedState& other);
  void TakeService(const std::string& key, const OwnedState& other);
};

// One part of the change from one state to another: the cluster upserts (service_key empty), or
// everything about one service. Parts can be pushed one by one, so that causewayd refusing one
// service does not hold back the others.
struct DeltaPart {
  std::string service_key;
  v1::Delta delta;
};

// The change from `from` to `to`, clusters first, then one part per changed service in key order.
// Clusters are only ever added or changed, never deleted: deleting a cluster deletes every endpoint
// in it, including those that other sources pushed, and the gateway may name it.
std::vector<DeltaPart> Diff(const OwnedState& from, const OwnedState& to);

// The parts as one delta.
v1::Delta Merge(const std::vector<DeltaPart>& parts);

// The parts in order, in batches of about `max_bytes` of serialized deltas at most (a part larger
// than that is a batch of its own).
std::vector<std::vector<DeltaPart>> Batch(const std::vector<DeltaPart>& parts, size_t max_bytes);

}  // namespace causeway::adapters

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_OWNED_STATE_H_
