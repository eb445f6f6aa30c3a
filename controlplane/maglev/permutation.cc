#include "controlplane/maglev/permutation.h"

#include <bit>
#include <utility>

namespace causeway::maglev::internal {

std::vector<uint32_t> SlotBitmap::FreeSlots(uint32_t size) const {
  std::vector<uint32_t> out;
  for (uint32_t w = 0; w < words_.size(); ++w) {
    uint64_t free_bits = ~words_[w];
    while (free_bits != 0) {
      const uint32_t slot = w * 64 + static_cast<uint32_t>(std::countr_zero(free_bits));
      if (slot >= size) break;
      out.push_back(slot);
      free_bits &= free_bits - 1;
    }
  }
  return out;
}

uint64_t ModArith::Inverse(uint64_t skip) const {
  int64_t t = 0, new_t = 1;
  int64_t r = m_, new_r = static_cast<int64_t>(skip);
  while (new_r != 0) {
    const int64_t q = r / new_r;
    t = std::exchange(new_t, t - q * new_t);
    r = std::exchange(new_r, r - q * new_r);
  }
  return static_cast<uint64_t>(t < 0 ? t + m_ : t);
}

}  // namespace causeway::maglev::internal
