// causeway-cilium-adapter against a real etcd and a real causewayd, all three as processes: Cilium's
// values are put into etcd with the adapter's own etcd client, and causewayd's gRPC reads show what
// arrived. Paths come from the environment (meson sets them): CAUSEWAY_ETCD, CAUSEWAYD,
// CAUSEWAY_CILIUM_ADAPTER. Without an etcd binary the tests are skipped.
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "causeway/v1/api.grpc.pb.h"
#include "controlplane/adapters/etcd/etcd_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/process.h"

namespace causeway::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

constexpr char kPrefix[] = "cilium/state/services/v1/";

std::string Key(const std::string& cluster, const std::string& name) {
  return absl::StrCat(kPrefix, cluster, "/default/", name);
}

// A Cilium value in the format of peers.md: upper-case field names, unnamed port.
std::string Rebel(const std::string& cluster, int id, const std::vector<std::string>& backends,
                  bool shared = true) {
  std::string b;
  for (const std::string& a : backends) {
    absl::StrAppend(&b, b.empty() ? "" : ",", "\"", a, "\":{\"\":{\"Protocol\":\"TCP\",\"Port\":8080}}");
  }
  return absl::StrCat("{\"cluster\":\"", cluster, "\",\"namespace\":\"default\",\"name\":\"rebel-base\",",
                      "\"frontends\":{\"10.96.120.15\":{\"\":{\"Protocol\":\"TCP\",\"Port\":80}}},",
                      "\"backends\":{", b, "},\"labels\":{},\"selector\":{\"name\":\"rebel-base\"},",
                      "\"includeExternal\":true,\"shared\":", shared ? "true" : "false",
                      ",\"clusterID\":", id, "}");
}

class CiliumEtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_bin_ = Env("CAUSEWAY_ETCD");
    if (etcd_bin_.empty() || !std::filesystem::exists(etcd_bin_)) GTEST_SKIP() << "no etcd binary";
    etcd_port_ = FreePort();
    etcd_peer_port_ = FreePort();
    etcd_endpoint_ = absl::StrCat("127.0.0.1:", etcd_port_);
    StartEtcd();
    StartCausewayd();
    StartAdapter();
  }

  void TearDown() override {
    adapter_.reset();
    stub_.reset();  // an open client connection holds up causewayd's shutdown
    causewayd_.reset();
    etcd_.reset();
  }

  // On the same ports and data directory each time, so that a restart keeps the store.
  void StartEtcd() {
    const std::string peer_url = absl::StrCat("http://127.0.0.1:", etcd_peer_port_);
    etcd_ =
        Process::Start({etcd_bin_, "--name=test", "--data-dir=" + dir_.path() + "/etcd",
                        "--listen-client-urls=http://" + etcd_endpoint_,
                        "--advertise-client-urls=http://" + etcd_endpoint_, "--listen-peer-urls=" + peer_url,
                        "--initial-advertise-peer-urls=" + peer_url, "--initial-cluster=test=" + peer_url},
                       dir_.path() + "/etcd.log");
    // gRPC channels back off for seconds after a refused connection: connect only once it listens.
    ASSERT_TRUE(WaitFor([&] { return CanConnect("127.0.0.1", etcd_port_); }, 20))
        << ReadFile(dir_.path() + "/etcd.log");
    kv_ = std::make_unique<etcd::Client>(etcd::Connect(etcd_endpoint_));
    ASSERT_TRUE(WaitFor([&] { return kv_->RangePrefix(kPrefix, 0, 1).ok(); }, 20))
        << ReadFile(dir_.path() + "/etcd.log");
  }

  void StartCausewayd() {
    socket_ = "unix:" + dir_.path() + "/causeway.sock";
    causewayd_ =
        Process::Start({Env("CAUSEWAYD"), "--listen=" + socket_, "--state_dir=" + dir_.path() + "/state"},
                       dir_.path() + "/causewayd.log");
    ASSERT_TRUE(WaitFor([&] { return CanConnect(dir_.path() + "/causeway.sock", 0); }, 20))
        << ReadFile(dir_.path() + "/causewayd.log");
    stub_ = v1::Causeway::NewStub(grpc::CreateChannel(socket_, grpc::InsecureChannelCredentials()));
    ASSERT_TRUE(WaitFor([&] { return Stats().version() > 0 || stats_ok_; }, 20))
        << ReadFile(dir_.path() + "/causewayd.log");
  }

  void StartAdapter(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {Env("CAUSEWAY_CILIUM_ADAPTER"), "--etcd=" + etcd_endpoint_,
                                     "--server=" + socket_, "--cluster=cluster-a", "--retry_seconds=0.2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    adapter_ = Process::Start(argv, AdapterLog());
  }

  std::string AdapterLog() const { return dir_.path() + "/adapter.log"; }

  void Put(const std::string& key, const std::string& value) { ASSERT_TRUE(kv_->Put(key, value, 5).ok()); }
  void Delete(const std::string& key) { ASSERT_TRUE(kv_->Delete(key, 5).ok()); }

  v1::StatsResponse Stats() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::StatsResponse out;
    stats_ok_ = stub_->GetStats(&context, v1::StatsRequest(), &out).ok();
    return out;
  }

  // "namespace/name vip:port/proto ..." for every service, sorted.
  std::vector<std::string> Services() {
    grpc::ClientContext context;
    v1::ListServicesResponse r;
    if (!stub_->ListServices(&context, v1::ListRequest(), &r).ok()) return {"(unreachable)"};
    std::set<std::string> out;
    for (const v1::ServiceStatus& s : r.services()) {
      std::string line = absl::StrCat(s.service().namespace_(), "/", s.service().name());
      if (s.service().scope() == v1::IMPORT_ONLY) absl::StrAppend(&line, " import-only");
      for (const v1::Frontend& f : s.service().frontends()) {
        absl::StrAppend(&line, " ", f.vip(), ":", f.port(), "/", v1::Protocol_Name(f.protocol()));
      }
      out.insert(line);
    }
    return {out.begin(), out.end()};
  }

  // "cluster/address:port[ zone=Z][ not-exported]" for one service's endpoints, sorted.
  std::vector<std::string> Endpoints(const std::string& service) {
    grpc::ClientContext context;
    v1::ListEndpointsRequest request;
    request.set_service(service);
    v1::ListEndpointsResponse r;
    if (!stub_->ListEndpoints(&context, request, &r).ok()) return {"(unreachable)"};
    std::set<std::string> out;
    for (const v1::Endpoint& e : r.endpoints()) {
      out.insert(absl::StrCat(e.cluster(), "/", e.address(), ":", e.port(), e.zone().empty() ? "" : " zone=",
                              e.zone(), e.has_exported() && !e.exported() ? " not-exported" : ""));
    }
    return {out.begin(), out.end()};
  }

  std::vector<std::string> Clusters() {
    grpc::ClientContext context;
    v1::ListClustersResponse r;
    if (!stub_->ListClusters(&context, v1::ListRequest(), &r).ok()) return {"(unreachable)"};
    std::vector<std::string> out;
    for (const v1::ClusterStatus& c : r.clusters())
      out.push_back(absl::StrCat(c.cluster().name(), "=", c.cluster().id()));
    return out;
  }

  // Waits until `read` returns `want`, then checks it (so a failure prints what was there).
  template <typename Read>
  void Eventually(Read read, const std::vector<std::string>& want) {
    WaitFor([&] { return read() == want; });
    EXPECT_EQ(read(), want) << "adapter log:\n" << ReadFile(AdapterLog());
  }

  TempDir dir_;
  std::string etcd_bin_;
  int etcd_port_ = 0;
  int etcd_peer_port_ = 0;
  std::string etcd_endpoint_;
  std::string socket_;
  bool stats_ok_ = false;
  std::unique_ptr<Process> etcd_, causewayd_, adapter_;
  std::unique_ptr<etcd::Client> kv_;
  std::unique_ptr<v1::Causeway::Stub> stub_;
};

