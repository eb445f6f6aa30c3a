#include "dataplane/neighbor_frames.h"

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

#include "dataplane/checksum.h"

namespace causeway::dataplane {
namespace {

constexpr uint8_t kNeighborSolicit = 135;
constexpr uint8_t kOptSourceLinkLayer = 1;
// ICMPv6 header (4) + reserved (4) + target (16) + source link-layer address option (8).
constexpr uint16_t kNsLen = 32;
// Ethernet's minimum frame without the FCS: ARP is padded to it.
constexpr uint16_t kMinFrame = 60;

uint8_t* Frame(rte_mbuf* m, uint16_t len) {
  auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len));
  if (data != nullptr) std::memset(data, 0, len);
  return data;
}

}  // namespace

bool BuildArpRequest(rte_mbuf* m, const rte_ether_addr& port_mac, const uint8_t* source, const uint8_t* target,
                     const rte_ether_addr* unicast) {
  uint8_t* frame = Frame(m, kMinFrame);
  if (frame == nullptr) return false;
  auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
  if (unicast != nullptr) {
    eth->dst_addr = *unicast;
  } else {
    std::memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
  }
  eth->src_addr = port_mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(frame + sizeof(rte_ether_hdr));
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  arp->arp_data.arp_sha = port_mac;
  std::memcpy(&arp->arp_data.arp_sip, source, 4);
  // arp_tha stays zero: the target's hardware address is what we ask for.
  std::memcpy(&arp->arp_data.arp_tip, target, 4);
  return true;
}

bool BuildNeighborSolicit(rte_mbuf* m, const rte_ether_addr& port_mac, const uint8_t* source,
                          const uint8_t* target, const rte_ether_addr* unicast) {
  constexpr uint16_t kLen = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + kNsLen;
  uint8_t* frame = Frame(m, kLen);
  if (frame == nullptr) return false;
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(frame + sizeof(rte_ether_hdr));
  auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
  if (unicast != nullptr) {
    eth->dst_addr = *unicast;
    std::memcpy(ip->dst_addr, target, 16);
  } else {
    // The solicited-node multicast group of the target (RFC 4291 2.7.1): ff02::1:ffXX:XXXX, whose
    // MAC is 33:33 and the group's last 32 bits (RFC 2464 7).
    static constexpr uint8_t kSolicitedNode[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    std::memcpy(ip->dst_addr, kSolicitedNode, 13);
    std::memcpy(ip->dst_addr + 13, target + 13, 3);
    eth->dst_addr.addr_bytes[0] = 0x33;
    eth->dst_addr.addr_bytes[1] = 0x33;
    std::memcpy(&eth->dst_addr.addr_bytes[2], ip->dst_addr + 12, 4);
  }
  eth->src_addr = port_mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(kNsLen);
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = 255;  // RFC 4861 7.1.1: receivers drop anything else
  std::memcpy(ip->src_addr, source, 16);
  uint8_t* icmp = frame + sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr);
  icmp[0] = kNeighborSolicit;
  std::memcpy(icmp + 8, target, 16);
  icmp[24] = kOptSourceLinkLayer;
  icmp[25] = 1;  // in units of 8 bytes
  std::memcpy(icmp + 26, &port_mac, RTE_ETHER_ADDR_LEN);
  const uint16_t c = Ipv6UpperChecksum(ip->src_addr, ip->dst_addr, IPPROTO_ICMPV6, icmp, kNsLen);
  std::memcpy(icmp + 2, &c, 2);
  return true;
}

}  // namespace causeway::dataplane
