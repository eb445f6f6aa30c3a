// Maglev table sizes: which sizes are allowed, and which one a service gets when it does not ask.
#ifndef CAUSEWAY_CONTROLPLANE_MAGLEV_TABLE_SIZE_H_
#define CAUSEWAY_CONTROLPLANE_MAGLEV_TABLE_SIZE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace causeway::maglev {

// The paper's, Envoy's and Katran's default.
inline constexpr uint32_t kDefaultTableSize = 65537;
// Smallest and largest sizes accepted on request. 5,000,011 is Envoy's limit; the paper's large
// table, 655373, is well inside.
inline constexpr uint32_t kMinTableSize = 251;
inline constexpr uint32_t kMaxTableSize = 5000011;

// OK when `m` is a prime in [kMinTableSize, kMaxTableSize]; otherwise an InvalidArgument error that
// says why and names the nearest allowed sizes.
absl::Status ValidateTableSize(uint64_t m);

// The fixed list the automatic choice picks from, ascending; every entry is prime (tested).
absl::Span<const uint32_t> AutomaticTableSizes();

// The smallest size of the fixed list that is at least 100 x endpoints (the Maglev paper's rule: at
// most ~1% difference in hash space between endpoints), or the largest entry when none is.
uint32_t AutomaticTableSize(uint64_t endpoints);

bool IsPrime(uint64_t n);

}  // namespace causeway::maglev

#endif  // CAUSEWAY_CONTROLPLANE_MAGLEV_TABLE_SIZE_H_
