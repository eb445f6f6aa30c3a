// Active health checks against real sockets: a ControlPlane with its checker (health/) probing
// loopback listeners and an HTTP server written here, observed through the snapshots it publishes,
// its reads and its watch events. Also drain (terminating endpoints) and the pieces on their own.
//
// Timing: interval 100 ms, fall 2, rise 2. Bounds are generous (a loaded 2-core machine); the tests
// assert what happens and in which order, with an upper bound on how long it takes.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controlplane/health/control_plane_checks.h"
#include "controlplane/health/probe.h"
#include "controlplane/health/rise_fall.h"
#include "controlplane/health/target.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/fixtures.h"
#include "tests/controlplane/wait_for.h"

namespace causeway::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A loopback TCP server on its own thread. Each accepted connection is handled by `respond` (null:
// closed at once). Close() stops listening (connections are then refused); Open() listens again on
// the same port.
class LoopbackServer {
 public:
  using Respond = std::function<void(int fd)>;
  explicit LoopbackServer(Respond respond = nullptr) : respond_(std::move(respond)) { Open(); }
  ~LoopbackServer() { Close(); }

  void Open() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0) << "port " << port_;
    EXPECT_EQ(listen(fd_, SOMAXCONN), 0);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    stop_ = false;
    thread_ = std::thread([this] { Serve(); });
  }

  void Close() {
    if (fd_ < 0) return;
    stop_ = true;
    thread_.join();
    close(fd_);
    fd_ = -1;
  }

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 20) <= 0) continue;
      const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted_;
      if (respond_) respond_(c);
      close(c);
    }
  }

  Respond respond_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Reads a request head (up to the blank line, 2 s at most).
std::string ReadRequest(int fd) {
  std::string request;
  char buffer[512];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (poll(&p, 1, 2000) <= 0) break;
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  return request;
}

void Write(int fd, const std::string& text) {
  [[maybe_unused]] ssize_t n = write(fd, text.data(), text.size());
}

v1::Endpoint Loopback(const std::string& cluster, uint16_t port) {
  v1::Endpoint e;
  e.set_service("default/web");
  e.set_cluster(cluster);
  e.set_zone("zone-1");
  e.set_address("127.0.0.1");
  e.set_port(port);
  return e;
}

// Gateway in cluster-a; default/web with `check` and the given endpoints.
v1::State WebState(const v1::HealthCheck& check, const std::vector<v1::Endpoint>& endpoints) {
  v1::State s;
  s.mutable_gateway()->set_cluster("cluster-a");
  s.mutable_gateway()->set_zone("zone-1");
  for (const auto& [name, id] : {std::pair<const char*, int>{"cluster-a", 1}, {"cluster-b", 2}}) {
    v1::Cluster* c = s.add_clusters();
    c->set_name(name);
    c->set_id(id);
    c->set_region("region-1");
  }
  s.mutable_clusters(1)->set_gateway_address("192.0.2.2");
  v1::Service* svc = s.add_services();
  svc->set_namespace_("default");
  svc->set_name("web");
  v1::Frontend* f = svc->add_frontends();
  f->set_vip("10.96.0.10");
  f->set_port(80);
  f->set_protocol(v1::TCP);
  *svc->mutable_health_check() = check;
  for (const v1::Endpoint& e : endpoints) *s.add_endpoints() = e;
  return s;
}

v1::HealthCheck Check(v1::HealthCheck::Kind kind) {
  v1::HealthCheck h;
  h.set_kind(kind);
  h.set_interval_ms(100);
  h.set_rise(2);
  h.set_fall(2);
  return h;
}

void PushSnapshot(server::ControlPlane& cp, const v1::State& state) {
  v1::PushRequest push;
  push.set_source("test-feed");
  *push.mutable_snapshot() = state;
  const server::PushOutcome out = cp.Push(push);
  ASSERT_TRUE(out.status.ok()) << out.status;
}

