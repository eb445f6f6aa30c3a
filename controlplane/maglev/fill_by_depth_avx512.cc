// The depth fill's probing phase, 16 endpoints per step with AVX-512, branch-free in the common case.
// Where the AVX2 step claims its free lanes one by one in scalar code (a branch per lane that no
// predictor guesses), this one claims them all at once: a conflict check finds the lanes whose bitmap
// word an earlier free lane of the step also wants, and when there is none (almost always: 16 lanes
// over M/32 words) the new bits go back with one scatter and the claims are compressed to the front
// of a vector and written straight to the table (no claim log: its M entries cost page faults).
// Steps with a shared word take the scalar path, which re-checks each bit in lane order, so an
// earlier lane still wins a slot two lanes want — the same tables as ProbeByDepth.
#include <immintrin.h>

#include <bit>

#include "controlplane/maglev/permutation.h"

namespace causeway::maglev::internal {

__attribute__((target("avx512f,avx512cd,avx512vl,popcnt"))) uint64_t ProbeByDepthAvx512(
    uint32_t m, std::vector<Cursor>& cursors, std::vector<uint32_t>& left, uint32_t stop_at, uint16_t* slots,
    SlotBitmap& taken, std::vector<uint32_t>& active) {
  DenseLanes lanes(active, cursors, left, 16);
  const std::vector<uint32_t>& ids = lanes.ids;
  std::vector<uint32_t>& next = lanes.next;
  const std::vector<uint32_t>& skip = lanes.skip;
  std::vector<uint32_t>& wanted = lanes.wanted;
  const size_t& count = lanes.count;
  uint32_t* const words = taken.words32();
  uint32_t free_count = m;
  uint64_t depth = 0;
  const __m512i v_m = _mm512_set1_epi32(static_cast<int>(m));
  const __m512i v_m_minus_1 = _mm512_set1_epi32(static_cast<int>(m - 1));
  const __m512i v_31 = _mm512_set1_epi32(31);
  const __m512i v_1 = _mm512_set1_epi32(1);
  const __m512i v_0 = _mm512_setzero_si512();
  // Endpoints that got their quota stay in the dense arrays, masked out (wanted == 0), until a
  // quarter of them are done: compacting after every depth where one finished cost more than the
  // probing itself.
  size_t done = 0;
  while (count > done && free_count > stop_at) {
    for (size_t k = 0; k < count; k += 16) {
      // Lanes past `count` (padding or, in the last step, finished endpoints) never claim; nor do
      // lanes whose endpoint has its quota.
      const __mmask16 in_range = count - k >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (count - k)) - 1);
      __m512i v_wanted = _mm512_loadu_si512(&wanted[k]);
      const __mmask16 valid = _mm512_mask_cmpneq_epi32_mask(in_range, v_wanted, v_0);
      const __m512i v_next = _mm512_loadu_si512(&next[k]);
      // The maskz forms: GCC 12 warns about the undefined source register of the plain ones.
      const __m512i v_word = _mm512_maskz_srli_epi32(0xffff, v_next, 5);
      const __m512i v_words = _mm512_mask_i32gather_epi32(v_0, valid, v_word, words, 4);
      const __m512i v_bit = _mm512_maskz_sllv_epi32(0xffff, v_1, _mm512_and_si512(v_next, v_31));
      const __mmask16 free_lanes = _mm512_mask_testn_epi32_mask(valid, v_words, v_bit);
      if (free_lanes != 0) {
        // For each lane, the earlier lanes that want the same word; only free lanes matter.
        const __m512i v_earlier = _mm512_conflict_epi32(v_word);
        const __mmask16 shared =
            _mm512_mask_test_epi32_mask(free_lanes, v_earlier, _mm512_set1_epi32(static_cast<int>(free_lanes)));
        if (shared == 0) {
          _mm512_mask_i32scatter_epi32(words, free_lanes, v_word, _mm512_or_si512(v_words, v_bit), 4);
          // The claims, compressed to the front, written one by one.
          alignas(64) uint32_t claim_slot[16], claim_id[16];
          _mm512_store_si512(claim_slot, _mm512_maskz_compress_epi32(free_lanes, v_next));
          _mm512_store_si512(claim_id, _mm512_maskz_compress_epi32(free_lanes, _mm512_loadu_si512(&ids[k])));
          const auto claimed = static_cast<uint32_t>(std::popcount(static_cast<uint32_t>(free_lanes)));
          for (uint32_t c = 0; c < claimed; ++c) slots[claim_slot[c]] = static_cast<uint16_t>(claim_id[c]);
          free_count -= claimed;
          v_wanted = _mm512_mask_sub_epi32(v_wanted, free_lanes, v_wanted, v_1);
          _mm512_storeu_si512(&wanted[k], v_wanted);
          done += static_cast<size_t>(
              std::popcount(static_cast<uint32_t>(_mm512_mask_cmpeq_epi32_mask(free_lanes, v_wanted, v_0))));
        } else {
          // Rare: two free lanes share a word (maybe a slot). In lane order, re-checking each bit.
          done += lanes.ClaimInOrder(static_cast<uint32_t>(free_lanes), k, words, slots, free_count);
        }
      }
      __m512i v_advanced = _mm512_add_epi32(v_next, _mm512_loadu_si512(&skip[k]));
      // next + skip < 2M < 2^31, so a signed compare is safe.
      v_advanced = _mm512_mask_sub_epi32(v_advanced, _mm512_cmpgt_epi32_mask(v_advanced, v_m_minus_1), v_advanced, v_m);
      _mm512_storeu_si512(&next[k], v_advanced);
    }
    ++depth;
    if (done * 4 >= count) {
      lanes.Compact();
      done = 0;
    }
  }
  lanes.HandBack(cursors, left, active);
  return depth;
}

bool CpuHasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                          __builtin_cpu_supports("avx512vl");
  return has;
}

}  // namespace causeway::maglev::internal
