// Ctrl-C (SIGINT) and SIGTERM as a request to stop a long call, rather than a kill: `watch` then ends
// its stream and exits 0 like any finished command.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_INTERRUPT_H_
#define CAUSEWAY_CONTROLPLANE_CTL_INTERRUPT_H_

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace causeway::ctl {

class InterruptHandler {
 public:
  // Blocks the two signals in this thread, so in every thread started after it (gRPC's too: create
  // this before any gRPC object), and starts the one thread that waits for them.
  InterruptHandler();
  // Stops the waiting thread and unblocks the signals.
  ~InterruptHandler();
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;

  // Runs `f` on an interrupt (at once if one came already), on the waiting thread. Clear it (an empty
  // function) before what it refers to goes away.
  void OnInterrupt(std::function<void()> f);
  bool interrupted() const { return interrupted_.load(); }

 private:
  void Wait();

  sigset_t signals_;
  sigset_t previous_mask_;
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> done_{false};
  absl::Mutex mu_;
  std::function<void()> on_interrupt_ ABSL_GUARDED_BY(mu_);
  std::thread waiter_;
};

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_INTERRUPT_H_
