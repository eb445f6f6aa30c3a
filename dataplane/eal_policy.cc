#include "dataplane/eal_policy.h"

#include <pthread.h>
#include <rte_eal.h>

namespace causeway::dataplane {

int InitEalUnderNormalPolicy(int argc, char** argv, SchedulingPolicy* saved) {
  *saved = SchedulingPolicy{};
  int policy = SCHED_OTHER;
  sched_param param{};
  // Only a real-time policy starves EAL's threads; SCHED_BATCH or SCHED_IDLE stay the operator's.
  if (pthread_getschedparam(pthread_self(), &policy, &param) == 0 && SchedulingPolicy::IsRealTime(policy)) {
    saved->policy = policy;
    saved->param = param;
    const sched_param normal{};
    pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal);
  }
  return rte_eal_init(argc, argv);
}

int ApplyToCurrentThread(const SchedulingPolicy& p) {
  if (!p.realtime()) return 0;
  return pthread_setschedparam(pthread_self(), p.policy, &p.param);
}

}  // namespace causeway::dataplane
