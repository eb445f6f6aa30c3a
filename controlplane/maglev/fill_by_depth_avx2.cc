// The depth fill's probing phase, 8 endpoints per step with AVX2: the 8 "is my next slot free?"
// tests are one gather from the bitmap, and the cursors advance as one vector. Only the lanes that
// found a free slot go on, one by one in canonical order, and each re-checks its bit first — two
// lanes of a step may want the same slot, and the earlier one must win, as in ProbeByDepth. Mid-build
// most lanes find their slot taken, so most of the work stays in vectors.
//
// The endpoints' state is kept dense (DenseLanes), compacted after a depth where an endpoint got its
// quota.
#include <immintrin.h>

#include "controlplane/maglev/permutation.h"

namespace causeway::maglev::internal {

__attribute__((target("avx2"))) uint64_t ProbeByDepthAvx2(uint32_t m, std::vector<Cursor>& cursors,
                                                          std::vector<uint32_t>& left, uint32_t stop_at,
                                                          uint16_t* slots, SlotBitmap& taken,
                                                          std::vector<uint32_t>& active) {
  DenseLanes lanes(active, cursors, left, 8);
  std::vector<uint32_t>& next = lanes.next;
  std::vector<uint32_t>& skip = lanes.skip;
  const size_t& count = lanes.count;
  uint32_t* const words = taken.words32();
  uint32_t free_count = m;
  uint64_t depth = 0;
  const __m256i v_m = _mm256_set1_epi32(static_cast<int>(m));
  const __m256i v_m_minus_1 = _mm256_set1_epi32(static_cast<int>(m - 1));
  const __m256i v_31 = _mm256_set1_epi32(31);
  const __m256i v_1 = _mm256_set1_epi32(1);
  while (count > 0 && free_count > stop_at) {
    bool someone_done = false;
    for (size_t k = 0; k < count; k += 8) {
      const __m256i v_next = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&next[k]));
      const __m256i v_words = _mm256_i32gather_epi32(reinterpret_cast<const int*>(words), _mm256_srli_epi32(v_next, 5), 4);
      const __m256i v_bit = _mm256_sllv_epi32(v_1, _mm256_and_si256(v_next, v_31));
      const __m256i v_taken = _mm256_cmpeq_epi32(_mm256_and_si256(v_words, v_bit), v_bit);
      // Lanes past `count` (padding or, in the last step, finished endpoints) never claim.
      uint32_t free_lanes = ~static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(v_taken))) & 0xff;
      if (count - k < 8) free_lanes &= (1u << (count - k)) - 1;
      someone_done |= lanes.ClaimInOrder(free_lanes, k, words, slots, free_count) > 0;
      __m256i v_advanced = _mm256_add_epi32(v_next, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&skip[k])));
      // next + skip < 2M < 2^31, so a signed compare is safe.
      v_advanced = _mm256_sub_epi32(v_advanced, _mm256_and_si256(_mm256_cmpgt_epi32(v_advanced, v_m_minus_1), v_m));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(&next[k]), v_advanced);
    }
    ++depth;
    if (someone_done) lanes.Compact();
  }
  lanes.HandBack(cursors, left, active);
  return depth;
}

}  // namespace causeway::maglev::internal
