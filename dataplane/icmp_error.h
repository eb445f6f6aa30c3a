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

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_ICMP_ERROR_H_
