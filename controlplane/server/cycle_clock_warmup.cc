#include "controlplane/server/cycle_clock_warmup.h"

// An abseil-internal header, the only way to reach the value absl::Mutex caches; Debian's
// libabsl-dev installs it and libabsl_base exports the function.
#include "absl/base/internal/cycleclock.h"

namespace causeway::server {

void MeasureCycleClockFrequencyNow() {
  // Computed once per process behind abseil's own once-flag: the same value absl::Mutex reads.
  static_cast<void>(absl::base_internal::CycleClock::Frequency());
}

}  // namespace causeway::server
