#include "controlplane/maglev/maglev_table.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controlplane/maglev/permutation.h"

namespace causeway::maglev {
namespace {

absl::Status CheckCount(size_t weighted, uint32_t table_size) {
  if (weighted > kMaxEndpoints) {
    return absl::InvalidArgumentError(
        absl::StrCat(weighted, " endpoints with weight; a table holds at most ", kMaxEndpoints));
  }
  if (weighted > table_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        weighted, " endpoints with weight but only ", table_size,
        " slots: some would get no traffic; use a table of at least 100 x endpoints"));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<uint32_t> MaglevTable::SlotCounts() const {
  std::vector<uint32_t> counts(endpoints_.size(), 0);
  for (SlotIndex s : slots_) ++counts[s];
  return counts;
}

std::vector<uint32_t> ProportionalQuotas(absl::Span<const WeightedEndpoint> endpoints,
                                         absl::Span<const EndpointHashes> hashes, uint32_t table_size) {
  // N ≤ 65535 weights below 2^32 sum below 2^48, and M·w ≤ 5,000,011·(2^32-1) < 2^55: no overflow.
  uint64_t total = 0;
  for (const auto& e : endpoints) total += e.weight;
  std::vector<uint32_t> quotas(endpoints.size(), 0);
  std::vector<uint64_t> remainders(endpoints.size(), 0);
  uint64_t assigned = 0;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const uint64_t scaled = uint64_t{table_size} * endpoints[i].weight;
    quotas[i] = static_cast<uint32_t>(scaled / total);
    remainders[i] = scaled % total;
    assigned += quotas[i];
  }
  const uint64_t left = table_size - assigned;  // < N
  if (left == 0) return quotas;
  std::vector<uint32_t> order(endpoints.size());
  std::iota(order.begin(), order.end(), 0);
  // Ties (equal weights) are broken by hash, not by key order, so that the extra slots do not always
  // go to the endpoints that sort first. The order is total, so the first `left` are one set
  // whatever the algorithm; which of them comes first does not matter: a selection (linear), not a
  // sort (a 1000-endpoint table has ~900 slots left over).
  std::nth_element(order.begin(), order.begin() + static_cast<ptrdiff_t>(left), order.end(),
                   [&](uint32_t a, uint32_t b) {
                     if (remainders[a] != remainders[b]) return remainders[a] > remainders[b];
                     if (hashes[a].skip != hashes[b].skip) return hashes[a].skip < hashes[b].skip;
                     return a < b;
                   });
  for (uint64_t i = 0; i < left; ++i) ++quotas[order[i]];
  return quotas;
}

absl::StatusOr<MaglevTable> BuildMaglevTable(absl::Span<const WeightedEndpoint> endpoints,
                                             uint32_t table_size, MaglevFill fill) {
  if (absl::Status s = ValidateTableSize(table_size); !s.ok()) return s;

  // Canonical order: by the key's hash, then by key. Independent of the input order, and cheaper to
  // sort than keys (most comparisons end at the first integer). Weight-0 endpoints take part so that a
  // duplicate is caught whatever its weight; equal keys have equal hashes, so duplicates end adjacent.
  std::vector<EndpointHashes> all_hashes(endpoints.size());
  std::vector<uint32_t> order(endpoints.size());
  for (uint32_t i = 0; i < endpoints.size(); ++i) {
    all_hashes[i] = HashEndpointKey(endpoints[i].key);
    order[i] = i;
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (all_hashes[a].offset != all_hashes[b].offset) return all_hashes[a].offset < all_hashes[b].offset;
    if (all_hashes[a].skip != all_hashes[b].skip) return all_hashes[a].skip < all_hashes[b].skip;
    return endpoints[a].key < endpoints[b].key;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    if (endpoints[order[i]].key == endpoints[order[i - 1]].key) {
      return absl::InvalidArgumentError(
          absl::StrCat("endpoint ", endpoints[order[i]].key.ToString(), " is listed twice"));
    }
  }
  std::erase_if(order, [&](uint32_t i) { return endpoints[i].weight == 0; });
  if (absl::Status s = CheckCount(order.size(), table_size); !s.ok()) return s;

  MaglevTable table;
  table.size_ = table_size;
  const size_t n = order.size();
  if (n == 0) return table;
  table.endpoints_.reserve(n);
  std::vector<EndpointHashes> hashes(n);
  std::vector<internal::Cursor> cursors(n);
  for (size_t i = 0; i < n; ++i) {
    table.endpoints_.push_back(endpoints[order[i]]);
    hashes[i] = all_hashes[order[i]];
    cursors[i].next = static_cast<uint32_t>(hashes[i].offset % table_size);
    cursors[i].skip = static_cast<uint32_t>(hashes[i].skip % (table_size - 1) + 1);
  }
  table.input_positions_ = std::move(order);  // the table's endpoints' positions in the input
  std::vector<uint32_t> quotas = ProportionalQuotas(table.endpoints_, hashes, table_size);

  table.slots_.assign(table_size, 0);
  if (fill == MaglevFill::kByDepth) {
    internal::FillByDepth(table_size, cursors, quotas, table.slots_.data());
  } else {
    internal::FillRoundRobin(table_size, cursors, quotas, table.slots_.data());
  }
  return table;
}

}  // namespace causeway::maglev
