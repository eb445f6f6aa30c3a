#include "dataplane/eal_policy.h"

#include <pthread.h>
#include <rte_eal.h>

namespace causeway::dataplane {

int InitEalUnderNormalPolicy(int argc, char** argv, SchedulingPolicy* saved) {
  pthread_getschedparam(pthread_self(), &saved->policy, &saved->param);
  const sched_param normal{};
  pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal);
  return rte_eal_init(argc, argv);
}

int ApplyToCurrentThread(const SchedulingPolicy& p) {
  if (p.policy == SCHED_OTHER) return 0;
  return pthread_setschedparam(pthread_self(), p.policy, &p.param);
}

}  // namespace causeway::dataplane
