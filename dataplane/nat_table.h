// The per-worker full-NAT session table (island mode). A session is one client flow rewritten twice:
// DNAT to the backend and SNAT to one of the gateway's SNAT addresses with a port this worker owns.
//
// One lookup finds a session from either direction:
//  - client → VIP packets by their flow key in an rte_hash (the key's last word says which peer
//    gateway tunnelled the packet in, so equal pod addresses of two islands never meet);
//  - backend → gateway replies by their destination (SNAT address, port) alone: the session's index
//    *is* its (address, port) pair, so a reply costs one array read, checked against the session.
//
// Ports are partitioned by worker: worker w owns [first_port + w·per_worker, + per_worker) on every
// SNAT address, so whichever queue RSS delivers a reply to, the owner is known from the port.
// Sessions age like flow entries (TCP-aware timeouts, an incremental sweep); a freed session's port
// goes back to its address's free list. When an address family has no free port left, new flows are
// refused (counted), never a crash.
#ifndef CAUSEWAY_DATAPLANE_NAT_TABLE_H_
#define CAUSEWAY_DATAPLANE_NAT_TABLE_H_

#include <rte_ether.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/flow_hash.h"
#include "dataplane/flow_table.h"
#include "dataplane/hash_buckets.h"
#include "dataplane/hugepage_array.h"
#include "dataplane/sweep_pace.h"

struct rte_hash;

namespace causeway::dataplane {

// Where a session's packets go besides the rewrite.
enum class NatKind : uint8_t {
  kLocal,     // client here, backend in this gateway's cluster
  kViaPeer,   // client here, backend behind a peer gateway: forward packets are GUE-tunnelled to it
  kFromPeer,  // a peer gateway tunnelled the flow in for one of our backends: replies go back to it
};

// Laid out for the fast path: everything a packet of an established session reads or writes lies in
// the first two cache lines (prefetched together); the forward key, needed only when the session
// ends, comes last.
struct alignas(64) NatSession {
  uint32_t last_seen_ms = 0;
  uint32_t backend_id = 0;        // stable across snapshots (counters); 0 for kFromPeer
  uint32_t stat_slot = 0;         // the backend's TrafficStats slot in tables of stat_generation
  uint32_t stat_generation = 0;
  uint16_t client_zone = 0;       // in tables of stat_generation: the zone-pair cell's row
  uint16_t place = 0;             // and column
  FlowState state = FlowState::kFree;
  NatKind kind = NatKind::kLocal;
  bool ipv6 = false;
  bool next_hop_ipv6 = false;
  uint8_t protocol = 0;
  // Ports in network order; addresses as on the wire (IPv4 in the first 4 bytes).
  uint16_t client_port = 0, vip_port = 0, backend_port = 0;
  std::array<uint8_t, 16> client{}, vip{}, backend{};
  rte_ether_addr next_hop_mac{};  // forward frames' destination MAC (kLocal, kViaPeer, kFromPeer),
                                  // as the tables of mac_generation resolved it
  rte_ether_addr client_mac{};    // replies' destination MAC: the previous hop of the first packet
  // kLocal: the backend; kViaPeer and kFromPeer: the peer gateway (the tunnel's far end).
  std::array<uint8_t, 16> next_hop{};
  uint32_t signature = 0;
  // Learned MACs change (a moved address, a MAC forgotten) and each change is new tables: when the
  // tables' generation differs, next_hop_mac is resolved again before it is used.
  uint32_t mac_generation = 0;
  FlowKey key;                    // the forward key (to delete it when the session ends)
};
static_assert(offsetof(NatSession, mac_generation) + sizeof(uint32_t) <= 128, "hot fields beyond two cache lines");

// How the 16-bit port space is split between workers.
struct NatPortPlan {
  // Ports below stay the host's and the tunnel's (GUE's 6080): 10240..65535, 55296 per address.
  uint16_t first_port = 10240;
  uint16_t per_worker = 55296;  // (65536 - first_port) / workers
  uint16_t workers = 1;

