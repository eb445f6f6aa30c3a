// causewayctl's pieces that need no server: the push it builds, its tables, its exit codes.
#include <sstream>

#include "controlplane/config/config_file.h"
#include "controlplane/ctl/apply_command.h"
#include "controlplane/ctl/client.h"
#include "controlplane/ctl/costs_command.h"
#include "controlplane/ctl/exit_codes.h"
#include "controlplane/ctl/get_command.h"
#include "controlplane/ctl/output.h"
#include "controlplane/ctl/problem_location.h"
#include "controlplane/ctl/watch_command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace causeway::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

v1::State SmallState(bool with_gateway) {
  absl::StatusOr<v1::State> state = config::ParseStateYaml(
      "clusters: [{name: a, id: 1}]\n"
      "services: [{namespace: default, name: web, frontends: [{vip: 10.96.0.1, port: 80, protocol: TCP}]}]\n"
      "endpoints: [{service: default/web, cluster: a, address: 10.244.0.5, port: 8080}]\n");
  EXPECT_TRUE(state.ok()) << state.status();
  if (with_gateway) state->mutable_gateway()->set_cluster("a");
  return *state;
}

// kubectl apply: upserts of what the file lists; nothing deleted, the gateway only when given.
TEST(BuildApplyRequest, DeltaUpsertsEverythingListed) {
  const v1::PushRequest r = BuildApplyRequest(SmallState(false), /*replace=*/false, "v7");
  EXPECT_EQ(r.source(), kPushSource);
  EXPECT_EQ(r.version_info(), "v7");
  ASSERT_TRUE(r.has_delta());
  EXPECT_FALSE(r.delta().has_gateway());
  EXPECT_EQ(r.delta().upsert_clusters_size(), 1);
  EXPECT_EQ(r.delta().upsert_services_size(), 1);
  EXPECT_EQ(r.delta().upsert_endpoints_size(), 1);
  EXPECT_EQ(r.delta().delete_clusters_size() + r.delta().delete_services_size() +
                r.delta().delete_endpoints_size(),
            0);
  EXPECT_EQ(r.base_version(), 0u);
}

TEST(BuildApplyRequest, DeltaCarriesTheGatewayWhenTheFileHasOne) {
  const v1::PushRequest r = BuildApplyRequest(SmallState(true), /*replace=*/false, "");
  ASSERT_TRUE(r.delta().has_gateway());
  EXPECT_EQ(r.delta().gateway().cluster(), "a");
}

TEST(BuildApplyRequest, ReplaceSendsTheFileAsSnapshot) {
  const v1::State state = SmallState(true);
  const v1::PushRequest r = BuildApplyRequest(state, /*replace=*/true, "");
  ASSERT_TRUE(r.has_snapshot());
  EXPECT_EQ(r.snapshot().SerializeAsString(), state.SerializeAsString());
}

// A refusal's field path points back at the file: the push keeps the file's order, and keys name
// the file's items.
class ProblemLocationTest : public ::testing::Test {
 protected:
  std::string Locate(absl::string_view problem) {
    return ProblemLocation(problem, *state_, lines_, "f.yaml");
  }
  static constexpr char kText[] =
      "gateway: {cluster: a}\n"
      "clusters: [{name: a, id: 1}]\n"
      "services:\n"
      "  - {namespace: default, name: web}\n"
      "endpoints:\n"
      "  - {service: default/web, cluster: a, address: 10.0.0.1, port: 80}\n"
      "\n"
      "  - service: default/web\n"
      "    cluster: b\n"
      "    address: fd00::1\n"
      "    port: 0\n";
  absl::StatusOr<v1::State> state_ = config::ParseStateYaml(kText);
  config::SourceLines lines_ = config::SourceLines::Index(kText);
};

TEST_F(ProblemLocationTest, ByIndexInThePush) {
  ASSERT_TRUE(state_.ok()) << state_.status();
  EXPECT_EQ(Locate("delta.upsert_endpoints[1].port: out of range"), "  (f.yaml:8)");
  EXPECT_EQ(Locate("snapshot.endpoints[0].address: bad"), "  (f.yaml:6)");
  EXPECT_EQ(Locate("delta.upsert_services[0].frontends: none"), "  (f.yaml:4)");
  EXPECT_EQ(Locate("delta.gateway.cluster: unknown"), "  (f.yaml:1)");
}

