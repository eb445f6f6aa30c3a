// Per-worker counters by reason. One X-macro list gives the enum and the names, so a new reason is
// one line. Workers count into a BurstCounters on the stack and flush it once per burst: the shared
// per-worker array is written once per burst, not once per packet.
#ifndef CAUSEWAY_DATAPLANE_COUNTERS_H_
#define CAUSEWAY_DATAPLANE_COUNTERS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace causeway::dataplane {

// X(name, meaning). Drops start with drop_; every packet received ends in exactly one of
// forwarded_*, *_replies/_sent, to_host or drop_* (tests rely on that).
#define CAUSEWAY_DP_COUNTERS(X)                                                                    \
  X(rx, "frames received")                                                                         \
  X(tx, "frames handed to the port and accepted")                                                  \
  X(forwarded_flow_hit, "forwarded to the backend its flow entry names")                           \
  X(forwarded_new_flow, "first packet of a flow, backend chosen by Maglev and remembered")         \
  X(forwarded_untracked, "forwarded by Maglev alone because the flow table was full")              \
  X(forwarded_icmp_error, "ICMP error about a flow, sent to that flow's backend")                  \
  X(forwarded_fragment, "TCP/UDP fragment, balanced on addresses alone (port-0 frontends)")        \
  X(forwarded_nat_new, "full-NAT: first packet of a flow, session made, rewritten to the backend")   \
  X(forwarded_nat_hit, "full-NAT: client packet of a known session, rewritten to the backend")       \
  X(forwarded_nat_reply, "full-NAT: backend's reply rewritten back to the client")                   \
  X(refused_partition, "new flow for a backend of a cut-off cluster (safe mode): TCP reset or ICMP sent") \
  X(handed_off, "full-NAT reply passed to the worker owning its port (over a ring)")                 \
  X(rx_handoff, "frames received from another worker's hand-off (not counted in rx)")                \
  X(tunnel_in, "GUE packets from a peer gateway, decapsulated")                                        \
  X(flow_table_full, "a new flow found no room in the flow table (also counted as untracked)")     \
  X(flow_rescheduled, "an entry's backend left the service; the flow was chosen again")            \
  X(flow_expired, "flow entries removed by aging")                                                 \
  X(to_host, "frames for the host, passed to the exception path (TAP)")                            \
  X(from_host, "frames from the exception path sent out the port")                                 \
  X(arp_replies, "ARP replies for our addresses and VIPs")                                         \
  X(nd_replies, "neighbour advertisements for our addresses and VIPs")                             \
  X(echo_replies, "ICMP/ICMPv6 echo replies")                                                      \
  X(neighbor_replies, "ARP replies / neighbour advertisements from next hops, read and freed (no exception path)") \
  X(neighbor_reported, "a next hop's (address, MAC) from ARP/ND passed to the neighbour table")    \
  X(neighbor_report_lost, "a next hop's (address, MAC) lost: the neighbour report ring was full")   \
  X(icmp_frag_needed_sent, "ICMP fragmentation-needed sent to a client (DF beyond MTU)")           \
  X(icmp_too_big_sent, "ICMPv6 packet-too-big sent to a client")                                   \
  X(drop_malformed, "truncated or inconsistent headers")                                           \
  X(drop_unsupported, "well-formed but not handled: other ethertypes, protocols, multi-segment")   \
  X(drop_ext_headers, "IPv6 extension-header chain longer than we walk")                           \
  X(drop_fragment, "fragments of protocols other than TCP and UDP")                                \
  X(drop_not_for_us, "ARP/ND/ICMP for addresses that are neither ours nor a VIP")                  \
  X(drop_no_vip, "TCP/UDP to an address:port:protocol that is no VIP")                             \
  X(drop_no_backend, "the service's table for the client's zone is empty")                         \
  X(drop_ttl, "TTL / hop limit would reach 0")                                                     \
  X(drop_mtu, "beyond the MTU once encapsulated and may not be fragmented or answered")            \
  X(drop_no_neighbor, "no MAC address known for the backend's next hop")                           \
  X(drop_no_tunnel_source, "no gateway address of the next hop's family to send from")            \
  X(drop_nat_exhausted, "full-NAT: no free SNAT port (or session) for a new flow: refused")        \
  X(drop_nat_no_session, "full-NAT: a reply to a SNAT port no matching session holds")                \
  X(drop_nat_unavailable, "full-NAT service but the worker has no NAT table, or families differ")    \
  X(drop_tunnel_not_peer, "GUE to our tunnel port from an address that is no peer gateway")          \
  X(drop_tunnel_no_target, "a peer's tunnelled packet for neither a local backend nor a session")    \
  X(drop_handoff_full, "the owning worker's hand-off ring was full")                                  \
  X(drop_no_snapshot, "no tables published yet")                                                   \
  X(drop_tx_full, "the port refused the frame (TX queue full)")

enum class Counter : uint8_t {
#define CAUSEWAY_DP_ENUM(name, help) name,
  CAUSEWAY_DP_COUNTERS(CAUSEWAY_DP_ENUM)
#undef CAUSEWAY_DP_ENUM
      kCount
};
inline constexpr size_t kCounterCount = static_cast<size_t>(Counter::kCount);

inline constexpr std::array<std::string_view, kCounterCount> kCounterNames = {
#define CAUSEWAY_DP_NAME(name, help) #name,
    CAUSEWAY_DP_COUNTERS(CAUSEWAY_DP_NAME)
#undef CAUSEWAY_DP_NAME
};

// A worker's totals. Written only by its worker (once per burst); read by anyone with relaxed
// 64-bit loads, which are atomic on the x86-64 and arm64 targets DPDK supports.
struct alignas(64) WorkerCounters {
  std::array<uint64_t, kCounterCount> value{};
  uint64_t operator[](Counter c) const { return value[static_cast<size_t>(c)]; }
};

// Counts for one burst, on the worker's stack.
struct BurstCounters {
  std::array<uint32_t, kCounterCount> value{};
  void Add(Counter c, uint32_t n = 1) { value[static_cast<size_t>(c)] += n; }
  void FlushTo(WorkerCounters& total) const {
    for (size_t i = 0; i < kCounterCount; ++i) total.value[i] += value[i];
  }
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_COUNTERS_H_
