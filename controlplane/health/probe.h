// One probe of one endpoint over an ordinary kernel socket, never blocking: a TCP connect, then for
// HTTP a GET of the check's path (HTTP/1.0, with a Host header) and its status line — 2xx and 3xx
// succeed, the rest of the answer is not read. The caller waits for fd() to be ready for events()
// (epoll) and calls OnReady(); it fails the probe itself when the timeout passes.
#ifndef CAUSEWAY_CONTROLPLANE_HEALTH_PROBE_H_
#define CAUSEWAY_CONTROLPLANE_HEALTH_PROBE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "controlplane/health/target.h"

namespace causeway::health {

class Probe {
 public:
  enum class State { kRunning, kSucceeded, kFailed };

  // Starts connecting to `target`; the probe may have finished already (connection refused at once).
  explicit Probe(const Target& target);
  ~Probe();  // closes the socket with a reset: no TIME_WAIT left behind per probe
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // The socket to wait on while kRunning, and for what (EPOLLOUT or EPOLLIN).
  int fd() const { return fd_; }
  uint32_t events() const;
  // The socket is ready (or in error): go as far as possible without blocking.
  void OnReady();
  // Ends a running probe as failed: its timeout passed.
  void TimeOut(uint32_t timeout_ms);

  State state() const { return state_; }
  // Why it failed: "connect: Connection refused", "timeout after 500 ms (connecting)", "HTTP 503".
  const std::string& detail() const { return detail_; }

 private:
  enum class Phase { kConnecting, kSending, kReading };
  void Succeed();
  void Fail(std::string detail);
  void FailErrno(absl::string_view what, int error);
  void Send();
  void Read();

  int fd_ = -1;
  Phase phase_ = Phase::kConnecting;
  State state_ = State::kRunning;
  bool http_ = false;
  std::string request_;
  size_t sent_ = 0;
  std::string response_;
  std::string detail_;
};

// The status code of an HTTP status line ("HTTP/1.1 200 OK"), or -1 when it is not one.
int ParseStatusLine(absl::string_view line);

}  // namespace causeway::health

#endif  // CAUSEWAY_CONTROLPLANE_HEALTH_PROBE_H_
