// The full-NAT part of a burst (island mode), after the VIP lookup:
//  - forward: a client's packet to a full-NAT service, or a packet a peer gateway tunnelled in for one
//    of our backends. Its session is looked up in bulk (NatTable), made when new (Maglev picks the
//    backend; a port is taken from this worker's share), and the packet is rewritten to
//    (SNAT address:port → backend) and sent to the backend, or GUE-tunnelled to the backend's
//    cluster gateway when the backend is remote;
//  - reply: a packet to a SNAT address and port. Its session is the one that port belongs to; it is
//    checked against the packet (backend, protocol, and the tunnel it came through), rewritten to
//    (VIP → client) and sent to the client's previous hop, or tunnelled back to the peer gateway the
//    flow came from. A reply for a port another worker owns is handed to that worker over its ring.
#ifndef CAUSEWAY_DATAPLANE_NAT_STAGE_H_
#define CAUSEWAY_DATAPLANE_NAT_STAGE_H_

#include <cstdint>

#include "dataplane/burst_output.h"
#include "dataplane/parse.h"
#include "dataplane/tables.h"
#include "dataplane/uninitialized_array.h"
#include "dataplane/worker_context.h"

struct rte_mbuf;

namespace causeway::dataplane {

class NatStage {
 public:
  NatStage(WorkerContext& ctx, const Tables& t, uint32_t now_ms, BurstOutput& output)
      : ctx_(ctx), t_(t), now_ms_(now_ms), o_(output), stats_(t.stats(ctx.worker_id)) {}

  // A packet for full-NAT service `svc`, or (svc null) one that `peer` tunnelled in for `target`.
  // `p` must stay valid until Run().
  void AddForward(rte_mbuf* m, const ParsedPacket* p, const ServiceRoute* svc, const NatTarget* target,
                  const PeerRoute* peer);
  // A TCP/UDP packet to SNAT address `address_index`; `peer` when a peer tunnelled it. Returns false
  // (nothing done) when its port is outside the NAT range or there is no NAT table.
  bool AddReply(rte_mbuf* m, const ParsedPacket* p, uint16_t address_index, const PeerRoute* peer);
  // Processes everything added.
  void Run();

 private:
  struct Forward {
    rte_mbuf* m;
    const ParsedPacket* p;
    const ServiceRoute* svc;
    const NatTarget* target;
    const PeerRoute* peer;
  };
  struct Reply {
    rte_mbuf* m;
    const ParsedPacket* p;
    const PeerRoute* peer;
    int32_t index;
  };
  // The session for forward_[k]: one an earlier packet of the burst made, or a new one (`made`);
  // -1 when the packet was dropped or refused.
  int32_t NewSession(uint16_t k, bool& made);
  void PrefetchSession(int32_t index) const;  // its two hot cache lines
  bool TooBigForTunnel(rte_mbuf* m, const ParsedPacket& p, bool next_hop_ipv6);
  // The largest MSS whose segments fit the tunnel (outer header + GUE + IP and TCP headers).
  uint16_t TunnelMss(bool next_hop_ipv6, bool ipv6) const;
  void SendForward(const Forward& f, int32_t index, Counter verdict);
  // Brings s.next_hop_mac up to these tables (once per session and table generation): false when
  // the next hop has no MAC any more.
  bool RefreshNextHopMac(const Forward& f, NatSession& s);
  void SendReply(const Reply& r);
  void Tunnel(rte_mbuf* m, const ParsedPacket& p, const NatSession& s, const rte_ether_addr& mac,
              uint32_t entropy, Counter verdict);
  void CountTraffic(const ServiceRoute& svc, NatSession& s, uint32_t bytes);
  void CountReply(const NatSession& s, uint32_t bytes);

  WorkerContext& ctx_;
  const Tables& t_;
  const uint32_t now_ms_;
  BurstOutput& o_;
  TrafficStats* const stats_;  // this worker's block in these tables (null: not counted)
  uint16_t forward_count_ = 0, reply_count_ = 0;
  bool made_in_burst_ = false;
  Forward forward_[kBurstSize];
  UninitializedArray<FlowKey, kBurstSize> keys_;
  const FlowKey* key_ptrs_[kBurstSize];
  uint32_t signatures_[kBurstSize];
  Reply reply_[kBurstSize];
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_NAT_STAGE_H_
