// What the dataplane counts, read by the control plane's stats call. The dataplane implements it;
// the control plane sees names and numbers only (no DPDK types).
#ifndef CAUSEWAY_CONTROLPLANE_SNAPSHOT_DATAPLANE_STATS_H_
#define CAUSEWAY_CONTROLPLANE_SNAPSHOT_DATAPLANE_STATS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace causeway::snapshot {

class DataplaneStats {
 public:
  virtual ~DataplaneStats() = default;
  // Every counter (drops by reason included), summed over the workers, zeros too. Safe to call
  // while the workers run (relaxed reads).
  virtual std::vector<std::pair<std::string, uint64_t>> Counters() const = 0;

  struct Count {
    uint64_t packets = 0;
    uint64_t bytes = 0;  // of the IP packets (no Ethernet header)
  };
  // Client → backend traffic since the dataplane started, by service id and by backend id (the
  // compiled snapshot's ids, stable while the service or backend exists).
  virtual void Traffic(std::map<uint32_t, Count>& services, std::map<uint32_t, Count>& backends) const {
    (void)services;
    (void)backends;
  }

  // Client → backend traffic by where it goes: the client's zone (from the snapshot's client zone
  // prefixes; the gateway's zone when none matches) to the backend's zone, cluster and region. Both
  // directions of full-NAT sessions are counted in the client's zone → backend's zone cell
  // (direction says which way the bytes went).
  struct ZonePair {
    std::string client_zone;
    std::string backend_zone;
    std::string backend_cluster;
    std::string backend_region;
    bool to_backend = true;  // false: backend → client (full-NAT replies)
    Count count;
  };
  virtual std::vector<ZonePair> ZonePairs() const { return {}; }
};

}  // namespace causeway::snapshot

#endif  // CAUSEWAY_CONTROLPLANE_SNAPSHOT_DATAPLANE_STATS_H_
