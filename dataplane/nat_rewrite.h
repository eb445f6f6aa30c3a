// The header edits of full-NAT and of the peer tunnel: rewriting a TCP/UDP packet's addresses and
// ports in place with incremental checksum updates (RFC 1624: the IPv4 header checksum and the
// TCP/UDP checksum, whose pseudo header covers the addresses), and taking a GUE packet out of its
// outer IP/UDP headers.
#ifndef CAUSEWAY_DATAPLANE_NAT_REWRITE_H_
#define CAUSEWAY_DATAPLANE_NAT_REWRITE_H_

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>

#include "dataplane/checksum.h"
#include "dataplane/frame_edit.h"
#include "dataplane/parse.h"

namespace causeway::dataplane {

// The ones' complement sum of `len` bytes (even), folded to 16 bits, in the packet's byte order.
inline uint16_t Sum16(const uint8_t* p, size_t len) { return __rte_raw_cksum_reduce(ChecksumAdd(p, len)); }

// A checksum field after 16-bit words summing to `old_sum` were replaced by words summing to
// `new_sum` (RFC 1624 eqn. 3, for many words at once).
inline uint16_t AdjustChecksum(uint16_t checksum, uint16_t old_sum, uint16_t new_sum) {
  uint32_t sum = uint32_t{static_cast<uint16_t>(~checksum)} + static_cast<uint16_t>(~old_sum) + new_sum;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// New addresses and ports (network order; IPv4 addresses in the first 4 bytes) for a TCP/UDP packet.
struct FlowRewrite {
  const uint8_t* src;
  uint16_t src_port;
  const uint8_t* dst;
  uint16_t dst_port;
};

// Sums of 16-bit words of values loaded in registers (stored order kept, as ChecksumAdd does).
inline uint32_t WordSum(uint32_t v) { return (v >> 16) + (v & 0xffff); }
inline uint16_t FoldSum(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>((sum & 0xffff) + (sum >> 16));
}

// The IPv4 case of RewriteFlow with the sums taken from registers: one load per field, no byte
// buffers (which would stall on store forwarding).
inline void RewriteFlowV4(uint8_t* l3, const ParsedPacket& p, const FlowRewrite& r, bool decrement_ttl) {
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
  uint8_t* l4 = l3 + p.l3_len;
  uint32_t old_src, old_dst, old_ports, new_src, new_dst;
  std::memcpy(&old_src, &ip->src_addr, 4);
  std::memcpy(&old_dst, &ip->dst_addr, 4);
  std::memcpy(&old_ports, l4, 4);
  std::memcpy(&new_src, r.src, 4);
  std::memcpy(&new_dst, r.dst, 4);
  const uint16_t old_ip = FoldSum(WordSum(old_src) + WordSum(old_dst));
  const uint16_t new_ip = FoldSum(WordSum(new_src) + WordSum(new_dst));
  const uint16_t old_l4 = FoldSum(uint32_t{old_ip} + WordSum(old_ports));
  const uint16_t new_l4 = FoldSum(uint32_t{new_ip} + r.src_port + r.dst_port);
  uint16_t* l4_checksum = reinterpret_cast<uint16_t*>(l4 + (p.l4_proto == IPPROTO_TCP ? 16 : 6));
  // UDP over IPv4 may carry no checksum (0): it stays without one.
  if (!(p.l4_proto == IPPROTO_UDP && *l4_checksum == 0)) {
    uint16_t c = AdjustChecksum(*l4_checksum, old_l4, new_l4);
    if (p.l4_proto == IPPROTO_UDP && c == 0) c = 0xffff;
    *l4_checksum = c;
  }
  uint16_t checksum = AdjustChecksum(ip->hdr_checksum, old_ip, new_ip);
  if (decrement_ttl) {
    uint16_t word;
    std::memcpy(&word, &ip->time_to_live, 2);
    const auto updated = static_cast<uint16_t>(word - 1);  // TTL is the low byte (little endian)
    std::memcpy(&ip->time_to_live, &updated, 2);
    checksum = UpdatedChecksum(checksum, word, updated);
  }
  ip->hdr_checksum = checksum;
  std::memcpy(&ip->src_addr, &new_src, 4);
  std::memcpy(&ip->dst_addr, &new_dst, 4);
  const uint32_t new_ports = uint32_t{r.src_port} | (uint32_t{r.dst_port} << 16);
  std::memcpy(l4, &new_ports, 4);
}

// Rewrites the packet whose IP header is at `l3` (parsed as `p`, not a fragment). With
// `decrement_ttl` the TTL / hop limit goes down by one (the caller checked it is > 1).
inline void RewriteFlow(uint8_t* l3, const ParsedPacket& p, const FlowRewrite& r, bool decrement_ttl) {
  if (!p.ipv6) return RewriteFlowV4(l3, p, r, decrement_ttl);
  const size_t alen = 16;
  uint8_t* src = l3 + (p.ipv6 ? 8 : 12);
  uint8_t* dst = l3 + (p.ipv6 ? 24 : 16);
  uint8_t* l4 = l3 + p.l3_len;
  auto* ports = reinterpret_cast<uint16_t*>(l4);
  // Sums of the words covered by the L4 checksum (pseudo header addresses, then ports).
  uint8_t old_words[36], new_words[36];
  std::memcpy(old_words, src, alen);
  std::memcpy(old_words + alen, dst, alen);
  std::memcpy(old_words + 2 * alen, ports, 4);
  std::memcpy(new_words, r.src, alen);
  std::memcpy(new_words + alen, r.dst, alen);
  std::memcpy(new_words + 2 * alen, &r.src_port, 2);
  std::memcpy(new_words + 2 * alen + 2, &r.dst_port, 2);
  const uint16_t old_l4 = Sum16(old_words, 2 * alen + 4), new_l4 = Sum16(new_words, 2 * alen + 4);

  uint16_t* l4_checksum = reinterpret_cast<uint16_t*>(l4 + (p.l4_proto == IPPROTO_TCP ? 16 : 6));
  uint16_t c = AdjustChecksum(*l4_checksum, old_l4, new_l4);
  if (p.l4_proto == IPPROTO_UDP && c == 0) c = 0xffff;
  *l4_checksum = c;
  if (decrement_ttl) reinterpret_cast<rte_ipv6_hdr*>(l3)->hop_limits--;
  std::memcpy(src, r.src, alen);
  std::memcpy(dst, r.dst, alen);
  ports[0] = r.src_port;
  ports[1] = r.dst_port;
}

// Lowers the MSS option of a TCP SYN or SYN-ACK to `mss_max` when it is larger (the checksum updated
// incrementally), so that neither end sends segments that would not fit the tunnel. Returns true when
// it changed the packet.
inline bool ClampMss(uint8_t* l3, const ParsedPacket& p, uint16_t mss_max) {
  uint8_t* tcp = l3 + p.l3_len;
  const uint32_t header = (tcp[12] >> 4) * 4u;  // checked by the parser: 20..60, within the packet
  for (uint32_t i = 20; i < header;) {
    const uint8_t kind = tcp[i];
    if (kind == 0) break;  // end of options
    if (kind == 1) {       // no-op
      ++i;
      continue;
    }
    if (i + 1 >= header || tcp[i + 1] < 2 || i + tcp[i + 1] > header) break;
    if (kind == 2 && tcp[i + 1] == 4) {
      const uint32_t at = i + 2;
      const auto mss = static_cast<uint16_t>(tcp[at] << 8 | tcp[at + 1]);
      if (mss <= mss_max) return false;
      // The 16-bit words of the checksum that hold the value: one when it starts at an even offset,
      // two when it straddles them (an odd option position needs a byte after it: it has one).
      const uint32_t from = at & ~1u, len = (at & 1u) ? 4 : 2;
      const uint16_t old_sum = Sum16(tcp + from, len);
      tcp[at] = static_cast<uint8_t>(mss_max >> 8);
      tcp[at + 1] = static_cast<uint8_t>(mss_max);
      auto* checksum = reinterpret_cast<uint16_t*>(tcp + 16);
      *checksum = AdjustChecksum(*checksum, old_sum, Sum16(tcp + from, len));
      return true;
    }
    i += tcp[i + 1];
  }
  return false;
}

// Removes the outer IP and UDP headers of a GUE packet (variant 1: the inner IP packet right after
// UDP), keeping the L2 header and VLAN tag; the EtherType follows the inner packet's version.
// Returns false (frame unchanged) when what follows UDP is not an IP packet.
inline bool StripGue(rte_mbuf* m, const ParsedPacket& outer) {
  const uint16_t strip = static_cast<uint16_t>(outer.l3_len + 8);
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  const uint32_t inner_at = uint32_t{outer.l2_len} + strip;
  if (inner_at >= m->data_len) return false;
  const uint8_t version = frame[inner_at] >> 4;
  if (version != 4 && version != 6) return false;
  TrimToLength(m, uint32_t{outer.l2_len} + outer.ip_len);
  std::memmove(frame + strip, frame, outer.l2_len);
  rte_pktmbuf_adj(m, strip);
  frame = rte_pktmbuf_mtod(m, uint8_t*);
  *InnerEtherType(frame, outer.l2_len) =
      rte_cpu_to_be_16(version == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
  return true;
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_NAT_REWRITE_H_