// Slots of default/web's tables (all zones) held by the backend on 127.0.0.1:`port`; -1 when that
// backend is not in the service's backends at all.
int SlotsOf(const RecordingSink& sink, uint16_t port) {
  std::shared_ptr<const snapshot::CompiledSnapshot> snap = sink.last();
  if (snap == nullptr) return -1;
  for (const snapshot::CompiledService& s : snap->services) {
    if (s.name != "default/web") continue;
    int index = -1;
    for (size_t i = 0; i < s.backends.size(); ++i) {
      if (s.backends[i].port == port) index = static_cast<int>(i);
    }
    if (index < 0) return -1;
    int slots = 0;
    for (const snapshot::Table& t : s.tables) slots += static_cast<int>(std::count(t.slots.begin(), t.slots.end(), index));
    return slots;
  }
  return -1;
}

// Every watch event's changes so far, in order.
class Changes {
 public:
  explicit Changes(server::ControlPlane& cp) : watcher_(cp.Watch()) {}
  // Drains the watcher; true when some change so far contains `text`.
  bool Seen(const std::string& text) {
    v1::WatchEvent event;
    while (watcher_->Next(&event, absl::ZeroDuration())) {
      for (const std::string& c : event.changes()) changes_.push_back(c);
    }
    return Index(text) >= 0;
  }
  int Index(const std::string& text) const {
    for (size_t i = 0; i < changes_.size(); ++i) {
      if (absl::StrContains(changes_[i], text)) return static_cast<int>(i);
    }
    return -1;
  }
  std::string All() const {
    std::string out;
    for (const std::string& c : changes_) absl::StrAppend(&out, c, "\n");
    return out;
  }

 private:
  std::shared_ptr<server::ControlPlane::Watcher> watcher_;
  std::vector<std::string> changes_;
};

v1::Health HealthOf(const server::ControlPlane& cp, uint16_t port) {
  const v1::ListEndpointsResponse listing = cp.ListEndpoints("default/web");
  for (const v1::Endpoint& e : listing.endpoints()) {
    if (e.cluster() == "cluster-a" && e.port() == port) return e.health();
  }
  return v1::HEALTH_UNSPECIFIED;
}