TEST_F(CiliumEtcdTest, FollowsCreateUpdateAndDelete) {
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17", "10.244.2.23"}));
  Put(Key("cluster-b", "rebel-base"), Rebel("cluster-b", 2, {"10.245.1.5"}, /*shared=*/false));
  Eventually([&] { return Services(); }, {"default/rebel-base 10.96.120.15:80/TCP"});
  Eventually(
      [&] { return Endpoints("default/rebel-base"); },
      {"cluster-a/10.244.1.17:8080", "cluster-a/10.244.2.23:8080", "cluster-b/10.245.1.5:8080 not-exported"});
  EXPECT_THAT(Clusters(), ElementsAre("cluster-a=1", "cluster-b=2"));

  // Update: cluster-b scales and exports.
  Put(Key("cluster-b", "rebel-base"), Rebel("cluster-b", 2, {"10.245.1.5", "10.245.1.6"}));
  Eventually([&] { return Endpoints("default/rebel-base"); },
             {"cluster-a/10.244.1.17:8080", "cluster-a/10.244.2.23:8080", "cluster-b/10.245.1.5:8080",
              "cluster-b/10.245.1.6:8080"});

  // Delete the remote copy: its endpoints go; the service stays.
  Delete(Key("cluster-b", "rebel-base"));
  Eventually([&] { return Endpoints("default/rebel-base"); },
             {"cluster-a/10.244.1.17:8080", "cluster-a/10.244.2.23:8080"});

  // Delete the local copy: no VIP any more, so the service goes.
  Delete(Key("cluster-a", "rebel-base"));
  Eventually([&] { return Services(); }, {});
  EXPECT_TRUE(adapter_->Running());
}

TEST_F(CiliumEtcdTest, ReadsFieldVariantsNamedPortsAndZones) {
  // Lower-case field names (older writers), two named ports, zones with hints, local shared=false.
  Put(Key("cluster-a", "web"),
      R"({"cluster":"cluster-a","namespace":"default","name":"web","clusterID":1,"shared":false,
          "frontends":{"10.96.0.20":{"http":{"protocol":"TCP","port":80},"dns":{"protocol":"UDP","port":53}}},
          "backends":{"10.244.1.30":{"http":{"protocol":"TCP","port":8080},"dns":{"protocol":"UDP","port":5353}}},
          "zones":{"10.244.1.30":{"zone":"zone-a","forZones":[{"name":"zone-a"}]}}})");
  Put(Key("cluster-b", "web"),
      R"({"cluster":"cluster-b","namespace":"default","name":"web","clusterID":2,
          "backends":{"10.245.1.30":{"http":{"Protocol":"TCP","Port":8081}}}})");
  Eventually([&] { return Services(); }, {"default/web-dns import-only 10.96.0.20:53/UDP",
                                          "default/web-http import-only 10.96.0.20:80/TCP"});
  Eventually([&] { return Endpoints("default/web-http"); },
             {"cluster-a/10.244.1.30:8080 zone=zone-a not-exported", "cluster-b/10.245.1.30:8081"});
  Eventually([&] { return Endpoints("default/web-dns"); },
             {"cluster-a/10.244.1.30:5353 zone=zone-a not-exported"});
}

