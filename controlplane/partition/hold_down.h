// A cluster's hold-down (how long it must stay fresh again before its partition policy lifts):
// its own hold_down_ms, or three lease TTLs when it sets none. Proto only, so that causewayctl shows
// the same figure the lease timer uses without linking the partition code.
#ifndef CAUSEWAY_CONTROLPLANE_PARTITION_HOLD_DOWN_H_
#define CAUSEWAY_CONTROLPLANE_PARTITION_HOLD_DOWN_H_

#include <cstdint>

#include "causeway/v1/config.pb.h"

namespace causeway::partition {

inline uint64_t HoldDownMs(const v1::Cluster& c) {
  return c.has_hold_down_ms() ? c.hold_down_ms() : 3ull * c.lease_ttl_ms();
}

}  // namespace causeway::partition

#endif  // CAUSEWAY_CONTROLPLANE_PARTITION_HOLD_DOWN_H_