TEST(HealthChecks, TcpDeadEndpointLeavesTheTablesAndComesBack) {
  LoopbackServer one, two, remote;
  RecordingSink sink;
  server::ControlPlane cp({}, &sink);
  Changes changes(cp);
  health::ControlPlaneChecks checks(&cp);
  const uint16_t p1 = one.port(), p2 = two.port();
  // The remote endpoint is reachable too: only the rule "local endpoints only" keeps it unprobed.
  PushSnapshot(cp, WebState(Check(v1::HealthCheck::TCP),
                            {Loopback("cluster-a", p1), Loopback("cluster-a", p2), Loopback("cluster-b", remote.port())}));
  ASSERT_GT(SlotsOf(sink, p1), 0);
  ASSERT_GT(SlotsOf(sink, p2), 0);
  ASSERT_TRUE(WaitFor([&] { return one.accepted() >= 2 && two.accepted() >= 2; })) << "both local endpoints probed";

  // interval × fall = 200 ms; the bound allows for a loaded machine.
  one.Close();
  const std::optional<std::chrono::milliseconds> gone = WaitFor([&] { return SlotsOf(sink, p1) <= 0; });
  changes.Seen("");
  ASSERT_TRUE(gone.has_value()) << "the closed endpoint still has slots; changes:\n" << changes.All();
  EXPECT_LT(gone->count(), 2000);
  EXPECT_GT(SlotsOf(sink, p2), 0);
  // A dead endpoint is not kept for established flows (they are chosen again).
  EXPECT_EQ(SlotsOf(sink, p1), -1);
  const std::string endpoint = absl::StrCat("default/web cluster-a/127.0.0.1:", p1);
  EXPECT_TRUE(WaitFor([&] { return changes.Seen(absl::StrCat("health: ", endpoint, " unhealthy (2 failures: connect: ")); }))
      << changes.All();
  // Reads show the effective health; the state keeps what was pushed.
  EXPECT_EQ(HealthOf(cp, p1), v1::UNHEALTHY);
  EXPECT_EQ(HealthOf(cp, p2), v1::HEALTH_UNSPECIFIED);
  const v1::State state = cp.GetState();
  for (const v1::Endpoint& e : state.endpoints()) EXPECT_EQ(e.health(), v1::HEALTH_UNSPECIFIED);
  absl::StatusOr<v1::ExplainResponse> explain = cp.Explain("default/web", "");
  ASSERT_TRUE(explain.ok()) << explain.status();
  bool explained = false;
  for (const auto& line : explain->endpoints()) {
    if (line.endpoint() == absl::StrCat("cluster-a/127.0.0.1:", p1)) {
      explained = true;
      EXPECT_THAT(line.why(), HasSubstr("health check failing (connect: "));
      EXPECT_EQ(line.share(), 0.0);
    }
  }
  EXPECT_TRUE(explained) << explain->text();

  // A feed push about the endpoint (health HEALTHY, another zone) does not reset the verdict.
  const int probes_before = two.accepted();
  v1::PushRequest delta;
  delta.set_source("test-feed");
  v1::Endpoint pushed = Loopback("cluster-a", p1);
  pushed.set_health(v1::HEALTHY);
  pushed.set_zone("zone-2");  // (not the weight: 3 of 5 failing by weight would be panic)
  *delta.mutable_delta()->add_upsert_endpoints() = pushed;
  ASSERT_TRUE(cp.Push(delta).status.ok());
  EXPECT_EQ(SlotsOf(sink, p1), -1) << "the push brought the failing endpoint back";
  EXPECT_EQ(HealthOf(cp, p1), v1::UNHEALTHY);
  // Still out after a few more probe rounds.
  ASSERT_TRUE(WaitFor([&] { return two.accepted() >= probes_before + 3; }));
  EXPECT_EQ(SlotsOf(sink, p1), -1);

  // Back: rise = 2 successes.
  one.Open();
  ASSERT_EQ(one.port(), p1);
  const std::optional<std::chrono::milliseconds> back = WaitFor([&] { return SlotsOf(sink, p1) > 0; });
  ASSERT_TRUE(back.has_value()) << changes.All();
  EXPECT_LT(back->count(), 2000);
  EXPECT_EQ(HealthOf(cp, p1), v1::HEALTHY);  // the pushed health applies again
  EXPECT_TRUE(WaitFor([&] { return changes.Seen(absl::StrCat("health: ", endpoint, " healthy (2 successes)")); }))
      << changes.All();
  EXPECT_LT(changes.Index(absl::StrCat(endpoint, " unhealthy")), changes.Index(absl::StrCat(endpoint, " healthy")));

  // Remote endpoints are never probed; local ones all along.
  EXPECT_EQ(remote.accepted(), 0);
  EXPECT_GE(checks.checker().probes_started(), 10u);
}

TEST(HealthChecks, HttpStatusDecides) {
  std::atomic<int> status{500};
  std::atomic<int> requests{0};
  std::string first_request;
  std::mutex request_mu;
  LoopbackServer http([&](int fd) {
    const std::string request = ReadRequest(fd);
    {
      std::lock_guard<std::mutex> lock(request_mu);
      if (requests++ == 0) first_request = request;
    }
    const int code = status.load();
    Write(fd, absl::StrCat("HTTP/1.1 ", code, code == 200 ? " OK" : " Internal Server Error",
                           "\r\nContent-Length: 2\r\n\r\nok"));
  });
  RecordingSink sink;
  server::ControlPlane cp({}, &sink);
  Changes changes(cp);
  health::ControlPlaneChecks checks(&cp);
  v1::HealthCheck check = Check(v1::HealthCheck::HTTP);
  check.set_http_path("/healthz?full=1");
  const uint16_t port = http.port();
  v1::State state = WebState(check, {Loopback("cluster-a", port)});
  state.mutable_services(0)->set_panic_threshold(0);  // one endpoint: without this, failing keeps it (panic)
  PushSnapshot(cp, state);
  // Not yet probed: healthy, so a new gateway does not drop traffic.
  EXPECT_GT(SlotsOf(sink, port), 0);

  const std::string endpoint = absl::StrCat("default/web cluster-a/127.0.0.1:", port);
  ASSERT_TRUE(WaitFor([&] { return changes.Seen(absl::StrCat("health: ", endpoint, " unhealthy (2 failures: HTTP 500)")); }))
      << changes.All();
  EXPECT_TRUE(WaitFor([&] { return SlotsOf(sink, port) <= 0; }));
  {
    std::lock_guard<std::mutex> lock(request_mu);
    EXPECT_THAT(first_request, HasSubstr("GET /healthz?full=1 HTTP/1.0\r\n"));
    EXPECT_THAT(first_request, HasSubstr(absl::StrCat("\r\nHost: 127.0.0.1:", port, "\r\n")));
  }

  status = 200;
  ASSERT_TRUE(WaitFor([&] { return changes.Seen(absl::StrCat("health: ", endpoint, " healthy (2 successes)")); }))
      << changes.All();
  EXPECT_TRUE(WaitFor([&] { return SlotsOf(sink, port) > 0; }));
}

