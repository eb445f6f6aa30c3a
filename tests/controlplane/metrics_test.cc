// /metrics: the Prometheus text exposition (escaping), and causewayd's page served by the real HTTP
// listener on a loopback socket with a fake dataplane, checked line by line and by a real parser
// (`promtool check metrics`, from Debian's prometheus package; skipped when it is not installed).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "controlplane/metrics/exposition.h"
#include "controlplane/metrics/http_listener.h"
#include "controlplane/metrics/metrics_page.h"
#include "controlplane/server/control_plane.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/fixtures.h"

namespace causeway::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(ExpositionTest, LabelValuesAreEscaped) {
  EXPECT_EQ(metrics::EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(metrics::EscapeLabelValue("a\"b"), "a\\\"b");
  EXPECT_EQ(metrics::EscapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(metrics::EscapeLabelValue("a\nb"), "a\\nb");
  EXPECT_EQ(metrics::EscapeHelp("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");

  metrics::Exposition e;
  e.Family("x_total", "counter", "An example.");
  e.Sample("x_total", {{"a", "q\"\\"}, {"b", ""}}, uint64_t{3});
  e.Sample("x_total", {}, 0.25);
  EXPECT_EQ(e.text(),
            "# HELP x_total An example.\n# TYPE x_total counter\n"
            "x_total{a=\"q\\\"\\\\\",b=\"\"} 3\nx_total 0.25\n");
}

// GET `path` from 127.0.0.1:port; the whole response (HTTP/1.0: until the server closes).
std::string HttpGet(int port, const std::string& path, const std::string& method = "GET") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return "connect failed";
  }
  const std::string request = absl::StrCat(method, " ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, static_cast<size_t>(n));
  close(fd);
  return response;
}

std::string Body(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cp_ = std::make_unique<server::ControlPlane>(
        server::ControlPlane::Options{.state_dir = "", .dataplane_stats = &stats_, .clock = &clock_}, &sink_);
    ASSERT_TRUE(cp_->Push(SnapshotPush(TwoClusterState())).status.ok());
    // Known numbers on the published snapshot's ids.
    const auto snapshot = sink_.last();
    ASSERT_NE(snapshot, nullptr);
    ASSERT_EQ(snapshot->services.size(), 1u);
    const snapshot::CompiledService& svc = snapshot->services[0];
    stats_.counters = {{"rx", 100}, {"forwarded_new_flow", 60}, {"drop_no_vip", 7}};
    stats_.services[svc.id] = {.packets = 90, .bytes = 9000};
    for (const snapshot::Backend& b : svc.backends) {
      if (b.cluster == "cluster-b" && b.zone == "us-east-1b") {
        stats_.backends[b.id] = {.packets = 40, .bytes = 4000};
        cluster_b_backend_ = b.address.ToString();
      }
    }
    stats_.backends[99999] = {.packets = 1, .bytes = 1};  // a backend that left the snapshot: not shown
    stats_.zone_pairs = {
        {.client_zone = "us-east-1a", .backend_zone = "us-east-1b", .backend_cluster = "cluster-b",
         .backend_region = "us-east-1", .to_backend = true, .count = {.packets = 40, .bytes = 2000000000}},
        {.client_zone = "us-east-1a", .backend_zone = "us-east-1b", .backend_cluster = "cluster-b",
         .backend_region = "us-east-1", .to_backend = false, .count = {.packets = 30, .bytes = 1000000000}},
        // A zone name no validation would let through: quotes, backslash, newline.
        {.client_zone = "we\"ird\\zone\nx", .backend_zone = "us-east-1a", .backend_cluster = "cluster-a",
         .backend_region = "us-east-1", .to_backend = true, .count = {.packets = 1, .bytes = 100}},
    };
    clock_.Advance(absl::Hours(1));
    absl::StatusOr<std::unique_ptr<metrics::MetricsListener>> l =
        metrics::MetricsListener::Start("127.0.0.1:0", [this] { return metrics::RenderMetrics(*cp_); });
    ASSERT_TRUE(l.ok()) << l.status();
    listener_ = *std::move(l);
  }

  TestClock clock_;
  FakeDataplaneStats stats_;
  RecordingSink sink_;
  std::unique_ptr<server::ControlPlane> cp_;
  std::unique_ptr<metrics::MetricsListener> listener_;
  std::string cluster_b_backend_;
};

TEST_F(MetricsTest, ServesThePageOverHttp) {
  const std::string response = HttpGet(listener_->port(), "/metrics");
  EXPECT_THAT(response, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  const std::string body = Body(response);
  EXPECT_THAT(response, HasSubstr(absl::StrCat("Content-Length: ", body.size(), "\r\n")));

  EXPECT_THAT(body, HasSubstr("# TYPE causeway_dataplane_packets_total counter\n"));
  EXPECT_THAT(body, HasSubstr("causeway_dataplane_packets_total{counter=\"drop_no_vip\"} 7\n"));
  EXPECT_THAT(body, HasSubstr("causeway_service_packets_total{service=\"default/rebel-base\",vip=\"10.96.0.10\"} 90\n"));
  EXPECT_THAT(body, HasSubstr("causeway_service_bytes_total{service=\"default/rebel-base\",vip=\"10.96.0.10\"} 9000\n"));
  EXPECT_THAT(body, HasSubstr(absl::StrCat("causeway_backend_bytes_total{service=\"default/rebel-base\",cluster=\"cluster-b\",address=\"",
                                           cluster_b_backend_, "\",port=\"80\",zone=\"us-east-1b\"} 4000\n")));
  EXPECT_THAT(body, Not(HasSubstr("} 1\ncauseway_backend_bytes_total")));  // the unknown id 99999
  EXPECT_THAT(body, HasSubstr("causeway_zone_pair_bytes_total{client_zone=\"us-east-1a\",backend_zone=\"us-east-1b\","
                              "backend_cluster=\"cluster-b\",backend_region=\"us-east-1\",direction=\"to_backend\"} 2000000000\n"));
  EXPECT_THAT(body, HasSubstr("direction=\"to_client\"} 1000000000\n"));
  // The escaped label survives as one line.
  EXPECT_THAT(body, HasSubstr("causeway_zone_pair_bytes_total{client_zone=\"we\\\"ird\\\\zone\\nx\",backend_zone=\"us-east-1a\""));
  // 3 GB + 100 bytes inter-zone at $0.01/GB in one hour: 0.030000001 so far, × 720 a month.
  EXPECT_THAT(body, HasSubstr("causeway_cross_zone_cost{currency=\"USD\"} 0.030000001\n"));
  EXPECT_THAT(body, HasSubstr("causeway_cross_zone_cost_monthly_estimate{currency=\"USD\"} 21.60000072\n"));
  EXPECT_THAT(body, HasSubstr("causeway_cluster_fresh{cluster=\"cluster-a\"} 1\n"));
  EXPECT_THAT(body, HasSubstr("causeway_cluster_fresh{cluster=\"cluster-b\"} 1\n"));
  EXPECT_THAT(body, HasSubstr("causeway_cluster_renewal_age_seconds{cluster=\"cluster-b\"} 3600\n"));
  EXPECT_THAT(body, HasSubstr("causeway_control_plane_version 1\n"));
  EXPECT_THAT(body, HasSubstr("causeway_pushes_total{result=\"accepted\"} 1\n"));
  EXPECT_THAT(body, HasSubstr("causeway_pushes_total{result=\"rejected\"} 0\n"));
}

TEST_F(MetricsTest, StaleClusterIsNotFresh) {
  v1::State s = TwoClusterState();
  s.mutable_clusters(1)->set_lease_ttl_ms(5000);
  ASSERT_TRUE(cp_->Push(SnapshotPush(s)).status.ok());
  clock_.Advance(absl::Seconds(6));
  cp_->CheckLeases();
  const std::string body = Body(HttpGet(listener_->port(), "/metrics"));
  EXPECT_THAT(body, HasSubstr("causeway_cluster_fresh{cluster=\"cluster-b\"} 0\n"));
  EXPECT_THAT(body, HasSubstr("causeway_cluster_renewal_age_seconds{cluster=\"cluster-b\"} 6\n"));
}

TEST_F(MetricsTest, OtherPathsAndMethods) {
  EXPECT_THAT(HttpGet(listener_->port(), "/"), StartsWith("HTTP/1.0 404 Not Found\r\n"));
  EXPECT_THAT(HttpGet(listener_->port(), "/metrics", "POST"), StartsWith("HTTP/1.0 405 "));
  const std::string head = HttpGet(listener_->port(), "/metrics", "HEAD");
  EXPECT_THAT(head, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_EQ(Body(head), "");
  EXPECT_THAT(HttpGet(listener_->port(), "/metrics?x=1"), StartsWith("HTTP/1.0 200 OK\r\n"));
}

TEST(MetricsListenerTest, BadAddresses) {
  auto render = [] { return std::string(); };
  EXPECT_FALSE(metrics::MetricsListener::Start("127.0.0.1", render).ok());
  EXPECT_FALSE(metrics::MetricsListener::Start("localhost:9100", render).ok());
  EXPECT_FALSE(metrics::MetricsListener::Start("127.0.0.1:70000", render).ok());
  absl::StatusOr<std::unique_ptr<metrics::MetricsListener>> v6 = metrics::MetricsListener::Start("[::1]:0", render);
  if (v6.ok()) {  // hosts without IPv6 loopback: not an error of ours
    EXPECT_GT((*v6)->port(), 0);
  }
}

TEST_F(MetricsTest, PromtoolAcceptsThePage) {
  const char* promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool)) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus): the page was not checked by a real parser";
  }
  TempDir dir;
  const std::string page = dir.path() + "/metrics.txt";
  std::ofstream(page) << Body(HttpGet(listener_->port(), "/metrics"));
  const std::string command = absl::StrCat(promtool, " check metrics < ", page, " 2>&1");
  FILE* p = popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buffer[1024];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), p)) > 0) output.append(buffer, n);
  const int status = pclose(p);
  EXPECT_EQ(status, 0) << "promtool check metrics:\n" << output;
  EXPECT_EQ(output, "") << "lint problems";
}

}  // namespace
}  // namespace causeway::testing
