#include "controlplane/metrics/metrics_page.h"

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/metrics/exposition.h"

namespace causeway::metrics {
namespace {

using snapshot::DataplaneStats;

// What the dataplane's ids are called in the published snapshot. Ids of services and backends that
// have left it are not shown.
struct Names {
  struct Service {
    std::string name;
    std::string vips;  // distinct VIPs, comma-separated
  };
  struct Backend {
    std::set<std::string> services;
    std::string cluster, address, port, zone;
  };
  std::map<uint32_t, Service> services;
  std::map<uint32_t, Backend> backends;
};

Names NamesOf(const snapshot::CompiledSnapshot* s) {
  Names names;
  if (s == nullptr) return names;
  for (const snapshot::CompiledService& svc : s->services) {
    std::set<std::string> vips;
    for (const snapshot::Frontend& f : svc.frontends) vips.insert(f.vip.ToString());
    names.services[svc.id] = {svc.name, absl::StrJoin(vips, ",")};
    for (const snapshot::Backend& b : svc.backends) {
      Names::Backend& n = names.backends[b.id];  // one backend (cluster, address, port) may serve several services
      n.services.insert(svc.name);
      n.cluster = b.cluster;
      n.address = b.address.ToString();
      n.port = absl::StrCat(b.port);
      n.zone = b.zone;
    }
  }
  return names;
}

void DataplaneCounters(const v1::StatsResponse& stats, Exposition& out) {
  if (stats.dataplane_counters().empty()) return;
  out.Family("causeway_dataplane_packets_total", "counter",
             "Dataplane counters summed over the workers, by name: frames by verdict (forwarded_*, to_host, "
             "replies) and drop reason (drop_*); flow_* count flow-table events.");
  const std::map<std::string, uint64_t> sorted(stats.dataplane_counters().begin(), stats.dataplane_counters().end());
  for (const auto& [name, value] : sorted) out.Sample("causeway_dataplane_packets_total", {{"counter", name}}, value);
}

void Traffic(const DataplaneStats& dp, const Names& names, Exposition& out) {
  std::map<uint32_t, DataplaneStats::Count> services, backends;
  dp.Traffic(services, backends);
  const char* what[] = {"packets", "bytes"};
  for (int i = 0; i < 2; ++i) {
    const std::string name = absl::StrCat("causeway_service_", what[i], "_total");
    out.Family(name, "counter", absl::StrCat("Client to backend ", what[i], " by service (and its VIPs), since the dataplane started."));
    for (const auto& [id, count] : services) {
      auto it = names.services.find(id);
      if (it == names.services.end()) continue;
      out.Sample(name, {{"service", it->second.name}, {"vip", it->second.vips}}, i == 0 ? count.packets : count.bytes);
    }
  }
  for (int i = 0; i < 2; ++i) {
    const std::string name = absl::StrCat("causeway_backend_", what[i], "_total");
    out.Family(name, "counter", absl::StrCat("Client to backend ", what[i], " by backend (cluster, address, port), since the dataplane started."));
    for (const auto& [id, count] : backends) {
      auto it = names.backends.find(id);
      if (it == names.backends.end()) continue;
      const Names::Backend& b = it->second;
      out.Sample(name,
                 {{"service", absl::StrJoin(b.services, ",")}, {"cluster", b.cluster}, {"address", b.address}, {"port", b.port},
                  {"zone", b.zone}},
                 i == 0 ? count.packets : count.bytes);
    }
  }
}

void ZonePairs(const DataplaneStats& dp, Exposition& out) {
  using Key = std::tuple<std::string, std::string, std::string, std::string, bool>;
  std::map<Key, DataplaneStats::Count> cells;  // merged: the page must not repeat a series
  for (const DataplaneStats::ZonePair& p : dp.ZonePairs()) {
    DataplaneStats::Count& c = cells[{p.client_zone, p.backend_zone, p.backend_cluster, p.backend_region, p.to_backend}];
    c.packets += p.count.packets;
    c.bytes += p.count.bytes;
  }
  const char* what[] = {"packets", "bytes"};
  for (int i = 0; i < 2; ++i) {
    const std::string name = absl::StrCat("causeway_zone_pair_", what[i], "_total");
    out.Family(name, "counter",
               absl::StrCat("Client zone to backend zone ", what[i],
                            "; direction to_backend (client to backend) or to_client (full-NAT replies)."));
    for (const auto& [key, count] : cells) {
      const auto& [client_zone, backend_zone, cluster, region, to_backend] = key;
      out.Sample(name,
                 {{"client_zone", client_zone}, {"backend_zone", backend_zone}, {"backend_cluster", cluster},
                  {"backend_region", region}, {"direction", to_backend ? "to_backend" : "to_client"}},
                 i == 0 ? count.packets : count.bytes);
    }
  }
}

void Costs(const v1::CostsResponse& costs, Exposition& out) {
  const Labels currency = {{"currency", costs.currency()}};
  out.Family("causeway_cross_zone_cost", "gauge",
             "Estimated cost of the cross-zone and cross-region traffic counted since causewayd started "
             "(Gateway.costs prices per GB, each direction).");
  out.Sample("causeway_cross_zone_cost", currency, costs.total().cost());
  out.Family("causeway_cross_zone_cost_monthly_estimate", "gauge",
             "The cost so far over the seconds counted, times 30 days.");
  out.Sample("causeway_cross_zone_cost_monthly_estimate", currency, costs.total().monthly_cost());
}

void Clusters(const v1::ListClustersResponse& clusters, Exposition& out) {
  out.Family("causeway_cluster_fresh", "gauge",
             "1 while the cluster's feed is fresh (or it has no lease, or is the gateway's own), 0 while stale or "
             "holding down (its services' partition policies apply).");
  for (const v1::ClusterStatus& c : clusters.clusters()) {
    const bool fresh = c.freshness() != v1::ClusterStatus::STALE && c.freshness() != v1::ClusterStatus::HOLDING_DOWN;
    out.Sample("causeway_cluster_fresh", {{"cluster", c.cluster().name()}}, uint64_t{fresh ? 1u : 0u});
  }
  out.Family("causeway_cluster_renewal_age_seconds", "gauge",
             "Seconds since the cluster's freshness lease was last renewed (or since causewayd learned it).");
  for (const v1::ClusterStatus& c : clusters.clusters()) {
    out.Sample("causeway_cluster_renewal_age_seconds", {{"cluster", c.cluster().name()}},
               static_cast<double>(c.renewed_ms_ago()) / 1000.0);
  }
}

void ControlPlaneNumbers(const v1::StatsResponse& stats, double uptime, Exposition& out) {
  out.Family("causeway_control_plane_version", "gauge", "The published state's version.");
  out.Sample("causeway_control_plane_version", {}, stats.version());
  out.Family("causeway_pushes_total", "counter", "Pushes (and stream updates) by result.");
  out.Sample("causeway_pushes_total", {{"result", "accepted"}}, stats.pushes_accepted());
  out.Sample("causeway_pushes_total", {{"result", "rejected"}}, stats.pushes_rejected());
  out.Family("causeway_services", "gauge", "Services in the published state.");
  out.Sample("causeway_services", {}, stats.services());
  out.Family("causeway_endpoints", "gauge", "Endpoints in the published state.");
  out.Sample("causeway_endpoints", {}, stats.endpoints());
  out.Family("causeway_uptime_seconds", "gauge", "Seconds since causewayd started: what the counters cover.");
  out.Sample("causeway_uptime_seconds", {}, uptime);
}

}  // namespace

std::string RenderMetrics(const server::ControlPlane& cp) {
  Exposition out;
  const v1::StatsResponse stats = cp.Stats();
  ControlPlaneNumbers(stats, absl::ToDoubleSeconds(cp.Uptime()), out);
  Clusters(cp.ListClusters(), out);
  Costs(cp.Costs(), out);
  if (const DataplaneStats* dp = cp.dataplane_stats(); dp != nullptr) {
    DataplaneCounters(stats, out);
    const std::shared_ptr<const snapshot::CompiledSnapshot> snapshot = cp.PublishedSnapshot();
    Traffic(*dp, NamesOf(snapshot.get()), out);
    ZonePairs(*dp, out);
  }
  return out.text();
}

}  // namespace causeway::metrics
