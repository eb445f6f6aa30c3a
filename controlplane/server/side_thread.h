// One thread, kept for the process's life, that runs one job at a time beside its caller: a round
// hands it the state to write (mostly waiting in fdatasync) while it compiles, then waits for it.
//
// Why not a std::thread per round: that was a clone, a stack with its guard page (mprotect) and,
// at exit, the stack handed back to the kernel (madvise) for every push — about one of each per
// push of the BM_PushToSnapshot benchmark, on the path the push waits for.
#ifndef CAUSEWAY_CONTROLPLANE_SERVER_SIDE_THREAD_H_
#define CAUSEWAY_CONTROLPLANE_SERVER_SIDE_THREAD_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace causeway::server {

class SideThread {
 public:
  SideThread();
  // Waits for a job still running, then stops the thread.
  ~SideThread();
  SideThread(const SideThread&) = delete;
  SideThread& operator=(const SideThread&) = delete;

  // Runs `job` on the thread, once the previous job (if any) has run. The caller waits for it
  // with Wait before anything the job refers to goes away.
  void Start(absl::AnyInvocable<void() &&> job) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns once the job Start gave last has run (at once if there is none).
  void Wait() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop();
  // Until no job is given and unfinished.
  void AwaitIdle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  absl::AnyInvocable<void() &&> job_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // a job was given and has not finished
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts in the constructor
};

}  // namespace causeway::server

#endif  // CAUSEWAY_CONTROLPLANE_SERVER_SIDE_THREAD_H_
