// Cross-zone cost accounting: the arithmetic of ComputeCosts on known zone-pair counts (same zone
// free, inter-zone and inter-region prices, both directions, top talkers first, aggregates, the
// monthly estimate), the price table's validation, and GetCosts over a real gRPC channel with a fake
// dataplane and a test clock.
#include <grpcpp/grpcpp.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "causeway/v1/api.grpc.pb.h"
#include "controlplane/server/control_plane.h"
#include "controlplane/server/costs.h"
#include "controlplane/server/grpc_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/fixtures.h"

namespace causeway::testing {
namespace {

using ::testing::HasSubstr;
using ZonePair = snapshot::DataplaneStats::ZonePair;

ZonePair Pair(const std::string& client_zone, const std::string& backend_zone, const std::string& cluster,
              const std::string& region, uint64_t bytes, bool to_backend = true, uint64_t packets = 1) {
  return {.client_zone = client_zone,
          .backend_zone = backend_zone,
          .backend_cluster = cluster,
          .backend_region = region,
          .to_backend = to_backend,
          .count = {.packets = packets, .bytes = bytes}};
}

server::CostInputs Inputs(double seconds = 0) {
  server::CostInputs in;
  in.gateway_cluster = "cluster-a";
  in.gateway_region = "us-east-1";
  in.seconds = seconds;
  return in;
}

constexpr uint64_t kGb = 1000000000;

TEST(CostsTest, SameZoneIsFree) {
  const v1::CostsResponse c = server::ComputeCosts({Pair("us-east-1a", "us-east-1a", "cluster-a", "us-east-1", 7 * kGb)}, Inputs());
  ASSERT_EQ(c.zones_size(), 1);
  EXPECT_EQ(c.zones(0).price_class(), v1::CostsResponse::SAME_ZONE);
  EXPECT_EQ(c.zones(0).traffic().bytes(), 7 * kGb);
  EXPECT_EQ(c.zones(0).traffic().cost(), 0);
  EXPECT_EQ(c.total().cost(), 0);
}

TEST(CostsTest, BetweenZonesOfOneRegionPaysInterZoneInEachDirection) {
  const uint64_t n = 123456789012;
  const v1::CostsResponse c = server::ComputeCosts(
      {Pair("us-east-1a", "us-east-1b", "cluster-b", "us-east-1", n, true, 10),
       Pair("us-east-1a", "us-east-1b", "cluster-b", "us-east-1", n / 2, false, 5)},
      Inputs());
  ASSERT_EQ(c.zones_size(), 1);  // both directions in one cell
  const v1::CostsResponse::ZoneRow& r = c.zones(0);
  EXPECT_EQ(r.price_class(), v1::CostsResponse::INTER_ZONE);
  EXPECT_EQ(r.traffic().packets(), 15u);
  EXPECT_EQ(r.traffic().bytes(), n + n / 2);
  EXPECT_EQ(r.traffic().bytes_to_backend(), n);
  EXPECT_EQ(r.traffic().bytes_to_client(), n / 2);
  EXPECT_DOUBLE_EQ(r.traffic().cost(), static_cast<double>(n + n / 2) / 1e9 * 0.01);
  EXPECT_EQ(c.currency(), "USD");
  EXPECT_EQ(c.inter_zone_per_gb(), 0.01);
  EXPECT_EQ(c.inter_region_per_gb(), 0.02);
}

TEST(CostsTest, CrossRegionPaysInterRegionAndPricesComeFromTheTable) {
  server::CostInputs in = Inputs();
  const std::vector<ZonePair> pairs = {Pair("us-east-1a", "eu-west-1a", "cluster-c", "eu-west-1", 3 * kGb),
                                       Pair("us-east-1a", "us-east-1b", "cluster-b", "us-east-1", 2 * kGb)};
  v1::CostsResponse c = server::ComputeCosts(pairs, in);
  ASSERT_EQ(c.zones_size(), 2);
  EXPECT_EQ(c.zones(0).price_class(), v1::CostsResponse::INTER_REGION);
  EXPECT_DOUBLE_EQ(c.zones(0).traffic().cost(), 3 * 0.02);
  EXPECT_DOUBLE_EQ(c.zones(1).traffic().cost(), 2 * 0.01);

  in.prices.set_inter_zone_per_gb(0.5);
  in.prices.set_inter_region_per_gb(2);
  in.prices.set_currency("EUR");
  c = server::ComputeCosts(pairs, in);
  EXPECT_EQ(c.currency(), "EUR");
  EXPECT_DOUBLE_EQ(c.zones(0).traffic().cost(), 3 * 2.0);
  EXPECT_DOUBLE_EQ(c.zones(1).traffic().cost(), 2 * 0.5);
  EXPECT_DOUBLE_EQ(c.total().cost(), 7.0);

  in.prices.set_inter_zone_per_gb(0);  // explicitly free, not the default
  c = server::ComputeCosts(pairs, in);
  EXPECT_EQ(c.zones(1).traffic().cost(), 0);
}

TEST(CostsTest, PriceClasses) {
  using PC = v1::CostsResponse;
  EXPECT_EQ(server::PriceClassOf("a", "a", "r", "r"), PC::SAME_ZONE);
  EXPECT_EQ(server::PriceClassOf("a", "a", "", "r"), PC::SAME_ZONE);  // region unknown: the gateway's
  EXPECT_EQ(server::PriceClassOf("a", "b", "r", "r"), PC::INTER_ZONE);
  EXPECT_EQ(server::PriceClassOf("a", "", "r", "r"), PC::INTER_ZONE);  // zone unknown: priced
  EXPECT_EQ(server::PriceClassOf("a", "a", "s", "r"), PC::INTER_REGION);
}

TEST(CostsTest, TopTalkersFirstAggregatesAndMonthlyEstimate) {
  server::CostInputs in = Inputs(/*seconds=*/3600);
  const std::vector<ZonePair> pairs = {
      Pair("us-east-1b", "eu-west-1a", "cluster-c", "eu-west-1", 1 * kGb),
      Pair("us-east-1a", "us-east-1a", "cluster-a", "us-east-1", 5 * kGb),
      Pair("us-east-1a", "us-east-1b", "cluster-b", "us-east-1", 2 * kGb),
      Pair("us-east-1a", "us-east-1b", "cluster-b", "us-east-1", 1 * kGb, /*to_backend=*/false),
      Pair("us-east-1b", "us-east-1b", "cluster-b", "us-east-1", 4 * kGb),
  };
  v1::CostsResponse c = server::ComputeCosts(pairs, in);
  ASSERT_EQ(c.zones_size(), 4);
  EXPECT_EQ(c.zones(0).traffic().bytes(), 5 * kGb);
  EXPECT_EQ(c.zones(1).traffic().bytes(), 4 * kGb);
  EXPECT_EQ(c.zones(2).traffic().bytes(), 3 * kGb);
  EXPECT_EQ(c.zones(3).traffic().bytes(), 1 * kGb);
  // cluster-a → cluster-b: 3 GB inter-zone + 4 GB same zone = 7 GB, 0.03; cluster-a → cluster-a 5 GB free.
  ASSERT_EQ(c.clusters_size(), 3);
  EXPECT_EQ(c.clusters(0).from(), "cluster-a");
  EXPECT_EQ(c.clusters(0).to(), "cluster-b");
  EXPECT_EQ(c.clusters(0).traffic().bytes(), 7 * kGb);
  EXPECT_DOUBLE_EQ(c.clusters(0).traffic().cost(), 0.03);
  EXPECT_EQ(c.clusters(1).to(), "cluster-a");
  EXPECT_EQ(c.clusters(2).to(), "cluster-c");
  ASSERT_EQ(c.regions_size(), 2);
  EXPECT_EQ(c.regions(0).from(), "us-east-1");
  EXPECT_EQ(c.regions(0).to(), "us-east-1");
  EXPECT_EQ(c.regions(0).traffic().bytes(), 12 * kGb);
  EXPECT_EQ(c.regions(1).to(), "eu-west-1");
  EXPECT_DOUBLE_EQ(c.regions(1).traffic().cost(), 0.02);
  EXPECT_DOUBLE_EQ(c.total().cost(), 0.05);
  EXPECT_EQ(c.total().bytes(), 13 * kGb);
  // 0.05 in an hour → 0.05 × 24 × 30 a month.
  EXPECT_DOUBLE_EQ(c.total().monthly_cost(), 0.05 * 720);
  EXPECT_DOUBLE_EQ(c.zones(2).traffic().monthly_cost(), 0.03 * 720);
  EXPECT_THAT(c.estimate(), HasSubstr("30 days"));

  in.top = 2;
  c = server::ComputeCosts(pairs, in);
  EXPECT_EQ(c.zones_size(), 2);
  EXPECT_DOUBLE_EQ(c.total().cost(), 0.05);  // totals cover every row
}

TEST(CostsTest, NothingCountedYet) {
  const v1::CostsResponse c = server::ComputeCosts({}, Inputs(0));
  EXPECT_EQ(c.zones_size(), 0);
  EXPECT_EQ(c.total().monthly_cost(), 0);
}

TEST(CostsValidationTest, PricesMustBeFiniteAndNonNegative) {
  RecordingSink sink;
  server::ControlPlane cp({}, &sink);
  v1::State s = TwoClusterState();
  s.mutable_gateway()->mutable_costs()->set_inter_zone_per_gb(-0.01);
  s.mutable_gateway()->mutable_costs()->set_inter_region_per_gb(std::numeric_limits<double>::infinity());
  s.mutable_gateway()->mutable_costs()->set_currency("DOUBLOONS");
  const server::PushOutcome out = cp.Push(SnapshotPush(s));
  EXPECT_EQ(out.status.code(), absl::StatusCode::kInvalidArgument);
  const std::string text(out.status.message());
  EXPECT_THAT(text, HasSubstr("snapshot.gateway.costs.inter_zone_per_gb: price -0.01 per GB must be finite and >= 0"));
  EXPECT_THAT(text, HasSubstr("snapshot.gateway.costs.inter_region_per_gb: price inf per GB must be finite and >= 0"));
  EXPECT_THAT(text, HasSubstr("snapshot.gateway.costs.currency: at most 8 characters"));

  s.mutable_gateway()->mutable_costs()->set_inter_zone_per_gb(0);
  s.mutable_gateway()->mutable_costs()->set_inter_region_per_gb(0.09);
  s.mutable_gateway()->mutable_costs()->set_currency("EUR");
  EXPECT_TRUE(cp.Push(SnapshotPush(s)).status.ok());
}

// TwoClusterState plus cluster-c in another region, and the price table.
v1::State ThreeClusterState() {
  v1::State s = TwoClusterState();
  v1::Cluster* c = s.add_clusters();
  c->set_name("cluster-c");
  c->set_id(3);
  c->set_region("eu-west-1");
  c->set_gateway_address("192.0.2.3");
  *s.add_endpoints() = MakeEndpoint("cluster-c", "10.244.3.10", "eu-west-1a");
  return s;
}

TEST(GetCostsTest, OverGrpcWithAFakeDataplane) {
  TestClock clock;
  FakeDataplaneStats stats;
  RecordingSink sink;
  server::ControlPlane cp({.state_dir = "", .dataplane_stats = &stats, .clock = &clock}, &sink);
  ASSERT_TRUE(cp.Push(SnapshotPush(ThreeClusterState())).status.ok());
  stats.zone_pairs = {
      Pair("us-east-1a", "us-east-1a", "cluster-a", "us-east-1", 5 * kGb, true, 5000),
      Pair("us-east-1b", "us-east-1a", "cluster-b", "us-east-1", 2 * kGb, true, 2000),
      Pair("us-east-1b", "us-east-1a", "cluster-b", "us-east-1", 1 * kGb, false, 1000),
      Pair("us-east-1a", "eu-west-1a", "cluster-c", "eu-west-1", 1 * kGb, true, 1000),
  };
  clock.Advance(absl::Hours(24));

  TempDir dir;
  server::ServerOptions options;
  options.listen = "unix:" + dir.path() + "/causeway.sock";
  absl::StatusOr<server::RunningServer> running = server::StartServer(options, &cp);
  ASSERT_TRUE(running.ok()) << running.status();
  auto stub = v1::Causeway::NewStub(grpc::CreateChannel(options.listen, grpc::InsecureChannelCredentials()));

  grpc::ClientContext context;
  v1::CostsResponse c;
  ASSERT_TRUE(stub->GetCosts(&context, v1::CostsRequest(), &c).ok());
  EXPECT_TRUE(c.dataplane());
  EXPECT_EQ(c.version(), 1u);
  EXPECT_EQ(c.gateway_cluster(), "cluster-a");
  EXPECT_EQ(c.gateway_region(), "us-east-1");
  EXPECT_DOUBLE_EQ(c.seconds(), 86400);
  ASSERT_EQ(c.zones_size(), 3);
  EXPECT_EQ(c.zones(0).backend_cluster(), "cluster-a");
  EXPECT_EQ(c.zones(0).price_class(), v1::CostsResponse::SAME_ZONE);
  EXPECT_EQ(c.zones(1).client_zone(), "us-east-1b");
  EXPECT_EQ(c.zones(1).backend_zone(), "us-east-1a");
  EXPECT_EQ(c.zones(1).traffic().packets(), 3000u);
  EXPECT_DOUBLE_EQ(c.zones(1).traffic().cost(), 0.03);
  EXPECT_EQ(c.zones(2).price_class(), v1::CostsResponse::INTER_REGION);
  EXPECT_DOUBLE_EQ(c.zones(2).traffic().cost(), 0.02);
  EXPECT_DOUBLE_EQ(c.total().cost(), 0.05);
  EXPECT_DOUBLE_EQ(c.total().monthly_cost(), 0.05 * 30);  // a day counted

  // A price table pushed with the gateway applies at once.
  v1::State priced = ThreeClusterState();
  priced.mutable_gateway()->mutable_costs()->set_inter_zone_per_gb(0.1);
  priced.mutable_gateway()->mutable_costs()->set_currency("EUR");
  ASSERT_TRUE(cp.Push(SnapshotPush(priced)).status.ok());
  grpc::ClientContext context2;
  v1::CostsRequest top1;
  top1.set_top(1);
  ASSERT_TRUE(stub->GetCosts(&context2, top1, &c).ok());
  EXPECT_EQ(c.currency(), "EUR");
  EXPECT_EQ(c.zones_size(), 1);
  EXPECT_DOUBLE_EQ(c.total().cost(), 0.3 + 0.02);
  running->server->Shutdown();
}

TEST(GetCostsTest, WithoutADataplaneNothingIsCounted) {
  ServerHarness h;
  grpc::ClientContext context;
  v1::CostsResponse c;
  ASSERT_TRUE(h.Client()->GetCosts(&context, v1::CostsRequest(), &c).ok());
  EXPECT_FALSE(c.dataplane());
  EXPECT_EQ(c.zones_size(), 0);
  EXPECT_EQ(c.currency(), "USD");
}

}  // namespace
}  // namespace causeway::testing
