// The weighted Maglev table builder (Eisenbud et al., NSDI 2016), deterministic and proportional.
//
// Every endpoint gets a permutation of the M slots from two hashes of its key, and endpoints claim
// slots along their permutations until all M are taken (MaglevFill says in which order). causeway
// differs from the textbook (and Katran's default) in how weights count: each endpoint's number of slots is fixed
// first, proportional to its weight by the largest-remainder method, and the turns run until each
// endpoint has its share. So weights 1:2:3 get slots 1:2:3 to within one slot, and equal weights give
// the best balance integers allow (every endpoint gets floor(M/N) or ceil(M/N) slots).
//
// Determinism: the builder orders the endpoints by the hash of their key (then by key) and hashes only
// key bytes (see endpoint_key.h), so the same endpoint set gives the same table whatever the input
// order, on every gateway.
#ifndef CAUSEWAY_CONTROLPLANE_MAGLEV_MAGLEV_TABLE_H_
#define CAUSEWAY_CONTROLPLANE_MAGLEV_MAGLEV_TABLE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "controlplane/maglev/endpoint_key.h"
#include "controlplane/maglev/table_size.h"

namespace causeway::maglev {

struct WeightedEndpoint {
  EndpointKey key;
  // Relative weight; 0 means the endpoint gets no slots.
  uint32_t weight = 1;

  friend bool operator==(const WeightedEndpoint&, const WeightedEndpoint&) = default;
};

// A slot holds an index into MaglevTable::endpoints(). 16 bits keep a 65537-slot table at 128 KiB, so
// a worker's table stays in L2; a service therefore has at most 65535 endpoints with weight.
using SlotIndex = uint16_t;
inline constexpr size_t kMaxEndpoints = 65535;

// How endpoints take turns claiming slots. Both give every endpoint exactly its quota of slots (the
// same balance); they differ in how many slots move when the endpoint set changes.
enum class MaglevFill {
  // At depth j every endpoint still short of slots looks at the j-th slot of its permutation: a slot
  // goes to the endpoint that ranks it highest (a stable matching). Removing one of 1000 endpoints
  // moves ~0.4% of the slots. The default.
  kByDepth,
  // The paper's fill: endpoints take turns, each claiming the first free slot of its permutation.
  // Removing one of 1000 endpoints moves ~0.7% of the slots, like Katran's. Kept for comparison.
  kRoundRobin,
};

class MaglevTable {
 public:
  MaglevTable() = default;

  // M, the table size asked for (also when the table is empty).
  uint32_t size() const { return size_; }
  // No endpoint with weight: the service has no backend and every lookup must say so.
  bool empty() const { return slots_.empty(); }
  // M entries when not empty, each an index into endpoints(). A worker reads slots()[hash % M].
  absl::Span<const SlotIndex> slots() const { return slots_; }
  // The endpoints with non-zero weight in the builder's canonical order (by key hash, then key): the
  // order slots() indexes.
  const std::vector<WeightedEndpoint>& endpoints() const { return endpoints_; }
  // Where each endpoints() entry was in the span given to BuildMaglevTable: callers that keep
  // their own per-endpoint data in input order map slots onto it without looking keys up.
  const std::vector<uint32_t>& input_positions() const { return input_positions_; }
  // Slots held by each endpoint, in endpoints() order.
  std::vector<uint32_t> SlotCounts() const;
  // The endpoint a flow hash maps to. Precondition: !empty().
  const EndpointKey& Lookup(uint64_t flow_hash) const {
    return endpoints_[slots_[flow_hash % size_]].key;
  }

 private:
  friend absl::StatusOr<MaglevTable> BuildMaglevTable(absl::Span<const WeightedEndpoint>, uint32_t,
                                                      MaglevFill);
  uint32_t size_ = 0;
  std::vector<SlotIndex> slots_;
  std::vector<WeightedEndpoint> endpoints_;
  std::vector<uint32_t> input_positions_;
};

// Builds the table for `endpoints` with `table_size` slots.
// Errors (InvalidArgument, nothing built): a table size that is not an allowed prime (table_size.h),
// the same key twice, more than kMaxEndpoints endpoints with weight, or more endpoints with weight
// than slots.
absl::StatusOr<MaglevTable> BuildMaglevTable(absl::Span<const WeightedEndpoint> endpoints,
                                             uint32_t table_size = kDefaultTableSize,
                                             MaglevFill fill = MaglevFill::kByDepth);

// Slots per endpoint (same order as `endpoints`, all weighted > 0): each gets
// floor(M·w/W), and the slots left over go one each to the largest remainders (ties broken by the
// key's hash, then order). Exposed for tests and for `explain`.
std::vector<uint32_t> ProportionalQuotas(absl::Span<const WeightedEndpoint> endpoints,
                                         absl::Span<const EndpointHashes> hashes, uint32_t table_size);

}  // namespace causeway::maglev

#endif  // CAUSEWAY_CONTROLPLANE_MAGLEV_MAGLEV_TABLE_H_
