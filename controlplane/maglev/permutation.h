// Internal to the Maglev builder: an endpoint's permutation of the table's slots, and the arithmetic
// both fills share. Slot j of endpoint e's permutation is (offset + j·skip) mod M.
#ifndef CAUSEWAY_CONTROLPLANE_MAGLEV_PERMUTATION_H_
#define CAUSEWAY_CONTROLPLANE_MAGLEV_PERMUTATION_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace causeway::maglev::internal {

// Where an endpoint is in its permutation: the next slot to look at and the step between slots.
struct Cursor {
  uint32_t next;
  uint32_t skip;
};

// One bit per slot: 65537 slots fit in 8 KiB, inside L1, so probing (the build's whole cost) does not
// wait for memory. 32-bit words, the width the vector probes gather, so that every path reads and
// writes the bits through one type.
class SlotBitmap {
 public:
  explicit SlotBitmap(uint32_t size) : words_((size + 31) / 32, 0) {}
  bool taken(uint32_t slot) const { return (words_[slot >> 5] >> (slot & 31)) & 1; }
  void take(uint32_t slot) { words_[slot >> 5] |= uint32_t{1} << (slot & 31); }
  // Marks `slot` taken and says whether it was free, without a branch.
  uint32_t TakeIfFree(uint32_t slot) {
    uint32_t& word = words_[slot >> 5];
    const uint32_t bit = uint32_t{1} << (slot & 31);
    const auto was_free = static_cast<uint32_t>((word & bit) == 0);
    word |= bit;
    return was_free;
  }
  // The free slots, ascending.
  std::vector<uint32_t> FreeSlots(uint32_t size) const;
  // The words (slot s is bit s % 32 of word s / 32), for vector gathers.
  uint32_t* words32() { return words_.data(); }

 private:
  std::vector<uint32_t> words_;
};

// Arithmetic modulo the prime table size M, for finding where a slot lies in a permutation without
// walking to it: slot f is ((f - next)·skip⁻¹ mod M) steps after `next`.
class ModArith {
 public:
  explicit ModArith(uint32_t m) : m_(m), inverse_m_(1.0 / m) {}

  // skip⁻¹ mod M (extended Euclid); skip is in [1, M).
  uint64_t Inverse(uint64_t skip) const;

  // The free slot (index into `free`, non-empty) that the permutation through `from` reaches first,
  // and how many steps away it is. Exactly the slot probing from `from` would find.
  struct Nearest {
    size_t index;
    uint64_t steps;
  };
  Nearest NearestFree(const std::vector<uint32_t>& free, uint32_t from, uint64_t skip_inverse) const {
    Nearest best{0, ~uint64_t{0}};
    for (size_t k = 0; k < free.size(); ++k) {
      const uint64_t steps = Steps(from, free[k], skip_inverse);
      if (steps < best.steps) best = {k, steps};
    }
    return best;
  }

  // Steps from `from` to `to` along a permutation whose skip has inverse `skip_inverse`.
  uint64_t Steps(uint32_t from, uint32_t to, uint64_t skip_inverse) const {
    const uint64_t delta = to >= from ? to - from : to + m_ - from;
    return MulMod(delta, skip_inverse);
  }

 private:
  // a·b mod M for a, b < M ≤ 5,000,011: the product stays below 2^45, exact in a double, so the
  // quotient from a floating multiply is off by at most one. Avoids a 64-bit division per step.
  uint64_t MulMod(uint64_t a, uint64_t b) const {
    const uint64_t product = a * b;
    const auto quotient = static_cast<uint64_t>(static_cast<double>(product) * inverse_m_);
    auto r = static_cast<int64_t>(product - quotient * m_);
    if (r < 0) r += m_;
    if (r >= static_cast<int64_t>(m_)) r -= m_;
    return static_cast<uint64_t>(r);
  }

  const uint32_t m_;
  const double inverse_m_;
};

