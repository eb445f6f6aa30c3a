// Starting EAL when causewayd was given a real-time scheduling policy (`chrt -f 50 causewayd …`).
//
// rte_eal_init creates EAL's control threads (interrupts, telemetry, multi-process) and the lcore
// threads, and each inherits the policy of the thread that creates it. Under a real-time policy the
// main thread's waiting for the control threads to come up starves them: with one lcore on one CPU
// the product causewayd did not listen within 60 s, and a busy benchmark took minutes to start.
// So EAL starts under SCHED_OTHER, its control threads stay there, and only the packet workers
// take the caller's policy back, each on its own thread as it starts (Gateway's workers do; a
// benchmark's main lcore too).
#ifndef CAUSEWAY_DATAPLANE_EAL_POLICY_H_
#define CAUSEWAY_DATAPLANE_EAL_POLICY_H_

#include <sched.h>

namespace causeway::dataplane {

// A real-time policy (SCHED_FIFO or SCHED_RR) set aside for the packet workers; SCHED_OTHER when
// there was none (then nothing was changed and nothing is to be applied).
struct SchedulingPolicy {
  int policy = SCHED_OTHER;
  sched_param param{};
  static bool IsRealTime(int policy) { return policy == SCHED_FIFO || policy == SCHED_RR; }
  bool realtime() const { return IsRealTime(policy); }
};

// rte_eal_init(argc, argv). When the calling thread runs under a real-time policy, it is moved to
// SCHED_OTHER first and stays there; `saved` gets the real-time policy. Returns what rte_eal_init
// returned.
//
// With a single lcore the worker runs on the main thread, pinned to the CPU every other thread
// shares: under a real-time policy those threads get only what the worker leaves, which is little
// with no idle sleep (Gateway warns).
int InitEalUnderNormalPolicy(int argc, char** argv, SchedulingPolicy* saved);

// Gives the calling thread `p` if it is a real-time policy (else nothing to do); 0, or the error
// number when the system refuses (EPERM without CAP_SYS_NICE).
int ApplyToCurrentThread(const SchedulingPolicy& p);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_EAL_POLICY_H_
