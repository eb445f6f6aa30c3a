// Envoy's priority-load arithmetic, in integers so that every gateway computes the same shares
// bit for bit (no floating point, no FMA contraction differences between builds).
#ifndef CAUSEWAY_CONTROLPLANE_TOPOLOGY_SPILLOVER_H_
#define CAUSEWAY_CONTROLPLANE_TOPOLOGY_SPILLOVER_H_

#include <cstdint>
#include <vector>

namespace causeway::topology {

// Shares of new flows are fixed-point fractions of kLoadScale (2^30 = all traffic).
inline constexpr uint64_t kLoadScale = uint64_t{1} << 30;

struct TierCapacity {
  uint64_t healthy_weight = 0;
  uint64_t total_weight = 0;  // > 0
};

// The share of new flows each tier gets, in tier order.
// Each tier's health is min(1, factor × healthy/total). While the healths add up to at least 1, tiers
// take traffic in order, each up to its health, and the rest spills to the next (50% healthy with
// factor 1.4 keeps 70%). When they add up to less, each tier gets its health over their sum.
// All zero: every share is zero (no backend).
// `factor_milli` is the overprovisioning factor in thousandths (1400 = 1.4).
std::vector<uint64_t> TierLoads(const std::vector<TierCapacity>& tiers, uint64_t factor_milli);

}  // namespace causeway::topology

#endif  // CAUSEWAY_CONTROLPLANE_TOPOLOGY_SPILLOVER_H_