TEST_F(CiliumEtcdTest, SkipsMalformedValuesAndKeepsRunning) {
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17"}));
  Eventually([&] { return Endpoints("default/rebel-base"); }, {"cluster-a/10.244.1.17:8080"});
  // Not JSON; a port out of range; a value naming another service than its key.
  Put(Key("cluster-a", "broken"), "{not json");
  Put(Key("cluster-a", "rebel-base"), R"({"cluster":"cluster-a","namespace":"default","name":"rebel-base",
      "clusterID":1,"backends":{"10.244.1.99":{"":{"Protocol":"TCP","Port":70000}}}})");
  Put(Key("cluster-b", "rebel-base"), Rebel("cluster-c", 3, {"10.246.0.1"}));
  // A good change after them still arrives, and the bad update left the last good value in place.
  Put(Key("cluster-b", "other"),
      R"({"cluster":"cluster-b","namespace":"default","name":"other","clusterID":2})");
  Put(Key("cluster-a", "late"),
      R"({"cluster":"cluster-a","namespace":"default","name":"late","clusterID":1,
          "frontends":{"10.96.0.30":{"":{"Protocol":"TCP","Port":443}}},
          "backends":{"10.244.1.40":{"":{"Protocol":"TCP","Port":8443}}}})");
  Eventually([&] { return Endpoints("default/late"); }, {"cluster-a/10.244.1.40:8443"});
  EXPECT_EQ(Endpoints("default/rebel-base"), std::vector<std::string>{"cluster-a/10.244.1.17:8080"});
  EXPECT_TRUE(adapter_->Running());
  const std::string log = ReadFile(AdapterLog());
  EXPECT_TRUE(
      absl::StrContains(log, "skipped malformed value of cilium/state/services/v1/cluster-a/default/broken"))
      << log;
  EXPECT_TRUE(absl::StrContains(log, "70000 is out of range")) << log;
  EXPECT_TRUE(absl::StrContains(log, "not its key")) << log;
}

TEST_F(CiliumEtcdTest, AServiceCausewaydRefusesDoesNotHoldBackTheOthers) {
  // Another source holds 10.96.0.99:80, so the Cilium service on the same VIP and port is refused.
  v1::PushRequest push;
  push.set_source("operator");
  v1::Service& taken = *push.mutable_delta()->add_upsert_services();
  taken.set_namespace_("default");
  taken.set_name("taken");
  v1::Frontend& f = *taken.add_frontends();
  f.set_vip("10.96.0.99");
  f.set_port(80);
  f.set_protocol(v1::TCP);
  grpc::ClientContext context;
  v1::PushResponse pushed;
  ASSERT_TRUE(stub_->Push(&context, push, &pushed).ok());

  const auto svc = [](const std::string& name, const std::string& vip, const std::string& backend) {
    return absl::StrCat(R"({"cluster":"cluster-a","namespace":"default","name":")", name,
                        R"(","clusterID":1,)", R"("frontends":{")", vip,
                        R"(":{"":{"Protocol":"TCP","Port":80}}},)", R"("backends":{")", backend,
                        R"(":{"":{"Protocol":"TCP","Port":80}}}})");
  };
  Put(Key("cluster-a", "clash"), svc("clash", "10.96.0.99", "10.244.1.1"));
  Put(Key("cluster-a", "fine"), svc("fine", "10.96.0.100", "10.244.1.2"));
  Eventually([&] { return Endpoints("default/fine"); }, {"cluster-a/10.244.1.2:80"});
  EXPECT_EQ(Services(),
            (std::vector<std::string>{"default/fine 10.96.0.100:80/TCP", "default/taken 10.96.0.99:80/TCP"}));
  ASSERT_TRUE(WaitFor([&] {
    return absl::StrContains(ReadFile(AdapterLog()), "causewayd refused default/clash");
  })) << ReadFile(AdapterLog());
  EXPECT_TRUE(adapter_->Running());

  // Once the VIP is free and the value changes, the service is tried again and accepted.
  v1::PushRequest release;
  release.set_source("operator");
  release.mutable_delta()->add_delete_services("default/taken");
  grpc::ClientContext context2;
  ASSERT_TRUE(stub_->Push(&context2, release, &pushed).ok());
  Put(Key("cluster-a", "clash"), svc("clash", "10.96.0.99", "10.244.1.3"));
  Eventually([&] { return Endpoints("default/clash"); }, {"cluster-a/10.244.1.3:80"});
}

