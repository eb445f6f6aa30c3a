// How far a table's per-burst sweep goes: a small share of positions while sweeps find nothing to
// free, a larger one after a sweep that freed something, as Linux's conntrack GC speeds up while it
// finds expired entries. A table of live flows then costs its sweep little memory traffic a burst,
// and a table with garbage is cleared at the larger pace.
#ifndef CAUSEWAY_DATAPLANE_SWEEP_PACE_H_
#define CAUSEWAY_DATAPLANE_SWEEP_PACE_H_

#include <cstdint>

namespace causeway::dataplane {

class SweepPace {
 public:
  SweepPace(uint32_t quiet, uint32_t reclaiming) : quiet_(quiet), reclaiming_(reclaiming) {}
  // Positions the next burst's sweep examines.
  uint32_t share() const { return freed_last_ ? reclaiming_ : quiet_; }
  // What a sweep (of any size) freed.
  void Swept(uint32_t freed) { freed_last_ = freed > 0; }
  void Reset() { freed_last_ = false; }

 private:
  uint32_t quiet_;
  uint32_t reclaiming_;
  bool freed_last_ = false;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_SWEEP_PACE_H_
