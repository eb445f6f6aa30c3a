#include "dataplane/parse.h"

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <cstring>
#include <type_traits>

#include "dataplane/nd.h"

namespace causeway::dataplane {
namespace {

constexpr uint8_t kIcmpUnreachable = 3, kIcmpTimeExceeded = 11;
constexpr uint8_t kIcmpv6Unreachable = 1, kIcmpv6TooBig = 2, kIcmpv6TimeExceeded = 3;
constexpr uint8_t kIcmpv6EchoRequest = 128;
// IPv6 extension headers that are walked (RFC 8200 4.1); 44 (fragment) ends the walk as a fragment.
constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kDestOptions = 60;

uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return rte_be_to_cpu_16(v);
}

void Drop(ParsedPacket& p, Counter reason) {
  p.kind = FrameKind::kDrop;
  p.drop_reason = reason;
}

// The packet an ICMP error quotes (after the 8-byte ICMP header at `l4`): an IP header of the
// same family and at least the 8 bytes holding TCP/UDP ports (RFC 792 / RFC 4443).
void ParseQuoted(const uint8_t* l4, uint32_t len, uint16_t l4_offset, ParsedPacket& p) {
  const uint8_t* q = l4 + 8;
  uint32_t quoted_header;
  uint8_t proto;
  if (!p.ipv6) {
    if (len < 8 + sizeof(rte_ipv4_hdr) || (q[0] >> 4) != 4) return Drop(p, Counter::drop_malformed);
    quoted_header = (q[0] & 0xf) * 4u;
    if (quoted_header < sizeof(rte_ipv4_hdr)) return Drop(p, Counter::drop_malformed);
    proto = reinterpret_cast<const rte_ipv4_hdr*>(q)->next_proto_id;
  } else {
    if (len < 8 + sizeof(rte_ipv6_hdr) || (q[0] >> 4) != 6) return Drop(p, Counter::drop_malformed);
    quoted_header = sizeof(rte_ipv6_hdr);
    proto = reinterpret_cast<const rte_ipv6_hdr*>(q)->proto;  // extension headers: not followed
  }
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return Drop(p, Counter::drop_unsupported);
  if (len < 8 + quoted_header + 8) return Drop(p, Counter::drop_malformed);
  const uint8_t* ports = q + quoted_header;
  // Reversed: the quoted packet went VIP → client.
  std::memcpy(&p.dst_port, ports, 2);
  std::memcpy(&p.src_port, ports + 2, 2);
  p.l4_proto = proto;
  p.icmp_error = true;
  p.quoted_l3 = static_cast<uint16_t>(l4_offset + 8);
  p.kind = FrameKind::kLoadBalance;
}

void ParseFragment(ParsedPacket& p) {
  if (p.l4_proto != IPPROTO_TCP && p.l4_proto != IPPROTO_UDP) return Drop(p, Counter::drop_fragment);
  p.fragment = true;
  p.src_port = p.dst_port = 0;
  p.kind = FrameKind::kLoadBalance;
}

// Transport headers at `l4` with `len` bytes of IP payload present.
void ParseTransport(const uint8_t* l4, uint32_t len, uint16_t l4_offset, ParsedPacket& p) {
  switch (p.l4_proto) {
    case IPPROTO_TCP: {
      if (len < sizeof(rte_tcp_hdr)) return Drop(p, Counter::drop_malformed);
      const auto* tcp = reinterpret_cast<const rte_tcp_hdr*>(l4);
      const uint32_t data_off = (tcp->data_off >> 4) * 4u;
      if (data_off < sizeof(rte_tcp_hdr) || data_off > len) return Drop(p, Counter::drop_malformed);
      p.src_port = tcp->src_port;
      p.dst_port = tcp->dst_port;
      p.tcp_flags = tcp->tcp_flags;
      p.kind = FrameKind::kLoadBalance;
      return;
    }
    case IPPROTO_UDP: {
      if (len < sizeof(rte_udp_hdr)) return Drop(p, Counter::drop_malformed);
      const auto* udp = reinterpret_cast<const rte_udp_hdr*>(l4);
      const uint32_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
      if (udp_len < sizeof(rte_udp_hdr) || udp_len > len) return Drop(p, Counter::drop_malformed);
      p.src_port = udp->src_port;
      p.dst_port = udp->dst_port;
      p.kind = FrameKind::kLoadBalance;
      return;
    }
    case IPPROTO_ICMP:
      if (len < sizeof(rte_icmp_hdr)) return Drop(p, Counter::drop_malformed);
      if (l4[0] == RTE_IP_ICMP_ECHO_REQUEST && l4[1] == 0) {
        p.kind = FrameKind::kEchoRequest;
        return;
      }
      if (l4[0] == kIcmpUnreachable || l4[0] == kIcmpTimeExceeded) return ParseQuoted(l4, len, l4_offset, p);
      return Drop(p, Counter::drop_unsupported);
    case IPPROTO_ICMPV6:
      if (len < 8) return Drop(p, Counter::drop_malformed);
      if (l4[0] == kIcmpv6EchoRequest && l4[1] == 0) {
        p.kind = FrameKind::kEchoRequest;
        return;
      }
      if (l4[0] == kIcmpv6NeighborSolicit && l4[1] == 0) {
        if (len < kNdFixedLen) return Drop(p, Counter::drop_malformed);
        p.kind = FrameKind::kNdSolicit;
        return;
      }
      if (l4[0] == kIcmpv6NeighborAdvert && l4[1] == 0) {
        if (len < kNdFixedLen) return Drop(p, Counter::drop_malformed);
        p.kind = FrameKind::kNeighborReply;
        return;
      }
      if (l4[0] == kIcmpv6Unreachable || l4[0] == kIcmpv6TooBig || l4[0] == kIcmpv6TimeExceeded) {
        return ParseQuoted(l4, len, l4_offset, p);
      }
      return Drop(p, Counter::drop_unsupported);
    default:
      return Drop(p, Counter::drop_unsupported);
  }
}

void ParseIpv4(const uint8_t* l3, uint32_t avail, ParsedPacket& p) {
  if (avail < sizeof(rte_ipv4_hdr)) return Drop(p, Counter::drop_malformed);
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(l3);
  if ((ip->version_ihl >> 4) != 4) return Drop(p, Counter::drop_malformed);
  const uint32_t ihl = (ip->version_ihl & 0xf) * 4u;
  const uint32_t total = rte_be_to_cpu_16(ip->total_length);
  if (ihl < sizeof(rte_ipv4_hdr) || total < ihl || total > avail) {
    return Drop(p, Counter::drop_malformed);
  }
  p.l3_len = static_cast<uint16_t>(ihl);
  p.ip_len = static_cast<uint16_t>(total);
  p.ttl = ip->time_to_live;
  p.l4_proto = ip->next_proto_id;
  const uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
  p.dont_fragment = (frag & RTE_IPV4_HDR_DF_FLAG) != 0;
  if ((frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) return ParseFragment(p);
  ParseTransport(l3 + ihl, total - ihl, static_cast<uint16_t>(ihl), p);
}

void ParseIpv6(const uint8_t* l3, uint32_t avail, ParsedPacket& p) {
  if (avail < sizeof(rte_ipv6_hdr)) return Drop(p, Counter::drop_malformed);
  const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(l3);
  if ((l3[0] >> 4) != 6) return Drop(p, Counter::drop_malformed);
  const uint32_t total = sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(ip->payload_len);
  if (total > avail) return Drop(p, Counter::drop_malformed);
  p.ipv6 = true;
  p.dont_fragment = true;
  p.ip_len = static_cast<uint16_t>(total);
  p.ttl = ip->hop_limits;
  uint8_t next = ip->proto;
  uint32_t off = sizeof(rte_ipv6_hdr);
  for (int walked = 0;; ++walked) {
    if (next == kFragment) {
      if (off + 8 > total) return Drop(p, Counter::drop_malformed);
      p.l3_len = static_cast<uint16_t>(off + 8);
      p.l4_proto = l3[off];
      return ParseFragment(p);
    }
    if (next != kHopByHop && next != kRouting && next != kDestOptions) break;
    if (walked == kMaxIpv6ExtensionHeaders) return Drop(p, Counter::drop_ext_headers);
    // Next header (1), length in 8-octet units not counting the first 8 (1).
    if (off + 8 > total) return Drop(p, Counter::drop_malformed);
    const uint32_t ext_len = (l3[off + 1] + 1u) * 8u;
    if (off + ext_len > total) return Drop(p, Counter::drop_malformed);
    next = l3[off];
    off += ext_len;
  }
  p.l3_len = static_cast<uint16_t>(off);
  p.l4_proto = next;
  ParseTransport(l3 + off, total - off, static_cast<uint16_t>(off), p);
}

void ParseArp(const uint8_t* l3, uint32_t avail, ParsedPacket& p) {
  if (avail < sizeof(rte_arp_hdr)) return Drop(p, Counter::drop_malformed);
  const auto* arp = reinterpret_cast<const rte_arp_hdr*>(l3);
  if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
      arp->arp_plen != 4) {
    return Drop(p, Counter::drop_unsupported);
  }
  if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
    p.kind = FrameKind::kArpRequest;
  } else if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY)) {
    p.kind = FrameKind::kNeighborReply;
  } else {
    Drop(p, Counter::drop_unsupported);
  }
}

}  // namespace

