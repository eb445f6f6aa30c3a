#include "dataplane/flow_table.h"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace causeway::dataplane {

FlowSignatureKey RandomFlowSignatureKey() {
  FlowSignatureKey key;
  for (uint64_t& k : key.k) k = rte_rand();
  return key;
}

absl::StatusOr<std::unique_ptr<FlowTable>> FlowTable::Create(const FlowTableConfig& config) {
  static std::atomic<uint32_t> next_name{0};
  std::unique_ptr<FlowTable> t(new FlowTable(config));
  const std::string name = absl::StrCat("cw_flows_", next_name.fetch_add(1));
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = config.capacity;
  p.key_len = sizeof(FlowKey);
  // Only the *_with_hash calls are used (the signature is FlowSignature); hash_func is what
  // rte_hash requires to exist.
  p.hash_func = rte_hash_crc;
  p.socket_id = config.socket_id;
  t->signature_key_ = config.signature_key.has_value() ? *config.signature_key : RandomFlowSignatureKey();
  t->hash_ = rte_hash_create(&p);
  if (t->hash_ == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("flow table of ", config.capacity,
                                                     " entries: ", rte_strerror(rte_errno)));
  }
  if (config.primary_bucket_lookup) t->buckets_.Locate(t->hash_, config.capacity, name.c_str());
  t->positions_ = static_cast<uint32_t>(rte_hash_max_key_id(t->hash_)) + 1;
  if (!t->entries_.Allocate(t->positions_, config.socket_id, "cw_flow_entries")) {
    return absl::ResourceExhaustedError(absl::StrCat("flow table of ", config.capacity, " entries: no memory for them"));
  }
  return t;
}

FlowTable::~FlowTable() {
  if (hash_ != nullptr) rte_hash_free(hash_);
}

void FlowTable::LookupBulk(const FlowKey* const* keys, uint32_t* signatures, uint32_t n,
                           int32_t* positions) {
  const auto** all = reinterpret_cast<const void**>(const_cast<const FlowKey**>(keys));
  // The primary buckets first (see HashBuckets); rte_hash's own lookup, both buckets, for the rest:
  // keys placed in their alternative bucket, and absent ones.
  if (!buckets_.located()) {
    slow_lookups_ += n;
    rte_hash_lookup_with_hash_bulk(hash_, all, signatures, n, positions);
    return;
  }
  uint32_t misses[HashBuckets::kMaxKeys];
  const uint32_t missed = buckets_.LookupPrimary(all, signatures, n, positions, misses);
  if (missed == 0) return;
  slow_lookups_ += missed;
  const void* miss_keys[HashBuckets::kMaxKeys];
  uint32_t miss_sigs[HashBuckets::kMaxKeys];
  int32_t miss_positions[HashBuckets::kMaxKeys];
  for (uint32_t j = 0; j < missed; ++j) {
    miss_keys[j] = all[misses[j]];
    miss_sigs[j] = signatures[misses[j]];
  }
  rte_hash_lookup_with_hash_bulk(hash_, miss_keys, miss_sigs, missed, miss_positions);
  for (uint32_t j = 0; j < missed; ++j) positions[misses[j]] = miss_positions[j];
}

int32_t FlowTable::Insert(const FlowKey& key, uint32_t signature) {
  // rte_hash may hold a few more keys than asked for (per-bucket rounding); the configured capacity
  // is the bound operators set, so it is enforced here.
  if (rte_hash_count(hash_) >= static_cast<int32_t>(config_.capacity)) return -1;
  const int32_t pos = rte_hash_add_key_with_hash(hash_, &key, signature);
  if (pos < 0) return -1;
  entries_[pos] = FlowEntry{};
  return pos;
}

uint32_t FlowTable::Sweep(uint32_t now_ms, uint32_t budget) {
  if (budget == 0) budget = sweep_pace_.share();
  uint32_t removed = 0;
  for (uint32_t i = 0; i < budget; ++i) {
    const uint32_t pos = sweep_cursor_;
    sweep_cursor_ = sweep_cursor_ + 1 == positions_ ? 0 : sweep_cursor_ + 1;
    FlowEntry& e = entries_[pos];
    if (e.state == FlowState::kFree || !Expired(e, now_ms)) continue;
    // rte_hash_get_key_with_position hands out the stored key but then checks it against the
    // table's own hash function, which is not the signature used here: it reports -ENOENT for keys
    // that are present. The key pointer is valid either way; delete with its signature.
    void* stored = nullptr;
    rte_hash_get_key_with_position(hash_, static_cast<int32_t>(pos), &stored);
    if (stored != nullptr) {
      FlowKey key;
      std::memcpy(&key, stored, sizeof key);
      rte_hash_del_key_with_hash(hash_, &key, Signature(key));
    }
    e.state = FlowState::kFree;
    ++removed;
  }
  sweep_pace_.Swept(removed);
  // The entries the next burst's call examines: a burst apart, too far for the hardware prefetcher to
  // follow the cursor, so each call would otherwise wait for their lines.
  const uint32_t ahead = std::min(sweep_pace_.share(), positions_);
  for (uint32_t i = 0; i < ahead; i += kEntriesPerLine) {
    const uint32_t pos = sweep_cursor_ + i;
    rte_prefetch0(&entries_[pos < positions_ ? pos : pos - positions_]);
  }
  return removed;
}

void FlowTable::Clear() {
  rte_hash_reset(hash_);
  for (uint32_t i = 0; i < positions_; ++i) entries_[i] = FlowEntry{};
  sweep_cursor_ = 0;
  sweep_pace_.Reset();
}

uint32_t FlowTable::size() const { return static_cast<uint32_t>(rte_hash_count(hash_)); }

}  // namespace causeway::dataplane
