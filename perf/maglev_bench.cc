// Maglev build time, balance and disruption. Run with scripts/bench.sh Maglev.
//
// BM_MaglevBuild/N/M             causeway's builder (depth-ordered fill, the default), equal weights.
// BM_MaglevBuildRoundRobin/N/M   the same builder with the paper's round-robin fill.
// BM_MaglevBuildTextbook/N/M     the paper's pseudo-code as written: the baseline in the same run.
// Counters: max_over_mean (fullest endpoint's slots over the mean) and moved_fraction (share of the M
// slots that change when one endpoint is removed and the table rebuilt, averaged over 8 removals);
// moved_floor is 1/N, the removed endpoint's own slots.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "controlplane/maglev/maglev_table.h"
#include "controlplane/maglev/table_stats.h"
#include "perf/textbook_maglev.h"

namespace causeway::maglev {
namespace {

std::vector<WeightedEndpoint> Endpoints(uint32_t n) {
  std::vector<WeightedEndpoint> v;
  v.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    v.push_back({{"cluster-a", net::IpAddress::V4((10u << 24) | (244u << 16) | (i + 1)), 8080}, 1});
  }
  return v;
}

void Build(benchmark::State& state, MaglevFill fill) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const auto m = static_cast<uint32_t>(state.range(1));
  const auto endpoints = Endpoints(n);
  for (auto _ : state) {
    auto table = BuildMaglevTable(endpoints, m, fill);
    benchmark::DoNotOptimize(table);
  }
  const MaglevTable before = *BuildMaglevTable(endpoints, m, fill);
  // Disruption averaged over 8 removals spread across the set (a single one is noisy).
  double moved = 0;
  constexpr uint32_t kRemovals = 8;
  for (uint32_t r = 0; r < kRemovals; ++r) {
    auto fewer = endpoints;
    fewer.erase(fewer.begin() + (r * n) / kRemovals);
    moved += MovedFraction(before, *BuildMaglevTable(fewer, m, fill));
  }
  state.counters["max_over_mean"] = MaxOverMean(before);
  state.counters["moved_fraction"] = moved / kRemovals;
  state.counters["moved_floor"] = 1.0 / n;
}

// causeway's default, the depth-ordered (stable-matching) fill.
void BM_MaglevBuild(benchmark::State& state) { Build(state, MaglevFill::kByDepth); }
// The paper's round-robin fill, same quotas.
void BM_MaglevBuildRoundRobin(benchmark::State& state) { Build(state, MaglevFill::kRoundRobin); }

void BM_MaglevBuildTextbook(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const auto m = static_cast<uint32_t>(state.range(1));
  std::vector<EndpointHashes> hashes;
  for (const auto& e : Endpoints(n)) hashes.push_back(HashEndpointKey(e.key));
  for (auto _ : state) {
    auto table = perf::TextbookMaglev(hashes, m);
    benchmark::DoNotOptimize(table);
  }
}

void Sizes(benchmark::internal::Benchmark* b) {
  for (int64_t m : {65537, 655373}) {
    for (int64_t n : {10, 100, 1000, 10000}) b->Args({n, m});
  }
  b->ArgNames({"N", "M"})->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_MaglevBuild)->Apply(Sizes);
BENCHMARK(BM_MaglevBuildRoundRobin)->Apply(Sizes);
BENCHMARK(BM_MaglevBuildTextbook)->Apply(Sizes);

}  // namespace
}  // namespace causeway::maglev
