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
  // memory, not one page: glibc grows a thread arena a page at a time, one mprotect each, so a new
  // thread's first pushes made ~200 mprotect calls (1211 over three BM_PushToSnapshot repetitions,
  // 121 with this). Address space only; pages are touched when used.
  mallopt(M_TOP_PAD, 4 << 20);
#endif
}

}  // namespace causeway::server
