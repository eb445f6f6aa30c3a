// Frees what the control plane's rounds replaced — the previous model, tables and snapshot: for a
// big service thousands of allocations — on a thread of its own at the lowest CPU priority (nice
// 19). Freeing is never urgent, and at normal priority it competed for the two cores with the push
// being answered and the next one being parsed; at nice 19 it runs when a core is idle.
//
// Bounded: when more than kMaxBacklog batches wait (the reaper starved by a saturated machine), the
// thread discarding frees its batch itself, so memory cannot grow without limit.
#ifndef CAUSEWAY_CONTROLPLANE_SERVER_REAPER_H_
#define CAUSEWAY_CONTROLPLANE_SERVER_REAPER_H_

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace causeway::server {

class Reaper {
 public:
  using Garbage = std::vector<std::shared_ptr<const void>>;
  // Each batch may hold a whole compiled snapshot (unchanged services are shared, but their slot
  // arrays are copied into every snapshot): a few, not dozens.
  static constexpr size_t kMaxBacklog = 8;

  Reaper();
  // Frees what is still pending, then stops the thread.
  ~Reaper();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Takes `garbage` to free later; returns at once (unless the backlog is full: see above).
  void Discard(Garbage garbage) ABSL_LOCKS_EXCLUDED(mu_);
  // Batches waiting to be freed (tests).
  size_t Backlog() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop();

  mutable absl::Mutex mu_;
  std::vector<Garbage> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts in the constructor
};

}  // namespace causeway::server

#endif  // CAUSEWAY_CONTROLPLANE_SERVER_REAPER_H_
