// cw-tcp-load: TCP load through a load balancer, one JSON document on stdout.
//
//   cw-tcp-load connect --target 10.96.0.20:80 [--concurrency 64] [--seconds 5] [--threads 1]
//                       [--path /] [--timeout-ms 3000]
//     Connection rate: `concurrency` connections at all times, each connect -> HTTP/1.0 GET ->
//     read until the server closes -> close, for `seconds`. Counts completed exchanges (status 200),
//     errors (refused, reset, non-200) and timeouts; latency is connect to close; "backends" counts
//     the X-Backend header of the answers (which backend the load balancer picked).
//
//   cw-tcp-load bulk --target 10.96.0.20:80 [--connections 1] [--bytes 1073741824] [--timeout-s 60]
//                    [--verify 1]
//     Bulk: `connections` parallel downloads of GET /blob?bytes=N; each must bring exactly N bytes
//     of the blob pattern (e2e_common.h), checked byte for byte unless --verify 0. Gbit/s counts body
//     bytes over the time from the first connect to the last byte.
//
// Non-blocking sockets and epoll, one event loop per thread.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "perf/e2e/e2e_common.h"

namespace causeway::e2e {
namespace {

constexpr char kUsage[] =
    "usage: cw-tcp-load connect --target IP:PORT [--concurrency 64] [--seconds 5] [--threads 1]\n"
    "                           [--path /] [--timeout-ms 3000]\n"
    "       cw-tcp-load bulk --target IP:PORT [--connections 1] [--bytes 1073741824] [--timeout-s 60]\n"
    "                        [--verify 1]\n";

// Starts a non-blocking connect; returns the socket or -1 (errno set).
int StartConnect(const sockaddr_in& target) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0 && errno != EINPROGRESS) {
    const int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

bool ConnectFailed(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0;
}

// ---- connection rate -------------------------------------------------------------------------

struct RateResult {
  uint64_t completed = 0;
  uint64_t errors = 0;
  uint64_t timeouts = 0;
  std::vector<uint32_t> latency_us;
  std::map<std::string, uint64_t> backends;
};

class RateWorker {
 public:
  RateWorker(const sockaddr_in& target, std::string request, uint32_t concurrency, uint64_t end_ns, uint64_t timeout_ns)
      : target_(target), request_(std::move(request)), conns_(concurrency), end_ns_(end_ns), timeout_ns_(timeout_ns) {}

  RateResult Run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) Die("epoll_create1");
    for (uint32_t i = 0; i < conns_.size(); ++i) Start(i, NowNs());
    std::vector<epoll_event> events(conns_.size() + 1);
    uint64_t next_scan = NowNs() + 50'000'000;
    for (;;) {
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 5);
      const uint64_t now = NowNs();
      if (now >= end_ns_) break;
      for (int k = 0; k < n; ++k) Handle(events[k].data.u32, events[k].events, now);
      if (now >= next_scan) {  // timeouts, and retries of connects that failed at once
        for (uint32_t i = 0; i < conns_.size(); ++i) {
          Conn& c = conns_[i];
          if (c.fd < 0) {
            Start(i, now);
          } else if (now - c.start_ns > timeout_ns_) {
            ++result_.timeouts;
            Restart(i, now);
          }
        }
        next_scan = now + 50'000'000;
      }
    }
    for (Conn& c : conns_)
      if (c.fd >= 0) close(c.fd);
    close(ep_);
    return std::move(result_);
  }

 private:
  struct Conn {
    int fd = -1;
    bool connecting = false;
    uint64_t start_ns = 0;
    std::string head;  // the first bytes of the answer (status line and headers)
  };

  void Start(uint32_t i, uint64_t now) {
    Conn& c = conns_[i];
    c.fd = StartConnect(target_);
    c.start_ns = now;
    c.head.clear();
    if (c.fd < 0) {  // e.g. no free local port: retried at the next scan
      ++result_.errors;
      return;
    }
    c.connecting = true;
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u32 = i;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) Die("epoll_ctl add");
  }

  void Restart(uint32_t i, uint64_t now) {
    close(conns_[i].fd);
    conns_[i].fd = -1;
    if (now < end_ns_) Start(i, now);
  }

  void Fail(uint32_t i, uint64_t now) {
    ++result_.errors;
    Restart(i, now);
  }

  void Handle(uint32_t i, uint32_t events, uint64_t now) {
    Conn& c = conns_[i];
    if (c.fd < 0) return;
    if (c.connecting) {
      if ((events & (EPOLLERR | EPOLLHUP)) || ConnectFailed(c.fd)) return Fail(i, now);
      // The request fits in the socket buffer of a fresh connection.
      if (send(c.fd, request_.data(), request_.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request_.size()))
        return Fail(i, now);
      c.connecting = false;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u32 = i;
      if (epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) != 0) Die("epoll_ctl mod");
      return;
    }
    char buf[16384];
    for (;;) {
      const ssize_t r = recv(c.fd, buf, sizeof buf, 0);
      if (r > 0) {
        if (c.head.size() < 1024) c.head.append(buf, std::min<size_t>(static_cast<size_t>(r), 1024 - c.head.size()));
        continue;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (r < 0) return Fail(i, now);
      break;  // r == 0: the server closed, the exchange is complete
    }
    if (!StatusOk(c.head)) return Fail(i, now);
    ++result_.completed;
    result_.latency_us.push_back(static_cast<uint32_t>(std::min<uint64_t>((now - c.start_ns) / 1000, UINT32_MAX)));
    if (auto b = HeaderValue(c.head, "x-backend"); b && result_.backends.size() < 64) ++result_.backends[std::string(*b)];
    Restart(i, now);
  }

  sockaddr_in target_;
  std::string request_;
  std::vector<Conn> conns_;
  uint64_t end_ns_;
  uint64_t timeout_ns_;
  int ep_ = -1;
  RateResult result_;
};

