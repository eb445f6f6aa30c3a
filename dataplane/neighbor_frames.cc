#include "dataplane/neighbor_frames.h"

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

#include "dataplane/nd.h"

namespace causeway::dataplane {
namespace {

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
  constexpr uint16_t kLen = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + kNdWithMacLen;
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
    std::memcpy(ip->dst_addr, kSolicitedNodePrefix, kSolicitedNodePrefixLen);
    std::memcpy(ip->dst_addr + kSolicitedNodePrefixLen, target + kSolicitedNodePrefixLen,
                16 - kSolicitedNodePrefixLen);
    eth->dst_addr.addr_bytes[0] = 0x33;
    eth->dst_addr.addr_bytes[1] = 0x33;
    std::memcpy(&eth->dst_addr.addr_bytes[2], ip->dst_addr + 12, 4);
  }
  eth->src_addr = port_mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
  std::memcpy(ip->src_addr, source, 16);
  WriteNdWithMac(ip, kIcmpv6NeighborSolicit, /*flags=*/0, target, port_mac);
  return true;
}

}  // namespace causeway::dataplane
