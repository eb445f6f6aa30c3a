#include "dataplane/neighbor_report.h"

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include <cstring>

#include "dataplane/checksum.h"
#include "dataplane/nd.h"

namespace causeway::dataplane {
namespace {

bool Usable(const rte_ether_addr& mac) {
  return rte_is_unicast_ether_addr(&mac) && !rte_is_zero_ether_addr(&mac);
}

// The link-layer address option of type `type` (RFC 4861 4.6.1), or false.
bool FindMacOption(const uint8_t* options, uint32_t len, uint8_t type, rte_ether_addr& mac) {
  uint32_t off = 0;
  while (off + 2 <= len) {
    const uint32_t opt_len = options[off + 1] * 8u;
    if (opt_len == 0 || off + opt_len > len) return false;  // length 0 is invalid (RFC 4861 4.6)
    if (options[off] == type && opt_len >= 8) {
      std::memcpy(&mac, options + off + 2, 6);
      return true;
    }
    off += opt_len;
  }
  return false;
}

}  // namespace

bool ReportNeighbor(const rte_mbuf* m, const ParsedPacket& p, const Tables& t, rte_ring* reports,
                    BurstCounters& counters) {
  if (reports == nullptr) return false;
  const uint8_t* l3 = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l2_len);
  NeighborReport r;
  if (!p.ipv6) {
    // ARP (request or reply): the sender's protocol and hardware addresses.
    const auto* arp = reinterpret_cast<const rte_arp_hdr*>(l3);
    std::memcpy(r.address.data(), &arp->arp_data.arp_sip, 4);
    r.mac = arp->arp_data.arp_sha;
    if (!t.WantsNeighbor(r.address.data(), /*ipv6=*/false)) return false;
  } else {
    if (p.ttl != kNdHopLimit || p.l3_len != sizeof(rte_ipv6_hdr)) return false;
    const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(l3);
    const uint8_t* icmp = l3 + sizeof(rte_ipv6_hdr);
    const uint32_t len = p.ip_len - sizeof(rte_ipv6_hdr);  // ≥ kNdFixedLen: the parser drops shorter
    // An advertisement is about its target; a solicitation about its sender (an unspecified source,
    // duplicate address detection, carries no MAC and is no next hop). Only next hops we want are
    // looked at further: the segment's other neighbour discovery costs no checksum.
    const bool advert = p.kind == FrameKind::kNeighborReply;
    std::memcpy(r.address.data(), advert ? icmp + kNdTargetOffset : ip->src_addr, 16);
    if (!t.WantsNeighbor(r.address.data(), /*ipv6=*/true)) return false;
    // Summed over the message with its checksum field, a valid one comes to zero.
    if (Ipv6UpperChecksum(ip->src_addr, ip->dst_addr, IPPROTO_ICMPV6, icmp, len) != 0) return false;
    if (!FindMacOption(icmp + kNdFixedLen, len - kNdFixedLen, advert ? kNdOptTargetLinkLayer : kNdOptSourceLinkLayer,
                       r.mac)) {
      // Linux answers a unicast solicitation (our refresh) without the option: the answer still
      // confirms the MAC it came from, if that is the one held (decided on the control side).
      if (!advert || (icmp[kNdFlagsOffset] & kNdAdvertSolicited) == 0) return false;
      r.mac = rte_pktmbuf_mtod(m, const rte_ether_hdr*)->src_addr;
      r.confirm_only = 1;
    }
    r.ipv6 = 1;
  }
  if (!Usable(r.mac)) return false;
  if (rte_ring_mp_enqueue_elem(reports, &r, sizeof r) != 0) {
    counters.Add(Counter::neighbor_report_lost);
  } else {
    counters.Add(Counter::neighbor_reported);
  }
  return true;
}

}  // namespace causeway::dataplane
