// Kubernetes Multi-Cluster Services (KEP-1645) manifests → causeway's state, for
// `causewayctl apply -f`. A file may mix Kubernetes documents (apiVersion + kind) with causeway State
// documents (everything else), one YAML document each, separated by "---".
//
// Mapping:
// - ServiceImport (ClusterSetIP): one causeway service per port name (common/port_split.h) in the
//   import's namespace, whose frontends are every cluster-set IP (`ips`) on that port. A Headless
//   import, or one with no `ips` yet, has no VIP and is skipped (noted). sessionAffinity ClientIP is
//   noted: causeway hashes flows by their 5-tuple, not by client.
// - EndpointSlice (discovery.k8s.io/v1), labelled multicluster.kubernetes.io/service-name (or
//   kubernetes.io/service-name) and multicluster.kubernetes.io/source-cluster (required: the
//   endpoints' cluster): one endpoint per (endpoint, slice port) whose port name the service has,
//   at the endpoint's first address (Kubernetes: the addresses are fungible), with its zone and
//   ready/serving/terminating conditions as given. hints.forZones have no causeway field (noted);
//   FQDN slices are skipped (noted).
// - ServiceExport: marks the service exported from its own cluster, which is that cluster's business;
//   nothing changes in causeway (noted).
// - The clusters named by source-cluster labels must exist in causewayd (MCS has no cluster ids), or be
//   declared in a causeway State document of the same file.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_MCS_MANIFESTS_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_MCS_MANIFESTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "causeway/v1/config.pb.h"

namespace causeway::mcs {

inline constexpr char kServiceNameLabel[] = "multicluster.kubernetes.io/service-name";
inline constexpr char kSourceClusterLabel[] = "multicluster.kubernetes.io/source-cluster";

struct Conversion {
  v1::State state;
  // What was skipped or has no causeway counterpart, one line each ("<source>:<line>: ...").
  std::vector<std::string> notes;
};

// Whether any document of `text` is a Kubernetes object (a map with apiVersion and kind). False for
// text that is not YAML at all (the State parser then reports it).
bool HasKubernetesObjects(absl::string_view text);

// Every problem is reported, one per line, as "<source>:<line>:<column>: <path>: <problem>".
absl::StatusOr<Conversion> ConvertManifests(absl::string_view text, absl::string_view source);

}  // namespace causeway::mcs

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_MCS_MANIFESTS_H_
