// The depth-ordered fill: at depth j, every endpoint that still lacks slots looks at the j-th slot of
// its permutation and takes it if free. A slot therefore goes to the endpoint that ranks it highest
// (smallest j; ties to canonical order). This is the endpoint-optimal stable matching between
// endpoints (with their quotas) and slots (which prefer the endpoint that ranks them highest), the
// result deferred acceptance would reach in any order, so it depends only on the endpoint set.
//
// Why: in the round-robin fill, removing an endpoint lets others claim its slots earlier than before,
// and each such claim frees a slot further down the fill: chains of moves about 7x the removed
// endpoint's own slots. Here a slot changes hands only if its new owner ranks it higher, and the
// chains are shorter: removing one of 1000 endpoints moves ~0.4% of the slots instead of ~0.7%, with
// the same balance (the quotas are the same).
#include <cmath>
#include <cstddef>
#include <memory>

#include "controlplane/maglev/permutation.h"

namespace causeway::maglev::internal {
namespace {

// The last slots, once few are free: rather than probing ~M/free slots per claim, compute where each
// free slot lies in each remaining endpoint's permutation and hand the slots out in depth order.
// Gives exactly what continued probing would give.
class DepthTail {
 public:
  DepthTail(uint32_t m, std::vector<Cursor>& cursors, std::vector<uint32_t>& left, uint16_t* slots,
            std::vector<uint32_t> free_slots)
      : m_(m), arith_(m), cursors_(cursors), left_(left), slots_(slots), free_(std::move(free_slots)) {}

  // `active` holds the endpoints that still lack slots, in canonical order, all of them with their
  // cursor at `depth`.
  void Run(const std::vector<uint32_t>& active, uint64_t depth) {
    struct Pending {
      uint32_t endpoint;
      uint64_t inverse;  // skip⁻¹ mod M
      uint64_t depth;    // depth of the cursor
      uint64_t best_depth;
      uint32_t best_slot;
    };
    std::vector<Pending> pending;
    pending.reserve(active.size());
    for (uint32_t e : active) {
      Pending p{e, arith_.Inverse(cursors_[e].skip), depth, 0, 0};
      Best(p.endpoint, p.inverse, p.depth, p.best_depth, p.best_slot);
      pending.push_back(p);
    }
    while (!pending.empty()) {
      // Smallest depth first; at equal depth the endpoint earlier in canonical order, as probing would.
      size_t win = 0;
      for (size_t k = 1; k < pending.size(); ++k) {
        if (pending[k].best_depth < pending[win].best_depth) win = k;
      }
      Pending& w = pending[win];
      const uint32_t slot = w.best_slot;
      slots_[slot] = static_cast<uint16_t>(w.endpoint);
      RemoveFree(slot);
      const uint32_t e = w.endpoint;
      if (--left_[e] == 0) {
        pending.erase(pending.begin() + static_cast<ptrdiff_t>(win));
      } else {
        uint32_t next = slot + cursors_[e].skip;
        next -= next >= m_ ? m_ : 0;
        cursors_[e].next = next;
        w.depth = w.best_depth + 1;
        Best(e, w.inverse, w.depth, w.best_depth, w.best_slot);
      }
      for (Pending& p : pending) {
        if (p.best_slot == slot) Best(p.endpoint, p.inverse, p.depth, p.best_depth, p.best_slot);
      }
    }
  }

 private:
  void Best(uint32_t e, uint64_t inverse, uint64_t depth, uint64_t& best_depth, uint32_t& best_slot) const {
    const ModArith::Nearest n = arith_.NearestFree(free_, cursors_[e].next, inverse);
    best_slot = free_[n.index];
    best_depth = depth + n.steps;
  }

  void RemoveFree(uint32_t slot) {
    for (auto& f : free_) {
      if (f == slot) {
        f = free_.back();
        free_.pop_back();
        return;
      }
    }
  }

  const uint32_t m_;
  const ModArith arith_;
  std::vector<Cursor>& cursors_;
  std::vector<uint32_t>& left_;
  uint16_t* const slots_;
  std::vector<uint32_t> free_;
};

}  // namespace

uint64_t ProbeByDepth(uint32_t m, std::vector<Cursor>& cursors, std::vector<uint32_t>& left, uint32_t stop_at,
                      uint16_t* slots, SlotBitmap& taken, std::vector<uint32_t>& active) {
  uint32_t free_count = m;
  // Claims are logged (endpoint << 32 | slot) and written out after the loop: a store whose address
  // depends on whether the slot was free stalls the loads behind it (1.4x slower). Not zeroed: only
  // the first claim_count entries are read.
  std::unique_ptr<uint64_t[]> claims(new uint64_t[m]);
  size_t claim_count = 0;
  uint64_t depth = 0;
  while (!active.empty() && free_count > stop_at) {
    size_t kept = 0;
    for (uint32_t e : active) {
      Cursor& c = cursors[e];
      const uint32_t slot = c.next;
      const uint32_t was_free = taken.TakeIfFree(slot);
      claims[claim_count] = (uint64_t{e} << 32) | slot;
      claim_count += was_free;
      left[e] -= was_free;
      free_count -= was_free;
      uint32_t next = slot + c.skip;
      next -= next >= m ? m : 0;
      c.next = next;
      active[kept] = e;
      kept += left[e] != 0;
    }
    active.resize(kept);
    ++depth;
  }
  for (size_t k = 0; k < claim_count; ++k) {
    slots[static_cast<uint32_t>(claims[k])] = static_cast<uint16_t>(claims[k] >> 32);
  }
  return depth;
}

bool CpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

void FillByDepth(uint32_t m, std::vector<Cursor>& cursors, const std::vector<uint32_t>& quotas,
                 uint16_t* slots) {
  std::vector<uint32_t> left = quotas;
  std::vector<uint32_t> active;
  active.reserve(cursors.size());
  for (uint32_t i = 0; i < cursors.size(); ++i) {
    if (left[i] > 0) active.push_back(i);
  }
  SlotBitmap taken(m);
  // Below about sqrt(M) free slots the tail's closed form is cheaper than probing; AVX-512 probes
  // faster, so it goes on probing down to half that (re-measured with its two-pass probe against a
  // quarter and an eighth: half was best or level).
  const double root = std::sqrt(static_cast<double>(m));
  // With few endpoints a depth is one or two vector steps, and the portable loop was faster there
  // (measured with the AVX2 probe and the earlier, one-pass AVX-512 one).
  const bool vector = active.size() >= 64;
  uint64_t depth = 0;
  if (vector && g_allow_avx512 && CpuHasAvx512()) {
    depth = ProbeByDepthAvx512(m, cursors, left, static_cast<uint32_t>(root / 2), slots, taken, active);
  } else if (vector && g_allow_avx2 && CpuHasAvx2()) {
    depth = ProbeByDepthAvx2(m, cursors, left, static_cast<uint32_t>(root), slots, taken, active);
  } else {
    depth = ProbeByDepth(m, cursors, left, static_cast<uint32_t>(root), slots, taken, active);
  }
  if (active.empty()) return;
  DepthTail(m, cursors, left, slots, taken.FreeSlots(m)).Run(active, depth);
}

}  // namespace causeway::maglev::internal
