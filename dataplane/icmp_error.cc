#include "dataplane/icmp_error.h"

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/checksum.h"
#include "dataplane/frame_edit.h"
#include "dataplane/local_reply.h"

namespace causeway::dataplane {
namespace {

constexpr uint8_t kIcmpDestUnreachable = 3, kIcmpFragNeeded = 4;
constexpr uint8_t kIcmpv6PacketTooBig = 2;
constexpr uint16_t kIpv4ErrorMax = 576, kIpv6MinMtu = 1280;

}  // namespace

bool MakePacketTooBig(rte_mbuf* m, const ParsedPacket& p, uint16_t path_mtu,
                      const rte_ether_addr& port_mac) {
  const uint16_t header = p.ipv6 ? sizeof(rte_ipv6_hdr) + 8 : sizeof(rte_ipv4_hdr) + 8;
  const uint16_t limit = p.ipv6 ? kIpv6MinMtu : kIpv4ErrorMax;
  const uint16_t quote = std::min<uint16_t>(p.ip_len, static_cast<uint16_t>(limit - header));
  if (rte_pktmbuf_headroom(m) < header) return false;
  TrimToLength(m, uint32_t{p.l2_len} + quote);
  uint8_t* frame = OpenGapAfterL2(m, p.l2_len, header);
  ReplyMacs(frame, port_mac);
  uint8_t* l3 = frame + p.l2_len;
  uint8_t* icmp = l3 + header - 8;
  const uint8_t* original = l3 + header;

  if (p.ipv6) {
    const auto* orig = reinterpret_cast<const rte_ipv6_hdr*>(original);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(8 + quote));
    ip->proto = IPPROTO_ICMPV6;
    ip->hop_limits = kReplyTtl;
    std::memcpy(ip->src_addr, orig->dst_addr, 16);
    std::memcpy(ip->dst_addr, orig->src_addr, 16);
    icmp[0] = kIcmpv6PacketTooBig;
    icmp[1] = 0;
    icmp[2] = icmp[3] = 0;
    const uint32_t mtu = rte_cpu_to_be_32(std::max<uint32_t>(path_mtu, kIpv6MinMtu));
    std::memcpy(icmp + 4, &mtu, 4);
    const uint16_t c = Ipv6UpperChecksum(ip->src_addr, ip->dst_addr, IPPROTO_ICMPV6, icmp, 8u + quote);
    std::memcpy(icmp + 2, &c, 2);
    return true;
  }
  const auto* orig = reinterpret_cast<const rte_ipv4_hdr*>(original);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(header + quote));
  ip->packet_id = 0;
  ip->fragment_offset = 0;
  ip->time_to_live = kReplyTtl;
  ip->next_proto_id = IPPROTO_ICMP;
  ip->src_addr = orig->dst_addr;
  ip->dst_addr = orig->src_addr;
  SetIpv4HeaderChecksum(ip);
  icmp[0] = kIcmpDestUnreachable;
  icmp[1] = kIcmpFragNeeded;
  icmp[2] = icmp[3] = icmp[4] = icmp[5] = 0;  // checksum, unused
  const uint16_t mtu = rte_cpu_to_be_16(path_mtu);
  std::memcpy(icmp + 6, &mtu, 2);             // next-hop MTU (RFC 1191)
  const uint16_t c = ChecksumFinish(ChecksumAdd(icmp, 8u + quote));
  std::memcpy(icmp + 2, &c, 2);
  return true;
}

}  // namespace causeway::dataplane
