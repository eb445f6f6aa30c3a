// The textbook Maglev fill (the paper's Figure 3, with quotas): in round r every endpoint whose quota
// exceeds r claims the first free slot of its permutation. Kept beside the depth-ordered fill so that
// both stay measurable; same balance, more disruption (see maglev_table.h).
#include <cmath>

#include "controlplane/maglev/permutation.h"

namespace causeway::maglev::internal {
namespace {

// Probing costs about M/free probes a claim, so filling the last few hundred slots by probing would
// take half the build (about M·ln(sqrt M) probes). Once few slots are free, Claim() computes the
// answer instead: the first free slot is the one the fewest steps ahead (ModArith::Steps). Both ways
// give the same slot; only the work differs.
class RoundRobinFiller {
 public:
  RoundRobinFiller(uint32_t m, std::vector<Cursor>& cursors, uint16_t* slots)
      : m_(m),
        arith_(m),
        free_count_(m),
        // The per-claim costs cross where free² ≈ M/2 (a probe is cheaper than a step of the scan).
        scan_below_(static_cast<uint32_t>(std::sqrt(m / 2.0)) + 1),
        cursors_(cursors),
        inverses_(cursors.size(), 0),
        slots_(slots),
        taken_(m) {}

  void Claim(uint32_t endpoint) {
    Cursor& c = cursors_[endpoint];
    uint32_t slot = free_count_ > scan_below_ ? Probe(c) : Scan(endpoint, c);
    slots_[slot] = static_cast<uint16_t>(endpoint);
    --free_count_;
    slot += c.skip;
    slot -= slot >= m_ ? m_ : 0;
    c.next = slot;
  }

 private:
  uint32_t Probe(const Cursor& c) {
    uint32_t slot = c.next;
    while (taken_.taken(slot)) {
      slot += c.skip;
      slot -= slot >= m_ ? m_ : 0;
    }
    taken_.take(slot);
    return slot;
  }

  uint32_t Scan(uint32_t endpoint, const Cursor& c) {
    if (free_.empty()) free_ = taken_.FreeSlots(m_);
    uint64_t& inverse = inverses_[endpoint];
    if (inverse == 0) inverse = arith_.Inverse(c.skip);
    const size_t best = arith_.NearestFree(free_, c.next, inverse).index;
    const uint32_t slot = free_[best];
    free_[best] = free_.back();
    free_.pop_back();
    taken_.take(slot);
    return slot;
  }

  const uint32_t m_;
  const ModArith arith_;
  uint32_t free_count_;
  const uint32_t scan_below_;
  std::vector<Cursor>& cursors_;
  std::vector<uint64_t> inverses_;  // skip⁻¹ mod M, computed when first needed; 0 = not yet
  uint16_t* const slots_;
  SlotBitmap taken_;
  std::vector<uint32_t> free_;  // the free slots, once scanning
};

}  // namespace

void FillRoundRobin(uint32_t m, std::vector<Cursor>& cursors, const std::vector<uint32_t>& quotas,
                    uint16_t* slots) {
  // Endpoints drop out of `active` as their quota is met, so a round costs only its claims, whatever
  // the weight spread.
  std::vector<uint32_t> active;
  active.reserve(cursors.size());
  for (uint32_t i = 0; i < cursors.size(); ++i) {
    if (quotas[i] > 0) active.push_back(i);
  }
  RoundRobinFiller filler(m, cursors, slots);
  for (uint32_t round = 0; !active.empty(); ++round) {
    size_t kept = 0;
    for (uint32_t i : active) {
      filler.Claim(i);
      if (quotas[i] > round + 1) active[kept++] = i;
    }
    active.resize(kept);
  }
}

}  // namespace causeway::maglev::internal
