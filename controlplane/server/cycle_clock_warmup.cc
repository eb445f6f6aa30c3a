#include "controlplane/server/cycle_clock_warmup.h"

// An abseil-internal header, the only way to reach the value absl::Mutex caches; Debian 12's
// libabsl-dev (20220623) installs it and libabsl_base exports what it calls. Without it (another
// abseil), this does nothing and the first contended lock pays the measurement as before.
#if __has_include("absl/base/internal/cycleclock.h")
#include "absl/base/internal/cycleclock.h"
#define CAUSEWAY_HAVE_ABSL_CYCLECLOCK 1
#endif

namespace causeway::server {

void MeasureCycleClockFrequencyNow() {
#ifdef CAUSEWAY_HAVE_ABSL_CYCLECLOCK
  // Computed once per process behind abseil's own once-flag: the same value absl::Mutex reads.
  static_cast<void>(absl::base_internal::CycleClock::Frequency());
#endif
}

}  // namespace causeway::server
