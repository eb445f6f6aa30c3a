#include "dataplane/local_reply.h"

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/checksum.h"
#include "dataplane/frame_edit.h"
#include "dataplane/nd.h"

namespace causeway::dataplane {
namespace {

constexpr uint8_t kEchoReplyV6 = 129;

}  // namespace

bool ReplyArp(rte_mbuf* m, const ParsedPacket& p, const Tables& t, const rte_ether_addr& port_mac) {
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(frame + p.l2_len);
  rte_arp_ipv4& d = arp->arp_data;
  if (!t.IsLocalAddress(reinterpret_cast<const uint8_t*>(&d.arp_tip), false)) return false;
  ReplyMacs(frame, port_mac);
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
  d.arp_tha = d.arp_sha;
  d.arp_sha = port_mac;
  const uint32_t requested = d.arp_tip;
  d.arp_tip = d.arp_sip;
  d.arp_sip = requested;
  return true;
}

bool ReplyNeighborSolicit(rte_mbuf* m, const ParsedPacket& p, const Tables& t,
                          const rte_ether_addr& port_mac) {
  if (p.ttl != kNdHopLimit || p.l3_len != sizeof(rte_ipv6_hdr)) return false;
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(frame + p.l2_len);
  const uint8_t* icmp = frame + p.l2_len + sizeof(rte_ipv6_hdr);
  uint8_t target[16];  // a copy: the advertisement is written over the solicitation
  std::memcpy(target, icmp + kNdTargetOffset, 16);
  if (!t.IsLocalAddress(target, true)) return false;

  const uint32_t frame_len = p.l2_len + sizeof(rte_ipv6_hdr) + kNdWithMacLen;
  if (m->data_len < frame_len && rte_pktmbuf_append(m, static_cast<uint16_t>(frame_len - m->data_len)) == nullptr) {
    return false;
  }
  TrimToLength(m, frame_len);
  ReplyMacs(frame, port_mac);

  // From the unspecified address (duplicate address detection) the answer goes to all nodes.
  static constexpr uint8_t kUnspecified[16] = {};
  static constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const bool from_unspecified = std::memcmp(ip->src_addr, kUnspecified, 16) == 0;
  std::memcpy(ip->dst_addr, from_unspecified ? kAllNodes : ip->src_addr, 16);
  std::memcpy(ip->src_addr, target, 16);
  const auto flags = static_cast<uint8_t>(kNdAdvertOverride | (from_unspecified ? 0 : kNdAdvertSolicited));
  WriteNdWithMac(ip, kIcmpv6NeighborAdvert, flags, target, port_mac);
  return true;
}

bool ReplyEcho(rte_mbuf* m, const ParsedPacket& p, const Tables& t, const rte_ether_addr& port_mac) {
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* l3 = frame + p.l2_len;
  if (p.ipv6) {
    if (p.l3_len != sizeof(rte_ipv6_hdr)) return false;
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
    if (!t.IsLocalAddress(ip->dst_addr, true)) return false;
    TrimToLength(m, uint32_t{p.l2_len} + p.ip_len);
    uint8_t tmp[16];
    std::memcpy(tmp, ip->src_addr, 16);
    std::memcpy(ip->src_addr, ip->dst_addr, 16);
    std::memcpy(ip->dst_addr, tmp, 16);
    ip->hop_limits = kReplyTtl;
    uint8_t* icmp = l3 + sizeof(rte_ipv6_hdr);
    const uint32_t len = p.ip_len - sizeof(rte_ipv6_hdr);
    icmp[0] = kEchoReplyV6;
    icmp[2] = icmp[3] = 0;
    const uint16_t c = Ipv6UpperChecksum(ip->src_addr, ip->dst_addr, IPPROTO_ICMPV6, icmp, len);
    std::memcpy(icmp + 2, &c, 2);
  } else {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
    if (!t.IsLocalAddress(reinterpret_cast<const uint8_t*>(&ip->dst_addr), false)) return false;
    TrimToLength(m, uint32_t{p.l2_len} + p.ip_len);
    const uint32_t client = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = client;
    ip->time_to_live = kReplyTtl;
    SetIpv4HeaderChecksum(ip);
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(l3 + p.l3_len);
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    icmp->icmp_cksum = 0;
    icmp->icmp_cksum = ChecksumFinish(ChecksumAdd(icmp, p.ip_len - p.l3_len));
  }
  ReplyMacs(frame, port_mac);
  return true;
}

}  // namespace causeway::dataplane
