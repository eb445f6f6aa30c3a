#include "controlplane/server/allocator_tuning.h"

#include <malloc.h>

namespace causeway::server {

void KeepFreedMemoryForReuse() {
#ifdef __GLIBC__
  constexpr int kThreshold = 32 << 20;  // glibc's largest mmap threshold on 64-bit
  // Setting either one turns off glibc's adaptive thresholds, so both are set.
  mallopt(M_MMAP_THRESHOLD, kThreshold);
  mallopt(M_TRIM_THRESHOLD, kThreshold);
#endif
}

}  // namespace causeway::server
