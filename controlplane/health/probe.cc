#include "controlplane/health/probe.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace causeway::health {
namespace {

// The status line is all we read; a server that sends more than this without a line end is not
// answering HTTP.
constexpr size_t kMaxStatusLine = 1024;

socklen_t SockaddrOf(const net::IpAddress& address, uint16_t port, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  if (address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr.s_addr = htonl(address.v4());
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  std::memcpy(sin6->sin6_addr.s6_addr, address.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

std::string HostHeader(const net::IpAddress& address, uint16_t port) {
  const std::string host = address.is_v4() ? address.ToString() : absl::StrCat("[", address.ToString(), "]");
  return port == 80 ? host : absl::StrCat(host, ":", port);
}

}  // namespace

int ParseStatusLine(absl::string_view line) {
  // "HTTP/1.x SP 3DIGIT [SP reason]"
  if (!absl::StartsWith(line, "HTTP/1.") || line.size() < 12 || line[8] != ' ') return -1;
  const absl::string_view code = line.substr(9, 3);
  if (line.size() > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n') return -1;
  int status = 0;
  for (char c : code) {
    if (!absl::ascii_isdigit(c)) return -1;
    status = status * 10 + (c - '0');
  }
  return status;
}

Probe::Probe(const Target& target) : http_(target.spec.kind == ProbeKind::kHttp) {
  if (http_) {
    request_ = absl::StrCat("GET ", target.spec.http_path, " HTTP/1.0\r\nHost: ", HostHeader(target.address, target.port),
                            "\r\nUser-Agent: causeway-health-check\r\nConnection: close\r\n\r\n");
  }
  sockaddr_storage addr;
  const socklen_t len = SockaddrOf(target.address, target.port, addr);
  fd_ = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    FailErrno("socket", errno);
    return;
  }
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&addr), len) == 0) {
    OnReady();  // connected at once (loopback)
  } else if (errno != EINPROGRESS) {
    FailErrno("connect", errno);
  }
}

Probe::~Probe() {
  if (fd_ < 0) return;
  const linger reset{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  close(fd_);
}

uint32_t Probe::events() const { return phase_ == Phase::kReading ? EPOLLIN : EPOLLOUT; }

void Probe::OnReady() {
  if (state_ != State::kRunning) return;
  if (phase_ == Phase::kConnecting) {
    int error = 0;
    socklen_t len = sizeof(error);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
    if (error != 0) return FailErrno("connect", error);
    if (!http_) return Succeed();
    phase_ = Phase::kSending;
  }
  if (phase_ == Phase::kSending) Send();
  if (state_ == State::kRunning && phase_ == Phase::kReading) Read();
}

void Probe::Send() {
  while (sent_ < request_.size()) {
    const ssize_t n = send(fd_, request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // wait for EPOLLOUT
      if (errno == EINTR) continue;
      return FailErrno("send", errno);
    }
    sent_ += static_cast<size_t>(n);
  }
  phase_ = Phase::kReading;
}

void Probe::Read() {
  char buffer[512];
  while (true) {
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // wait for EPOLLIN
      if (errno == EINTR) continue;
      return FailErrno("recv", errno);
    }
    if (n > 0) response_.append(buffer, static_cast<size_t>(n));
    const size_t eol = response_.find('\n');
    if (eol == std::string::npos && n > 0 && response_.size() < kMaxStatusLine) continue;
    const absl::string_view line = absl::string_view(response_).substr(0, eol);
    if (eol == std::string::npos && response_.empty()) return Fail("connection closed before an HTTP answer");
    const int status = ParseStatusLine(line);
    if (status < 0) return Fail("not an HTTP status line");
    if (status >= 200 && status < 400) return Succeed();
    return Fail(absl::StrCat("HTTP ", status));
  }
}

void Probe::Succeed() {
  state_ = State::kSucceeded;
  detail_.clear();
}

void Probe::Fail(std::string detail) {
  if (state_ != State::kRunning) return;
  state_ = State::kFailed;
  detail_ = std::move(detail);
}

void Probe::TimeOut(uint32_t timeout_ms) {
  const char* waiting = phase_ == Phase::kConnecting ? "connecting" : phase_ == Phase::kSending ? "sending" : "reading the status line";
  Fail(absl::StrCat("timeout after ", timeout_ms, " ms (", waiting, ")"));
}

void Probe::FailErrno(absl::string_view what, int error) { Fail(absl::StrCat(what, ": ", std::strerror(error))); }

}  // namespace causeway::health
