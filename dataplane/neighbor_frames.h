// The requests the control side sends to resolve a next hop, built into an empty mbuf: an ARP
// request (RFC 826) for IPv4, a neighbour solicitation (RFC 4861 4.3) for IPv6. Broadcast (ARP) or to
// the solicited-node multicast group (ND) when the MAC is unknown; to the MAC we hold when refreshing
// it (unicast probes, as the kernel's), so a next hop that moved is noticed when they go unanswered.
#ifndef CAUSEWAY_DATAPLANE_NEIGHBOR_FRAMES_H_
#define CAUSEWAY_DATAPLANE_NEIGHBOR_FRAMES_H_

#include <rte_ether.h>

#include <cstdint>

struct rte_mbuf;

namespace causeway::dataplane {

// `source`, `target`: 4 bytes (ARP) or 16 (ND), network order. `unicast`: the MAC to probe, or
// nullptr for a broadcast / multicast request. False when the mbuf has no room (nothing written).
bool BuildArpRequest(rte_mbuf* m, const rte_ether_addr& port_mac, const uint8_t* source, const uint8_t* target,
                     const rte_ether_addr* unicast);
bool BuildNeighborSolicit(rte_mbuf* m, const rte_ether_addr& port_mac, const uint8_t* source,
                          const uint8_t* target, const rte_ether_addr* unicast);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_NEIGHBOR_FRAMES_H_
