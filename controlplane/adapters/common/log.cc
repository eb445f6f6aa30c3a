#include "controlplane/adapters/common/log.h"

#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace causeway::adapters {

void Log(std::string_view line) {
  const std::string stamp = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  // One fprintf per line so that lines from different threads do not interleave.
  std::fprintf(stderr, "%s %.*s\n", stamp.c_str(), static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

}  // namespace causeway::adapters
