#include "dataplane/icmp_error.h"

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <algorithm>
#include <cstring>

#include "dataplane/checksum.h"
#include "dataplane/frame_edit.h"
#include "dataplane/local_reply.h"

namespace causeway::dataplane {
namespace {

constexpr uint8_t kIcmpDestUnreachable = 3, kIcmpFragNeeded = 4, kIcmpAdminProhibited = 13;
constexpr uint8_t kIcmpv6DestUnreachable = 1, kIcmpv6AdminProhibited = 1, kIcmpv6PacketTooBig = 2;
constexpr uint16_t kIpv4ErrorMax = 576, kIpv6MinMtu = 1280;

}  // namespace

namespace {

// An ICMP / ICMPv6 error about the packet in `m`, to its sender from the address it was sent to,
// quoting as much of it as RFC 1812 / RFC 4443 allow; `word` is the 4 bytes after the checksum (an
// MTU, or zero). False (mbuf unchanged) when there is no headroom.
bool MakeIcmpError(rte_mbuf* m, const ParsedPacket& p, uint8_t type, uint8_t code, uint32_t word_be,
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
  icmp[0] = type;
  icmp[1] = code;
  icmp[2] = icmp[3] = 0;
  std::memcpy(icmp + 4, &word_be, 4);

  if (p.ipv6) {
    const auto* orig = reinterpret_cast<const rte_ipv6_hdr*>(original);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(8 + quote));
    ip->proto = IPPROTO_ICMPV6;
    ip->hop_limits = kReplyTtl;
    std::memcpy(ip->src_addr, orig->dst_addr, 16);
    std::memcpy(ip->dst_addr, orig->src_addr, 16);
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
  const uint16_t c = ChecksumFinish(ChecksumAdd(icmp, 8u + quote));
  std::memcpy(icmp + 2, &c, 2);
  return true;
}

}  // namespace

bool MakePacketTooBig(rte_mbuf* m, const ParsedPacket& p, uint16_t path_mtu, const rte_ether_addr& port_mac) {
  if (p.ipv6) {
    return MakeIcmpError(m, p, kIcmpv6PacketTooBig, 0, rte_cpu_to_be_32(std::max<uint32_t>(path_mtu, kIpv6MinMtu)),
                         port_mac);
  }
  // Unused (16 bits), then the next-hop MTU (RFC 1191).
  return MakeIcmpError(m, p, kIcmpDestUnreachable, kIcmpFragNeeded, rte_cpu_to_be_32(path_mtu), port_mac);
}

bool MakeAdministrativelyProhibited(rte_mbuf* m, const ParsedPacket& p, const rte_ether_addr& port_mac) {
  return p.ipv6 ? MakeIcmpError(m, p, kIcmpv6DestUnreachable, kIcmpv6AdminProhibited, 0, port_mac)
                : MakeIcmpError(m, p, kIcmpDestUnreachable, kIcmpAdminProhibited, 0, port_mac);
}

bool MakeTcpReset(rte_mbuf* m, const ParsedPacket& p, const rte_ether_addr& port_mac) {
  // Options (IPv4) and extension headers (IPv6) are not repeated: plain headers only.
  if (p.l4_proto != IPPROTO_TCP || p.l3_len != (p.ipv6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr))) return false;
  TrimToLength(m, uint32_t{p.l2_len} + p.ip_len);
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  ReplyMacs(frame, port_mac);
  uint8_t* l3 = frame + p.l2_len;
  auto* tcp = reinterpret_cast<rte_tcp_hdr*>(l3 + p.l3_len);
  const uint32_t payload = p.ip_len - p.l3_len - (tcp->data_off >> 4) * 4u;
  // RFC 9293 3.10.7.1: to a segment without ACK, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, where
  // SYN and FIN count one each; to one with ACK, <SEQ=SEG.ACK><CTL=RST>.
  const bool had_ack = (p.tcp_flags & RTE_TCP_ACK_FLAG) != 0;
  const uint32_t seg_len = payload + ((p.tcp_flags & RTE_TCP_SYN_FLAG) ? 1 : 0) + ((p.tcp_flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
  const uint32_t seq = had_ack ? tcp->recv_ack : 0;
  const uint32_t ack = had_ack ? 0 : rte_cpu_to_be_32(rte_be_to_cpu_32(tcp->sent_seq) + seg_len);
  const uint16_t client_port = tcp->src_port;
  tcp->src_port = tcp->dst_port;
  tcp->dst_port = client_port;
  tcp->sent_seq = seq;
  tcp->recv_ack = ack;
  tcp->data_off = 5 << 4;
  tcp->tcp_flags = had_ack ? RTE_TCP_RST_FLAG : (RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
  tcp->rx_win = 0;
  tcp->cksum = 0;
  tcp->tcp_urp = 0;
  const uint16_t ip_len = static_cast<uint16_t>(p.l3_len + sizeof(rte_tcp_hdr));
  if (p.ipv6) {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
    uint8_t tmp[16];
    std::memcpy(tmp, ip->src_addr, 16);
    std::memcpy(ip->src_addr, ip->dst_addr, 16);
    std::memcpy(ip->dst_addr, tmp, 16);
    ip->payload_len = rte_cpu_to_be_16(sizeof(rte_tcp_hdr));
    ip->hop_limits = kReplyTtl;
    tcp->cksum = Ipv6UpperChecksum(ip->src_addr, ip->dst_addr, IPPROTO_TCP, tcp, sizeof(rte_tcp_hdr));
  } else {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
    const uint32_t client = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = client;
    ip->total_length = rte_cpu_to_be_16(ip_len);
    ip->time_to_live = kReplyTtl;
    ip->packet_id = 0;
    SetIpv4HeaderChecksum(ip);
    const uint32_t pseudo[3] = {ip->src_addr, ip->dst_addr, rte_cpu_to_be_32((uint32_t{IPPROTO_TCP} << 16) | sizeof(rte_tcp_hdr))};
    tcp->cksum = ChecksumFinish(ChecksumAdd(tcp, sizeof(rte_tcp_hdr), ChecksumAdd(pseudo, sizeof pseudo)));
  }
  rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - (p.l2_len + ip_len)));
  return true;
}

}  // namespace causeway::dataplane
