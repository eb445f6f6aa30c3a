// The gRPC API through a real server on a unix socket, talked to with the generated client: push and
// read back, every validation case refused with its reason and nothing changed, deltas, versions,
// the compiled snapshot, explain, stats, watch, health and reflection, oversized messages.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/controlplane/fixtures.h"

namespace causeway::testing {
namespace {

using ::testing::HasSubstr;

v1::PushRequest Snapshot(const v1::State& s, const std::string& version_info = "v1") {
  v1::PushRequest p;
  p.set_source("test");
  p.set_version_info(version_info);
  *p.mutable_snapshot() = s;
  return p;
}

v1::PushRequest DeltaPush(const v1::Delta& d, uint64_t base = 0) {
  v1::PushRequest p;
  p.set_source("test");
  p.set_version_info("delta");
  *p.mutable_delta() = d;
  p.set_base_version(base);
  return p;
}

grpc::Status Push(v1::Causeway::Stub& stub, const v1::PushRequest& p, v1::PushResponse* r = nullptr) {
  grpc::ClientContext ctx;
  v1::PushResponse ignored;
  return stub.Push(&ctx, p, r ? r : &ignored);
}

v1::ListEndpointsResponse Endpoints(v1::Causeway::Stub& stub) {
  grpc::ClientContext ctx;
  v1::ListEndpointsResponse r;
  EXPECT_TRUE(stub.ListEndpoints(&ctx, v1::ListEndpointsRequest(), &r).ok());
  return r;
}

class GrpcApi : public ::testing::Test {
 protected:
  ServerHarness h;
  std::unique_ptr<v1::Causeway::Stub> stub = h.Client();
};

TEST_F(GrpcApi, PushSnapshotAndReadBack) {
  v1::PushResponse r;
  ASSERT_TRUE(Push(*stub, Snapshot(TwoClusterState()), &r).ok());
  EXPECT_EQ(r.version(), 1u);
  EXPECT_EQ(r.version_info(), "v1");

  grpc::ClientContext ctx;
  v1::ListServicesResponse services;
  ASSERT_TRUE(stub->ListServices(&ctx, v1::ListRequest(), &services).ok());
  ASSERT_EQ(services.services_size(), 1);
  EXPECT_EQ(services.services(0).service().name(), "rebel-base");
  EXPECT_EQ(services.services(0).endpoints(), 4u);
  EXPECT_EQ(services.services(0).tables(), 1u);
  EXPECT_EQ(services.services(0).table_sizes(0), 509u);  // 4 endpoints → smallest listed prime ≥ 400

  grpc::ClientContext cctx;
  v1::ListClustersResponse clusters;
  ASSERT_TRUE(stub->ListClusters(&cctx, v1::ListRequest(), &clusters).ok());
  ASSERT_EQ(clusters.clusters_size(), 2);
  EXPECT_EQ(clusters.clusters(1).cluster().gateway_address(), "192.0.2.2");
  EXPECT_EQ(clusters.clusters(1).endpoints(), 2u);

  EXPECT_EQ(Endpoints(*stub).endpoints_size(), 4);
  grpc::ClientContext gctx;
  v1::GetServiceRequest get;
  get.set_service("default/rebel-base");
  v1::Service svc;
  ASSERT_TRUE(stub->GetService(&gctx, get, &svc).ok());
  EXPECT_EQ(svc.frontends(0).vip(), "10.96.0.10");
  // The whole state reads back as pushed, gateway included.
  grpc::ClientContext sctx;
  v1::State state;
  ASSERT_TRUE(stub->GetState(&sctx, v1::GetStateRequest(), &state).ok());
  EXPECT_EQ(state.gateway().cluster(), "cluster-a");
  EXPECT_EQ(state.clusters_size(), 2);
  EXPECT_EQ(state.endpoints_size(), 4);
  grpc::ClientContext nctx;
  get.set_service("default/nope");
  EXPECT_EQ(stub->GetService(&nctx, get, &svc).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcApi, SnapshotCompiledForTheDataplane) {
  ASSERT_TRUE(Push(*stub, Snapshot(TwoClusterState())).ok());
  std::shared_ptr<const snapshot::CompiledSnapshot> s = h.sink.last();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->version, 1u);
  EXPECT_EQ(s->gateway.cluster, "cluster-a");
  EXPECT_EQ(s->gateway.cluster_id, 1u);
  ASSERT_EQ(s->gateway.peer_gateways.size(), 1u);
  EXPECT_EQ(s->gateway.peer_gateways[0].ToString(), "192.0.2.2");
  EXPECT_EQ(s->zones, (std::vector<std::string>{"us-east-1a", "us-east-1b"}));
  ASSERT_EQ(s->client_zones.size(), 1u);
  EXPECT_EQ(s->client_zones[0].zone, 1);
  ASSERT_EQ(s->services.size(), 1u);
  const snapshot::CompiledService& svc = s->services[0];
  ASSERT_EQ(svc.backends.size(), 4u);
  // Island mode: 10.244.1.10 twice, told apart by cluster; remote ones go through cluster b's gateway.
  int remote = 0;
  for (const snapshot::Backend& b : svc.backends) {
    if (b.cluster == "cluster-b") {
      ++remote;
      EXPECT_FALSE(b.local);
      EXPECT_EQ(b.next_hop.ToString(), "192.0.2.2");
      EXPECT_EQ(b.cluster_id, 2u);
    } else {
      EXPECT_TRUE(b.local);
      EXPECT_EQ(b.next_hop, b.address);
    }
  }
  EXPECT_EQ(remote, 2);
  ASSERT_EQ(svc.tables.size(), 1u);
  EXPECT_EQ(svc.tables[0].slots.size(), 509u);
  EXPECT_EQ(svc.zone_table, (std::vector<uint16_t>{0, 0}));
  std::vector<int> per_backend(4, 0);
  for (uint16_t slot : svc.tables[0].slots) ++per_backend[slot];
  for (int n : per_backend) EXPECT_NEAR(n, 509 / 4.0, 1.0);
}

// Each case: a mutation of the valid two-cluster state, and a line its rejection must contain.
struct Invalid {
  std::string name;
  std::function<void(v1::State&)> mutate;
  std::string want;
};

void PrintTo(const Invalid& c, std::ostream* os) { *os << c.name; }

class Validation : public ::testing::TestWithParam<Invalid> {
 protected:
  ServerHarness h;
  std::unique_ptr<v1::Causeway::Stub> stub = h.Client();
};

TEST_P(Validation, RefusedWithItsReasonAndNothingChanges) {
  ASSERT_TRUE(Push(*stub, Snapshot(TwoClusterState())).ok());
  const int published = h.sink.count();
  v1::State bad = TwoClusterState();
  GetParam().mutate(bad);
  v1::PushResponse r;
  const grpc::Status status = Push(*stub, Snapshot(bad, "bad"), &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr(GetParam().want));
  EXPECT_EQ(h.sink.count(), published);
  EXPECT_EQ(Endpoints(*stub).endpoints_size(), 4);
  EXPECT_EQ(h.control_plane->version(), 1u);
  EXPECT_EQ(h.control_plane->SourceVersion("test"), "v1");
}

std::vector<Invalid> InvalidCases() {
  return {
      {"MalformedEndpointAddress", [](v1::State& s) { s.mutable_endpoints(1)->set_address("10.244.1.300"); },
       "snapshot.endpoints[1].address: malformed IP address \"10.244.1.300\""},
      {"MalformedVip", [](v1::State& s) { s.mutable_services(0)->mutable_frontends(0)->set_vip("vip"); },
       "snapshot.services[0].frontends[0].vip: malformed IP address"},
      {"MalformedPrefix", [](v1::State& s) { s.mutable_gateway()->mutable_client_zones(0)->set_prefix("10.244.0.0/40"); },
       "snapshot.gateway.client_zones[0].prefix: malformed prefix"},
      {"PortZero", [](v1::State& s) { s.mutable_endpoints(2)->set_port(0); },
       "snapshot.endpoints[2].port: port 0 is out of range 1..65535"},
      {"PortTooLarge", [](v1::State& s) { s.mutable_services(0)->mutable_frontends(0)->set_port(70000); },
       "snapshot.services[0].frontends[0].port: port 70000 is out of range 0..65535"},
      {"UnknownProtocol", [](v1::State& s) { s.mutable_services(0)->mutable_frontends(0)->set_protocol(v1::PROTOCOL_UNSPECIFIED); },
       "snapshot.services[0].frontends[0].protocol: unknown protocol 0"},
      {"VipClaimedTwice",
       [](v1::State& s) {
         v1::Service* other = s.add_services();
         *other = s.services(0);
         other->set_name("imposter");
       },
       "services[\"default/rebel-base\"].frontends[0]: 10.96.0.10:80/TCP conflicts with "
       "services[\"default/imposter\"].frontends[0] (port 80) of service default/imposter"},
      {"VipEveryPortOverlaps",
       [](v1::State& s) {
         v1::Service* other = s.add_services();
         *other = s.services(0);
         other->set_name("all-ports");
         other->mutable_frontends(0)->set_port(0);
       },
       "conflicts with"},
      {"UnknownCluster", [](v1::State& s) { s.mutable_endpoints(0)->set_cluster("cluster-z"); },
       "unknown cluster \"cluster-z\""},
      {"UnknownService", [](v1::State& s) { s.mutable_endpoints(0)->set_service("default/ghost"); },
       "snapshot.endpoints[0].service: unknown service \"default/ghost\""},
      {"DuplicateEndpoint", [](v1::State& s) { *s.add_endpoints() = s.endpoints(0); },
       "snapshot.endpoints[4]: duplicate endpoint cluster-a/10.244.1.10:80"},
      {"WeightOutOfRange", [](v1::State& s) { s.mutable_endpoints(0)->set_weight(2000000); },
       "snapshot.endpoints[0].weight: weight 2000000 is out of range 0..1000000"},
      {"NonPrimeTableSize", [](v1::State& s) { s.mutable_services(0)->set_table_size(65536); },
       "snapshot.services[0].table_size: Maglev table size 65536 is not prime"},
      {"ClusterIdReused", [](v1::State& s) { s.mutable_clusters(1)->set_id(1); },
       "clusters[\"cluster-b\"].id: cluster id 1 is already used by cluster \"cluster-a\""},
      {"EmptyServiceName", [](v1::State& s) { s.mutable_services(0)->set_name(""); },
       "snapshot.services[0].name: must not be empty"},
      {"EmptyClusterName", [](v1::State& s) { s.mutable_clusters(0)->set_name(""); },
       "snapshot.clusters[0].name: must not be empty"},
      {"FactorOutOfRange", [](v1::State& s) { s.mutable_services(0)->set_spillover_factor(0.5); },
       "snapshot.services[0].spillover_factor: spill-over factor 0.5 is out of range 1.0..10.0"},
      {"ThresholdOutOfRange", [](v1::State& s) { s.mutable_services(0)->set_panic_threshold(1.5); },
       "snapshot.services[0].panic_threshold: panic threshold 1.5 is out of range 0.0..1.0"},
      {"GatewayOfUnknownCluster", [](v1::State& s) { s.mutable_gateway()->set_cluster("cluster-q"); },
       "gateway.cluster: unknown cluster \"cluster-q\""},
      {"EveryProblemAtOnce",
       [](v1::State& s) {
         s.mutable_endpoints(0)->set_port(0);
         s.mutable_endpoints(1)->set_address("x");
       },
       "snapshot.endpoints[0].port: port 0 is out of range 1..65535\nsnapshot.endpoints[1].address"},
  };
}

INSTANTIATE_TEST_SUITE_P(Cases, Validation, ::testing::ValuesIn(InvalidCases()),
                         [](const ::testing::TestParamInfo<Invalid>& i) { return i.param.name; });

TEST_F(GrpcApi, OversizedMessageIsRefused) {
  server::ServerOptions options;
  options.max_message_bytes = 64 << 10;
  ServerHarness small("", options);
  auto client = small.Client();
  v1::State big = TwoClusterState();
  for (int i = 0; i < 3000; ++i) {
    *big.add_endpoints() = MakeEndpoint("cluster-a", absl::StrCat("10.245.", i / 250, ".", i % 250 + 1), "us-east-1a");
  }
  EXPECT_EQ(Push(*client, Snapshot(big)).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(small.control_plane->version(), 0u);
}

TEST_F(GrpcApi, DeltasUpsertDeleteAndCheckTheirBase) {
  ASSERT_TRUE(Push(*stub, Snapshot(TwoClusterState())).ok());
  v1::Delta add;
  *add.add_upsert_endpoints() = MakeEndpoint("cluster-a", "10.244.3.10", "us-east-1a");
  v1::PushResponse r;
  ASSERT_TRUE(Push(*stub, DeltaPush(add, 1), &r).ok());
  EXPECT_EQ(r.version(), 2u);
  EXPECT_EQ(Endpoints(*stub).endpoints_size(), 5);

  // Built against version 1, but the state moved on: refused, nothing changes.
  v1::Delta late;
  v1::EndpointRef* ref = late.add_delete_endpoints();
  ref->set_service("default/rebel-base");
  ref->set_cluster("cluster-a");
  ref->set_address("10.244.3.10");
  ref->set_port(80);
  const grpc::Status stale = Push(*stub, DeltaPush(late, 1));
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(stale.error_message(), HasSubstr("current version is 2"));
  EXPECT_EQ(Endpoints(*stub).endpoints_size(), 5);

  ASSERT_TRUE(Push(*stub, DeltaPush(late, 2)).ok());
  EXPECT_EQ(Endpoints(*stub).endpoints_size(), 4);
  // Deleting what is not there is harmless (retries after a reconnect).
  ASSERT_TRUE(Push(*stub, DeltaPush(late)).ok());

  v1::Delta drop_cluster;
  drop_cluster.add_delete_clusters("cluster-b");
  ASSERT_TRUE(Push(*stub, DeltaPush(drop_cluster)).ok());
  EXPECT_EQ(Endpoints(*stub).endpoints_size(), 2);  // cluster b's endpoints went with it

  v1::Delta bad;
  *bad.add_upsert_endpoints() = MakeEndpoint("cluster-b", "10.244.1.10", "us-east-1a");  // cluster gone
  const grpc::Status refused = Push(*stub, DeltaPush(bad));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("unknown cluster \"cluster-b\""));

  v1::Delta drop_service;
  drop_service.add_delete_services("default/rebel-base");
  ASSERT_TRUE(Push(*stub, DeltaPush(drop_service)).ok());
  EXPECT_EQ(Endpoints(*stub).endpoints_size(), 0);
  EXPECT_EQ(h.sink.last()->services.size(), 0u);
}

TEST_F(GrpcApi, AChangeToOneServiceRecompilesOnlyThatService) {
  v1::State s = TwoClusterState();
  v1::Service* other = s.add_services();
  *other = s.services(0);
  other->set_name("other");
  other->mutable_frontends(0)->set_port(81);
  v1::Endpoint e = MakeEndpoint("cluster-a", "10.244.9.9", "us-east-1a");
  e.set_service("default/other");
  *s.add_endpoints() = e;
  ASSERT_TRUE(Push(*stub, Snapshot(s)).ok());
  EXPECT_EQ(h.control_plane->Stats().last_compiled_services(), 2u);
  v1::Delta d;
  *d.add_upsert_endpoints() = MakeEndpoint("cluster-a", "10.244.3.10", "us-east-1a");
  ASSERT_TRUE(Push(*stub, DeltaPush(d)).ok());
  EXPECT_EQ(h.control_plane->Stats().last_compiled_services(), 1u);
  // The same snapshot again changes nothing and recompiles nothing.
  ASSERT_TRUE(Push(*stub, Snapshot(s)).ok());  // drops 10.244.3.10 again: rebel-base only
  EXPECT_EQ(h.control_plane->Stats().last_compiled_services(), 1u);
  ASSERT_TRUE(Push(*stub, Snapshot(s)).ok());
  EXPECT_EQ(h.control_plane->Stats().last_compiled_services(), 0u);
  // The gateway's place changes every service's view.
  s.mutable_gateway()->set_zone("us-east-1b");
  ASSERT_TRUE(Push(*stub, Snapshot(s)).ok());
  EXPECT_EQ(h.control_plane->Stats().last_compiled_services(), 2u);
}

// The service's table is built from its endpoints' keys and weights: an update that changes
// neither (a zone label, under the default traffic distribution) recompiles the service but copies
// its table; one that changes a weight builds it again.
TEST_F(GrpcApi, AnUpdateThatLeavesATablesInputAloneCopiesTheTable) {
  ASSERT_TRUE(Push(*stub, Snapshot(TwoClusterState())).ok());
  const v1::StatsResponse first = h.control_plane->Stats();
  ASSERT_EQ(first.maglev_tables_built(), 1u);  // two client zones, the same weights: one table
  EXPECT_EQ(first.maglev_tables_copied(), 0u);
  const std::vector<uint16_t> slots = h.sink.last()->services[0].tables[0].slots;

  v1::Delta zone_only;
  *zone_only.add_upsert_endpoints() = MakeEndpoint("cluster-a", "10.244.2.10", "us-east-1c");
  ASSERT_TRUE(Push(*stub, DeltaPush(zone_only)).ok());
  const v1::StatsResponse copied = h.control_plane->Stats();
  EXPECT_EQ(copied.last_compiled_services(), 1u);
  EXPECT_EQ(copied.maglev_tables_built(), 1u);
  EXPECT_EQ(copied.maglev_tables_copied(), 1u);
  EXPECT_EQ(h.sink.last()->services[0].tables[0].slots, slots);
  bool zone_seen = false;
  for (const snapshot::Backend& b : h.sink.last()->services[0].backends) {
    zone_seen |= b.address.ToString() == "10.244.2.10" && b.cluster == "cluster-a" && b.zone == "us-east-1c";
  }
  EXPECT_TRUE(zone_seen) << "the backend carries its new zone";

  v1::Delta heavier;
  v1::Endpoint e = MakeEndpoint("cluster-a", "10.244.2.10", "us-east-1c");
  e.set_weight(3);
  *heavier.add_upsert_endpoints() = e;
  ASSERT_TRUE(Push(*stub, DeltaPush(heavier)).ok());
  const v1::StatsResponse built = h.control_plane->Stats();
  EXPECT_EQ(built.maglev_tables_built(), 2u);
  EXPECT_EQ(built.maglev_tables_copied(), 1u);
  EXPECT_NE(h.sink.last()->services[0].tables[0].slots, slots);
}

TEST_F(GrpcApi, BackendIdsStayWhileTheBackendStays) {
  ASSERT_TRUE(Push(*stub, Snapshot(TwoClusterState())).ok());
  auto id_of = [&](const std::string& cluster, const std::string& address) {
    for (const snapshot::Backend& b : h.sink.last()->services[0].backends) {
      if (b.cluster == cluster && b.address.ToString() == address) return b.id;
    }
    return uint32_t{0};
  };
  const uint32_t kept = id_of("cluster-b", "10.244.1.10");
  ASSERT_NE(kept, 0u);
  // Enough churn that the compiler forgets departed backends (more than 1024 of them).
  for (int round = 0; round < 3; ++round) {
    v1::Delta d;
    for (int i = 0; i < 600; ++i) {
      *d.add_upsert_endpoints() = MakeEndpoint("cluster-a", absl::StrCat("10.250.", round, ".", i % 250 + 1), "us-east-1a");
      d.mutable_upsert_endpoints(i)->set_port(1000 + static_cast<uint32_t>(i));
    }
    ASSERT_TRUE(Push(*stub, DeltaPush(d)).ok());
    v1::Delta drop;
    for (const v1::Endpoint& e : d.upsert_endpoints()) {
      v1::EndpointRef* r = drop.add_delete_endpoints();
      r->set_service(e.service());
      r->set_cluster(e.cluster());
      r->set_address(e.address());
      r->set_port(e.port());
    }
    ASSERT_TRUE(Push(*stub, DeltaPush(drop)).ok());
  }
  EXPECT_EQ(id_of("cluster-b", "10.244.1.10"), kept);
  EXPECT_EQ(h.sink.last()->services[0].backends.size(), 4u);
}

TEST_F(GrpcApi, ExplainStatsAndWatch) {
  grpc::ClientContext wctx;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> watch = stub->Watch(&wctx, v1::WatchRequest());
  v1::WatchEvent event;
  ASSERT_TRUE(watch->Read(&event));
  EXPECT_EQ(event.version(), 0u);

  v1::State s = TwoClusterState();
  s.mutable_services(0)->set_affinity(v1::LOCAL);
  s.mutable_endpoints(1)->set_health(v1::UNHEALTHY);
  ASSERT_TRUE(Push(*stub, Snapshot(s, "with-affinity")).ok());
  ASSERT_TRUE(watch->Read(&event));
  EXPECT_EQ(event.version(), 1u);
  EXPECT_EQ(event.version_info(), "with-affinity");
  EXPECT_THAT(event.changes(), ::testing::Contains("service default/rebel-base"));
  wctx.TryCancel();

  grpc::ClientContext ectx;
  v1::ExplainRequest req;
  req.set_service("default/rebel-base");
  v1::ExplainResponse ex;
  ASSERT_TRUE(stub->Explain(&ectx, req, &ex).ok());
  EXPECT_EQ(ex.zone(), "us-east-1a");
  ASSERT_EQ(ex.tiers_size(), 2);
  EXPECT_THAT(ex.tiers(0), HasSubstr("tier 0 (local cluster): 1 of 2 healthy, 70.0% of new flows"));
  EXPECT_THAT(ex.text(), HasSubstr("cluster-b/10.244.1.10:80"));
  double remote_share = 0;
  for (const auto& line : ex.endpoints()) {
    if (line.tier() == 1) remote_share += line.share();
  }
  EXPECT_NEAR(remote_share, 0.30, 0.01);

  grpc::ClientContext zctx;
  req.set_zone("mars-1a");
  const grpc::Status unknown = stub->Explain(&zctx, req, &ex);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.error_message(), HasSubstr("known: us-east-1a, us-east-1b"));

