#include "dataplane/hash_buckets.h"

#include <rte_debug.h>
#include <rte_hash.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cstddef>
#include <cstdio>
#include <cstring>

#include "dataplane/flow_hash.h"

namespace causeway::dataplane {
namespace {

// The leading part of DPDK 22.11's `struct rte_hash` (lib/hash/rte_cuckoo_hash.h), up to the
// bucket array: field for field, so the compiler lays it out as DPDK's build did. Only read, and
// only once Locate has checked it against the table.
struct RteHashHead {
  char name[RTE_HASH_NAMESIZE];
  uint32_t entries;
  uint32_t num_buckets;
  void* free_slots;
  void* local_free_slots;
  void* hash_rcu_cfg;
  void* dq;
  alignas(64) uint32_t key_len;
  uint8_t hw_trans_mem_support;
  uint8_t use_local_cache;
  uint8_t readwrite_concur_support;
  uint8_t ext_table_support;
  uint8_t no_free_on_del;
  uint8_t readwrite_concur_lf_support;
  uint8_t writer_takes_lock;
  rte_hash_function hash_func;
  uint32_t hash_func_init_val;
  rte_hash_cmp_eq_t custom_cmp_eq;
  unsigned int cmp_jump_table_idx;
  unsigned int sig_cmp_fn;
  uint32_t bucket_bitmask;
  uint32_t key_entry_size;
  void* key_store;
  void* buckets;
};

// One bucket as rte_hash keeps it: slot i holds a short signature and a key index (position + 1;
// 0 is empty).
struct RteHashBucket {
  uint16_t sig_current[8];
  uint32_t key_idx[8];
  uint8_t flag[8];
  void* next;
};
static_assert(sizeof(RteHashBucket) == HashBuckets::kBucketBytes);

bool IsPowerOfTwo(uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

// The layout believed only if the table's own fields agree with what it was made with and a probe
// key added with a known signature and data shows up in the bucket, key slot and data word computed
// here. Tables with concurrent writers or deferred frees are refused before any probe: their
// lookups need rte_hash's locking, and their deleted slots are not free at once.
bool Checked(const RteHashHead* head, rte_hash* h, uint32_t entries) {
  constexpr uint32_t key_len = sizeof(FlowKey);
  FlowKey probe_key;
  probe_key.words.fill(~uint64_t{0});  // family byte 0xff: no flow has it
  if (head->entries != entries || head->key_len != key_len || !IsPowerOfTwo(head->num_buckets) ||
      head->bucket_bitmask != head->num_buckets - 1 || head->key_entry_size < key_len + sizeof(void*) ||
      head->key_store == nullptr || head->buckets == nullptr || rte_hash_count(h) != 0 ||
      head->readwrite_concur_support != 0 || head->readwrite_concur_lf_support != 0 || head->no_free_on_del != 0) {
    return false;
  }
  // A signature whose primary bucket is not bucket 0, with a short signature that is not 0 (empty).
  const uint32_t signature = 0x5a5a0000u | (0x1a5u & head->bucket_bitmask);
  void* const data = reinterpret_cast<void*>(uintptr_t{0x0123456789abcdefu});
  if (rte_hash_add_key_with_hash_data(h, &probe_key, signature, data) != 0) return false;
  const int32_t position = rte_hash_lookup_with_hash(h, &probe_key, signature);
  bool found = false;
  if (position >= 0) {
    const auto* bucket = static_cast<const RteHashBucket*>(head->buckets) + (signature & head->bucket_bitmask);
    for (int i = 0; i < 8; ++i) {
      found |= bucket->sig_current[i] == (signature >> 16) &&
               bucket->key_idx[i] == static_cast<uint32_t>(position) + 1;
    }
    // The key store too: slot position + 1 holds the data word, then the key.
    void* stored = nullptr;
    rte_hash_get_key_with_position(h, position, &stored);
    const auto* slot = static_cast<const uint8_t*>(head->key_store) +
                       (static_cast<size_t>(position) + 1) * head->key_entry_size;
    void* stored_data = nullptr;
    std::memcpy(&stored_data, slot, sizeof stored_data);
    found &= stored == slot + sizeof(void*) && stored_data == data;
  }
  // Deleted again: the table is as empty as it was (its first key will take the probe's slot).
  if (rte_hash_del_key_with_hash(h, &probe_key, signature) != position || rte_hash_count(h) != 0) return false;
  return found;
}

}  // namespace

bool HashBuckets::Locate(rte_hash* h, uint32_t entries, const char* table) {
  const auto* head = reinterpret_cast<const RteHashHead*>(h);
  if (!Checked(head, h, entries)) {
    buckets_ = nullptr;
    std::fprintf(stderr, "causeway: %s: rte_hash's buckets not where DPDK 22.11 keeps them; lookups are "
                 "rte_hash's own (slower: both buckets of every key)\n", table);
    return false;
  }
  buckets_ = static_cast<const uint8_t*>(head->buckets);
  mask_ = head->bucket_bitmask;
  key_store_ = static_cast<const uint8_t*>(head->key_store);
  key_entry_size_ = head->key_entry_size;
  return true;
}

namespace {

// The slots of `bucket` whose short signature is `short_signature`: bit 2s for slot s.
uint32_t MatchingSlots(const RteHashBucket* bucket, uint16_t short_signature) {
#ifdef __SSE2__
  const __m128i sigs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bucket->sig_current));
  const __m128i want = _mm_set1_epi16(static_cast<int16_t>(short_signature));
  // movemask gives two bits per 16-bit lane: keep the low one.
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi16(sigs, want))) & 0x5555u;
#else
  uint32_t slots = 0;
  for (uint32_t s = 0; s < 8; ++s) slots |= uint32_t{bucket->sig_current[s] == short_signature} << (2 * s);
  return slots;
