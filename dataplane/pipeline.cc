#include "dataplane/pipeline.h"

#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "dataplane/encap.h"
#include "dataplane/flow_hash.h"
#include "dataplane/icmp_error.h"
#include "dataplane/local_reply.h"
#include "dataplane/maglev_select.h"
#include "dataplane/nat_rewrite.h"
#include "dataplane/nat_stage.h"
#include "dataplane/neighbor_report.h"
#include "dataplane/parse.h"
#include "dataplane/uninitialized_array.h"
#include "dataplane/vip_lookup.h"

namespace causeway::dataplane {
namespace {

// A TCP/UDP packet on its way to a backend, between stages.
struct Pending {
  rte_mbuf* m;
  const ServiceRoute* service;
  ParsedPacket* parsed;
};

bool IsSynOnly(const ParsedPacket& p) {
  return p.l4_proto == IPPROTO_TCP &&
         (p.tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG;
}

class Burst {
 public:
  Burst(WorkerContext& ctx, const Tables& t, uint32_t now_ms, rte_mbuf** out, rte_mbuf** to_host)
      : ctx_(ctx), t_(t), now_ms_(now_ms), o_{out, 0, {}}, to_host_(to_host), vips_(t),
        stats_(t.stats(ctx.worker_id)), nat_(ctx, t, now_ms, o_) {}

  void Run(rte_mbuf** pkts, uint16_t n) {
    UninitializedArray<ParsedPacket, kBurstSize> parsed;  // each written whole by ParseFrame
    // Headers first, and (for the encapsulation written in front of them) the headroom line
    // before: for a table too big for the cache, each is a miss the core otherwise waits for.
    for (uint16_t i = 0; i < n; ++i) {
      const auto* data = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
      rte_prefetch0(data);
      rte_prefetch0(data - RTE_CACHE_LINE_SIZE);
    }
    for (uint16_t i = 0; i < n; ++i) {
      ParseFrame(pkts[i], parsed[i]);
      Classify(pkts[i], parsed[i]);
    }
    if (pending_count_ > 0) ForwardPending();
    nat_.Run();
    counters_.Add(Counter::rx, n);
    counters_.Add(Counter::flow_expired, ctx_.flows->Sweep(now_ms_));
    counters_.FlushTo(ctx_.counters);
  }

  // Frames another worker handed over: replies to SNAT ports this worker owns (see NatStage).
  void RunHandoff(rte_mbuf** pkts, uint16_t n) {
    UninitializedArray<ParsedPacket, kBurstSize> parsed;  // each written whole by ParseFrame
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      ParsedPacket& p = parsed[i];
      ParseFrame(m, p);
      const uint32_t from = m->hash.usr;
      const PeerRoute* peer = from != 0 ? t_.FindPeerByHandoffId(from) : nullptr;
      const uint8_t* l3 = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l2_len);
      const int snat = p.kind == FrameKind::kLoadBalance ? t_.SnatIndex(l3 + (p.ipv6 ? 24 : 16), p.ipv6) : -1;
      if (snat < 0 || (from != 0 && peer == nullptr) || !nat_.AddReply(m, &p, static_cast<uint16_t>(snat), peer)) {
        Drop(m, Counter::drop_nat_no_session);
      }
    }
    nat_.Run();
    counters_.Add(Counter::rx_handoff, n);
    counters_.FlushTo(ctx_.counters);
  }

  uint16_t sent() const { return o_.sent; }
  uint16_t to_host() const { return host_count_; }

 private:
  void Drop(rte_mbuf* m, Counter reason) { o_.Drop(m, reason); }
  // Frames that are not for causeway: to the host when there is an exception path, else dropped.
  void NotOurs(rte_mbuf* m, Counter reason) {
    if (to_host_ == nullptr) return Drop(m, reason);
    counters_.Add(Counter::to_host);
    to_host_[host_count_++] = m;
  }
  void Send(rte_mbuf* m, Counter reason) { o_.Send(m, reason); }

