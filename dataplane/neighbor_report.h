// The worker's half of neighbour resolution: an ARP reply or neighbour advertisement (or an ARP
// request or neighbour solicitation, whose sender reveals its MAC too) from a next hop the tables
// want resolved becomes an (address, MAC) report on a lock-free ring to the control side, which owns
// the neighbour table and republishes the tables. Nothing else is done on the fast path: no table is
// written, no lock taken.
#ifndef CAUSEWAY_DATAPLANE_NEIGHBOR_REPORT_H_
#define CAUSEWAY_DATAPLANE_NEIGHBOR_REPORT_H_

#include <rte_ether.h>

#include <array>
#include <cstdint>

#include "dataplane/counters.h"
#include "dataplane/parse.h"
#include "dataplane/tables.h"

struct rte_mbuf;
struct rte_ring;

namespace causeway::dataplane {

// One element of the report ring (rte_ring_create_elem with this size: a multiple of 4 bytes).
struct NeighborReport {
  std::array<uint8_t, 16> address{};  // IPv4 in the first 4 bytes, network order
  rte_ether_addr mac{};
  uint8_t ipv6 = 0;
  // A solicited advertisement without the target link-layer option — Linux answers a unicast
  // solicitation so (RFC 4861 7.2.4 lets it) — names no MAC: `mac` is its Ethernet source, which
  // may confirm the MAC held but never teach one.
  uint8_t confirm_only = 0;
};
static_assert(sizeof(NeighborReport) % 4 == 0);

// Reads the (address, MAC) pair a kArpRequest, kNdSolicit or kNeighborReply frame carries (before
// any reply is written into it). Returns true when the address is a next hop `t` wants resolved and
// the pair is usable (a unicast MAC; for ND hop limit 255, no extension headers, a valid checksum and
// the target's / sender's link-layer address option — or, for a solicited advertisement without
// one, its Ethernet source as a confirmation only); then
// the report is put on `reports` (counted neighbor_reported, or neighbor_report_lost when the ring
// is full). Anything else returns false and changes nothing: answers for addresses we did not ask
// about are never learned.
bool ReportNeighbor(const rte_mbuf* m, const ParsedPacket& p, const Tables& t, rte_ring* reports,
                    BurstCounters& counters);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_NEIGHBOR_REPORT_H_
