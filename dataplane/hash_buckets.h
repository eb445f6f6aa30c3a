// A faster read path into an rte_hash of FlowKeys: lookups that read only each key's primary bucket.
//
// rte_hash's bulk lookup fetches both buckets a key may live in, every time. At a million flows
// each is a DRAM miss, and the core keeps only ~16 misses in flight: the second bucket costs a
// burst 32 misses for keys that are almost never there (a key goes to its alternative bucket only
// when its primary one is full: 0.9% of the keys of a table half full). Reading the primary bucket
// alone, fetched as soon as the signature is known, and asking rte_hash itself only for the keys not
// found there, gave established flows at 1M +8–18% in interleaved rounds, full-NAT +6%; new flows pay
// for the extra look, −3–4% (dataplane/README.md). rte_hash still does everything else: insert,
// delete, placement, bounds.
//
// rte_hash has no call for this; its buckets and key store are in a private structure
// (lib/hash/rte_cuckoo_hash.h). HashBuckets reads them from a declaration of that structure's
// leading part as DPDK 22.11 lays it out, and believes it only after checking it against the table
// itself (Locate, in hash_buckets.cc): the fields must agree with what was asked for, the table must
// have no concurrent writers or deferred frees, and for a probe key added with a known signature and
// data, the bucket, key slot and data word computed here must hold them. If any check fails —
// another DPDK release, another layout — the table's lookups are rte_hash's own, as before. A key is
// only ever reported found after its whole stored key compared equal. x86 uses SSE2 for the
// signature compare; elsewhere a plain loop.
#ifndef CAUSEWAY_DATAPLANE_HASH_BUCKETS_H_
#define CAUSEWAY_DATAPLANE_HASH_BUCKETS_H_

#include <rte_prefetch.h>

#include <cstdint>

struct rte_hash;

namespace causeway::dataplane {

class HashBuckets {
 public:
  // For an empty table of FlowKeys made with `entries` and no concurrent writers or deferred frees
  // (extendable buckets are fine: keys there are rte_hash's to find); false (and a line on stderr
  // naming `table`) if anything does not check out. A probe key is added and deleted again.
  bool Locate(rte_hash* h, uint32_t entries, const char* table);

  bool located() const { return buckets_ != nullptr; }

  // Starts fetching the primary bucket of `signature` (rte_hash's placement: the signature's low
  // bits). Call it as soon as the signature is known, so the fetch overlaps the work before the
  // lookup.
  void PrefetchPrimary(uint32_t signature) const {
    if (buckets_ == nullptr) return;
    rte_prefetch0(buckets_ + static_cast<uintptr_t>(signature & mask_) * kBucketBytes);
  }

  // Looks up to kMaxKeys FlowKeys in their primary buckets only (located() must be true):
  // positions[i] is the key's position when found there, else -1 and i is appended to `misses`;
  // returns how many missed. A key absent from its primary bucket may still be in its alternative
  // one: the caller asks rte_hash for the misses. With `data`, data[i] is a found key's data (what
  // rte_hash_add_key_with_hash_data stored with it; it sits beside the key).
  uint32_t LookupPrimary(const void* const* keys, const uint32_t* signatures, uint32_t n, int32_t* positions,
                         uint32_t* misses, uintptr_t* data = nullptr) const;

  static constexpr uint32_t kMaxKeys = 32;  // a lookup's most keys (a burst)
  static constexpr uint32_t kBucketBytes = 64;  // one cache line: 8 short signatures and key slots

 private:
  const uint8_t* buckets_ = nullptr;
  uint32_t mask_ = 0;
  const uint8_t* key_store_ = nullptr;
  uint32_t key_entry_size_ = 0;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_HASH_BUCKETS_H_