  void Classify(rte_mbuf* m, ParsedPacket& p) {
    switch (p.kind) {
      case FrameKind::kDrop:
        return p.drop_reason == Counter::drop_unsupported ? NotOurs(m, p.drop_reason) : Drop(m, p.drop_reason);
      case FrameKind::kArpRequest:
        // A next hop asking reveals its MAC too (read before the frame becomes the reply).
        ReportNeighbor(m, p, t_, ctx_.neighbor_reports, counters_);
        return ReplyArp(m, p, t_, ctx_.port_mac) ? Send(m, Counter::arp_replies) : NotOurs(m, Counter::drop_not_for_us);
      case FrameKind::kNeighborReply:
        // The host may be resolving the same address through the exception path: it gets the frame.
        return NotOurs(m, ReportNeighbor(m, p, t_, ctx_.neighbor_reports, counters_) ? Counter::neighbor_replies
                                                                                      : Counter::drop_not_for_us);
      case FrameKind::kNdSolicit:
        ReportNeighbor(m, p, t_, ctx_.neighbor_reports, counters_);
        return ReplyNeighborSolicit(m, p, t_, ctx_.port_mac) ? Send(m, Counter::nd_replies)
                                                             : NotOurs(m, Counter::drop_not_for_us);
      case FrameKind::kEchoRequest:
        return ReplyEcho(m, p, t_, ctx_.port_mac) ? Send(m, Counter::echo_replies) : NotOurs(m, Counter::drop_not_for_us);
      case FrameKind::kLoadBalance:
        break;
    }
    const uint8_t* l3 = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l2_len);
    // Full-NAT replies first, without a VIP lookup, unless the SNAT address is also a VIP (then the
    // VIP's frontends win and the rest of the NAT range is replies).
    const int snat = !t_.has_full_nat() || p.icmp_error || p.fragment ? -1 : t_.SnatIndex(l3 + (p.ipv6 ? 24 : 16), p.ipv6);
    if (snat >= 0 && !t_.SnatSharedWithVip(snat) && nat_.AddReply(m, &p, static_cast<uint16_t>(snat), nullptr)) return;
    const ServiceRoute* svc = vips_.Find(l3, p);
    if (svc == nullptr) {
      if (snat >= 0 && t_.SnatSharedWithVip(snat) && nat_.AddReply(m, &p, static_cast<uint16_t>(snat), nullptr)) return;
      if (!p.icmp_error && !p.fragment && IsTunnel(p, l3)) return Decapsulate(m, p, l3);
      // A VIP or gateway address without this port: ours, and refused. Any other address: the host's.
      if (to_host_ != nullptr && !p.icmp_error && !t_.IsLocalAddress(AddressesOf(l3, p).vip, p.ipv6)) {
        return NotOurs(m, Counter::drop_no_vip);
      }
      return Drop(m, Counter::drop_no_vip);
    }
    if (p.ttl <= 1) return Drop(m, Counter::drop_ttl);
    if (svc->forwarding == snapshot::Forwarding::kFullNat) return nat_.AddForward(m, &p, svc, nullptr, nullptr);
    const uint16_t k = pending_count_++;
    MakeFlowKey(l3, p, keys_[k]);
    signatures_[k] = ctx_.flows->Signature(keys_[k]);
    ctx_.flows->PrefetchPrimary(signatures_[k]);
    key_ptrs_[k] = &keys_[k];
    pending_[k] = Pending{m, svc, &p};
  }

  // The keyed flow hash of pending packet k: what chooses a backend by Maglev, the same on every
  // gateway of the group. Only flows being chosen (new, stale) and packets without an entry pay it.
  uint64_t ChoiceHash(uint16_t k) const { return FlowHash(t_.flow_key(), keys_[k]); }

