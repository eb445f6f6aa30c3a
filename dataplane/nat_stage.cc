#include "dataplane/nat_stage.h"

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include <cstring>

#include "dataplane/encap.h"
#include "dataplane/flow_hash.h"
#include "dataplane/frame_edit.h"
#include "dataplane/icmp_error.h"
#include "dataplane/maglev_select.h"
#include "dataplane/nat_rewrite.h"
#include "dataplane/vip_lookup.h"

namespace causeway::dataplane {
namespace {

// The state a backend's reply moves a session to: only FIN/RST change it (to closing).
FlowState ReplyFlowState(FlowState current, bool tcp, uint8_t tcp_flags) {
  if (!tcp) return FlowState::kUdp;
  return (tcp_flags & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)) != 0 ? FlowState::kClosing : current;
}

bool IsSynOnly(const ParsedPacket& p) {
  return p.l4_proto == IPPROTO_TCP &&
         (p.tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG;
}

uint8_t* L3(rte_mbuf* m, const ParsedPacket& p) { return rte_pktmbuf_mtod_offset(m, uint8_t*, p.l2_len); }

void SetMacs(rte_mbuf* m, const rte_ether_addr& dst, const rte_ether_addr& src) {
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  eth->dst_addr = dst;
  eth->src_addr = src;
}

}  // namespace

void NatStage::AddForward(rte_mbuf* m, const ParsedPacket* p, const ServiceRoute* svc, const NatTarget* target,
                          const PeerRoute* peer) {
  if (ctx_.nat == nullptr) return o_.Drop(m, Counter::drop_nat_unavailable);
  if (p->fragment) return o_.Drop(m, Counter::drop_fragment);
  if (p->icmp_error) return o_.Drop(m, Counter::drop_unsupported);  // not translated (README)
  const uint16_t k = forward_count_++;
  MakeFlowKey(L3(m, *p), *p, keys_[k]);
  // The same pod address in two islands is two flows: the tunnel's far end is part of the key.
  keys_[k].words[5] = peer != nullptr ? peer->tag : 0;
  signatures_[k] = ctx_.nat->Signature(keys_[k]);
  ctx_.nat->PrefetchPrimary(signatures_[k]);
  key_ptrs_[k] = &keys_[k];
  forward_[k] = Forward{m, p, svc, target, peer};
}

bool NatStage::AddReply(rte_mbuf* m, const ParsedPacket* p, uint16_t address_index, const PeerRoute* peer) {
  if (ctx_.nat == nullptr || p->fragment || p->icmp_error) return false;
  const NatPortPlan& plan = ctx_.nat->config().plan;
  const int owner = plan.Owner(rte_be_to_cpu_16(p->dst_port));
  if (owner < 0) return false;
  if (owner != ctx_.worker_id) {
    // RSS chose another queue than the session owner's: hand the frame over, with the peer it came
    // from (the tunnel's outer header is gone by now) named by its tag, which does not depend on the
    // tables the owner will read it with.
    m->hash.usr = peer != nullptr ? HandoffPeerId(*peer) : 0;
    if (ctx_.handoff == nullptr || rte_ring_enqueue(ctx_.handoff[owner], m) != 0) {
      o_.Drop(m, Counter::drop_handoff_full);
    } else {
      o_.counters.Add(Counter::handed_off);
    }
    return true;
  }
  if (p->ttl <= 1) {
    o_.Drop(m, Counter::drop_ttl);
    return true;
  }
  const int32_t index = ctx_.nat->IndexForReply(address_index, rte_be_to_cpu_16(p->dst_port));
  if (index < 0) {
    o_.Drop(m, Counter::drop_nat_no_session);
    return true;
  }
  PrefetchSession(index);
  reply_[reply_count_++] = Reply{m, p, peer, index};
  return true;
}

void NatStage::PrefetchSession(int32_t index) const {
  const auto* line = reinterpret_cast<const uint8_t*>(&ctx_.nat->session(index));
  rte_prefetch0(line);
  rte_prefetch0(line + RTE_CACHE_LINE_SIZE);
}

static_assert(kBurstSize <= HashBuckets::kMaxKeys, "a burst's keys go to one NAT-table lookup");

void NatStage::Run() {
  int32_t indexes[kBurstSize];
  if (forward_count_ > 0) {
    ctx_.nat->LookupBulk(key_ptrs_, signatures_, forward_count_, indexes);
    for (uint16_t k = 0; k < forward_count_; ++k) {
      if (indexes[k] >= 0) PrefetchSession(indexes[k]);
    }
  }
  // Replies first (their sessions were prefetched when they were classified), so that the forward
  // sessions' prefetches have landed by the time they are used.
  for (uint16_t k = 0; k < reply_count_; ++k) SendReply(reply_[k]);
  if (forward_count_ > 0) {
    for (uint16_t k = 0; k < forward_count_; ++k) {
      int32_t index = indexes[k];
      if (index >= 0) {
        const NatSession& s = ctx_.nat->session(index);
        if (s.state == FlowState::kFree || s.signature != signatures_[k]) {
          // Ended by an earlier packet of this burst (the bulk lookup ran before), and perhaps
          // already given to another flow: look again.
          index = -1;
        } else if (ctx_.nat->Expired(s, now_ms_) || (s.state == FlowState::kClosing && IsSynOnly(*forward_[k].p))) {
          // Timed out but not swept yet, or a new connection on a closing one's ports: start afresh.
          ctx_.nat->Release(index);
          index = -1;
        }
      }
      Counter verdict = Counter::forwarded_nat_hit;
      if (index < 0) {
        bool made = false;
        index = NewSession(k, made);
        if (index < 0) continue;  // dropped and counted
        if (made) verdict = Counter::forwarded_nat_new;
      }
      SendForward(forward_[k], index, verdict);
    }
  }
  // Aging touches a session line per step: not worth it on a table with no session (a DSR gateway).
  if (ctx_.nat != nullptr && ctx_.nat->size() > 0) o_.counters.Add(Counter::flow_expired, ctx_.nat->Sweep(now_ms_));
}

int32_t NatStage::NewSession(uint16_t k, bool& made) {
  const Forward& f = forward_[k];
  NatTable& nat = *ctx_.nat;
  // An earlier packet of this burst may have made the session already (the bulk lookup ran first).
  if (made_in_burst_) {
    int32_t existing = -1;
    nat.LookupBulk(&key_ptrs_[k], &signatures_[k], 1, &existing);
    if (existing >= 0) return existing;
  }

  const ParsedPacket& p = *f.p;
  const uint8_t* l3 = L3(f.m, p);
  const BackendRoute* b;
  NatKind kind = NatKind::kFromPeer;
  if (f.svc != nullptr) {
    // The keyed flow hash (the same slot on every gateway of the group), paid by new sessions only.
    const int backend = SelectBackend(l3, p, t_, *f.svc, FlowHash(t_.flow_key(), keys_[k]));
    if (backend < 0) {
      o_.Drop(f.m, Counter::drop_no_backend);
      return -1;
    }
    b = &f.svc->backends[backend];
    if (b->refuse_new) {
      o_.Refuse(f.m, p, ctx_.port_mac);
      return -1;
    }
    kind = b->local ? NatKind::kLocal : NatKind::kViaPeer;
  } else {
    b = &f.target->route;
  }
  if (b->address_ipv6 != p.ipv6) {  // no NAT64
    o_.Drop(f.m, Counter::drop_nat_unavailable);
    return -1;
  }
  if (!b->has_mac) {
    o_.Drop(f.m, Counter::drop_no_neighbor);
    return -1;
  }
  if (kind == NatKind::kViaPeer && TooBigForTunnel(f.m, p, b->ipv6)) return -1;
  const int32_t index = nat.Allocate(keys_[k], signatures_[k], t_.snat_mask(p.ipv6));
  if (index < 0) {
    o_.Drop(f.m, Counter::drop_nat_exhausted);
    return -1;
  }
  made_in_burst_ = made = true;
  NatSession& s = nat.session(index);
  const FlowAddresses a = AddressesOf(l3, p);
  const size_t alen = p.ipv6 ? 16 : 4;
  s.kind = kind;
  s.ipv6 = p.ipv6;
  s.protocol = p.l4_proto;
  s.state = p.l4_proto == IPPROTO_TCP ? FlowState::kFree : FlowState::kUdp;
  s.last_seen_ms = now_ms_;
  s.backend_id = f.svc != nullptr ? b->id : 0;
  s.stat_generation = 0;
  std::memcpy(s.client.data(), a.client, alen);
  std::memcpy(s.vip.data(), a.vip, alen);
  s.client_port = p.src_port;
  s.vip_port = p.dst_port;
  s.backend = b->address;
  s.backend_port = b->port_be;
  s.next_hop_mac = b->mac;
  s.mac_generation = t_.generation();
  s.client_mac = rte_pktmbuf_mtod(f.m, const rte_ether_hdr*)->src_addr;
  if (kind == NatKind::kFromPeer) {
    // Replies go back into the tunnel the flow came through.
    s.next_hop = f.peer->route.next_hop;
    s.next_hop_ipv6 = f.peer->route.ipv6;
  } else {
    s.next_hop = b->next_hop;
    s.next_hop_ipv6 = b->ipv6;
  }
  return index;
}

// A packet that would not fit the tunnel gets fragmentation-needed / packet-too-big back to its
// sender (from the address it was sent to: the VIP for a client, the SNAT address for a backend),
// else it is dropped. True when it was too big (and is gone).
bool NatStage::TooBigForTunnel(rte_mbuf* m, const ParsedPacket& p, bool next_hop_ipv6) {
  const uint16_t overhead = EncapOverhead(next_hop_ipv6, true);
  if (uint32_t{p.ip_len} + overhead <= t_.mtu()) return false;
  const auto path_mtu = static_cast<uint16_t>(t_.mtu() - overhead);
  if (p.dont_fragment && MakePacketTooBig(m, p, path_mtu, ctx_.port_mac)) {
    o_.Send(m, p.ipv6 ? Counter::icmp_too_big_sent : Counter::icmp_frag_needed_sent);
  } else {
    o_.Drop(m, Counter::drop_mtu);
  }
  return true;
}

uint16_t NatStage::TunnelMss(bool next_hop_ipv6, bool ipv6) const {
  return static_cast<uint16_t>(t_.mtu() - EncapOverhead(next_hop_ipv6, true) - (ipv6 ? 60 : 40));
}

void NatStage::CountTraffic(const ServiceRoute& svc, NatSession& s, uint32_t bytes) {
  if (stats_ == nullptr) return;
  stats_[svc.stat_slot].packets++;
  stats_[svc.stat_slot].bytes += bytes;
  if (s.stat_generation != t_.generation()) {
    const int backend = svc.FindBackend(s.backend_id);
    s.stat_slot = backend < 0 ? UINT32_MAX : svc.backends[backend].stat_slot;
    s.place = backend < 0 ? 0 : svc.backends[backend].place;
    s.client_zone = t_.ZoneOf(s.client.data(), s.ipv6);
    s.stat_generation = t_.generation();
  }
  if (s.stat_slot != UINT32_MAX) {
    stats_[s.stat_slot].packets++;
    stats_[s.stat_slot].bytes += bytes;
    t_.CountZonePair(stats_, s.client_zone, s.place, /*to_backend=*/true, bytes);
  }
}

// Replies count in the same cells, the other way; until a client packet has refreshed the session's
// cache after a table swap they are not counted (its slots belong to the old tables).
void NatStage::CountReply(const NatSession& s, uint32_t bytes) {
  if (stats_ == nullptr || s.kind == NatKind::kFromPeer || s.stat_generation != t_.generation() ||
      s.stat_slot == UINT32_MAX) {
    return;
  }
  t_.CountZonePair(stats_, s.client_zone, s.place, /*to_backend=*/false, bytes);
}

void NatStage::SendForward(const Forward& f, int32_t index, Counter verdict) {
  NatTable& nat = *ctx_.nat;
  NatSession& s = nat.session(index);
  const ParsedPacket& p = *f.p;
  const bool tunnel = s.kind == NatKind::kViaPeer;
  if (s.mac_generation != t_.generation() && !RefreshNextHopMac(f, s)) return o_.Drop(f.m, Counter::drop_no_neighbor);
  if (tunnel && verdict == Counter::forwarded_nat_hit && TooBigForTunnel(f.m, p, s.next_hop_ipv6)) return;
  if (tunnel && (p.tcp_flags & RTE_TCP_SYN_FLAG) && p.l4_proto == IPPROTO_TCP) {
    ClampMss(L3(f.m, p), p, TunnelMss(s.next_hop_ipv6, p.ipv6));
  }
  const uint16_t port = nat.PortOf(index);
  RewriteFlow(L3(f.m, p), p, FlowRewrite{t_.SnatAddress(nat.AddressIndexOf(index)), port, s.backend.data(), s.backend_port},
              /*decrement_ttl=*/!tunnel);  // the encapsulation decrements it
  s.last_seen_ms = now_ms_;
  s.state = NextFlowState(s.state, p.l4_proto == IPPROTO_TCP, p.tcp_flags);
  if (f.svc != nullptr) CountTraffic(*f.svc, s, p.ip_len);
  // Entropy: the session's signature, the same for every packet of the flow.
  if (tunnel) return Tunnel(f.m, p, s, s.next_hop_mac, s.signature, verdict);
  SetMacs(f.m, s.next_hop_mac, ctx_.port_mac);
  o_.Send(f.m, verdict);
}

bool NatStage::RefreshNextHopMac(const Forward& f, NatSession& s) {
  const BackendRoute* route = nullptr;
  switch (s.kind) {
    case NatKind::kLocal:
      if (f.svc != nullptr) {
        const int backend = f.svc->FindBackend(s.backend_id);
        if (backend >= 0) route = &f.svc->backends[backend];
      }
      break;
    case NatKind::kViaPeer:
      if (const PeerRoute* peer = t_.FindPeer(s.next_hop.data(), s.next_hop_ipv6)) route = &peer->route;
      break;
    case NatKind::kFromPeer:
      if (const NatTarget* target = t_.FindNatTarget(s.backend.data(), s.backend_port, s.ipv6)) route = &target->route;
      break;
  }
  // Gone from the tables (a pinned session outlives its backend or peer): nothing newer is known,
  // the MAC held stays.
  if (route == nullptr) {
    s.mac_generation = t_.generation();
    return true;
  }
  // Unresolved (forgotten): dropped, and looked at again with the next tables.
  if (!route->has_mac) return false;
  s.next_hop_mac = route->mac;
  if (s.kind == NatKind::kLocal) {
    // Its backend's next hop (the backend itself, or a router) as these tables have it.
    s.next_hop = route->next_hop;
    s.next_hop_ipv6 = route->ipv6;
  }
  s.mac_generation = t_.generation();
  return true;
}

void NatStage::SendReply(const Reply& r) {
  NatTable& nat = *ctx_.nat;
  NatSession& s = nat.session(r.index);
  const ParsedPacket& p = *r.p;
  uint8_t* l3 = L3(r.m, p);
  const size_t alen = p.ipv6 ? 16 : 4;
  const uint8_t* src = l3 + (p.ipv6 ? 8 : 12);
  // A reply must come from the session's backend, over the path the session's packets took: through
  // the peer's tunnel for a remote backend, never through a tunnel otherwise.
  const bool path_ok = s.kind == NatKind::kViaPeer
                           ? r.peer != nullptr && r.peer->route.ipv6 == s.next_hop_ipv6 &&
                                 r.peer->route.next_hop == s.next_hop
                           : r.peer == nullptr;
  if (s.state == FlowState::kFree || s.protocol != p.l4_proto || s.ipv6 != p.ipv6 || s.backend_port != p.src_port ||
      std::memcmp(s.backend.data(), src, alen) != 0 || !path_ok) {
    return o_.Drop(r.m, Counter::drop_nat_no_session);
  }
  if (nat.Expired(s, now_ms_)) {
    nat.Release(r.index);
    return o_.Drop(r.m, Counter::drop_nat_no_session);
  }
  const bool tunnel = s.kind == NatKind::kFromPeer;
  if (tunnel && TooBigForTunnel(r.m, p, s.next_hop_ipv6)) return;
  // The backend's SYN-ACK through the tunnel: its MSS must fit the tunnel too.
  if (s.kind == NatKind::kViaPeer && p.l4_proto == IPPROTO_TCP && (p.tcp_flags & RTE_TCP_SYN_FLAG)) {
    ClampMss(l3, p, TunnelMss(s.next_hop_ipv6, p.ipv6));
  }
  RewriteFlow(l3, p, FlowRewrite{s.vip.data(), s.vip_port, s.client.data(), s.client_port}, !tunnel);
  CountReply(s, p.ip_len);
  s.last_seen_ms = now_ms_;
  // The backend's side never makes a session established (a SYN-ACK to a handshake the client never
  // finishes must not hold a port for the established timeout); its FIN or RST closes it.
  s.state = ReplyFlowState(s.state, p.l4_proto == IPPROTO_TCP, p.tcp_flags);
  if (tunnel) {
    // Entropy for the outer source port: any value that stays the same for the session.
    const auto entropy = static_cast<uint32_t>((uint64_t{static_cast<uint32_t>(r.index)} * 0x9e3779b97f4a7c15ULL) >> 32);
    return Tunnel(r.m, p, s, s.client_mac, entropy, Counter::forwarded_nat_reply);
  }
  SetMacs(r.m, s.client_mac, ctx_.port_mac);
  o_.Send(r.m, Counter::forwarded_nat_reply);
}

void NatStage::Tunnel(rte_mbuf* m, const ParsedPacket& p, const NatSession& s, const rte_ether_addr& mac,
                      uint32_t entropy, Counter verdict) {
  BackendRoute peer;
  peer.ipv6 = s.next_hop_ipv6;
  peer.next_hop = s.next_hop;
  peer.mac = mac;
  peer.has_mac = true;
  switch (Encapsulate(m, p, peer, /*gue=*/true, t_, ctx_.port_mac, entropy, ctx_.tx_offloads)) {
    case EncapResult::kOk:
      return o_.Send(m, verdict);
    case EncapResult::kNoSource:
      return o_.Drop(m, Counter::drop_no_tunnel_source);
    case EncapResult::kTooBig:
      return o_.Drop(m, Counter::drop_mtu);
    case EncapResult::kNoRoom:
      return o_.Drop(m, Counter::drop_unsupported);
  }
}

}  // namespace causeway::dataplane
