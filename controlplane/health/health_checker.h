// The health checker: one thread probes every target on its interval, over many sockets at once
// (epoll; no thread per endpoint), keeps each target's rise/fall state, and reports each change of
// verdict. Targets come and go with SetTargets(); a target whose key and check stay the same keeps
// its state (a push that touches its service does not reset it).
#ifndef CAUSEWAY_CONTROLPLANE_HEALTH_HEALTH_CHECKER_H_
#define CAUSEWAY_CONTROLPLANE_HEALTH_HEALTH_CHECKER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controlplane/health/probe.h"
#include "controlplane/health/rise_fall.h"
#include "controlplane/health/target.h"

namespace causeway::health {

struct VerdictChange {
  TargetKey key;
  bool healthy = true;
  std::string detail;  // the last failure ("" when healthy)
  // For people: "health: default/web cluster-a/10.0.0.1:80 unhealthy (2 failures: connect: Connection refused)".
  std::string text;
};

class HealthChecker {
 public:
  // Called from the checker's thread, with no lock of the checker held.
  using Listener = std::function<void(const VerdictChange&)>;

  // Starts the thread; nothing is probed until SetTargets().
  explicit HealthChecker(Listener listener);
  // Stops the thread (promptly: in-flight probes are abandoned).
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // The targets from now on. A target that leaves while unhealthy is reported healthy ("no longer
  // checked"), so that nothing stays out of service on a verdict nobody updates.
  void SetTargets(std::vector<Target> targets);

  // Probes started so far (for tests and stats).
  uint64_t probes_started() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Tracked {
    Target target;
    RiseFall verdict;
    std::unique_ptr<Probe> probe;  // while one runs
    Clock::time_point due;         // the next probe's start
    Clock::time_point deadline;    // the running probe's timeout
  };

  void Loop();
  void Reconcile(std::vector<Target> targets, Clock::time_point now, std::vector<VerdictChange>& changes);
  void StartProbe(uint64_t id, Tracked& t, Clock::time_point now, std::vector<VerdictChange>& changes);
  void Finish(uint64_t id, Tracked& t, std::vector<VerdictChange>& changes);
  // Closes the target's running probe, if any.
  void EndProbe(uint64_t id, Tracked& t);
  int WaitMs(Clock::time_point now) const;

  const Listener listener_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: SetTargets and the destructor wake the thread

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<std::vector<Target>> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t probes_started_ ABSL_GUARDED_BY(mu_) = 0;

  // The thread's own.
  uint64_t next_id_ = 1;  // 0 is the wake fd's
  std::map<uint64_t, Tracked> tracked_;
  std::map<TargetKey, uint64_t> ids_;
  std::set<std::pair<Clock::time_point, uint64_t>> schedule_;   // next starts
  std::set<std::pair<Clock::time_point, uint64_t>> deadlines_;  // running probes' timeouts

  // Last: it starts in the constructor and uses every member above.
  std::thread thread_;
};

}  // namespace causeway::health

#endif  // CAUSEWAY_CONTROLPLANE_HEALTH_HEALTH_CHECKER_H_