  // GUE to our tunnel port at one of our addresses. (The GUE port lies below the NAT range,
  // NatPortPlan, so a tunnel packet is never taken for a NAT reply.)
  bool IsTunnel(const ParsedPacket& p, const uint8_t* l3) const {
    return p.l4_proto == IPPROTO_UDP && p.dst_port == t_.gue_port_be() &&
           t_.IsLocalAddress(l3 + (p.ipv6 ? 24 : 16), p.ipv6);
  }

  // A GUE packet to one of our addresses: only peer gateways may tunnel to us. The inner packet is
  // either a reply for a flow we sent to the peer's cluster, or a flow for one of our backends.
  void Decapsulate(rte_mbuf* m, ParsedPacket& p, const uint8_t* l3) {
    const PeerRoute* peer = t_.FindPeer(l3 + (p.ipv6 ? 8 : 12), p.ipv6);
    if (peer == nullptr) return Drop(m, Counter::drop_tunnel_not_peer);
    if (!StripGue(m, p)) return Drop(m, Counter::drop_malformed);
    counters_.Add(Counter::tunnel_in);
    ParseFrame(m, p);
    if (p.kind != FrameKind::kLoadBalance) {
      return Drop(m, p.kind == FrameKind::kDrop ? p.drop_reason : Counter::drop_tunnel_no_target);
    }
    if (p.icmp_error || p.fragment) return Drop(m, Counter::drop_tunnel_no_target);
    if (p.ttl <= 1) return Drop(m, Counter::drop_ttl);
    const uint8_t* inner = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l2_len);
    const uint8_t* dst = inner + (p.ipv6 ? 24 : 16);
    const int snat = t_.SnatIndex(dst, p.ipv6);
    if (snat >= 0) {
      if (!nat_.AddReply(m, &p, static_cast<uint16_t>(snat), peer)) Drop(m, Counter::drop_tunnel_no_target);
      return;
    }
    const NatTarget* target = t_.FindNatTarget(dst, p.dst_port, p.ipv6);
    if (target == nullptr) return Drop(m, Counter::drop_tunnel_no_target);
    nat_.AddForward(m, &p, nullptr, target, peer);
  }

  static_assert(kBurstSize <= HashBuckets::kMaxKeys, "a burst's keys go to one flow-table lookup");
  void ForwardPending() {
    FlowTable& flows = *ctx_.flows;
    int32_t positions[kBurstSize];
    flows.LookupBulk(key_ptrs_, signatures_, pending_count_, positions);
    for (uint16_t k = 0; k < pending_count_; ++k) {
      if (positions[k] >= 0) rte_prefetch0(&flows.entry(positions[k]));
    }
    for (uint16_t k = 0; k < pending_count_; ++k) Forward(k, positions[k]);
  }

  void Forward(uint16_t k, int32_t pos) {
    const Pending& pk = pending_[k];
    const ParsedPacket& p = *pk.parsed;
    const ServiceRoute& svc = *pk.service;
    const uint8_t* l3 = rte_pktmbuf_mtod_offset(pk.m, const uint8_t*, p.l2_len);
    FlowTable& flows = *ctx_.flows;
    const bool tcp = p.l4_proto == IPPROTO_TCP;
    int backend = -1;
    uint16_t zone = 0;
    Counter verdict = Counter::forwarded_flow_hit;

    if (p.icmp_error) return ForwardWithoutEntry(k, svc, pos, Counter::forwarded_icmp_error);
    if (p.fragment) return ForwardWithoutEntry(k, svc, -1, Counter::forwarded_fragment);
    if (pos >= 0) {
      FlowEntry& e = flows.entry(pos);
      const bool stale = flows.Expired(e, now_ms_) || (e.state == FlowState::kClosing && IsSynOnly(p));
      if (!stale && e.cached_generation == t_.generation()) {
        // The common case: the entry already names its backend and zone in these tables; only its
        // age and state move.
        Touch(e, tcp, p.tcp_flags);
        return Encap(k, svc.backends[e.cached_index], e.cached_zone, verdict);
      }
      if (!stale) {  // tables changed since: find its backend again by id
        backend = svc.FindBackend(e.backend_id);
        zone = t_.ZoneOf(AddressesOf(l3, p).client, p.ipv6);
        if (backend < 0) counters_.Add(Counter::flow_rescheduled);
      }
      if (backend < 0) {
        // Expired, reused port, or its backend left: a new flow in the same slot.
        backend = SelectBackend(l3, p, t_, svc, ChoiceHash(k), &zone);
        if (backend < 0) return Drop(pk.m, Counter::drop_no_backend);
        // The stale entry stays as it is, for the sweep.
        if (svc.backends[backend].refuse_new) return o_.Refuse(pk.m, p, ctx_.port_mac);
        e.state = FlowState::kFree;
        verdict = Counter::forwarded_new_flow;
      }
      Remember(e, svc, backend, zone, tcp, p.tcp_flags);
    } else {
      backend = SelectBackend(l3, p, t_, svc, ChoiceHash(k), &zone);
      if (backend < 0) return Drop(pk.m, Counter::drop_no_backend);
      if (svc.backends[backend].refuse_new) return o_.Refuse(pk.m, p, ctx_.port_mac);
      const int32_t added = flows.Insert(keys_[k], signatures_[k]);
      if (added >= 0) {
        Remember(flows.entry(added), svc, backend, zone, tcp, p.tcp_flags);
        verdict = Counter::forwarded_new_flow;
      } else {
        counters_.Add(Counter::flow_table_full);
        verdict = Counter::forwarded_untracked;
      }
    }
    Encap(k, svc.backends[backend], zone, verdict);
  }

  // ICMP errors go where their flow goes (its entry at `pos`, else Maglev) and fragments by Maglev on
  // their address hash; neither creates nor refreshes a flow entry.
  void ForwardWithoutEntry(uint16_t k, const ServiceRoute& svc, int32_t pos, Counter verdict) {
    const Pending& pk = pending_[k];
    const uint8_t* l3 = rte_pktmbuf_mtod_offset(pk.m, const uint8_t*, pk.parsed->l2_len);
    int backend = -1;
    if (pos >= 0) {
      const FlowEntry& e = ctx_.flows->entry(pos);
      if (!ctx_.flows->Expired(e, now_ms_)) {
        backend = e.cached_generation == t_.generation() ? e.cached_index : svc.FindBackend(e.backend_id);
      }
    }
    uint16_t zone = 0;
    if (backend < 0) {
      backend = SelectBackend(l3, *pk.parsed, t_, svc, ChoiceHash(k), &zone);
    } else {
      zone = t_.ZoneOf(AddressesOf(l3, *pk.parsed).client, pk.parsed->ipv6);
    }
    if (backend < 0) return Drop(pk.m, Counter::drop_no_backend);
    Encap(k, svc.backends[backend], zone, verdict);
  }

  void Remember(FlowEntry& e, const ServiceRoute& svc, int backend, uint16_t zone, bool tcp, uint8_t flags) {
    e.backend_id = svc.backends[backend].id;
    e.cached_index = static_cast<uint16_t>(backend);
    e.cached_zone = static_cast<uint8_t>(zone < 256 ? zone : 0);
    e.cached_generation = t_.generation();
    Touch(e, tcp, flags);
  }
  void Touch(FlowEntry& e, bool tcp, uint8_t flags) const {
    e.last_seen_ms = now_ms_;
    e.state = NextFlowState(e.state, tcp, flags);
  }

  // Pending packet k to backend `b` of its service. The encapsulation's entropy is the flow's
  // signature: per flow, well mixed, and already computed for every packet.
  void Encap(uint16_t k, const BackendRoute& b, uint16_t zone, Counter verdict) {
    const Pending& pk = pending_[k];
    const ParsedPacket& p = *pk.parsed;
    const bool gue = pk.service->forwarding == snapshot::Forwarding::kGue;
    if (!b.has_mac) return Drop(pk.m, Counter::drop_no_neighbor);
    switch (Encapsulate(pk.m, p, b, gue, t_, ctx_.port_mac, signatures_[k], ctx_.tx_offloads)) {
      case EncapResult::kOk:
        if (stats_ != nullptr) {
          stats_[pk.service->stat_slot].packets++;
          stats_[pk.service->stat_slot].bytes += p.ip_len;
          stats_[b.stat_slot].packets++;
          stats_[b.stat_slot].bytes += p.ip_len;
          t_.CountZonePair(stats_, zone, b.place, /*to_backend=*/true, p.ip_len);
        }
        return Send(pk.m, verdict);
      case EncapResult::kNoSource:
        return Drop(pk.m, Counter::drop_no_tunnel_source);
      case EncapResult::kNoRoom:
        return Drop(pk.m, Counter::drop_unsupported);
      case EncapResult::kTooBig:
        break;
    }
    const uint16_t path_mtu = static_cast<uint16_t>(t_.mtu() - EncapOverhead(b.ipv6, gue));
    // Never an ICMP error about an ICMP error (RFC 1812 4.3.2.7).
    if (!p.dont_fragment || p.icmp_error || !MakePacketTooBig(pk.m, p, path_mtu, ctx_.port_mac)) {
      return Drop(pk.m, Counter::drop_mtu);
    }
    Send(pk.m, p.ipv6 ? Counter::icmp_too_big_sent : Counter::icmp_frag_needed_sent);
  }

  WorkerContext& ctx_;
  const Tables& t_;
  const uint32_t now_ms_;
  BurstOutput o_;
  BurstCounters& counters_ = o_.counters;
  rte_mbuf** to_host_;
  uint16_t host_count_ = 0;
  VipLookup vips_;
  TrafficStats* const stats_;
  NatStage nat_;
  uint16_t pending_count_ = 0;
  Pending pending_[kBurstSize];
  UninitializedArray<FlowKey, kBurstSize> keys_;
  const FlowKey* key_ptrs_[kBurstSize];
  uint32_t signatures_[kBurstSize];
};

