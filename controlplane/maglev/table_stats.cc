#include "controlplane/maglev/table_stats.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace causeway::maglev {

double MaxOverMean(const MaglevTable& table) {
  if (table.empty()) return 0.0;
  const std::vector<uint32_t> counts = table.SlotCounts();
  const double mean = static_cast<double>(table.size()) / static_cast<double>(counts.size());
  return static_cast<double>(*std::max_element(counts.begin(), counts.end())) / mean;
}

double MovedFraction(const MaglevTable& before, const MaglevTable& after) {
  if (before.empty() && after.empty()) return 0.0;
  if (before.size() != after.size() || before.empty() || after.empty()) return 1.0;
  // Map `before`'s endpoint indices to `after`'s by key, then compare slots.
  constexpr uint32_t kGone = ~uint32_t{0};
  absl::flat_hash_map<EndpointKey, uint32_t> after_index;
  after_index.reserve(after.endpoints().size());
  for (uint32_t j = 0; j < after.endpoints().size(); ++j) after_index[after.endpoints()[j].key] = j;
  std::vector<uint32_t> remap(before.endpoints().size(), kGone);
  for (uint32_t i = 0; i < before.endpoints().size(); ++i) {
    if (auto it = after_index.find(before.endpoints()[i].key); it != after_index.end()) remap[i] = it->second;
  }
  uint64_t moved = 0;
  for (uint32_t s = 0; s < before.size(); ++s) {
    moved += remap[before.slots()[s]] != after.slots()[s];
  }
  return static_cast<double>(moved) / static_cast<double>(before.size());
}

}  // namespace causeway::maglev