TEST_F(ProblemLocationTest, ByKeyAcrossTheState) {
  EXPECT_EQ(Locate("endpoints[\"default/web\", b/fd00::1:0].cluster: unknown cluster \"b\""),
            "  (f.yaml:8)");
  EXPECT_EQ(Locate("clusters[\"a\"].id: reused"), "  (f.yaml:2)");
  EXPECT_EQ(Locate("services[\"default/web\"]: VIP claimed twice"), "  (f.yaml:4)");
  EXPECT_EQ(Locate("gateway.cluster: unknown cluster"), "  (f.yaml:1)");
}

// What the file does not list, or paths of another shape, get no location.
TEST_F(ProblemLocationTest, NothingForWhatTheFileDoesNotHave) {
  EXPECT_EQ(Locate("delta.upsert_endpoints[2].port: x"), "");
  EXPECT_EQ(Locate("delta.delete_services[0]: x"), "");
  EXPECT_EQ(Locate("endpoints[\"default/web\", c/10.0.0.9:80].cluster: x"), "");
  EXPECT_EQ(Locate("clusters[\"zz\"].id: x"), "");
  EXPECT_EQ(Locate("delta.upsert_endpoints[x]: x"), "");
  EXPECT_EQ(Locate("endpoints[\"broken"), "");
  EXPECT_EQ(Locate("oversized message"), "");
}

TEST(SourceLines, UnparsableTextKnowsNothing) {
  const config::SourceLines lines = config::SourceLines::Index("endpoints: [\n");
  EXPECT_FALSE(lines.ItemLine("endpoints", 0).has_value());
  EXPECT_FALSE(lines.FieldLine("endpoints").has_value());
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Table, ColumnsAreAligned) {
  Table t({"A", "LONGER"});
  t.AddRow({"xxxx", "y"});
  t.AddRow({"z", ""});
  std::ostringstream out;
  t.Print(out);
  EXPECT_THAT(Lines(out.str()), ElementsAre("A     LONGER", "xxxx  y", "z     "));
}

TEST(PrintServicesTable, ShowsEffectiveDefaultsAndTables) {
  v1::ListServicesResponse r;
  v1::ServiceStatus* s = r.add_services();
  *s->mutable_service() = SmallState(false).services(0);
  s->mutable_service()->set_affinity(v1::LOCAL);
  s->set_endpoints(3);
  s->set_tables(2);
  s->add_table_sizes(509);
  s->add_table_sizes(509);
  std::ostringstream out;
  PrintServicesTable(r, out);
  const auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("SERVICE"));
  // Unspecified scope, distribution and forwarding print as what they mean.
  EXPECT_THAT(lines[1], HasSubstr("default/web  10.96.0.1:80/TCP  GLOBAL  LOCAL"));
  EXPECT_THAT(lines[1], HasSubstr("DEFAULT       IPIP"));
  EXPECT_THAT(lines[1], HasSubstr("2 (509,509)  KEEP       -"));
}

TEST(PrintServicesTable, ShowsPartitionPolicyAndWriter) {
  v1::ListServicesResponse r;
  v1::Service* s = r.add_services()->mutable_service();
  *s = SmallState(false).services(0);
  s->set_partition_policy(v1::SAFE_MODE);
  s->mutable_writer()->set_cluster("cluster-b");
  s->mutable_writer()->set_fencing_token(7);
  s->mutable_writer()->add_write_ports(5432);
  std::ostringstream out;
  PrintServicesTable(r, out);
  EXPECT_THAT(out.str(), HasSubstr("SAFE_MODE  cluster-b #7 ports 5432"));
}

TEST(PrintEndpointsTable, ReadsConditionsLikeKubeProxy) {
  v1::ListEndpointsResponse r;
  v1::Endpoint* ready = r.add_endpoints();
  *ready = SmallState(false).endpoints(0);
  v1::Endpoint* leaving = r.add_endpoints();
  *leaving = *ready;
  leaving->mutable_conditions()->set_terminating(true);
  leaving->set_weight(0);
  leaving->set_exported(false);
  std::ostringstream out;
  PrintEndpointsTable(r, out);
  const auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[1], HasSubstr("10.244.0.5:8080"));
  EXPECT_THAT(lines[1], HasSubstr("1       ready        HEALTHY  yes"));
  EXPECT_THAT(lines[2], HasSubstr("0       terminating  HEALTHY  no"));
}