double PercentileMs(std::vector<uint32_t>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

int RunConnect(Flags& flags) {
  const std::string target_text = flags.Str("target", "");
  if (target_text.empty()) flags.Usage(2);
  const sockaddr_in target = ParseEndpoint(target_text);
  const uint32_t concurrency = static_cast<uint32_t>(flags.Num("concurrency", 64));
  const double seconds = flags.Real("seconds", 5);
  const uint32_t threads = static_cast<uint32_t>(std::max<uint64_t>(1, flags.Num("threads", 1)));
  const std::string path = flags.Str("path", "/");
  const uint64_t timeout_ns = flags.Num("timeout-ms", 3000) * 1'000'000;
  flags.CheckAllUsed();
  if (concurrency < threads) Die("--concurrency must be >= --threads");

  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: " + target_text + "\r\nUser-Agent: cw-tcp-load\r\n\r\n";
  const uint64_t start = NowNs();
  const uint64_t end = start + static_cast<uint64_t>(seconds * 1e9);
  std::vector<RateResult> results(threads);
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) {
    const uint32_t share = concurrency / threads + (t < concurrency % threads ? 1 : 0);
    pool.emplace_back([&, t, share] { results[t] = RateWorker(target, request, share, end, timeout_ns).Run(); });
  }
  for (auto& th : pool) th.join();
  const double elapsed = static_cast<double>(NowNs() - start) / 1e9;

  RateResult all;
  for (auto& r : results) {
    all.completed += r.completed;
    all.errors += r.errors;
    all.timeouts += r.timeouts;
    all.latency_us.insert(all.latency_us.end(), r.latency_us.begin(), r.latency_us.end());
    for (const auto& [k, v] : r.backends) all.backends[k] += v;
  }
  std::string backends;
  for (const auto& [k, v] : all.backends) {
    if (!backends.empty()) backends.push_back(',');
    backends.append("\"").append(k).append("\":").append(std::to_string(v));
  }
  const double p50 = PercentileMs(all.latency_us, 0.50);
  const double p99 = PercentileMs(all.latency_us, 0.99);
  std::printf(
      "{\"mode\":\"connect\",\"target\":\"%s\",\"concurrency\":%u,\"threads\":%u,\"seconds\":%.3f,"
      "\"connections\":%llu,\"per_second\":%.1f,\"errors\":%llu,\"timeouts\":%llu,\"p50_ms\":%.3f,"
      "\"p99_ms\":%.3f,\"backends\":{%s}}\n",
      target_text.c_str(), concurrency, threads, elapsed, static_cast<unsigned long long>(all.completed),
      static_cast<double>(all.completed) / elapsed, static_cast<unsigned long long>(all.errors),
      static_cast<unsigned long long>(all.timeouts), p50, p99, backends.c_str());
  return 0;
}

// ---- bulk ------------------------------------------------------------------------------------

struct Download {
  int fd = -1;
  bool connecting = true;
  bool done = false;
  bool ok = false;        // status 200, Content-Length N, N bytes, pattern intact
  bool head_done = false;
  std::string head;
  uint64_t body = 0;      // body bytes received
  bool pattern_ok = true;
};