TEST_F(CiliumEtcdTest, ResumesAfterAdapterRestartSendingOnlyTheDifference) {
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17"}));
  Put(Key("cluster-b", "rebel-base"), Rebel("cluster-b", 2, {"10.245.1.5"}));
  Put(Key("cluster-a", "gone"),
      R"({"cluster":"cluster-a","namespace":"default","name":"gone","clusterID":1,
          "frontends":{"10.96.0.40":{"":{"Protocol":"TCP","Port":80}}},
          "backends":{"10.244.1.50":{"":{"Protocol":"TCP","Port":80}}}})");
  Eventually([&] { return Services(); },
             {"default/gone 10.96.0.40:80/TCP", "default/rebel-base 10.96.120.15:80/TCP"});
  Eventually([&] { return Endpoints("default/rebel-base"); },
             {"cluster-a/10.244.1.17:8080", "cluster-b/10.245.1.5:8080"});

  // A restart with nothing changed sends nothing.
  const uint64_t before = Stats().pushes_accepted();
  const int up_to_date = CountOf(ReadFile(AdapterLog()), "causewayd is up to date");
  adapter_->Stop();
  StartAdapter();
  ASSERT_TRUE(WaitFor([&] {
    const std::string log = ReadFile(AdapterLog());
    return absl::StrContains(log, "read 3 values") &&
           CountOf(log, "causewayd is up to date") == up_to_date + 1;
  })) << ReadFile(AdapterLog());
  EXPECT_EQ(Stats().pushes_accepted(), before);

  // Changes while the adapter is down: an update, a delete, a new service.
  adapter_->Stop();
  Put(Key("cluster-b", "rebel-base"), Rebel("cluster-b", 2, {"10.245.1.6"}));
  Delete(Key("cluster-a", "gone"));
  Put(Key("cluster-a", "new"),
      R"({"cluster":"cluster-a","namespace":"default","name":"new","clusterID":1,
          "frontends":{"10.96.0.50":{"":{"Protocol":"UDP","Port":53}}},
          "backends":{"10.244.1.60":{"":{"Protocol":"UDP","Port":53}}}})");
  StartAdapter();
  Eventually([&] { return Services(); },
             {"default/new 10.96.0.50:53/UDP", "default/rebel-base 10.96.120.15:80/TCP"});
  Eventually([&] { return Endpoints("default/rebel-base"); },
             {"cluster-a/10.244.1.17:8080", "cluster-b/10.245.1.6:8080"});
  // One delta for the three changes, resumed from the revision causewayd had.
  EXPECT_EQ(Stats().pushes_accepted(), before + 1);
  const std::string log = ReadFile(AdapterLog());
  EXPECT_TRUE(absl::StrContains(log, "resuming from etcd revision ")) << log;
  EXPECT_EQ(CountOf(log, "resuming from etcd revision 0 "), 1) << log;
}

TEST_F(CiliumEtcdTest, SplitsLargeChangesWithTheRevisionOnTheLastUpdate) {
  adapter_->Stop();
  for (const char* name : {"s1", "s2", "s3"}) {
    Put(Key("cluster-a", name),
        absl::StrCat(R"({"cluster":"cluster-a","namespace":"default","name":")", name, R"(","clusterID":1,)",
                     R"("frontends":{"10.96.1.)", std::string(1, name[1]),
                     R"(":{"":{"Protocol":"TCP","Port":80}}},)", R"("backends":{"10.244.7.)",
                     std::string(1, name[1]), R"(":{"":{"Protocol":"TCP","Port":80}}}})"));
  }
  const uint64_t before = Stats().pushes_accepted();
  StartAdapter({"--max_update_bytes=1"});  // every part an update of its own
  Eventually([&] { return Services(); },
             {"default/s1 10.96.1.1:80/TCP", "default/s2 10.96.1.2:80/TCP", "default/s3 10.96.1.3:80/TCP"});
  ASSERT_TRUE(WaitFor([&] { return Stats().pushes_accepted() == before + 4; }));  // the cluster, 3 services
  // The last update carried the revision: a restart finds causewayd up to date.
  const int up_to_date = CountOf(ReadFile(AdapterLog()), "causewayd is up to date");
  adapter_->Stop();
  StartAdapter();
  ASSERT_TRUE(WaitFor([&] {
    return CountOf(ReadFile(AdapterLog()), "causewayd is up to date") == up_to_date + 1;
  })) << ReadFile(AdapterLog());
  EXPECT_EQ(Stats().pushes_accepted(), before + 4);
}

