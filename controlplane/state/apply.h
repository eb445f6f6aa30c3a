// Turning a push into the next model: all or nothing. The current model is never modified; the
// caller swaps in the result only when there are no problems.
#ifndef CAUSEWAY_CONTROLPLANE_STATE_APPLY_H_
#define CAUSEWAY_CONTROLPLANE_STATE_APPLY_H_

#include <set>
#include <string>
#include <vector>

#include "causeway/v1/config.pb.h"
#include "controlplane/state/model.h"
#include "controlplane/state/validate.h"

namespace causeway::state {

struct Candidate {
  Model model;
  Problems problems;
  // Human-readable list of what differs from the current model ("service default/web", ...).
  std::vector<std::string> changes;
  // Clusters whose freshness lease this push renews: the clusters of the endpoints it upserts or
  // deletes (a snapshot: of all its endpoints) and a delta's renew_clusters.
  std::set<std::string> renewed;
};

// A delta that only renews leases (renew_clusters and nothing else): not a change of the state.
bool OnlyRenews(const v1::Delta& delta);
// A delta's renew_clusters checked against `m` (a problem for each cluster it does not hold) and
// added to `renewed`. FromDelta does this; a renewal-only delta needs nothing else (Push).
void CheckRenewals(const Model& m, const v1::Delta& delta, Problems& problems, std::set<std::string>& renewed);

// A full snapshot replaces everything. Services whose definition and endpoints are unchanged keep
// their generation (and so their compiled tables).
Candidate FromSnapshot(const Model& current, const v1::State& snapshot);
// The same, moving the endpoint messages' contents out of `snapshot` into the model instead of
// copying them (for a push's request, which nothing reads afterwards): each endpoint still gets a new
// message, but its strings are taken, not copied, and what the request frees before the answer is a
// thousand empty shells rather than a thousand endpoints.
Candidate FromSnapshot(const Model& current, v1::State&& snapshot);

// A delta on top of `current`: deletes first (of things that exist; deleting what is not there is
// not an error, so retries are harmless), then upserts. Deleting a service deletes its endpoints;
// deleting a cluster deletes its endpoints; an endpoint of a service that does not exist is refused.
Candidate FromDelta(const Model& current, const v1::Delta& delta);
Candidate FromDelta(const Model& current, v1::Delta&& delta);  // moving its upserted endpoints, as above

}  // namespace causeway::state

#endif  // CAUSEWAY_CONTROLPLANE_STATE_APPLY_H_