TEST(PrintClustersTable, DashForNoGateway) {
  v1::ListClustersResponse r;
  v1::ClusterStatus* c = r.add_clusters();
  c->mutable_cluster()->set_name("a");
  c->mutable_cluster()->set_id(1);
  c->set_endpoints(4);
  std::ostringstream out;
  PrintClustersTable(r, out);
  EXPECT_THAT(Lines(out.str()),
              ElementsAre("CLUSTER  ID  REGION  GATEWAY  ENDPOINTS  FRESHNESS  RENEWED  TTL  HOLD-DOWN  PARTITION POLICIES",
                          "a        1   -       -        4          -          -        -    -          -"));
}

TEST(PrintClustersTable, FreshnessLeaseAndPolicies) {
  v1::ListClustersResponse r;
  auto add = [&r](const std::string& name, v1::ClusterStatus::Freshness freshness, uint32_t ttl_ms) {
    v1::ClusterStatus* c = r.add_clusters();
    c->mutable_cluster()->set_name(name);
    c->mutable_cluster()->set_id(r.clusters_size());
    c->mutable_cluster()->set_lease_ttl_ms(ttl_ms);
    c->set_freshness(freshness);
    return c;
  };
  (*add("cluster-a", v1::ClusterStatus::LOCAL, 0)->mutable_services_by_policy())["KEEP"] = 2;
  v1::ClusterStatus* b = add("cluster-b", v1::ClusterStatus::STALE, 5000);
  b->set_renewed_ms_ago(12300);
  b->set_stale_for_ms(7300);
  (*b->mutable_services_by_policy())["SAFE_MODE"] = 1;
  (*b->mutable_services_by_policy())["KEEP"] = 1;
  b->set_writer_of(1);
  v1::ClusterStatus* c = add("cluster-c", v1::ClusterStatus::HOLDING_DOWN, 2000);
  c->mutable_cluster()->set_hold_down_ms(0);
  c->set_renewed_ms_ago(400);
  c->set_hold_down_left_ms(4000);
  std::ostringstream out;
  PrintClustersTable(r, out);
  const auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[1], HasSubstr("local                     -          -     -          KEEP 2"));
  EXPECT_THAT(lines[2], HasSubstr("stale for 7.3s            12.3s ago  5.0s  15.0s      KEEP 1, SAFE_MODE 1, writer of 1"));
  EXPECT_THAT(lines[3], HasSubstr("holding down (4.0s left)  400ms ago  2.0s  0ms        -"));
}

TEST(PrintCostsTable, RowsAggregatesTotalAndEstimate) {
  v1::CostsResponse c;
  c.set_currency("USD");
  c.set_inter_zone_per_gb(0.01);
  c.set_inter_region_per_gb(0.02);
  c.set_gateway_cluster("cluster-a");
  c.set_gateway_region("us-east-1");
  c.set_seconds(3600);
  c.set_dataplane(true);
  v1::CostsResponse::ZoneRow* r = c.add_zones();
  r->set_client_zone("us-east-1a");
  r->set_backend_zone("us-east-1b");
  r->set_backend_cluster("cluster-b");
  r->set_backend_region("us-east-1");
  r->set_price_class(v1::CostsResponse::INTER_ZONE);
  r->mutable_traffic()->set_packets(30);
  r->mutable_traffic()->set_bytes(3000000000);
  r->mutable_traffic()->set_bytes_to_backend(2000000000);
  r->mutable_traffic()->set_bytes_to_client(1000000000);
  r->mutable_traffic()->set_cost(0.03);
  r->mutable_traffic()->set_monthly_cost(21.6);
  v1::CostsResponse::Aggregate* a = c.add_clusters();
  a->set_from("cluster-a");
  a->set_to("cluster-b");
  *a->mutable_traffic() = r->traffic();
  *c.mutable_total() = r->traffic();
  c.set_estimate("monthly = ...");
  std::ostringstream out;
  PrintCosts(c, out);
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("prices: inter-zone 0.01 USD/GB, inter-region 0.02 USD/GB, each direction; same zone free\n"));
  EXPECT_THAT(text, HasSubstr("clients: cluster cluster-a, region us-east-1; counted for 3600 s\n"));
  EXPECT_THAT(text, HasSubstr("CLIENT ZONE  BACKEND ZONE  CLUSTER    REGION     PRICE       PACKETS  BYTES       TO BACKEND  TO CLIENT   COST USD  MONTHLY USD\n"));
  EXPECT_THAT(text, HasSubstr("us-east-1a   us-east-1b    cluster-b  us-east-1  inter-zone  30       3000000000  2000000000  1000000000  0.0300    21.6000\n"));
  EXPECT_THAT(text, HasSubstr("cluster-a -> cluster-b  30       3000000000  0.0300    21.6000\n"));
  EXPECT_THAT(text, HasSubstr("total: 30 packets, 3000000000 bytes, cost so far 0.0300 USD, estimated 21.6000 USD/month\n"));
  EXPECT_THAT(text, HasSubstr("estimate: monthly = ...\n"));
  EXPECT_THAT(text, Not(HasSubstr("no dataplane")));
}