// Nothing published yet: every frame is dropped, received as `received`.
uint16_t DropUnpublished(WorkerContext& ctx, rte_mbuf** pkts, uint16_t n, Counter received) {
  rte_pktmbuf_free_bulk(pkts, n);
  ctx.counters.value[static_cast<size_t>(received)] += n;
  ctx.counters.value[static_cast<size_t>(Counter::drop_no_snapshot)] += n;
  return 0;
}

}  // namespace

uint16_t ProcessBurst(WorkerContext& ctx, const Tables* tables, rte_mbuf** pkts, uint16_t n,
                      uint32_t now_ms, rte_mbuf** out, rte_mbuf** to_host, uint16_t* host_count) {
  if (host_count != nullptr) *host_count = 0;
  if (tables == nullptr) return DropUnpublished(ctx, pkts, n, Counter::rx);
  Burst burst(ctx, *tables, now_ms, out, to_host);
  burst.Run(pkts, n);
  if (host_count != nullptr) *host_count = burst.to_host();
  return burst.sent();
}

uint16_t ProcessHandoff(WorkerContext& ctx, const Tables* tables, rte_mbuf** pkts, uint16_t n,
                        uint32_t now_ms, rte_mbuf** out) {
  if (tables == nullptr) return DropUnpublished(ctx, pkts, n, Counter::rx_handoff);
  Burst burst(ctx, *tables, now_ms, out, nullptr);
  burst.RunHandoff(pkts, n);
  return burst.sent();
}

uint16_t ProcessBurst(WorkerContext& ctx, const Tables* tables, rte_mbuf** pkts, uint16_t n,
                      uint32_t now_ms, rte_mbuf** out) {
  return ProcessBurst(ctx, tables, pkts, n, now_ms, out, nullptr, nullptr);
}

}  // namespace causeway::dataplane
