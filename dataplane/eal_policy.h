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

struct SchedulingPolicy {
  int policy = SCHED_OTHER;
  sched_param param{};
};

// rte_eal_init(argc, argv) with the calling thread under SCHED_OTHER; `saved` gets the policy it
// had before. The calling thread stays under SCHED_OTHER. Returns what rte_eal_init returned.
int InitEalUnderNormalPolicy(int argc, char** argv, SchedulingPolicy* saved);

// Gives the calling thread `p` (nothing to do for SCHED_OTHER); 0, or the error number when the
// system refuses (EPERM without CAP_SYS_NICE).
int ApplyToCurrentThread(const SchedulingPolicy& p);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_EAL_POLICY_H_