void ParseFrame(const rte_mbuf* m, ParsedPacket& p) {
  // Cleared by stores only: `p = ParsedPacket{}` made GCC build the value on the stack and copy it
  // with loads that straddle its own just-made stores — two store-forwarding stalls per packet,
  // a quarter of the parse stage in profiles.
  static_assert(std::is_trivially_copyable_v<ParsedPacket>);
  std::memset(static_cast<void*>(&p), 0, sizeof p);
  p.kind = FrameKind::kDrop;
  p.drop_reason = Counter::drop_malformed;
  if (m->nb_segs != 1) return Drop(p, Counter::drop_unsupported);
  const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = m->data_len;
  if (len < sizeof(rte_ether_hdr)) return Drop(p, Counter::drop_malformed);
  uint32_t l2 = sizeof(rte_ether_hdr);
  uint16_t ether_type = Load16(frame + 12);
  if (ether_type == RTE_ETHER_TYPE_VLAN) {
    if (len < l2 + sizeof(rte_vlan_hdr)) return Drop(p, Counter::drop_malformed);
    ether_type = Load16(frame + 16);
    l2 += sizeof(rte_vlan_hdr);
    if (ether_type == RTE_ETHER_TYPE_VLAN || ether_type == RTE_ETHER_TYPE_QINQ) {
      return Drop(p, Counter::drop_unsupported);
    }
  }
  p.l2_len = static_cast<uint16_t>(l2);
  switch (ether_type) {
    case RTE_ETHER_TYPE_IPV4:
      return ParseIpv4(frame + l2, len - l2, p);
    case RTE_ETHER_TYPE_IPV6:
      return ParseIpv6(frame + l2, len - l2, p);
    case RTE_ETHER_TYPE_ARP:
      return ParseArp(frame + l2, len - l2, p);
    default:
      return Drop(p, Counter::drop_unsupported);
  }
}

}  // namespace causeway::dataplane
