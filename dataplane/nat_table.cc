#include "dataplane/nat_table.h"

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"

namespace causeway::dataplane {

absl::StatusOr<std::unique_ptr<NatTable>> NatTable::Create(const NatTableConfig& config) {
  if (config.addresses == 0 || config.plan.per_worker == 0 || config.worker >= config.plan.workers) {
    return absl::InvalidArgumentError("NAT table: no addresses or ports, or worker out of range");
  }
  static std::atomic<uint32_t> next_name{0};
  std::unique_ptr<NatTable> t(new NatTable(config));
  t->own_first_ = static_cast<uint16_t>(config.plan.first_port + uint32_t{config.worker} * config.plan.per_worker);
  const uint32_t n = t->capacity();
  const std::string name = absl::StrCat("cw_nat_", next_name.fetch_add(1));
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = n < 64 ? 64 : n;  // rte_hash refuses tiny tables; the port pool is the bound
  p.key_len = sizeof(FlowKey);
  p.hash_func = rte_hash_crc;  // only the *_with_hash calls are used
  p.socket_id = SOCKET_ID_ANY;
  t->signature_key_ = config.signature_key.has_value() ? *config.signature_key : RandomFlowSignatureKey();
  t->hash_ = rte_hash_create(&p);
  if (t->hash_ == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("NAT table of ", n, " sessions: ", rte_strerror(rte_errno)));
  }
  if (config.primary_bucket_lookup) t->buckets_.Locate(t->hash_, p.entries, name.c_str());
  if (!t->sessions_.Allocate(n, SOCKET_ID_ANY, "cw_nat_sessions")) {
    return absl::ResourceExhaustedError(absl::StrCat("NAT table of ", n, " sessions: no memory for them"));
  }
  t->free_.resize(config.addresses);
  for (uint32_t a = 0; a < config.addresses; ++a) {
    FreeQueue& q = t->free_[a];
    q.ring.resize(config.plan.per_worker);
    for (uint32_t i = 0; i < config.plan.per_worker; ++i) q.Push(a * config.plan.per_worker + i);
  }
  return t;
}

NatTable::~NatTable() {
  if (hash_ != nullptr) rte_hash_free(hash_);
}

void NatTable::LookupBulk(const FlowKey* const* keys, const uint32_t* signatures, uint32_t n,
                          int32_t* indexes) const {
  const auto** all = reinterpret_cast<const void**>(const_cast<const FlowKey**>(keys));
  // As the flow table: primary buckets first (HashBuckets), rte_hash's own lookup for the rest.
  uint32_t misses[HashBuckets::kMaxKeys];
  uint32_t missed = n;
  if (buckets_.located()) {
    int32_t positions[HashBuckets::kMaxKeys];
    uintptr_t data[HashBuckets::kMaxKeys];
    missed = buckets_.LookupPrimary(all, signatures, n, positions, misses, data);
    for (uint32_t i = 0; i < n; ++i) indexes[i] = positions[i] >= 0 ? static_cast<int32_t>(data[i]) : -1;
    if (missed == 0) return;
  } else {
    for (uint32_t i = 0; i < n; ++i) misses[i] = i;
  }
  const void* miss_keys[HashBuckets::kMaxKeys];
  uint32_t miss_sigs[HashBuckets::kMaxKeys];
  void* miss_data[HashBuckets::kMaxKeys];
  for (uint32_t j = 0; j < missed; ++j) {
    miss_keys[j] = all[misses[j]];
    miss_sigs[j] = signatures[misses[j]];
  }
  uint64_t hits = 0;
  rte_hash_lookup_with_hash_bulk_data(hash_, miss_keys, miss_sigs, missed, &hits, miss_data);
  for (uint32_t j = 0; j < missed; ++j) {
    indexes[misses[j]] = (hits >> j) & 1 ? static_cast<int32_t>(reinterpret_cast<uintptr_t>(miss_data[j])) : -1;
  }
}

uint16_t NatTable::PortOf(int32_t index) const {
  const uint32_t local = static_cast<uint32_t>(index) % config_.plan.per_worker;
  return rte_cpu_to_be_16(static_cast<uint16_t>(own_first_ + local));
}

int32_t NatTable::Allocate(const FlowKey& key, uint32_t signature, uint32_t address_mask) {
  const uint32_t n = config_.addresses;
  for (uint32_t tried = 0; tried < n; ++tried) {
    const uint32_t a = (next_address_ + tried) % n;
    if (((address_mask >> a) & 1) == 0 || free_[a].count == 0) continue;
    const uint32_t index = free_[a].ring[free_[a].head];
    if (rte_hash_add_key_with_hash_data(hash_, &key, signature, reinterpret_cast<void*>(uintptr_t{index})) < 0) {
      return -1;
    }
    free_[a].Pop();
    next_address_ = a + 1;
    NatSession& s = sessions_[index];
    s = NatSession{};
    s.key = key;
    s.signature = signature;
    ++in_use_;
    return static_cast<int32_t>(index);
  }
  return -1;
}

void NatTable::Release(int32_t index) {
  NatSession& s = sessions_[index];
  if (s.state == FlowState::kFree) return;
  rte_hash_del_key_with_hash(hash_, &s.key, s.signature);
  s.state = FlowState::kFree;
  free_[AddressIndexOf(index)].Push(static_cast<uint32_t>(index));
  --in_use_;
}

uint32_t NatTable::Sweep(uint32_t now_ms, uint32_t budget) {
  if (budget == 0) budget = sweep_pace_.share();
  const uint32_t n = capacity();
  uint32_t ended = 0;
  for (uint32_t i = 0; i < budget; ++i) {
    const uint32_t index = sweep_cursor_;
    sweep_cursor_ = sweep_cursor_ + 1 == n ? 0 : sweep_cursor_ + 1;
    const NatSession& s = sessions_[index];
    if (s.state == FlowState::kFree || !Expired(s, now_ms)) continue;
    Release(static_cast<int32_t>(index));
    ++ended;
  }
  sweep_pace_.Swept(ended);
  return ended;
}

}  // namespace causeway::dataplane