  static NatPortPlan For(uint16_t workers, uint16_t first_port = 10240) {
    NatPortPlan p;
    p.first_port = first_port;
    p.workers = workers == 0 ? 1 : workers;
    p.per_worker = static_cast<uint16_t>((65536u - first_port) / p.workers);
    return p;
  }
  // The worker owning `port_host`, or -1 when the port is outside the NAT range.
  int Owner(uint16_t port_host) const {
    if (port_host < first_port) return -1;
    const uint32_t w = (port_host - first_port) / per_worker;
    return w < workers ? static_cast<int>(w) : -1;
  }
};

struct NatTableConfig {
  NatPortPlan plan;
  uint16_t worker = 0;
  uint16_t addresses = 2;  // SNAT address slots (sessions = addresses × plan.per_worker)
  FlowTimeouts timeouts;
  // Sessions aged per burst (each a cache line of its own; the idle loop ages more), at SweepPace's
  // two speeds: 2 while sweeps find nothing to end, 8 after one that ended a session. 8 a burst of 32
  // free up to one port every 4 packets, well above any sustained new-session share of traffic.
  uint32_t sweep_per_burst = 2;
  uint32_t sweep_per_burst_reclaiming = 8;
  // The forward keys' signature key (FlowSignature); absent: drawn at random when the table is made.
  std::optional<FlowSignatureKey> signature_key;
  // False: every lookup is rte_hash's own (see FlowTableConfig).
  bool primary_bucket_lookup = true;
};

class NatTable {
 public:
  static absl::StatusOr<std::unique_ptr<NatTable>> Create(const NatTableConfig& config);
  ~NatTable();
  NatTable(const NatTable&) = delete;
  NatTable& operator=(const NatTable&) = delete;

  uint32_t Signature(const FlowKey& key) const { return FlowSignature(signature_key_, key); }
  // Starts fetching the bucket a lookup of `signature` reads first (see HashBuckets).
  void PrefetchPrimary(uint32_t signature) const { buckets_.PrefetchPrimary(signature); }
  bool fast_lookup() const { return buckets_.located(); }
  // Bulk lookup of forward keys; indexes[i] is the session's index or negative when absent.
  void LookupBulk(const FlowKey* const* keys, const uint32_t* signatures, uint32_t n, int32_t* indexes) const;

  // A new session for `key` on one of the SNAT addresses whose bit is set in `address_mask` (the
  // client's family), or -1 when none has a free port (or the hash is full). The session is zeroed
  // but for its key, signature and state kSynSeen/kUdp set by the caller.
  int32_t Allocate(const FlowKey& key, uint32_t signature, uint32_t address_mask);
  // Ends session `index` now (its key leaves the hash, its port is free again).
  void Release(int32_t index);

  NatSession& session(int32_t index) { return sessions_[index]; }
  const NatSession& session(int32_t index) const { return sessions_[index]; }

  // The session a reply to (SNAT address `address_index`, `port_host`) belongs to, or -1 when the
  // port is not this worker's or out of range. The caller checks the session matches the packet.
  int32_t IndexForReply(uint16_t address_index, uint16_t port_host) const {
    if (address_index >= config_.addresses || port_host < own_first_) return -1;
    const uint32_t local = port_host - own_first_;
    if (local >= config_.plan.per_worker) return -1;
    return static_cast<int32_t>(uint32_t{address_index} * config_.plan.per_worker + local);
  }
  // The SNAT address index and port (network order) of session `index`.
  uint16_t AddressIndexOf(int32_t index) const { return static_cast<uint16_t>(index / config_.plan.per_worker); }
  uint16_t PortOf(int32_t index) const;

  bool Expired(const NatSession& s, uint32_t now_ms) const {
    return now_ms - s.last_seen_ms > config_.timeouts.For(s.state);
  }
  // Ages the next `budget` sessions (by default the burst's share, see NatTableConfig::sweep_per_burst);
  // returns how many ended.
  uint32_t Sweep(uint32_t now_ms, uint32_t budget = 0);

  uint32_t size() const { return in_use_; }
  uint32_t capacity() const { return static_cast<uint32_t>(config_.addresses) * config_.plan.per_worker; }
  uint32_t free_ports(uint16_t address_index) const { return free_[address_index].count; }
  const NatTableConfig& config() const { return config_; }

 private:
  explicit NatTable(const NatTableConfig& c)
      : config_(c), sweep_pace_(c.sweep_per_burst, c.sweep_per_burst_reclaiming) {}
  NatTableConfig config_;
  uint16_t own_first_ = 0;  // first port this worker owns
  FlowSignatureKey signature_key_;
  rte_hash* hash_ = nullptr;
  HashBuckets buckets_;
  HugepageArray<NatSession> sessions_;
  // Per SNAT address: its free session indexes, first in first out, so that a port is reused as late
  // as possible (a stray late reply to an ended session then finds no session, not a new one).
  struct FreeQueue {
    std::vector<uint32_t> ring;
    uint32_t head = 0, count = 0;
    void Push(uint32_t v) { ring[(head + count++) % ring.size()] = v; }
    uint32_t Pop() { const uint32_t v = ring[head]; head = (head + 1) % ring.size(); --count; return v; }
  };
  std::vector<FreeQueue> free_;
  uint32_t next_address_ = 0;                // round robin over addresses
  uint32_t in_use_ = 0;
  uint32_t sweep_cursor_ = 0;
  SweepPace sweep_pace_;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_NAT_TABLE_H_
