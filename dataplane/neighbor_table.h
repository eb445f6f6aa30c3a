// The control side's neighbour table: for every next hop the tables want resolved (no static
// entry), its learned MAC and when to ask again. Plain data and timers on the caller's millisecond
// clock, so its timing is tested without waiting; NeighborResolver drives it and sends the probes.
//
// Timing (NeighborTimings). Linux's ARP/ND defaults where Linux has them: reachable time 30 s drawn
// in ±50%, three unicast probes 1 s apart, a changed MAC ignored within 1 s of the last update
// (ARP's locktime; Linux's ND has none, we use it for both). Ours: the broadcast back-off (Linux
// keeps 1 s and gives up; a load balancer's next hop must come back by itself), its ±25% jitter, and
// forgetting after 120 s.
//   unresolved     probe at once, then again after ~1, 2, 4, … s, at most every ~30 s (broadcast);
//   resolved       confirmed by any report carrying the MAC held (or a solicited advertisement
//                  without the option from it); ~30 s after the last one (reachable time) it is probed
//                  to its MAC (unicast) up to 3 times 1 s apart, then by broadcast with the back-off
//                  above (the next hop may have moved to another MAC);
//   aged           a MAC unconfirmed for 120 s is forgotten (frames to it: drop_no_neighbor);
//   changed MAC    taken from the first report that carries it (a gratuitous ARP or an unsolicited
//                  advertisement too, as Linux updates an existing entry), unless the MAC was set
//                  less than locktime ago: two responders answering for one address (VRRP, proxy
//                  ARP, a spoofer) then cannot make it flip — and the tables recompile — every round.
// Jitter spreads the probes of next hops learned together, so they do not all come due in one round.
#ifndef CAUSEWAY_DATAPLANE_NEIGHBOR_TABLE_H_
#define CAUSEWAY_DATAPLANE_NEIGHBOR_TABLE_H_

#include <rte_ether.h>

#include <cstddef>
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
  uint32_t locktime_ms = 1000;        // a different MAC within this of the last update is ignored
  uint32_t reachable_jitter_pct = 50; // reachable time drawn in ±this % (Linux: 0.5–1.5 ×)
  uint32_t backoff_jitter_pct = 25;   // each broadcast interval drawn in ±this %
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
    uint64_t updated_ms = 0;     // when the MAC was last set (the locktime runs from it)
    uint64_t next_probe_ms = 0;
    uint32_t probes = 0;         // sent since the last report
    uint32_t backoff_ms = 0;     // the next broadcast interval
  };

  // `seed` drives the jitter (the resolver gives a random one; tests a fixed one).
  explicit NeighborTable(NeighborTimings timings = {}, uint64_t seed = 1) : timings_(timings), rng_(seed | 1) {}

  // The next hops to resolve (the current tables'): new ones are probed at the next Due(), ones no
  // longer wanted are dropped, the others keep their MAC and timers. Returns true when a dropped one
  // had a MAC: the learned list lost an entry (it must not come back with that MAC if the next hop
  // returns).
  bool SetWanted(const std::vector<NeighborWant>& wants, uint64_t now_ms);
  // The result of a report.
  enum class Outcome {
    kIgnored,    // not a wanted address (or, for a confirmation, not the MAC held)
    kConfirmed,  // the MAC held, confirmed
    kLearned,    // a first MAC for an unresolved next hop: the tables need compiling again, soon
    kReplaced,   // another MAC replaced the one held: the tables need compiling again
    kLocked,     // another MAC within locktime of the last update: not taken
  };
  // A report from a worker carrying a MAC (ARP, or an ND option).
  Outcome Learn(const net::IpAddress& address, const rte_ether_addr& mac, uint64_t now_ms);
  // A solicited advertisement without the target's link-layer option (Linux's answer to a unicast
  // solicitation): it confirms `mac` (its Ethernet source) only when that is the MAC held — it never
  // teaches one.
  Outcome Confirm(const net::IpAddress& address, const rte_ether_addr& mac, uint64_t now_ms);
  // Forgets MACs unconfirmed for forget_ms; returns how many (then the tables need compiling again).
  uint32_t Age(uint64_t now_ms);
  // Up to `budget` probes due at `now_ms` (their timers advance). The scan starts where the last
  // one stopped, so when the budget runs short the entries left over — still due — come first next
  // time and no next hop is starved by others (dead ones, say) sorted before it.
  std::vector<Probe> Due(uint64_t now_ms, size_t budget = SIZE_MAX);
  // (next hop, MAC) for every resolved entry.
  std::vector<std::pair<net::IpAddress, rte_ether_addr>> Learned() const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  Entry* Find(const net::IpAddress& address);
  // `base_ms` spread by ±pct % (pct 0: exactly base_ms).
  uint64_t Jitter(uint32_t base_ms, uint32_t pct);

  NeighborTimings timings_;
  uint64_t rng_;                // xorshift64 state
  std::vector<Entry> entries_;  // sorted like the wants (address, family)
  size_t cursor_ = 0;           // where the next Due() scan starts
};

// The address a want names, as an IpAddress.
net::IpAddress WantAddress(const NeighborWant& w);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_NEIGHBOR_TABLE_H_
