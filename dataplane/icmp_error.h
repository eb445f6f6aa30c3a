// ICMP errors the gateway originates toward a client: "fragmentation needed" (IPv4, DF set) and
// "packet too big" (IPv6) when a packet would exceed the egress MTU once encapsulated. The error
// comes from the VIP the client was talking to (so it routes back and the client's stack matches it
// to the connection) and quotes as much of the offending packet as RFC 1812 (576 bytes) / RFC 4443
// (1280 bytes) allow. Built in the offending packet's mbuf.
#ifndef CAUSEWAY_DATAPLANE_ICMP_ERROR_H_
#define CAUSEWAY_DATAPLANE_ICMP_ERROR_H_

#include <rte_ether.h>

#include <cstdint>

#include "dataplane/parse.h"

struct rte_mbuf;

namespace causeway::dataplane {

// `path_mtu` is what the client may send: the egress MTU minus the encapsulation overhead.
// Returns false (mbuf unchanged) when there is no headroom.
bool MakePacketTooBig(rte_mbuf* m, const ParsedPacket& p, uint16_t path_mtu,
                      const rte_ether_addr& port_mac);

// Refusals (partition safe mode): ICMP destination unreachable, administratively prohibited (IPv4
// code 13, ICMPv6 code 1) to the sender from the address it wrote to; or, for TCP, a reset
// (RFC 9293) in place of the segment. False (mbuf unchanged or not TCP) when it cannot be built.
bool MakeAdministrativelyProhibited(rte_mbuf* m, const ParsedPacket& p, const rte_ether_addr& port_mac);
bool MakeTcpReset(rte_mbuf* m, const ParsedPacket& p, const rte_ether_addr& port_mac);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_ICMP_ERROR_H_