TEST(HealthChecks, TargetsFollowTheState) {
  LoopbackServer one;
  RecordingSink sink;
  server::ControlPlane cp({}, &sink);
  health::ControlPlaneChecks checks(&cp);
  v1::State state = WebState(Check(v1::HealthCheck::TCP), {Loopback("cluster-a", one.port())});
  PushSnapshot(cp, state);
  ASSERT_TRUE(WaitFor([&] { return one.accepted() >= 2; }));
  // The check removed: no more probes.
  state.mutable_services(0)->clear_health_check();
  PushSnapshot(cp, state);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a probe in flight may still land
  const int settled = one.accepted();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(one.accepted(), settled);
}

TEST(HealthChecks, ProbeAgainstTheKernel) {
  LoopbackServer listening;
  health::Target target{.key = {}, .address = net::IpAddress::V4(0x7f000001), .port = listening.port(), .spec = {}};
  health::Probe ok(target);
  pollfd p{.fd = ok.fd(), .events = POLLOUT, .revents = 0};
  if (ok.state() == health::Probe::State::kRunning) {
    ASSERT_EQ(poll(&p, 1, 2000), 1);
    ok.OnReady();
  }
  EXPECT_EQ(ok.state(), health::Probe::State::kSucceeded) << ok.detail();

  const uint16_t closed_port = listening.port();
  listening.Close();
  target.port = closed_port;
  health::Probe refused(target);
  if (refused.state() == health::Probe::State::kRunning) {
    p.fd = refused.fd();
    ASSERT_EQ(poll(&p, 1, 2000), 1);
    refused.OnReady();
  }
  EXPECT_EQ(refused.state(), health::Probe::State::kFailed);
  EXPECT_EQ(refused.detail(), "connect: Connection refused");
}

TEST(HealthChecks, StatusLines) {
  EXPECT_EQ(health::ParseStatusLine("HTTP/1.1 200 OK\r"), 200);
  EXPECT_EQ(health::ParseStatusLine("HTTP/1.0 302"), 302);
  EXPECT_EQ(health::ParseStatusLine("HTTP/1.1 503 Service Unavailable"), 503);
  EXPECT_EQ(health::ParseStatusLine("HTTP/2 200"), -1);
  EXPECT_EQ(health::ParseStatusLine("SSH-2.0-OpenSSH_9.2"), -1);
  EXPECT_EQ(health::ParseStatusLine("HTTP/1.1 20x OK"), -1);
  EXPECT_EQ(health::ParseStatusLine("HTTP/1.1 2000 OK"), -1);
}

TEST(HealthChecks, RiseAndFall) {
  health::RiseFall r(/*rise=*/2, /*fall=*/3);
  EXPECT_TRUE(r.healthy());  // not yet probed
  EXPECT_FALSE(r.Record(false));
  EXPECT_FALSE(r.Record(false));
  EXPECT_FALSE(r.Record(true));  // the run of failures is broken
  EXPECT_FALSE(r.Record(false));
  EXPECT_FALSE(r.Record(false));
  EXPECT_TRUE(r.Record(false));
  EXPECT_FALSE(r.healthy());
  EXPECT_FALSE(r.Record(true));
  EXPECT_FALSE(r.Record(false));
  EXPECT_FALSE(r.Record(true));
  EXPECT_TRUE(r.Record(true));
  EXPECT_TRUE(r.healthy());
}

