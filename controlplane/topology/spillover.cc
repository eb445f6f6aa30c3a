#include "controlplane/topology/spillover.h"

#include <algorithm>

#include "absl/numeric/int128.h"

namespace causeway::topology {

std::vector<uint64_t> TierLoads(const std::vector<TierCapacity>& tiers, uint64_t factor_milli) {
  std::vector<uint64_t> health(tiers.size(), 0);
  absl::uint128 health_sum = 0;
  for (size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i].total_weight == 0) continue;
    // healthy ≤ total < 2^48 and factor < 2^20: the product fits easily in 128 bits.
    const absl::uint128 scaled = absl::uint128(tiers[i].healthy_weight) * factor_milli * kLoadScale /
                                 (absl::uint128(tiers[i].total_weight) * 1000);
    health[i] = scaled < kLoadScale ? absl::Uint128Low64(scaled) : kLoadScale;
    health_sum += health[i];
  }
  std::vector<uint64_t> loads(tiers.size(), 0);
  if (health_sum == 0) return loads;
  if (health_sum < kLoadScale) {
    for (size_t i = 0; i < tiers.size(); ++i) {
      loads[i] = absl::Uint128Low64(absl::uint128(health[i]) * kLoadScale / health_sum);
    }
    return loads;
  }
  uint64_t remaining = kLoadScale;
  for (size_t i = 0; i < tiers.size(); ++i) {
    loads[i] = std::min(health[i], remaining);
    remaining -= loads[i];
  }
  return loads;
}

}  // namespace causeway::topology
