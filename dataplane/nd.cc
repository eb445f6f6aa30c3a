#include "dataplane/nd.h"

#include <rte_ip.h>

#include <cstring>

#include "dataplane/checksum.h"

namespace causeway::dataplane {

void WriteNdWithMac(rte_ipv6_hdr* ip, uint8_t type, uint8_t flags, const uint8_t* target, const rte_ether_addr& mac) {
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(kNdWithMacLen);
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = kNdHopLimit;

  uint8_t* icmp = reinterpret_cast<uint8_t*>(ip) + sizeof(rte_ipv6_hdr);
  std::memset(icmp, 0, kNdWithMacLen);  // code, checksum and the reserved bits are zero
  icmp[0] = type;
  icmp[kNdFlagsOffset] = flags;
  std::memcpy(icmp + kNdTargetOffset, target, 16);
  uint8_t* option = icmp + kNdFixedLen;
  option[0] = type == kIcmpv6NeighborSolicit ? kNdOptSourceLinkLayer : kNdOptTargetLinkLayer;
  option[1] = kNdMacOptionLen / 8;
  std::memcpy(option + 2, &mac, RTE_ETHER_ADDR_LEN);
  const uint16_t c = Ipv6UpperChecksum(ip->src_addr, ip->dst_addr, IPPROTO_ICMPV6, icmp, kNdWithMacLen);
  std::memcpy(icmp + 2, &c, 2);
}

}  // namespace causeway::dataplane
