// Child processes for the adapter tests: started with their output in a log file, always ended
// (TERM, then KILL) when their owner goes, and killed by the kernel if the test process dies first.
#ifndef CAUSEWAY_TESTS_ADAPTERS_PROCESS_H_
#define CAUSEWAY_TESTS_ADAPTERS_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace causeway::testing {

class Process {
 public:
  // Fails the calling test (and returns null) when fork or exec fails.
  static std::unique_ptr<Process> Start(const std::vector<std::string>& argv, const std::string& log_path);
  ~Process() { Stop(); }

  // TERM, up to 10 s, then KILL; waits for the exit. Idempotent.
  void Stop();
  // KILL, and wait for the exit.
  void Kill();
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
};

// Whether something accepts connections on TCP `host`:`port`, or on the unix socket `host` when
// `port` is 0.
bool CanConnect(const std::string& host, int port);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

// Polls `done` every 50 ms for up to `seconds`.
bool WaitFor(const std::function<bool()>& done, double seconds = 10);

}  // namespace causeway::testing

#endif  // CAUSEWAY_TESTS_ADAPTERS_PROCESS_H_