TEST_F(CiliumEtcdTest, UpsertsEverythingWhenTheResumeRevisionWasCompacted) {
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17"}));
  Put(Key("cluster-a", "gone"),
      R"({"cluster":"cluster-a","namespace":"default","name":"gone","clusterID":1,
          "frontends":{"10.96.0.40":{"":{"Protocol":"TCP","Port":80}}}})");
  Eventually([&] { return Services(); },
             {"default/gone 10.96.0.40:80/TCP", "default/rebel-base 10.96.120.15:80/TCP"});
  adapter_->Stop();
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17", "10.244.1.18"}));
  Delete(Key("cluster-a", "gone"));
  absl::StatusOr<int64_t> now = kv_->Put("unrelated", "x", 5);
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(kv_->Compact(*now, 5).ok());
  StartAdapter();
  Eventually([&] { return Endpoints("default/rebel-base"); },
             {"cluster-a/10.244.1.17:8080", "cluster-a/10.244.1.18:8080"});
  EXPECT_TRUE(absl::StrContains(ReadFile(AdapterLog()),
                                "required revision has been compacted): upserting everything"));
  // The documented limit: what was deleted during the compacted stretch stays.
  EXPECT_EQ(Services(), (std::vector<std::string>{"default/gone 10.96.0.40:80/TCP",
                                                  "default/rebel-base 10.96.120.15:80/TCP"}));
}

TEST_F(CiliumEtcdTest, ReconnectsWhenCausewaydRestarts) {
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17"}));
  Eventually([&] { return Endpoints("default/rebel-base"); }, {"cluster-a/10.244.1.17:8080"});
  // Killed, as by a crash: a TERM would wait for the adapter's open stream to end (causewayd's
  // shutdown has no deadline).
  causewayd_->Kill();
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17", "10.244.1.18"}));
  StartCausewayd();
  // The adapter notices the broken stream at its next push, reconnects and resumes.
  Put(Key("cluster-b", "rebel-base"), Rebel("cluster-b", 2, {"10.245.1.5"}));
  Eventually([&] { return Endpoints("default/rebel-base"); },
             {"cluster-a/10.244.1.17:8080", "cluster-a/10.244.1.18:8080", "cluster-b/10.245.1.5:8080"});
  EXPECT_TRUE(adapter_->Running());
}

TEST_F(CiliumEtcdTest, WatchesAgainWhenEtcdRestarts) {
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17"}));
  Eventually([&] { return Endpoints("default/rebel-base"); }, {"cluster-a/10.244.1.17:8080"});
  etcd_->Stop();
  StartEtcd();
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17", "10.244.1.19"}));
  Eventually([&] { return Endpoints("default/rebel-base"); },
             {"cluster-a/10.244.1.17:8080", "cluster-a/10.244.1.19:8080"});
  EXPECT_TRUE(adapter_->Running());
}

TEST_F(CiliumEtcdTest, RefillsACausewaydThatRestartedWithoutItsState) {
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17"}));
  Eventually([&] { return Endpoints("default/rebel-base"); }, {"cluster-a/10.244.1.17:8080"});
  causewayd_->Kill();
  std::filesystem::remove_all(dir_.path() + "/state");
  StartCausewayd();
  // No etcd change: the adapter notices the lost connection by itself and resumes from nothing.
  Eventually([&] { return Endpoints("default/rebel-base"); }, {"cluster-a/10.244.1.17:8080"});
  EXPECT_TRUE(absl::StrContains(ReadFile(AdapterLog()), "lost the connection to causewayd"));
}

TEST_F(CiliumEtcdTest, ReadsOnlyTheClustersAskedFor) {
  adapter_->Stop();
  StartAdapter({"--clusters=cluster-a,cluster-c"});
  Put(Key("cluster-b", "rebel-base"), Rebel("cluster-b", 2, {"10.245.1.5"}));
  Put(Key("cluster-c", "rebel-base"), Rebel("cluster-c", 3, {"10.246.1.5"}));
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17"}));
  Eventually([&] { return Endpoints("default/rebel-base"); },
             {"cluster-a/10.244.1.17:8080", "cluster-c/10.246.1.5:8080"});
  EXPECT_THAT(Clusters(), ElementsAre("cluster-a=1", "cluster-c=3"));
}

