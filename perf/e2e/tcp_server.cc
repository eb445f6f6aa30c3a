// cw-tcp-server: a fast HTTP/1.0 backend for the end-to-end benchmarks, so that the backends are
// not what limits the load balancers under test (scripts/lib/rebel_base.py is the demo's).
//
//   cw-tcp-server [--port 8080] [--bind 0.0.0.0] [--name NAME] [--message TEXT] [--threads 1]
//
// Every connection: read the request head, answer, close (HTTP/1.0).
//   GET /blob?bytes=N   N bytes of the blob pattern (e2e_common.h)
//   anything else       200, body TEXT + "\n"
// Every answer carries `X-Backend: NAME`. Threads each accept on their own SO_REUSEPORT socket and
// run one epoll loop. Prints "ready" on stdout once listening.
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "perf/e2e/e2e_common.h"

namespace causeway::e2e {
namespace {

constexpr char kUsage[] =
    "usage: cw-tcp-server [--port 8080] [--bind 0.0.0.0] [--name NAME] [--message TEXT] [--threads 1]\n";
constexpr size_t kSendChunk = 4 * kBlobPeriod;
constexpr uint64_t kMaxBlob = 1ull << 40;

struct Config {
  sockaddr_in addr{};
  std::string name;
  std::string message;
  const std::vector<uint8_t>* window = nullptr;
};

class ServerLoop {
 public:
  explicit ServerLoop(const Config& cfg) : cfg_(cfg) {}

  // Binds and listens (SO_REUSEPORT: one listener per loop).
  void Listen() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&cfg_.addr), sizeof cfg_.addr) != 0)
      Die(std::string("bind: ") + std::strerror(errno));
    if (listen(listen_fd_, 4096) != 0) Die("listen");
  }

  void Run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    Watch(listen_fd_, EPOLLIN, nullptr);
    std::vector<epoll_event> events(256);
    for (;;) {
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), -1);
      for (int k = 0; k < n; ++k) {
        auto* c = static_cast<Conn*>(events[k].data.ptr);
        if (c == nullptr) {
          Accept();
        } else if (events[k].events & (EPOLLERR | EPOLLHUP)) {
          Close(c);
        } else if (c->sending) {
          Send(c);
        } else {
          Read(c);
        }
      }
    }
  }

 private:
  struct Conn {
    int fd = -1;
    bool sending = false;
    std::string in;
    std::string head;   // the answer's head and, for small answers, its body
    size_t head_sent = 0;
    uint64_t blob = 0;  // blob bytes to send after the head
    uint64_t blob_sent = 0;
  };

  void Watch(int fd, uint32_t events, Conn* c, int op = EPOLL_CTL_ADD) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = c;
    if (epoll_ctl(ep_, op, fd, &ev) != 0) Die("epoll_ctl");
  }

  void Accept() {
    for (;;) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or a connection that went away
      auto* c = new Conn;
      c->fd = fd;
      Watch(fd, EPOLLIN | EPOLLRDHUP, c);
      Read(c);  // the request is often already there
      // `c` may be freed here.
    }
  }

  void Close(Conn* c) {
    close(c->fd);
    delete c;
  }

  void Read(Conn* c) {
    char buf[4096];
    for (;;) {
      const ssize_t r = recv(c->fd, buf, sizeof buf, 0);
      if (r > 0) {
        c->in.append(buf, static_cast<size_t>(r));
        if (c->in.size() > 16384) return Close(c);
        continue;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return Close(c);  // error or EOF before a whole request
    }
    if (c->in.find("\r\n\r\n") == std::string::npos) return;
    Answer(c);
  }

  void Answer(Conn* c) {
    // "GET /path HTTP/1.x"
    std::string_view req(c->in);
    const size_t sp1 = req.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : req.find(' ', sp1 + 1);
    const std::string_view path = sp2 == std::string_view::npos ? "" : req.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string body;
    bool blob = false;
    uint64_t n = 0;
    if (path.substr(0, 5) == "/blob") {
      const size_t at = path.find("bytes=");
      char* end = nullptr;
      n = at == std::string_view::npos ? 0 : std::strtoull(std::string(path.substr(at + 6)).c_str(), &end, 10);
      blob = n <= kMaxBlob;
    }
    if (blob) {
      c->blob = n;
    } else {
      body = cfg_.message + "\n";
      n = body.size();
    }
    c->head = "HTTP/1.0 200 OK\r\nContent-Type: " + std::string(blob ? "application/octet-stream" : "text/plain") +
              "\r\nContent-Length: " + std::to_string(n) + "\r\nX-Backend: " + cfg_.name +
              "\r\nConnection: close\r\n\r\n" + body;
    c->sending = true;
    Send(c);
  }

  void Send(Conn* c) {
    while (c->head_sent < c->head.size()) {
      const ssize_t w = send(c->fd, c->head.data() + c->head_sent, c->head.size() - c->head_sent,
                             MSG_NOSIGNAL | (c->blob > 0 ? MSG_MORE : 0));
      if (w < 0) return Blocked(c);
      c->head_sent += static_cast<size_t>(w);
    }
    while (c->blob_sent < c->blob) {
      const uint64_t len = std::min<uint64_t>(c->blob - c->blob_sent, kSendChunk);
      const ssize_t w = send(c->fd, cfg_.window->data() + c->blob_sent % kBlobPeriod, len, MSG_NOSIGNAL);
      if (w < 0) return Blocked(c);
      c->blob_sent += static_cast<uint64_t>(w);
    }
    Close(c);  // the whole answer is in the socket: the kernel sends it and then the FIN
  }

  void Blocked(Conn* c) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Close(c);
    Watch(c->fd, EPOLLOUT, c, EPOLL_CTL_MOD);
  }

  const Config& cfg_;
  int listen_fd_ = -1;
  int ep_ = -1;
};

}  // namespace
}  // namespace causeway::e2e

int main(int argc, char** argv) {
  using namespace causeway::e2e;
  std::signal(SIGPIPE, SIG_IGN);
  Flags flags(argc, argv, kUsage);
  if (!flags.mode().empty()) flags.Usage(2);
  Config cfg;
  cfg.addr = ParseEndpoint(flags.Str("bind", "0.0.0.0") + ":" + std::to_string(flags.Num("port", 8080)));
  cfg.name = flags.Str("name", "cw-tcp-server");
  cfg.message = flags.Str("message", "cw-tcp-server");
  const uint64_t threads = std::max<uint64_t>(1, flags.Num("threads", 1));
  flags.CheckAllUsed();
  const std::vector<uint8_t> window = BlobWindow(kSendChunk);
  cfg.window = &window;
  std::vector<std::unique_ptr<ServerLoop>> loops;
  for (uint64_t t = 0; t < threads; ++t) {
    loops.push_back(std::make_unique<ServerLoop>(cfg));
    loops.back()->Listen();
  }
  std::vector<std::thread> pool;
  for (auto& loop : loops) pool.emplace_back([&loop] { loop->Run(); });
  std::printf("ready\n");
  std::fflush(stdout);
  for (auto& th : pool) th.join();
  return 0;
}
