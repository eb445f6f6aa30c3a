// BM_PolicyCompile: weighting plus every Maglev table of one service — 1000 endpoints over 3 zones
// and 2 clusters, seen from a gateway serving clients of all 3 zones. Target ≤ 5 ms (Cilium's
// clustermesh needs 6.3 ms just to ingest 1000 backends).
// Arguments: affinity (0 none, 1 local), PreferSameZone (0/1). Counters: tables (distinct views) and
// endpoints.
#include <benchmark/benchmark.h>

#include <vector>

#include "controlplane/topology/service_tables.h"

namespace causeway::topology {
namespace {

std::vector<EndpointState> Endpoints(int n) {
  const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
  std::vector<EndpointState> v;
  for (int i = 0; i < n; ++i) {
    EndpointState e;
    e.cluster = i % 2 ? "cluster-a" : "cluster-b";
    e.region = "us-east-1";
    e.zone = zones[i % 3];
    e.address = net::IpAddress::V4(0x0af40000u + static_cast<uint32_t>(i / 2) + 1);  // island: reused
    e.port = 8080;
    e.health = i % 10 == 0 ? Health::kUnhealthy : Health::kHealthy;
    v.push_back(e);
  }
  return v;
}

void BM_PolicyCompile(benchmark::State& state) {
  GatewayView gateway{"cluster-a", "us-east-1", "us-east-1a", {}};
  const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
  for (int z = 0; z < 3; ++z) {
    gateway.client_zones.push_back({*net::IpPrefix::Parse("10." + std::to_string(z + 1) + ".0.0/16"), zones[z]});
  }
  ServicePolicy policy;
  policy.name = "default/bench";
  policy.affinity = state.range(0) ? Affinity::kLocal : Affinity::kNone;
  policy.distribution = state.range(1) ? TrafficDistribution::kPreferSameZone : TrafficDistribution::kDefault;
  const std::vector<EndpointState> endpoints = Endpoints(1000);
  size_t tables = 0;
  for (auto _ : state) {
    absl::StatusOr<ServiceTables> t = BuildServiceTables(gateway, policy, endpoints);
    tables = t->tables.size();
    benchmark::DoNotOptimize(t);
  }
  state.counters["tables"] = static_cast<double>(tables);
  state.counters["endpoints"] = static_cast<double>(endpoints.size());
}

BENCHMARK(BM_PolicyCompile)
    ->Args({1, 1})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({0, 0})
    ->ArgNames({"local", "close"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace causeway::topology
