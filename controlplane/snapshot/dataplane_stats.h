// What the dataplane counts, read by the control plane's stats call. The dataplane implements it;
// the control plane sees names and numbers only (no DPDK types).
#ifndef CAUSEWAY_CONTROLPLANE_SNAPSHOT_DATAPLANE_STATS_H_
#define CAUSEWAY_CONTROLPLANE_SNAPSHOT_DATAPLANE_STATS_H_

#include <cstdint>
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
};

}  // namespace causeway::snapshot

#endif  // CAUSEWAY_CONTROLPLANE_SNAPSHOT_DATAPLANE_STATS_H_