TEST(PrintWatchEvent, JsonIsOneLinePerEvent) {
  v1::WatchEvent e;
  e.set_version(5);
  e.add_changes("service default/web");
  std::ostringstream out;
  PrintWatchEvent(e, Format::kJson, out);
  EXPECT_EQ(out.str(), "{\"version\":\"5\",\"changes\":[\"service default/web\"]}\n");
}

ClientOptions Options(std::string server, std::string ca = "", std::string cert = "") {
  ClientOptions o;
  o.server = std::move(server);
  o.ca = std::move(ca);
  o.cert = std::move(cert);
  return o;
}

class ReportFailureTest : public ::testing::Test {
 protected:
  Client client_ = *Client::Connect(Options("unix:/nonexistent.sock"));
  std::ostringstream err_;
};

TEST_F(ReportFailureTest, UnavailableIsUnreachable) {
  EXPECT_EQ(client_.ReportFailure(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
                                  "x", err_),
            kExitUnreachable);
  EXPECT_EQ(err_.str(),
            "causewayctl: cannot reach causewayd at unix:/nonexistent.sock: connection refused\n");
}

TEST_F(ReportFailureTest, DeadlineIsUnreachable) {
  EXPECT_EQ(client_.ReportFailure(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""), "x", err_),
            kExitUnreachable);
  EXPECT_THAT(err_.str(), HasSubstr("no answer within 10s"));
}

// A validation NACK: every problem line of the status message on its own line.
TEST_F(ReportFailureTest, RefusalPrintsEveryProblem) {
  EXPECT_EQ(client_.ReportFailure(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                               "delta.upsert_endpoints[0].port: 0 is not 1..65535\n"
                                               "delta.upsert_endpoints[1].cluster: unknown cluster \"zz\""),
                                  "the change", err_),
            kExitRefused);
  EXPECT_THAT(Lines(err_.str()),
              ElementsAre("causewayctl: causewayd refused the change (INVALID_ARGUMENT):",
                          "  delta.upsert_endpoints[0].port: 0 is not 1..65535",
                          "  delta.upsert_endpoints[1].cluster: unknown cluster \"zz\""));
}

TEST(ClientConnect, FlagsThatDoNotFit) {
  EXPECT_FALSE(Client::Connect(Options("")).ok());
  EXPECT_THAT(Client::Connect(Options("x", "", "c.pem")).status().message(),
              HasSubstr("need --ca"));
  EXPECT_THAT(Client::Connect(Options("x", "/nonexistent/ca.pem")).status().message(),
              HasSubstr("--ca: /nonexistent/ca.pem"));
}

TEST(DefaultServer, FromEnvironment) {
  setenv("CAUSEWAY_SERVER", "127.0.0.1:9", 1);
  EXPECT_EQ(DefaultServer(), "127.0.0.1:9");
  unsetenv("CAUSEWAY_SERVER");
  EXPECT_EQ(DefaultServer(), kDefaultServer);
}

}  // namespace
}  // namespace causeway::ctl
