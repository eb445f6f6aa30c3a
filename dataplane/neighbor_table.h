// The control side's neighbour table: for every next hop the tables want resolved (no static
// entry), its learned MAC and when to ask again. Plain data and timers on the caller's millisecond
// clock, so its timing is tested without waiting; NeighborResolver drives it and sends the probes.
//
// Timing (NeighborTimings, defaults as Linux's ARP/ND without the randomisation):
//   unresolved     probe at once, then again after 1, 2, 4, … s, at most every 30 s (broadcast);
//   resolved       confirmed by any report; 30 s after the last one (reachable time) it is probed
//                  to its MAC (unicast) up to 3 times 1 s apart, then by broadcast with the back-off
//                  above (the next hop may have moved to another MAC);
//   aged           a MAC unconfirmed for 120 s is forgotten (frames to it: drop_no_neighbor);
//   changed MAC    taken from the first report that carries it (a gratuitous ARP or an unsolicited
//                  advertisement too, as Linux updates an existing entry).
#ifndef CAUSEWAY_DATAPLANE_NEIGHBOR_TABLE_H_
#define CAUSEWAY_DATAPLANE_NEIGHBOR_TABLE_H_

#include <rte_ether.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "controlplane/net/ip_address.h"
#include "dataplane/tables.h"

namespace causeway::dataplane {

struct NeighborTimings {
  uint32_t reachable_ms = 30000;      // a confirmed MAC is probed again this long after its last reply
  uint32_t probe_interval_ms = 1000;  // between the unicast probes of a refresh
  uint32_t unicast_probes = 3;        // then broadcast
  uint32_t retry_first_ms = 1000;     // broadcast back-off: first interval, doubling …
  uint32_t retry_max_ms = 30000;      // … up to this
  uint32_t forget_ms = 120000;        // an unconfirmed MAC is forgotten after this
};

class NeighborTable {
 public:
  struct Probe {
    NeighborWant want;                      // target, family, source address
    std::optional<rte_ether_addr> unicast;  // the MAC being refreshed; none: broadcast / multicast
  };
  struct Entry {
    NeighborWant want;
    bool has_mac = false;
    rte_ether_addr mac{};
    uint64_t confirmed_ms = 0;   // last report (valid when has_mac)
    uint64_t next_probe_ms = 0;
    uint32_t probes = 0;         // sent since the last report
    uint32_t backoff_ms = 0;     // the next broadcast interval
  };

  explicit NeighborTable(NeighborTimings timings = {}) : timings_(timings) {}

  // The next hops to resolve (the current tables'): new ones are probed at the next Due(), ones no
  // longer wanted are dropped, the others keep their MAC and timers.
  void SetWanted(const std::vector<NeighborWant>& wants, uint64_t now_ms);
  // A report from a worker. Returns true when the learned MACs changed (new or different MAC): the
  // tables need compiling again; *replaced when a MAC was replaced by another. Addresses not in the
  // table are ignored (*ignored set).
  bool Learn(const net::IpAddress& address, const rte_ether_addr& mac, uint64_t now_ms, bool* ignored = nullptr,
             bool* replaced = nullptr);
  // The probes due at `now_ms` (their timers advance); forgets MACs unconfirmed for forget_ms and
  // adds how many to *forgotten (then the tables need compiling again).
  std::vector<Probe> Due(uint64_t now_ms, uint32_t* forgotten);
  // (next hop, MAC) for every resolved entry.
  std::vector<std::pair<net::IpAddress, rte_ether_addr>> Learned() const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  Entry* Find(const net::IpAddress& address);

  NeighborTimings timings_;
  std::vector<Entry> entries_;  // sorted like the wants (address, family)
};

// The address a want names, as an IpAddress.
net::IpAddress WantAddress(const NeighborWant& w);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_NEIGHBOR_TABLE_H_