int RunBulk(Flags& flags) {
  const std::string target_text = flags.Str("target", "");
  if (target_text.empty()) flags.Usage(2);
  const sockaddr_in target = ParseEndpoint(target_text);
  const uint32_t nconn = static_cast<uint32_t>(std::max<uint64_t>(1, flags.Num("connections", 1)));
  const uint64_t bytes = flags.Num("bytes", 1ull << 30);
  const double timeout_s = flags.Real("timeout-s", 60);
  const bool verify = flags.Num("verify", 1) != 0;
  flags.CheckAllUsed();

  constexpr size_t kChunk = 256 * 1024;
  const std::vector<uint8_t> window = BlobWindow(kChunk);
  std::vector<uint8_t> buf(kChunk);
  const std::string request = "GET /blob?bytes=" + std::to_string(bytes) + " HTTP/1.0\r\nHost: " + target_text +
                              "\r\nUser-Agent: cw-tcp-load\r\n\r\n";
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Download> d(nconn);
  const uint64_t start = NowNs();
  const uint64_t deadline = start + static_cast<uint64_t>(timeout_s * 1e9);
  uint64_t last_byte = start;
  uint64_t errors = 0;
  uint32_t open = 0;
  for (uint32_t i = 0; i < nconn; ++i) {
    d[i].fd = StartConnect(target);
    if (d[i].fd < 0) {
      ++errors;
      d[i].done = true;
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u32 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, d[i].fd, &ev);
    ++open;
  }
  auto finish = [&](Download& x, bool failed) {
    if (failed) ++errors;
    close(x.fd);
    x.fd = -1;
    x.done = true;
    --open;
  };
  std::vector<epoll_event> events(nconn);
  while (open > 0 && NowNs() < deadline) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(nconn), 100);
    for (int k = 0; k < n; ++k) {
      Download& x = d[events[k].data.u32];
      if (x.done) continue;
      if (x.connecting) {
        if ((events[k].events & (EPOLLERR | EPOLLHUP)) || ConnectFailed(x.fd) ||
            send(x.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
          finish(x, true);
          continue;
        }
        x.connecting = false;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u32 = events[k].data.u32;
        epoll_ctl(ep, EPOLL_CTL_MOD, x.fd, &ev);
        continue;
      }
      for (;;) {
        const ssize_t r = recv(x.fd, buf.data(), buf.size(), 0);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (r < 0) {
          finish(x, true);
          break;
        }
        if (r == 0) {  // closed by the server: complete if every byte came
          last_byte = NowNs();
          x.ok = x.head_done && x.body == bytes && x.pattern_ok;
          finish(x, !x.ok);
          break;
        }
        const uint8_t* p = buf.data();
        size_t len = static_cast<size_t>(r);
        if (!x.head_done) {
          x.head.append(reinterpret_cast<const char*>(p), len);
          const size_t end = x.head.find("\r\n\r\n");
          if (end == std::string::npos) {
            if (x.head.size() > 8192) {
              finish(x, true);
              break;
            }
            continue;
          }
          x.head_done = true;
          const std::string_view head(x.head.data(), end + 2);
          const auto cl = HeaderValue(head, "content-length");
          if (!StatusOk(head) || !cl || std::strtoull(std::string(*cl).c_str(), nullptr, 10) != bytes) {
            finish(x, true);
            break;
          }
          // What followed the head in this read is body.
          const size_t body_in_head = x.head.size() - (end + 4);
          p = buf.data() + (len - body_in_head);
          len = body_in_head;
        }
        if (verify && len > 0 && x.pattern_ok && x.body + len <= bytes)
          x.pattern_ok = std::memcmp(p, window.data() + x.body % kBlobPeriod, len) == 0;
        x.body += len;
      }
    }
  }
  uint64_t total = 0;
  bool complete = errors == 0;
  bool pattern_ok = true;
  for (Download& x : d) {
    total += x.body;
    complete = complete && x.ok;
    pattern_ok = pattern_ok && x.pattern_ok;
    if (x.fd >= 0) close(x.fd);
  }
  close(ep);
  const double elapsed = static_cast<double>((open > 0 ? NowNs() : last_byte) - start) / 1e9;
  std::printf(
      "{\"mode\":\"bulk\",\"target\":\"%s\",\"connections\":%u,\"bytes_per_connection\":%llu,\"bytes\":%llu,"
      "\"seconds\":%.3f,\"gbit_per_second\":%.3f,\"complete\":%s,\"verified\":%s,\"pattern_ok\":%s,\"errors\":%llu,"
      "\"timed_out\":%s}\n",
      target_text.c_str(), nconn, static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(total),
      elapsed, elapsed > 0 ? static_cast<double>(total) * 8 / elapsed / 1e9 : 0.0, complete ? "true" : "false",
      verify ? "true" : "false", pattern_ok ? "true" : "false", static_cast<unsigned long long>(errors),
      open > 0 ? "true" : "false");
  return complete ? 0 : 1;
}

}  // namespace
}  // namespace causeway::e2e

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  causeway::e2e::Flags flags(argc, argv, causeway::e2e::kUsage);
  if (flags.mode() == "connect") return causeway::e2e::RunConnect(flags);
  if (flags.mode() == "bulk") return causeway::e2e::RunBulk(flags);
  flags.Usage(2);
}
