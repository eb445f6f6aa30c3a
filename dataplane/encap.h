// Stage 5: encapsulation to the backend's next hop, for direct server return. IPIP (4in4, 6in6,
// 4in6, and 6in4) or GUE variant 1 (the inner IP packet directly after UDP, no GUE header: the
// first nibble of the payload says IPv4 or IPv6) with flow entropy in the outer UDP source port and,
// over IPv6, in the flow label. The inner TTL / hop limit is decremented (the gateway is a router
// hop); the outer one is the configured outer TTL. Checksums — the outer IPv4 header, and the UDP
// checksum for GUE over IPv6 (over IPv4 it is zero, which RFC 768 allows) — are left to the port
// when it offers that offload (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM, _UDP_CKSUM), computed in software
// otherwise.
#ifndef CAUSEWAY_DATAPLANE_ENCAP_H_
#define CAUSEWAY_DATAPLANE_ENCAP_H_

#include <rte_ethdev.h>
#include <rte_ether.h>

#include <cstdint>

#include "dataplane/parse.h"
#include "dataplane/tables.h"

struct rte_mbuf;

namespace causeway::dataplane {

enum class EncapResult : uint8_t { kOk, kTooBig, kNoSource, kNoRoom };

// Bytes the encapsulation adds in front of the inner IP packet.
inline uint16_t EncapOverhead(bool outer_ipv6, bool gue) {
  return static_cast<uint16_t>((outer_ipv6 ? 40 : 20) + (gue ? 8 : 0));
}

// Rewrites `m` (parsed as `p`, a TCP/UDP packet with TTL > 1) into the encapsulated frame for
// `backend`. Unchanged unless kOk. `entropy` (the same for every packet of a flow) fills the outer
// UDP source port and the IPv6 flow label. With `tx_offloads` (the RTE_ETH_TX_OFFLOAD_* bits every
// port of the gateway has enabled: a frame leaves on the port it came in on), the checksums they
// cover are left to the port: the mbuf's TX flags and header lengths are set, the IPv4 header
// checksum is zero and the UDP one holds the pseudo-header sum (what Intel and virtio NICs expect, and
// rte_eth_tx_prepare would write).
EncapResult Encapsulate(rte_mbuf* m, const ParsedPacket& p, const BackendRoute& backend, bool gue,
                        const Tables& tables, const rte_ether_addr& port_mac, uint32_t entropy,
                        uint64_t tx_offloads = 0);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_ENCAP_H_
