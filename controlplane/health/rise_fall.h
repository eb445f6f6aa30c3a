// One endpoint's health from its probe results: `fall` failures in a row make it unhealthy, `rise`
// successes in a row make it healthy again. It starts healthy (not yet probed), so a gateway that
// just started does not take every endpoint out of service until probes say so.
#ifndef CAUSEWAY_CONTROLPLANE_HEALTH_RISE_FALL_H_
#define CAUSEWAY_CONTROLPLANE_HEALTH_RISE_FALL_H_

#include <cstdint>

namespace causeway::health {

class RiseFall {
 public:
  RiseFall(uint32_t rise, uint32_t fall) : rise_(rise), fall_(fall) {}

  // Records one probe's result; true when that changes healthy().
  bool Record(bool success);

  bool healthy() const { return healthy_; }
  // Failures in a row so far (0 after a success).
  uint32_t failures() const { return failures_; }
  uint32_t successes() const { return successes_; }

 private:
  uint32_t rise_;
  uint32_t fall_;
  bool healthy_ = true;
  uint32_t successes_ = 0;
  uint32_t failures_ = 0;
};

}  // namespace causeway::health

#endif  // CAUSEWAY_CONTROLPLANE_HEALTH_RISE_FALL_H_
