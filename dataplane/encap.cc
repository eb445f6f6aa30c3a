#include "dataplane/encap.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <cstring>

#include "dataplane/checksum.h"
#include "dataplane/frame_edit.h"

namespace causeway::dataplane {
namespace {

constexpr uint8_t kProtoIpip = 4, kProtoIpv6 = 41, kProtoUdp = IPPROTO_UDP;

// Traffic class of the inner packet, copied to the outer header (DSCP and ECN survive the tunnel).
uint8_t InnerTrafficClass(const uint8_t* inner, bool ipv6) {
  if (!ipv6) return reinterpret_cast<const rte_ipv4_hdr*>(inner)->type_of_service;
  return static_cast<uint8_t>(((inner[0] & 0x0f) << 4) | (inner[1] >> 4));
}

void DecrementInnerTtl(uint8_t* inner, bool ipv6) {
  if (ipv6) {
    reinterpret_cast<rte_ipv6_hdr*>(inner)->hop_limits--;
    return;
  }
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(inner);
  // TTL and protocol share one 16-bit word of the header; TTL is its first byte, the low byte of
  // the little-endian load. TTL > 1 here, so the decrement never borrows. One load and one store of
  // the same width (a byte store followed by a wider load would stall on store forwarding).
  static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN);
  uint16_t word;
  std::memcpy(&word, &ip->time_to_live, 2);
  const auto updated = static_cast<uint16_t>(word - 1);
  std::memcpy(&ip->time_to_live, &updated, 2);
  ip->hdr_checksum = UpdatedChecksum(ip->hdr_checksum, word, updated);
}

// The outer IPv4 header's checksum (network order) from the values of its fields, in registers:
// `total` and `frag` host order, the addresses as on the wire; packet id 0. Summing the header from
// memory right after writing it field by field stalls on store forwarding (narrow stores, wide loads).
// Inlined: a call here cost the IPv4-in-IPv4 path ~4% of its packet rate.
[[gnu::always_inline]] inline uint16_t OuterIpv4Checksum(uint8_t tos, uint16_t total, uint16_t frag, uint8_t ttl,
                                                        uint8_t proto, uint32_t src_be, uint32_t dst_be) {
  const uint32_t src = rte_be_to_cpu_32(src_be), dst = rte_be_to_cpu_32(dst_be);
  uint32_t sum = (uint32_t{RTE_IPV4_VHL_DEF} << 8 | tos) + total + frag + (uint32_t{ttl} << 8 | proto) +
                 (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return rte_cpu_to_be_16(static_cast<uint16_t>(~sum));
}

// The common case — IPv4 in IPv4, IPIP, an untagged frame, the checksum in software — written
// whole: the new Ethernet header over the old one's place (nothing of it survives, so nothing is
// moved), the outer header composed in registers and stored in three wide stores, its checksum
// from the next hop's fixed sum (BackendRoute::ipip4_fixed_sum) and the three fields that vary.
// Same bytes as the general path; it is only shorter.
void EncapsulateIpip4(rte_mbuf* m, const ParsedPacket& p, const BackendRoute& backend, const Tables& tables,
                      const rte_ether_addr& port_mac) {
  TrimToLength(m, uint32_t{RTE_ETHER_HDR_LEN} + p.ip_len);
  auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 20));  // headroom checked by the caller
  uint8_t* inner = frame + RTE_ETHER_HDR_LEN + 20;
  DecrementInnerTtl(inner, /*ipv6=*/false);

  auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
  eth->dst_addr = backend.mac;
  eth->src_addr = port_mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

  // The header's fields, then the header in network order.
  const uint8_t tos = reinterpret_cast<const rte_ipv4_hdr*>(inner)->type_of_service;
  const auto total = static_cast<uint16_t>(p.ip_len + 20);
  const uint16_t frag = p.dont_fragment ? RTE_IPV4_HDR_DF_FLAG : 0;
  const uint8_t ttl = tables.outer_ttl();
  uint32_t src, dst;
  std::memcpy(&src, tables.source_v4().data(), 4);
  std::memcpy(&dst, backend.next_hop.data(), 4);
  const uint16_t checksum = rte_cpu_to_be_16(ChecksumFinish(backend.ipip4_fixed_sum + tos + total + frag));
  const uint64_t w0 = uint64_t{RTE_IPV4_VHL_DEF} | uint64_t{tos} << 8 | uint64_t{rte_cpu_to_be_16(total)} << 16 |
                      /* packet id 0 */ uint64_t{rte_cpu_to_be_16(frag)} << 48;
  const uint64_t w1 = uint64_t{ttl} | uint64_t{kProtoIpip} << 8 | uint64_t{checksum} << 16 | uint64_t{src} << 32;
  uint8_t* outer = frame + RTE_ETHER_HDR_LEN;
  std::memcpy(outer, &w0, 8);
  std::memcpy(outer + 8, &w1, 8);
  std::memcpy(outer + 16, &dst, 4);
}

}  // namespace

