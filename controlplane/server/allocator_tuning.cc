#include "controlplane/server/allocator_tuning.h"

#include <malloc.h>

namespace causeway::server {

void KeepFreedMemoryForReuse() {
#ifdef __GLIBC__
  constexpr int kThreshold = 32 << 20;  // glibc's largest mmap threshold on 64-bit
  // Setting either one turns off glibc's adaptive thresholds, so both are set.
  mallopt(M_MMAP_THRESHOLD, kThreshold);
  mallopt(M_TRIM_THRESHOLD, kThreshold);
  // A thread's own arena (gRPC starts server threads as load asks) begins with this much usable
  // memory rather than glibc's 128 KiB; beyond it glibc grows a thread arena by what each request
  // needs, a page or so with an mprotect each, and a new server thread's first pushes made ~200
  // such calls (1211 over three BM_PushToSnapshot repetitions, ~120 with this). Also the main
  // arena's padding per sbrk and what trimming keeps. Address space; pages are touched when used
  // (under strict overcommit, vm.overcommit_memory=2, it counts as committed: up to 4 MiB an arena).
  mallopt(M_TOP_PAD, 4 << 20);
#endif
}

}  // namespace causeway::server
