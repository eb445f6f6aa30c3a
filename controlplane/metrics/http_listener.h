// A minimal HTTP/1.0 server for `GET /metrics`: one thread, one connection at a time, no keep-alive.
// Enough for Prometheus scrapes and curl; no new dependency.
#ifndef CAUSEWAY_CONTROLPLANE_METRICS_HTTP_LISTENER_H_
#define CAUSEWAY_CONTROLPLANE_METRICS_HTTP_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace causeway::metrics {

class MetricsListener {
 public:
  // The page's body, made afresh for each request.
  using Render = std::function<std::string()>;

  // Listens on `address`: "127.0.0.1:9100", "[::1]:9100", ":9100" (every IPv4 address); port 0
  // picks a free port (see port()).
  static absl::StatusOr<std::unique_ptr<MetricsListener>> Start(const std::string& address, Render render);
  ~MetricsListener();  // stops the thread and closes the socket

  int port() const { return port_; }

 private:
  MetricsListener(int listen_fd, int wake_fd, int port, Render render);
  void Loop();
  void Serve(int fd);

  const int listen_fd_;
  const int wake_fd_;  // an eventfd: written to stop the loop
  const int port_;
  const Render render_;
  std::thread thread_;
};

}  // namespace causeway::metrics

#endif  // CAUSEWAY_CONTROLPLANE_METRICS_HTTP_LISTENER_H_
