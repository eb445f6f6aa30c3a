// Stage 1: what a frame is. Reads Ethernet (at most one 802.1Q tag), ARP requests and replies, IPv4 and IPv6 (walking a
// bounded extension-header chain), TCP, UDP and the ICMP messages the gateway answers, and checks
// every length against the bytes actually present. Nothing is written.
#ifndef CAUSEWAY_DATAPLANE_PARSE_H_
#define CAUSEWAY_DATAPLANE_PARSE_H_

#include <cstdint>

#include "dataplane/counters.h"

struct rte_mbuf;

namespace causeway::dataplane {

enum class FrameKind : uint8_t {
  kDrop,          // see ParsedPacket::drop_reason
  kLoadBalance,   // IPv4/IPv6 TCP or UDP, or an ICMP error about one (icmp_error): look up the VIP
  kArpRequest,    // IPv4 over Ethernet ARP request
  kEchoRequest,   // ICMP echo request / ICMPv6 echo request
  kNdSolicit,     // ICMPv6 neighbour solicitation
  kNeighborReply, // IPv4 ARP reply, or ICMPv6 neighbour advertisement (ipv6): for the neighbour table
};

// At most this many IPv6 extension headers are walked; longer chains are dropped (drop_ext_headers).
inline constexpr int kMaxIpv6ExtensionHeaders = 4;

// ParseFrame clears it with memset, then sets kind and drop_reason: a new field whose default is
// not zero must be set there too.
struct ParsedPacket {
  FrameKind kind = FrameKind::kDrop;
  Counter drop_reason = Counter::drop_malformed;
  bool ipv6 = false;
  bool dont_fragment = false;  // IPv4 DF; always true for IPv6 (routers never fragment it)
  uint8_t l4_proto = 0;        // 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6
  uint8_t tcp_flags = 0;
  uint8_t ttl = 0;             // TTL / hop limit
  uint16_t l2_len = 0;         // 14, or 18 with a VLAN tag
  uint16_t l3_len = 0;         // IP header plus IPv6 extension headers
  uint16_t ip_len = 0;         // the whole IP packet (header + payload), without Ethernet padding
  uint16_t src_port = 0;       // network byte order, as on the wire
  uint16_t dst_port = 0;
  // An ICMP error (unreachable, too big, time exceeded) whose quoted packet is TCP/UDP from a VIP:
  // a router on the way from a backend to a client wrote to the VIP. The flow is the quoted
  // packet's, reversed to the client → VIP direction: l4_proto, src_port and dst_port above are
  // already in that direction; the quoted IP header starts `quoted_l3` bytes after the outer one.
  bool icmp_error = false;
  uint16_t quoted_l3 = 0;
  // A TCP/UDP fragment (IPv4 MF or offset, IPv6 fragment header). Later fragments carry no ports, so
  // every fragment is balanced on addresses and protocol alone (ports 0), and only to frontends
  // that serve every port of the VIP (port 0): all fragments of a datagram reach the same backend.
  bool fragment = false;
};

// Parses the first segment of `m`. Multi-segment mbufs are kDrop/drop_unsupported.
void ParseFrame(const rte_mbuf* m, ParsedPacket& p);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_PARSE_H_
