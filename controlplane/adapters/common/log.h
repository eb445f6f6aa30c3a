// One line per event on standard error, with a UTC timestamp: the adapters run under a supervisor
// (systemd, a pod) that keeps their stderr, and this abseil has no logging library yet.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_LOG_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_LOG_H_

#include <string_view>

namespace causeway::adapters {

void Log(std::string_view line);

}  // namespace causeway::adapters

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_LOG_H_
