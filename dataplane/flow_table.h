// Stage 3: the per-worker flow table. Remembers which backend each flow went to, so established
// flows keep their backend when Maglev tables change. One rte_hash per worker (no sharing, no
// locks), keyed by FlowKey with the table's own keyed signature (FlowSignature: cheap, so an
// established flow never pays for the SipHash flow hash), plus an array of entries indexed by the
// position rte_hash returns. Lookups read each key's primary bucket first (HashBuckets) and ask
// rte_hash only for the keys not found there.
//
// Timeouts are TCP-aware: a flow that has only sent a SYN, or has sent FIN/RST, is forgotten soon;
// an established TCP flow or a UDP flow lives longer. Expiry is lazy (an expired entry found by a
// lookup is reused) and an incremental sweep of a few positions per burst frees entries that are no
// longer looked up. The table is bounded: when it is full, Insert fails and the caller forwards by
// Maglev alone.
#ifndef CAUSEWAY_DATAPLANE_FLOW_TABLE_H_
#define CAUSEWAY_DATAPLANE_FLOW_TABLE_H_

#include <rte_tcp.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "dataplane/flow_hash.h"
#include "dataplane/hash_buckets.h"
#include "dataplane/hugepage_array.h"
#include "dataplane/sweep_pace.h"

struct rte_hash;

namespace causeway::dataplane {

enum class FlowState : uint8_t { kFree = 0, kSynSeen, kEstablished, kClosing, kUdp };

// Timeouts in milliseconds (the worker's clock, see WorkerClock).
struct FlowTimeouts {
  uint32_t tcp_syn_ms = 10'000;
  uint32_t tcp_established_ms = 300'000;
  uint32_t tcp_closing_ms = 10'000;
  uint32_t udp_ms = 30'000;
  uint32_t For(FlowState s) const {
    switch (s) {
      case FlowState::kSynSeen: return tcp_syn_ms;
      case FlowState::kEstablished: return tcp_established_ms;
      case FlowState::kClosing: return tcp_closing_ms;
      default: return udp_ms;
    }
  }
};

struct FlowEntry {
  uint32_t backend_id = 0;     // stable across snapshots
  uint32_t last_seen_ms = 0;
  uint32_t cached_generation = 0;  // Tables generation for which cached_index is valid
  uint16_t cached_index = 0;   // index of backend_id in that generation's service
  FlowState state = FlowState::kFree;
  uint8_t cached_zone = 0;     // the client's zone in that generation (zone-pair counters; ids < 256)
};
// Four to a cache line, none straddling two: the one line prefetched is the whole entry. (Its
// signature, needed to delete it, is computed again from the stored key by the sweep.)
static_assert(sizeof(FlowEntry) == 16);
inline constexpr uint32_t kEntriesPerLine = 64 / sizeof(FlowEntry);

struct FlowTableConfig {
  uint32_t capacity = 65536;
  FlowTimeouts timeouts;
  // Positions each burst's Sweep() examines (SweepPace): `sweep_per_burst` (one line of entries)
  // while sweeps find nothing to free, `sweep_per_burst_reclaiming` after a sweep that freed
  // something. At 14.88 Mpps (465k bursts a second) 4 a burst cover 2M positions in ~1.1 s, against
  // timeouts of 10 s and more.
  uint32_t sweep_per_burst = 4;
  uint32_t sweep_per_burst_reclaiming = 16;
  int socket_id = -1;             // SOCKET_ID_ANY
  // The signature key; absent: drawn at random (rte_rand) when the table is made.
  std::optional<FlowSignatureKey> signature_key;
  // False: every lookup is rte_hash's own, as when HashBuckets does not recognise the table (for
  // tests of that path and for comparisons).
  bool primary_bucket_lookup = true;
};

class FlowTable {
 public:
  static absl::StatusOr<std::unique_ptr<FlowTable>> Create(const FlowTableConfig& config);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  uint32_t Signature(const FlowKey& key) const { return FlowSignature(signature_key_, key); }
  // Starts fetching the bucket a lookup of `signature` reads first (see HashBuckets); call it as
  // soon as the signature is known.
  void PrefetchPrimary(uint32_t signature) const { buckets_.PrefetchPrimary(signature); }
  // True when lookups read primary buckets first (HashBuckets checked out on this DPDK).
  bool fast_lookup() const { return buckets_.located(); }
  // Bulk lookup of up to HashBuckets::kMaxKeys keys; positions[i] is the entry's position or
  // negative when absent.
  void LookupBulk(const FlowKey* const* keys, uint32_t* signatures, uint32_t n, int32_t* positions);
  // Keys the primary-bucket lookup did not find, so rte_hash's own lookup was asked for them (new
  // flows, and the few keys placed in their alternative bucket); every key when !fast_lookup().
  uint64_t slow_lookups() const { return slow_lookups_; }
  // Adds `key`; returns its position or -1 when the table is full.
  int32_t Insert(const FlowKey& key, uint32_t signature);
  FlowEntry& entry(int32_t position) { return entries_[position]; }

  bool Expired(const FlowEntry& e, uint32_t now_ms) const {
    return now_ms - e.last_seen_ms > config_.timeouts.For(e.state);
  }
  // Examines the next positions — `budget` of them when given, else the burst's share (see
  // FlowTableConfig::sweep_per_burst) — and removes expired entries; returns how many were removed.
  uint32_t Sweep(uint32_t now_ms, uint32_t budget = 0);

  uint32_t size() const;
  // Forgets every flow (not for the fast path: it touches the whole table).
  void Clear();
  uint32_t capacity() const { return config_.capacity; }
  const FlowTimeouts& timeouts() const { return config_.timeouts; }

 private:
  explicit FlowTable(const FlowTableConfig& c)
      : config_(c), sweep_pace_(c.sweep_per_burst, c.sweep_per_burst_reclaiming) {}
  FlowTableConfig config_;
  FlowSignatureKey signature_key_;
  rte_hash* hash_ = nullptr;
  HashBuckets buckets_;
  HugepageArray<FlowEntry> entries_;
  uint32_t positions_ = 0;  // number of positions rte_hash may return
  uint32_t sweep_cursor_ = 0;
  SweepPace sweep_pace_;
  uint64_t slow_lookups_ = 0;
};

// The state a flow moves to when a packet with `tcp_flags` is seen (UDP flows stay kUdp). Inline:
// every forwarded packet asks.
inline FlowState NextFlowState(FlowState current, bool tcp, uint8_t tcp_flags) {
  if (!tcp) return FlowState::kUdp;
  if (tcp_flags & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)) return FlowState::kClosing;
  const bool syn_only = (tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG;
  if (current == FlowState::kFree) return syn_only ? FlowState::kSynSeen : FlowState::kEstablished;
  if (current == FlowState::kSynSeen) return syn_only ? FlowState::kSynSeen : FlowState::kEstablished;
  if (current == FlowState::kClosing) return FlowState::kClosing;
  return FlowState::kEstablished;
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_FLOW_TABLE_H_