EncapResult Encapsulate(rte_mbuf* m, const ParsedPacket& p, const BackendRoute& backend, bool gue,
                        const Tables& tables, const rte_ether_addr& port_mac, uint32_t entropy,
                        uint64_t tx_offloads) {
  const bool outer_v6 = backend.ipv6;
  const uint16_t overhead = EncapOverhead(outer_v6, gue);
  if (uint32_t{p.ip_len} + overhead > tables.mtu()) return EncapResult::kTooBig;
  if (outer_v6 ? !tables.has_source_v6() : !tables.has_source_v4()) return EncapResult::kNoSource;
  if (rte_pktmbuf_headroom(m) < overhead) return EncapResult::kNoRoom;
  if (!outer_v6 && !gue && !p.ipv6 && p.l2_len == RTE_ETHER_HDR_LEN && !(tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)) {
    EncapsulateIpip4(m, p, backend, tables, port_mac);
    return EncapResult::kOk;
  }

  TrimToLength(m, uint32_t{p.l2_len} + p.ip_len);
  uint8_t* frame = OpenGapAfterL2(m, p.l2_len, overhead);
  uint8_t* outer = frame + p.l2_len;
  uint8_t* inner = outer + overhead;
  DecrementInnerTtl(inner, p.ipv6);

  auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
  eth->dst_addr = backend.mac;
  eth->src_addr = port_mac;
  *InnerEtherType(frame, p.l2_len) = rte_cpu_to_be_16(outer_v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);

  const uint8_t next_proto = gue ? kProtoUdp : (p.ipv6 ? kProtoIpv6 : kProtoIpip);
  const uint8_t tc = InnerTrafficClass(inner, p.ipv6);
  // `entropy` (the flow's signature) spreads the tunnel's flows over receivers' RSS queues and ECMP paths.
  const uint16_t l3_outer = outer_v6 ? 40 : 20;
  if (outer_v6) {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(outer);
    ip->vtc_flow = rte_cpu_to_be_32((6u << 28) | (uint32_t{tc} << RTE_IPV6_HDR_TC_SHIFT) |
                                    (entropy & RTE_IPV6_HDR_FL_MASK));
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(p.ip_len + overhead - l3_outer));
    ip->proto = next_proto;
    ip->hop_limits = tables.outer_ttl();
    std::memcpy(ip->src_addr, tables.source_v6().data(), 16);
    std::memcpy(ip->dst_addr, backend.next_hop.data(), 16);
  } else {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(outer);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = tc;
    const auto total = static_cast<uint16_t>(p.ip_len + overhead);
    // RFC 2003 3.1: DF copied from the inner header (IPv6 inner packets are never fragmented).
    const uint16_t frag = p.dont_fragment ? RTE_IPV4_HDR_DF_FLAG : 0;
    ip->total_length = rte_cpu_to_be_16(total);
    ip->packet_id = 0;
    ip->fragment_offset = rte_cpu_to_be_16(frag);
    ip->time_to_live = tables.outer_ttl();
    ip->next_proto_id = next_proto;
    std::memcpy(&ip->src_addr, tables.source_v4().data(), 4);
    std::memcpy(&ip->dst_addr, backend.next_hop.data(), 4);
    if (tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
      ip->hdr_checksum = 0;
      // `|=`: assigning would clear the mbuf's own attachment flags; RX bits left are ignored on TX.
      m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
      // Every length at once: what the mbuf's last use left in the others (vector RX never clears
      // them) must not reach PMDs that size header copies with them.
      m->tx_offload = rte_mbuf_tx_offload(p.l2_len, l3_outer, 0, 0, 0, 0, 0);
    } else {
      ip->hdr_checksum = OuterIpv4Checksum(tc, total, frag, tables.outer_ttl(), next_proto, ip->src_addr, ip->dst_addr);
    }
  }
  if (gue) {
    auto* udp = reinterpret_cast<rte_udp_hdr*>(outer + l3_outer);
    udp->src_port = rte_cpu_to_be_16(static_cast<uint16_t>(0x8000 | (entropy & 0x7fff)));
    udp->dst_port = tables.gue_port_be();
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(p.ip_len + 8));
    udp->dgram_cksum = 0;
    if (outer_v6) {
      // A zero UDP checksum over IPv6 needs RFC 6935 support at the receiver: compute it, or have
      // the port do it (the sum runs over the whole inner packet: the offload that matters most).
      const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(outer);
      if (tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
        m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
        m->tx_offload = rte_mbuf_tx_offload(p.l2_len, l3_outer, sizeof(rte_udp_hdr), 0, 0, 0, 0);
        udp->dgram_cksum = rte_ipv6_phdr_cksum(ip, m->ol_flags);
      } else {
        uint16_t c = Ipv6UpperChecksum(ip->src_addr, ip->dst_addr, IPPROTO_UDP, udp, p.ip_len + 8u);
        udp->dgram_cksum = c == 0 ? 0xffff : c;
      }
    }
  }
  return EncapResult::kOk;
}

}  // namespace causeway::dataplane
