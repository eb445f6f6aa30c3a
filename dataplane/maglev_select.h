// Stage 4: the backend for a flow that has no flow entry. The client's zone (longest prefix match on
// its source address) picks the service's Maglev table for that zone; the keyed flow hash picks the
// slot. Returns the backend's index in the service, or -1 when that table is empty (no backend).
#ifndef CAUSEWAY_DATAPLANE_MAGLEV_SELECT_H_
#define CAUSEWAY_DATAPLANE_MAGLEV_SELECT_H_

#include <rte_ip.h>

#include "dataplane/parse.h"
#include "dataplane/tables.h"
#include "dataplane/vip_lookup.h"

#include <cstring>

namespace causeway::dataplane {

// `zone` receives the client's zone (kept by flows and sessions for the zone-pair counters).
inline int SelectBackend(const uint8_t* l3, const ParsedPacket& p, const Tables& t,
                         const ServiceRoute& svc, uint64_t flow_hash, uint16_t* zone_out = nullptr) {
  const uint16_t zone = t.ZoneOf(AddressesOf(l3, p).client, p.ipv6);
  if (zone_out != nullptr) *zone_out = zone;
  const std::vector<uint16_t>* table = svc.TableForZone(zone);
  if (table == nullptr) return -1;
  return (*table)[flow_hash % table->size()];
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_MAGLEV_SELECT_H_