TEST(HealthChecks, SpecDefaults) {
  v1::HealthCheck h;
  EXPECT_FALSE(health::SpecOf(h).has_value());
  h.set_kind(v1::HealthCheck::NONE);
  EXPECT_FALSE(health::SpecOf(h).has_value());
  h.set_kind(v1::HealthCheck::HTTP);
  const health::CheckSpec d = *health::SpecOf(h);
  EXPECT_EQ(d.interval_ms, 1000u);
  EXPECT_EQ(d.timeout_ms, 500u);
  EXPECT_EQ(d.rise, 2u);
  EXPECT_EQ(d.fall, 2u);
  EXPECT_EQ(d.http_path, "/");
  h.set_interval_ms(200);
  EXPECT_EQ(health::SpecOf(h)->timeout_ms, 200u);  // the default timeout never exceeds the interval
}

TEST(HealthChecks, ValidationNamesTheField) {
  RecordingSink sink;
  server::ControlPlane cp({}, &sink);
  v1::HealthCheck bad;
  bad.set_kind(v1::HealthCheck::HTTP);
  bad.set_interval_ms(50);
  bad.set_timeout_ms(2000);
  bad.set_rise(101);
  bad.set_fall(0);
  bad.set_http_path("/a b");
  bad.set_port(70000);
  v1::PushRequest push;
  *push.mutable_snapshot() = WebState(bad, {});
  const server::PushOutcome out = cp.Push(push);
  EXPECT_EQ(out.status.code(), absl::StatusCode::kInvalidArgument);
  const std::string text(out.status.message());
  EXPECT_THAT(text, HasSubstr("snapshot.services[0].health_check.interval_ms: interval 50 is out of range 100..600000"));
  EXPECT_THAT(text, HasSubstr("snapshot.services[0].health_check.timeout_ms: timeout 2000 is out of range 10..50"));
  EXPECT_THAT(text, HasSubstr("snapshot.services[0].health_check.rise: rise 101 is out of range 1..100"));
  EXPECT_THAT(text, HasSubstr("snapshot.services[0].health_check.http_path: \"/a b\" must start with '/'"));
  EXPECT_THAT(text, HasSubstr("snapshot.services[0].health_check.port: port 70000 is out of range 0..65535"));
  EXPECT_THAT(text, Not(HasSubstr(".fall")));  // 0: the default
}

// Drain: a terminating endpoint gets no new flows (no slots) but stays among the service's backends,
// so the dataplane's flow entries keep its established flows.
TEST(Drain, TerminatingEndpointKeepsItsBackendButNoSlots) {
  RecordingSink sink;
  server::ControlPlane cp({}, &sink);
  v1::Endpoint draining = Loopback("cluster-a", 8001);
  draining.mutable_conditions()->set_terminating(true);
  draining.mutable_conditions()->set_ready(false);
  PushSnapshot(cp, WebState(v1::HealthCheck(), {Loopback("cluster-a", 8000), draining}));
  EXPECT_GT(SlotsOf(sink, 8000), 0);
  EXPECT_EQ(SlotsOf(sink, 8001), 0) << "a terminating endpoint is a backend without slots";
  // Gone for good: deleted from the state, it leaves the backends.
  v1::PushRequest del;
  v1::EndpointRef* ref = del.mutable_delta()->add_delete_endpoints();
  ref->set_service("default/web");
  ref->set_cluster("cluster-a");
  ref->set_address("127.0.0.1");
  ref->set_port(8001);
  ASSERT_TRUE(cp.Push(del).status.ok());
  EXPECT_EQ(SlotsOf(sink, 8001), -1);
}

}  // namespace
}  // namespace causeway::testing