// The adapter's own etcd client: ranges larger than a page are read whole, at one revision.
// The adapter renews the leases of the clusters it feeds while etcd answers: cluster-b, given a
// 500 ms lease, stays fresh; when etcd goes away the renewals stop and cluster-b goes stale.
TEST_F(CiliumEtcdTest, RenewsTheLeasesOfTheClustersItFeedsWhileEtcdAnswers) {
  adapter_.reset();
  StartAdapter({"--renew_seconds=0.1"});
  Put(Key("cluster-a", "rebel-base"), Rebel("cluster-a", 1, {"10.244.1.17"}));
  Put(Key("cluster-b", "rebel-base"), Rebel("cluster-b", 2, {"10.245.1.5"}));
  Eventually([&] { return Clusters(); }, {"cluster-a=1", "cluster-b=2"});
  auto freshness = [&] {
    grpc::ClientContext context;
    v1::ListClustersResponse r;
    if (!stub_->ListClusters(&context, v1::ListRequest(), &r).ok()) return std::string("(unreachable)");
    for (const v1::ClusterStatus& c : r.clusters()) {
      if (c.cluster().name() == "cluster-b") return v1::ClusterStatus::Freshness_Name(c.freshness());
    }
    return std::string("(none)");
  };
  {
    // An operator gives cluster-b a lease; the adapter keeps clusters causewayd has as they are.
    grpc::ClientContext context;
    v1::ListClustersResponse r;
    ASSERT_TRUE(stub_->ListClusters(&context, v1::ListRequest(), &r).ok());
    v1::PushRequest push;
    push.set_source("operator");
    for (const v1::ClusterStatus& c : r.clusters()) {
      if (c.cluster().name() != "cluster-b") continue;
      v1::Cluster* b = push.mutable_delta()->add_upsert_clusters();
      *b = c.cluster();
      b->set_lease_ttl_ms(500);
      b->set_hold_down_ms(0);
    }
    grpc::ClientContext push_context;
    v1::PushResponse response;
    ASSERT_TRUE(stub_->Push(&push_context, push, &response).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // three TTLs
  EXPECT_EQ(freshness(), "FRESH") << "adapter log:\n" << ReadFile(AdapterLog());
  etcd_.reset();
  WaitFor([&] { return freshness() == "STALE"; });
  EXPECT_EQ(freshness(), "STALE") << "adapter log:\n" << ReadFile(AdapterLog());
}

TEST_F(CiliumEtcdTest, EtcdClientReadsRangesInPagesAtOneRevision) {
  for (int i = 0; i < 7; ++i) Put(absl::StrCat(kPrefix, "paging/default/s", i), absl::StrCat(i));
  Put("cilium/state/services/v10", "outside the prefix");
  absl::StatusOr<etcd::RangeResult> all = kv_->RangePrefix(kPrefix, 0, 5, /*page_size=*/2);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->kvs.size(), 7u);
  EXPECT_EQ(all->kvs[6].value, "6");
  const int64_t revision = all->revision;
  Delete(absl::StrCat(kPrefix, "paging/default/s0"));
  absl::StatusOr<etcd::RangeResult> then = kv_->RangePrefix(kPrefix, revision, 5, 3);
  ASSERT_TRUE(then.ok()) << then.status();
  EXPECT_EQ(then->kvs.size(), 7u);
  EXPECT_EQ(then->revision, revision);
  EXPECT_EQ(kv_->RangePrefix(kPrefix, 0, 5)->kvs.size(), 6u);
  EXPECT_EQ(etcd::PrefixEnd("a/"), "a0");
  EXPECT_EQ(etcd::PrefixEnd(std::string("a\xff", 2)), "b");
}

}  // namespace
}  // namespace causeway::testing
