// Answers for the gateway's own addresses and its VIPs, built in the request's mbuf: ARP replies,
// IPv6 neighbour advertisements (so routers and hosts on the link can reach the VIPs), and
// ICMP/ICMPv6 echo replies. Each returns false when the frame is not for us (or not valid), leaving
// the counting to the caller.
#ifndef CAUSEWAY_DATAPLANE_LOCAL_REPLY_H_
#define CAUSEWAY_DATAPLANE_LOCAL_REPLY_H_

#include <rte_ether.h>

#include "dataplane/parse.h"
#include "dataplane/tables.h"

struct rte_mbuf;

namespace causeway::dataplane {

inline constexpr uint8_t kReplyTtl = 64;

bool ReplyArp(rte_mbuf* m, const ParsedPacket& p, const Tables& t, const rte_ether_addr& port_mac);
// Neighbour solicitations must arrive with hop limit 255 (RFC 4861 7.1.1) and no extension headers.
bool ReplyNeighborSolicit(rte_mbuf* m, const ParsedPacket& p, const Tables& t,
                          const rte_ether_addr& port_mac);
bool ReplyEcho(rte_mbuf* m, const ParsedPacket& p, const Tables& t, const rte_ether_addr& port_mac);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_LOCAL_REPLY_H_
