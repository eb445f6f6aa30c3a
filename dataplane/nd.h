// IPv6 neighbour discovery's wire format (RFC 4861), once for the parser, the local answers, the
// control side's solicitations and the neighbour reports: the ICMPv6 types, the advertisement's
// flags, the link-layer address options, the fixed part before the options, the hop limit, and the
// solicited-node multicast prefix; and the one writer of a solicitation or advertisement that
// carries our MAC.
#ifndef CAUSEWAY_DATAPLANE_ND_H_
#define CAUSEWAY_DATAPLANE_ND_H_

#include <rte_ether.h>

#include <cstdint>

struct rte_ipv6_hdr;

namespace causeway::dataplane {

// ICMPv6 types (RFC 4861 4.3, 4.4).
inline constexpr uint8_t kIcmpv6NeighborSolicit = 135, kIcmpv6NeighborAdvert = 136;

// Both messages: type, code, checksum (4), then 4 bytes (an advertisement's flags in the first,
// reserved in a solicitation), then the target address (16); options follow the 24 bytes.
inline constexpr uint32_t kNdFlagsOffset = 4, kNdTargetOffset = 8, kNdFixedLen = 24;
// An advertisement's flags (RFC 4861 4.4) that we read or write: solicited (an answer to a
// solicitation), override (replace a cached MAC). The router flag (0x80) is never set in what
// causeway sends, so it has no name here.
inline constexpr uint8_t kNdAdvertSolicited = 0x40, kNdAdvertOverride = 0x20;

// Link-layer address options (RFC 4861 4.6.1): a solicitation carries its sender's, an
// advertisement its target's. Over Ethernet: type, length 1 (in 8-byte units), the MAC.
inline constexpr uint8_t kNdOptSourceLinkLayer = 1, kNdOptTargetLinkLayer = 2;
inline constexpr uint16_t kNdMacOptionLen = 8;
// A solicitation or advertisement with that one option: what we send.
inline constexpr uint16_t kNdWithMacLen = kNdFixedLen + kNdMacOptionLen;

// Sent and accepted with hop limit 255 only: a router on the way would have decremented it, so a
// message with 255 comes from the link itself (RFC 4861 7.1.1, 7.1.2).
inline constexpr uint8_t kNdHopLimit = 255;

// The solicited-node multicast prefix ff02::1:ff00:0/104 (RFC 4291 2.7.1): a solicitation whose
// target's MAC is unknown goes to this prefix followed by the target's last 24 bits.
inline constexpr uint8_t kSolicitedNodePrefixLen = 13;
inline constexpr uint8_t kSolicitedNodePrefix[kSolicitedNodePrefixLen] = {
    0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

// Fills in the IPv6 header `ip` (its addresses already set: the checksum covers them) and writes
// after it a solicitation or advertisement (`type`) about `target` with `flags`, carrying `mac` in
// the link-layer option its type calls for, and its checksum: kNdWithMacLen bytes. `target` must
// not point into the message being written.
void WriteNdWithMac(rte_ipv6_hdr* ip, uint8_t type, uint8_t flags, const uint8_t* target, const rte_ether_addr& mac);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_ND_H_