#endif
}

}  // namespace

uint32_t HashBuckets::LookupPrimary(const void* const* keys, const uint32_t* signatures, uint32_t n,
                                    int32_t* positions, uint32_t* misses, uintptr_t* data) const {
  RTE_VERIFY(n <= kMaxKeys);  // a programming error, caught at the price of one compare a burst
  auto bucket_of = [this](uint32_t signature) {
    return reinterpret_cast<const RteHashBucket*>(buckets_ + static_cast<uintptr_t>(signature & mask_) * kBucketBytes);
  };
  auto stored_key = [this](uint32_t key_idx) {
    return key_store_ + static_cast<uintptr_t>(key_idx) * key_entry_size_ + sizeof(void*);
  };
  // Pass 1, over the burst: the slots whose short signature matches (rte_hash's: the signature's
  // high 16 bits), and their stored keys fetched, all of them before any is compared.
  uint32_t candidates[kMaxKeys];
  for (uint32_t i = 0; i < n; ++i) {
    const RteHashBucket* bucket = bucket_of(signatures[i]);
    candidates[i] = MatchingSlots(bucket, static_cast<uint16_t>(signatures[i] >> 16));
    // One line each: rte_hash's key slots are 64 bytes here (the data word and the 48-byte key,
    // rounded up to 16), and its key store is line-aligned.
    for (uint32_t c = candidates[i]; c != 0; c &= c - 1) {
      rte_prefetch0(stored_key(bucket->key_idx[__builtin_ctz(c) / 2]));
    }
  }
  // Pass 2: whole keys compared.
  uint32_t missed = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const RteHashBucket* bucket = bucket_of(signatures[i]);
    int32_t found = -1;
    for (uint32_t c = candidates[i]; c != 0 && found < 0; c &= c - 1) {
      const uint32_t key_idx = bucket->key_idx[__builtin_ctz(c) / 2];
      // 0 is an empty slot (whose signature reads 0); position p is kept in slot p + 1.
      const uint8_t* key = stored_key(key_idx);
      if (key_idx != 0 && std::memcmp(key, keys[i], sizeof(FlowKey)) == 0) {
        found = static_cast<int32_t>(key_idx) - 1;
        if (data != nullptr) std::memcpy(&data[i], key - sizeof(void*), sizeof(uintptr_t));
      }
    }
    positions[i] = found;
    if (found < 0) misses[missed++] = i;
  }
  return missed;
}

}  // namespace causeway::dataplane
