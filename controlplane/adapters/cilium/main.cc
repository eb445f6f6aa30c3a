// causeway-cilium-adapter: feeds Cilium clustermesh's global services from etcd into causewayd.
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "controlplane/adapters/cilium/adapter.h"

ABSL_FLAG(std::string, etcd, "127.0.0.1:2379", "etcd's client endpoint (host:port or http://host:port)");
ABSL_FLAG(std::string, server, "unix:/run/causeway/causeway.sock", "causewayd's gRPC address");
ABSL_FLAG(std::string, cluster, "",
          "the gateway's own cluster (required): its copy of a service gives the service's VIPs");
ABSL_FLAG(std::vector<std::string>, clusters, {}, "read only these clusters' services (default: all)");
ABSL_FLAG(std::string, source, "cilium-etcd", "the source name causewayd keeps this feed's version under");
ABSL_FLAG(uint64_t, max_update_bytes, 4 << 20,
          "split larger changes into several updates (causewayd accepts messages up to 64 MiB)");
ABSL_FLAG(double, retry_seconds, 1, "wait between retries when etcd or causewayd is unreachable");
ABSL_FLAG(double, renew_seconds, 1,
          "renew the fed clusters' freshness leases (Cluster.lease_ttl_ms) this often while etcd answers; 0: never");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Watches Cilium's cilium/state/services/v1/ keys in etcd and streams them to causewayd.");
  absl::ParseCommandLine(argc, argv);
  causeway::cilium::AdapterOptions o;
  o.etcd_endpoint = absl::GetFlag(FLAGS_etcd);
  o.causeway_target = absl::GetFlag(FLAGS_server);
  o.local_cluster = absl::GetFlag(FLAGS_cluster);
  o.source = absl::GetFlag(FLAGS_source);
  o.retry_seconds = absl::GetFlag(FLAGS_retry_seconds);
  o.max_update_bytes = absl::GetFlag(FLAGS_max_update_bytes);
  o.renew_seconds = absl::GetFlag(FLAGS_renew_seconds);
  for (const std::string& c : absl::GetFlag(FLAGS_clusters)) {
    if (!c.empty()) o.clusters.insert(c);
  }
  if (o.local_cluster.empty() || o.source.empty() || !(o.retry_seconds > 0) || !(o.renew_seconds >= 0)) {
    std::cerr << "causeway-cilium-adapter: --cluster and --source must be set, --retry_seconds > 0, --renew_seconds >= 0\n";
    return 2;
  }
  if (!o.clusters.empty() && !o.clusters.contains(o.local_cluster)) {
    std::cerr << "causeway-cilium-adapter: --clusters leaves out the local cluster " << o.local_cluster
              << ": no service would have a VIP\n";
    return 2;
  }
  causeway::cilium::Adapter(std::move(o)).Run();
  return 0;
}