// The vector probes' state, dense by position in the active list (not by endpoint), so that a step
// loads and stores consecutive entries; padded to a multiple of `lanes` with entries that never
// claim. An entry whose endpoint has its quota has wanted == 0.
struct DenseLanes {
  DenseLanes(const std::vector<uint32_t>& active, const std::vector<Cursor>& cursors,
             const std::vector<uint32_t>& left, size_t lanes);
  // Drops the entries with wanted == 0, keeping the order (canonical).
  void Compact();
  // Hands the cursors and what is left back by endpoint; `active` becomes the endpoints still
  // short, in canonical order.
  void HandBack(std::vector<Cursor>& cursors, std::vector<uint32_t>& left, std::vector<uint32_t>& active) const;
  // Entry `lane` claims `slot`, which was free when its step (or depth) looked, unless an earlier
  // lane has taken it since: two lanes may want the same slot, and the earlier one must win, as in
  // ProbeByDepth. Returns 1 when the entry got its quota by it.
  uint32_t Claim(size_t lane, uint32_t slot, uint32_t* words, uint16_t* slots, uint32_t& free_count) {
    uint32_t& word = words[slot >> 5];
    const uint32_t bit = 1u << (slot & 31);
    if (word & bit) return 0;  // an earlier lane took it
    word |= bit;
    slots[slot] = static_cast<uint16_t>(ids[lane]);
    --free_count;
    return --wanted[lane] == 0;
  }
  // The AVX2 probe's scalar step: the lanes set in `lane_mask` (bit i: entry k + i) found their
  // next slot free, and claim it one by one in canonical order. Returns how many of them got their
  // quota.
  uint32_t ClaimInOrder(uint32_t lane_mask, size_t k, uint32_t* words, uint16_t* slots, uint32_t& free_count) {
    uint32_t done = 0;
    while (lane_mask != 0) {
      const size_t lane = k + static_cast<size_t>(std::countr_zero(lane_mask));
      lane_mask &= lane_mask - 1;
      done += Claim(lane, next[lane], words, slots, free_count);
    }
    return done;
  }

  std::vector<uint32_t> ids, next, skip, wanted;
  size_t count;  // entries in use
};

// The probing phase of the depth fill: depth by depth, every endpoint still short of slots looks at
// the next slot of its permutation and takes it if free, until at most `stop_at` slots are free or
// every endpoint has its quota. Claims go to `slots` and `taken`; cursors[e].next and left[e] follow.
// Leaves in `active` the endpoints still short (canonical order) and returns the depth reached.
// Three implementations, identical in result: portable, AVX2 (8 endpoints per step) and AVX-512 (16
// per step, a depth's free slots found in vectors before any is claimed), the widest the CPU has
// chosen at run time.
uint64_t ProbeByDepth(uint32_t m, std::vector<Cursor>& cursors, std::vector<uint32_t>& left, uint32_t stop_at,
                      uint16_t* slots, SlotBitmap& taken, std::vector<uint32_t>& active);
uint64_t ProbeByDepthAvx2(uint32_t m, std::vector<Cursor>& cursors, std::vector<uint32_t>& left, uint32_t stop_at,
                          uint16_t* slots, SlotBitmap& taken, std::vector<uint32_t>& active);
uint64_t ProbeByDepthAvx512(uint32_t m, std::vector<Cursor>& cursors, std::vector<uint32_t>& left, uint32_t stop_at,
                            uint16_t* slots, SlotBitmap& taken, std::vector<uint32_t>& active);
bool CpuHasAvx2();
bool CpuHasAvx512();
// Tests set these to check that every implementation gives the same tables.
inline bool g_allow_avx2 = true;
inline bool g_allow_avx512 = true;

// The two fills (see maglev_table.h, MaglevFill). Each fills `slots` (M entries) so that endpoint i
// holds exactly quotas[i] slots; `cursors` start at each permutation's first slot and are consumed.
void FillRoundRobin(uint32_t m, std::vector<Cursor>& cursors, const std::vector<uint32_t>& quotas,
                    uint16_t* slots);
void FillByDepth(uint32_t m, std::vector<Cursor>& cursors, const std::vector<uint32_t>& quotas,
                 uint16_t* slots);

}  // namespace causeway::maglev::internal

#endif  // CAUSEWAY_CONTROLPLANE_MAGLEV_PERMUTATION_H_
