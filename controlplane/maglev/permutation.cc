#include "controlplane/maglev/permutation.h"

#include <bit>
#include <utility>

namespace causeway::maglev::internal {

std::vector<uint32_t> SlotBitmap::FreeSlots(uint32_t size) const {
  std::vector<uint32_t> out;
  for (uint32_t w = 0; w < words_.size(); ++w) {
    uint32_t free_bits = ~words_[w];
    while (free_bits != 0) {
      const uint32_t slot = w * 32 + static_cast<uint32_t>(std::countr_zero(free_bits));
      if (slot >= size) break;
      out.push_back(slot);
      free_bits &= free_bits - 1;
    }
  }
  return out;
}

DenseLanes::DenseLanes(const std::vector<uint32_t>& active, const std::vector<Cursor>& cursors,
                       const std::vector<uint32_t>& left, size_t lanes)
    : count(active.size()) {
  const size_t padded = (count + lanes - 1) / lanes * lanes;
  ids.resize(padded);
  next.resize(padded);
  skip.resize(padded);
  wanted.resize(padded);
  for (size_t k = 0; k < count; ++k) {
    ids[k] = active[k];
    next[k] = cursors[active[k]].next;
    skip[k] = cursors[active[k]].skip;
    wanted[k] = left[active[k]];
  }
}

void DenseLanes::Compact() {
  size_t kept = 0;
  for (size_t k = 0; k < count; ++k) {
    if (wanted[k] == 0) continue;
    ids[kept] = ids[k];
    next[kept] = next[k];
    skip[kept] = skip[k];
    wanted[kept] = wanted[k];
    ++kept;
  }
  count = kept;
}

void DenseLanes::HandBack(std::vector<Cursor>& cursors, std::vector<uint32_t>& left,
                          std::vector<uint32_t>& active) const {
  for (uint32_t e : active) left[e] = 0;
  active.clear();
  for (size_t k = 0; k < count; ++k) {
    if (wanted[k] == 0) continue;
    active.push_back(ids[k]);
    cursors[ids[k]].next = next[k];
    left[ids[k]] = wanted[k];
  }
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