  grpc::ClientContext sctx;
  v1::StatsResponse stats;
  ASSERT_TRUE(stub->GetStats(&sctx, v1::StatsRequest(), &stats).ok());
  EXPECT_EQ(stats.version(), 1u);
  EXPECT_EQ(stats.pushes_accepted(), 1u);
  EXPECT_EQ(stats.endpoints(), 4u);
  EXPECT_EQ(stats.clusters(), 2u);
  EXPECT_EQ(stats.tables(), 1u);
  EXPECT_GT(stats.last_compile_ms(), 0);
}

TEST_F(GrpcApi, TwoPushersAtOnce) {
  ASSERT_TRUE(Push(*stub, Snapshot(TwoClusterState())).ok());
  constexpr int kEach = 50;
  auto pusher = [&](const std::string& cluster, int third_octet) {
    auto client = h.Client();
    for (int i = 0; i < kEach; ++i) {
      v1::Delta d;
      *d.add_upsert_endpoints() =
          MakeEndpoint(cluster, absl::StrCat("10.244.", third_octet, ".", i + 1), "us-east-1a");
      v1::PushRequest p = DeltaPush(d);
      p.set_source(cluster + "-adapter");
      EXPECT_TRUE(Push(*client, p).ok());
    }
  };
  std::thread a(pusher, "cluster-a", 100), b(pusher, "cluster-b", 200);
  a.join();
  b.join();
  EXPECT_EQ(Endpoints(*stub).endpoints_size(), 4 + 2 * kEach);
  EXPECT_EQ(h.control_plane->version(), 1u + 2 * kEach);
  EXPECT_EQ(h.sink.last()->version, 1u + 2 * kEach);
  EXPECT_EQ(h.sink.last()->services[0].backends.size(), 4u + 2 * kEach);
}

// gRPC's standard services, called the way grpc_health_probe and grpcurl would.
TEST_F(GrpcApi, HealthAndReflectionAreServed) {
  auto channel = grpc::CreateChannel(h.address, grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  grpc::ByteBuffer request;  // an empty HealthCheckRequest: the whole server
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING

  // Reflection: ServerReflectionInfo with list_services = "" (field 7).
  grpc::ClientContext rctx;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call;
  grpc::CompletionQueue cq;
  call = generic.PrepareCall(&rctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::Slice list("\x3a\x00", 2);
  grpc::ByteBuffer list_request(&list, 1);
  call->Write(list_request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  slices.clear();
  ASSERT_TRUE(reply.Dump(&slices).ok());
  bytes.clear();
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(bytes, HasSubstr("causeway.v1.Causeway"));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
  rctx.TryCancel();
  call->Finish(&status, reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace causeway::testing
