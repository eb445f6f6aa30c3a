#include "controlplane/maglev/table_size.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace causeway::maglev {
namespace {

// Roughly doubling primes, plus the two sizes operators know (65537 and 655373).
constexpr std::array<uint32_t, 17> kAutomaticSizes = {
    251,    509,    1021,   2039,    4093,    8191,    16381,   32749,  65537,
    131071, 262139, 524287, 655373, 1048573, 2097143, 4194301, 5000011,
};

uint64_t PreviousPrime(uint64_t n) {
  while (n > 2 && !IsPrime(n)) --n;
  return n;
}

uint64_t NextPrime(uint64_t n) {
  while (!IsPrime(n)) ++n;
  return n;
}

}  // namespace

bool IsPrime(uint64_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (uint64_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

absl::Status ValidateTableSize(uint64_t m) {
  if (m < kMinTableSize || m > kMaxTableSize) {
    return absl::InvalidArgumentError(absl::StrCat("Maglev table size ", m, " is out of range: it must be a prime from ",
                                                   kMinTableSize, " to ", kMaxTableSize));
  }
  if (!IsPrime(m)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Maglev table size ", m, " is not prime (Maglev's permutations need a prime); nearest primes: ",
        PreviousPrime(m), " and ", NextPrime(m)));
  }
  return absl::OkStatus();
}

absl::Span<const uint32_t> AutomaticTableSizes() { return kAutomaticSizes; }

uint32_t AutomaticTableSize(uint64_t endpoints) {
  const uint64_t wanted = 100 * endpoints;
  for (uint32_t m : kAutomaticSizes) {
    if (m >= wanted) return m;
  }
  return kAutomaticSizes.back();
}

}  // namespace causeway::maglev
