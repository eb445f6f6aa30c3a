// Waiting in tests for what another thread does (a probe's verdict, a reaper's free): polling, with
// a limit, so that a test that fails does so in seconds instead of hanging.
#ifndef CAUSEWAY_TESTS_CONTROLPLANE_WAIT_FOR_H_
#define CAUSEWAY_TESTS_CONTROLPLANE_WAIT_FOR_H_

#include <chrono>
#include <functional>
#include <optional>
#include <thread>

namespace causeway::testing {

// Polls `condition` every 10 ms for up to `limit`; returns how long it took (or nullopt).
inline std::optional<std::chrono::milliseconds> WaitFor(const std::function<bool()>& condition,
                                                        std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  while (Clock::now() - start < limit) {
    if (condition()) return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

}  // namespace causeway::testing

#endif  // CAUSEWAY_TESTS_CONTROLPLANE_WAIT_FOR_H_
