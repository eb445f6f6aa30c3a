// Partition (split-brain) handling, driven through ControlPlane with a recording sink and a test
// clock: freshness leases and their renewal, each service's partition policy (KEEP, DROP,
// SAFE_MODE) when cluster-b stops renewing, recovery after the hold-down without flapping within it,
// the single writer's fencing tokens and write-port tables, and validation with field paths.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "controlplane/partition/leases.h"
#include "controlplane/server/control_plane.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/fixtures.h"

namespace causeway::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint32_t kTtlMs = 5000;
constexpr uint32_t kHoldDownMs = 15000;  // the default, 3 × TTL

// TwoClusterState with a 5 s lease on both clusters (cluster-a is the gateway's: never stale) and
// the service's partition policy.
v1::State LeasedState(v1::PartitionPolicy policy) {
  v1::State s = TwoClusterState();
  for (v1::Cluster& c : *s.mutable_clusters()) c.set_lease_ttl_ms(kTtlMs);
  s.mutable_services(0)->set_partition_policy(policy);
  return s;
}

v1::PushRequest DeltaPush(const v1::Delta& d) {
  v1::PushRequest r;
  r.set_source("test");
  *r.mutable_delta() = d;
  return r;
}

v1::PushRequest Renewal(const std::string& cluster) {
  v1::Delta d;
  d.add_renew_clusters(cluster);
  return DeltaPush(d);
}

const snapshot::CompiledService* Find(const snapshot::CompiledSnapshot& snap, const std::string& name) {
  for (const snapshot::CompiledService& s : snap.services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// The backend (cluster/address) each slot of each table points to: comparable across snapshots.
std::vector<std::vector<std::string>> SlotOwners(const snapshot::CompiledService& s) {
  std::vector<std::vector<std::string>> out;
  for (const snapshot::Table& t : s.tables) {
    std::vector<std::string> owners;
    for (uint16_t slot : t.slots) owners.push_back(s.backends[slot].cluster + "/" + s.backends[slot].address.ToString());
    out.push_back(std::move(owners));
  }
  return out;
}

std::set<std::string> BackendClusters(const snapshot::CompiledService& s) {
  std::set<std::string> out;
  for (const snapshot::Backend& b : s.backends) out.insert(b.cluster);
  return out;
}

std::set<std::string> SlotClusters(const snapshot::CompiledService& s) {
  std::set<std::string> out;
  for (const snapshot::Table& t : s.tables) {
    for (uint16_t slot : t.slots) out.insert(s.backends[slot].cluster);
  }
  return out;
}

class PartitionTest : public ::testing::Test {
 protected:
  PartitionTest() {
    server::ControlPlane::Options options;
    options.clock = &clock_;
    cp_ = std::make_unique<server::ControlPlane>(options, &sink_);
  }

  void PushOk(const v1::PushRequest& r) {
    const server::PushOutcome out = cp_->Push(r);
    ASSERT_TRUE(out.status.ok()) << out.status;
  }
  // Moves the clock, then lets the control plane evaluate the leases and publish what changed.
  void Advance(absl::Duration d) {
    clock_.Advance(d);
    cp_->CheckLeases();
  }
  const snapshot::CompiledService& Rebel() {
    last_ = sink_.last();
    const snapshot::CompiledService* s = last_ ? Find(*last_, "default/rebel-base") : nullptr;
    EXPECT_NE(s, nullptr);
    static const snapshot::CompiledService empty;
    return s != nullptr ? *s : empty;
  }
  v1::ClusterStatus ClusterStatusOf(const std::string& name) {
    const v1::ListClustersResponse listing = cp_->ListClusters();
    for (const v1::ClusterStatus& c : listing.clusters()) {
      if (c.cluster().name() == name) return c;
    }
    ADD_FAILURE() << "no cluster " << name;
    return {};
  }

  TestClock clock_;
  RecordingSink sink_;
  std::unique_ptr<server::ControlPlane> cp_;
  std::shared_ptr<const snapshot::CompiledSnapshot> last_;
};

TEST_F(PartitionTest, FreshWhileRenewedStaleAfterTtl) {
  PushOk(SnapshotPush(LeasedState(v1::KEEP)));
  EXPECT_EQ(ClusterStatusOf("cluster-b").freshness(), v1::ClusterStatus::FRESH);
  EXPECT_EQ(ClusterStatusOf("cluster-a").freshness(), v1::ClusterStatus::LOCAL);
  // Renewals every 3 s keep it fresh well past the TTL; a renewal-only delta is not a new version.
  const uint64_t version = cp_->version();
  for (int i = 0; i < 4; ++i) {
    Advance(absl::Seconds(3));
    PushOk(Renewal("cluster-b"));
  }
  EXPECT_EQ(cp_->version(), version);
  EXPECT_THAT(cp_->StaleClusters(), IsEmpty());
  EXPECT_EQ(ClusterStatusOf("cluster-b").freshness(), v1::ClusterStatus::FRESH);
  // An endpoint push of cluster-b renews it too.
  Advance(absl::Seconds(3));
  v1::Delta d;
  *d.add_upsert_endpoints() = MakeEndpoint("cluster-b", "10.244.3.10", "us-east-1a");
  PushOk(DeltaPush(d));
  Advance(absl::Seconds(3));
  EXPECT_THAT(cp_->StaleClusters(), IsEmpty());
  // Silence past the TTL: stale. The gateway's own cluster never is, whatever its TTL.
  Advance(absl::Seconds(3));
  EXPECT_THAT(cp_->StaleClusters(), ElementsAre("cluster-b"));
  const v1::ClusterStatus b = ClusterStatusOf("cluster-b");
  EXPECT_EQ(b.freshness(), v1::ClusterStatus::STALE);
  EXPECT_EQ(b.renewed_ms_ago(), 6000u);
  EXPECT_EQ(b.stale_for_ms(), 1000u);
  EXPECT_EQ(b.services_by_policy().at("KEEP"), 1u);
  EXPECT_EQ(ClusterStatusOf("cluster-a").freshness(), v1::ClusterStatus::LOCAL);
}

TEST_F(PartitionTest, NoLeaseNeverStale) {
  PushOk(SnapshotPush(TwoClusterState()));  // lease_ttl_ms 0
  Advance(absl::Hours(1));
  EXPECT_THAT(cp_->StaleClusters(), IsEmpty());
  EXPECT_EQ(ClusterStatusOf("cluster-b").freshness(), v1::ClusterStatus::NO_LEASE);
}

TEST_F(PartitionTest, KeepLeavesTablesUnchanged) {
  PushOk(SnapshotPush(LeasedState(v1::KEEP)));
  const auto before = SlotOwners(Rebel());
  const int published = sink_.count();
  Advance(absl::Seconds(6));
  EXPECT_THAT(cp_->StaleClusters(), ElementsAre("cluster-b"));
  EXPECT_EQ(sink_.count(), published);  // nothing to republish
  EXPECT_EQ(SlotOwners(Rebel()), before);
  for (const snapshot::Backend& b : Rebel().backends) EXPECT_FALSE(b.refuse_new);
}

TEST_F(PartitionTest, DropTakesStaleClusterOutOfTheWeighting) {
  PushOk(SnapshotPush(LeasedState(v1::DROP)));
  EXPECT_EQ(SlotClusters(Rebel()), (std::set<std::string>{"cluster-a", "cluster-b"}));
  const uint64_t version = cp_->version();
  Advance(absl::Seconds(6));
  EXPECT_EQ(BackendClusters(Rebel()), std::set<std::string>{"cluster-a"});
  EXPECT_EQ(SlotClusters(Rebel()), std::set<std::string>{"cluster-a"});
  EXPECT_EQ(last_->version, version);  // not a change of the state
  // Explain says why.
  absl::StatusOr<v1::ExplainResponse> e = cp_->Explain("default/rebel-base", "");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->summary(), HasSubstr("cluster cluster-b stale: its endpoints dropped"));
  // The persisted and listed state keeps what was pushed.
  EXPECT_EQ(cp_->ListEndpoints("default/rebel-base").endpoints_size(), 4);
}

TEST_F(PartitionTest, SafeModeKeepsSlotsAndRefusesNewFlows) {
  PushOk(SnapshotPush(LeasedState(v1::SAFE_MODE)));
  const auto before = SlotOwners(Rebel());
  Advance(absl::Seconds(6));
  const snapshot::CompiledService& s = Rebel();
  EXPECT_EQ(SlotOwners(s), before);  // no flow moves
  ASSERT_EQ(s.backends.size(), 4u);
  for (const snapshot::Backend& b : s.backends) EXPECT_EQ(b.refuse_new, b.cluster == "cluster-b") << b.cluster;
  absl::StatusOr<v1::ExplainResponse> e = cp_->Explain("default/rebel-base", "");
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->text(), HasSubstr("safe mode: new flows refused"));
}

TEST_F(PartitionTest, RecoveryAfterHoldDownWithoutFlapping) {
  PushOk(SnapshotPush(LeasedState(v1::DROP)));
  const auto fresh = SlotOwners(Rebel());
  auto watcher = cp_->Watch();
  Advance(absl::Seconds(6));
  ASSERT_EQ(BackendClusters(Rebel()), std::set<std::string>{"cluster-a"});
  const auto dropped = SlotOwners(Rebel());
  const int published = sink_.count();

  // The feed comes back: renewals every 2 s. Within the hold-down (15 s) the tables stay as they are.
  PushOk(Renewal("cluster-b"));
  EXPECT_EQ(ClusterStatusOf("cluster-b").freshness(), v1::ClusterStatus::HOLDING_DOWN);
  EXPECT_EQ(ClusterStatusOf("cluster-b").hold_down_left_ms(), kHoldDownMs);
  for (int i = 0; i < 4; ++i) {
    Advance(absl::Seconds(2));
    PushOk(Renewal("cluster-b"));
    EXPECT_EQ(SlotOwners(Rebel()), dropped) << "after " << 2 * (i + 1) << " s";
  }
  // It flaps: silent past its TTL 8 s into the hold-down. Still dropped, and the hold-down starts
  // over at the next renewal.
  Advance(absl::Seconds(6));
  EXPECT_EQ(ClusterStatusOf("cluster-b").freshness(), v1::ClusterStatus::STALE);
  PushOk(Renewal("cluster-b"));
  for (int i = 0; i < 7; ++i) {
    Advance(absl::Seconds(2));
    PushOk(Renewal("cluster-b"));
    EXPECT_EQ(SlotOwners(Rebel()), dropped) << "after " << 2 * (i + 1) << " s of the second hold-down";
  }
  EXPECT_EQ(sink_.count(), published);  // not one republish while held down
  // 15 s of renewals: fresh again, the tables as before the partition.
  Advance(absl::Seconds(1));
  EXPECT_THAT(cp_->StaleClusters(), IsEmpty());
  EXPECT_EQ(ClusterStatusOf("cluster-b").freshness(), v1::ClusterStatus::FRESH);
  EXPECT_EQ(SlotOwners(Rebel()), fresh);

  std::vector<std::string> changes;
  v1::WatchEvent ev;
  while (watcher->Next(&ev, absl::Milliseconds(200))) {
    for (const std::string& c : ev.changes()) changes.push_back(c);
  }
  EXPECT_THAT(changes, ::testing::Contains(HasSubstr("partition: cluster cluster-b stale (no renewal for 6s")));
  EXPECT_THAT(changes, ::testing::Contains(HasSubstr("holding down for 15s")));
  EXPECT_THAT(changes, ::testing::Contains(HasSubstr("stale again during its hold-down")));
  EXPECT_THAT(changes, ::testing::Contains(HasSubstr("partition: cluster cluster-b fresh again")));
}

TEST_F(PartitionTest, ZeroHoldDownRecoversAtFirstRenewal) {
  v1::State s = LeasedState(v1::DROP);
  s.mutable_clusters(1)->set_hold_down_ms(0);
  PushOk(SnapshotPush(s));
  Advance(absl::Seconds(6));
  ASSERT_EQ(BackendClusters(Rebel()), std::set<std::string>{"cluster-a"});
  PushOk(Renewal("cluster-b"));
  cp_->CheckLeases();
  EXPECT_EQ(BackendClusters(Rebel()), (std::set<std::string>{"cluster-a", "cluster-b"}));
}

// Leases are not persisted: a restarted causewayd starts every lease afresh (it cannot know how
// fresh a restored cluster was), and a cluster given a lease it did not have starts fresh too.
TEST_F(PartitionTest, LeasesStartAfreshOnRestartAndWhenFirstGiven) {
  TempDir dir;
  server::ControlPlane::Options options;
  options.state_dir = dir.path();
  options.clock = &clock_;
  {
    server::ControlPlane first(options, &sink_);
    ASSERT_TRUE(first.Restore().ok());
    v1::State s = LeasedState(v1::DROP);
    s.mutable_clusters(1)->set_lease_ttl_ms(0);  // no lease yet
    v1::PushRequest r = SnapshotPush(s);
    ASSERT_TRUE(first.Push(r).status.ok());
    clock_.Advance(absl::Minutes(10));
    first.CheckLeases();
    // Given a lease ten minutes after its last push: fresh for a TTL from now, not stale at once.
    v1::Delta d;
    *d.add_upsert_clusters() = LeasedState(v1::DROP).clusters(1);
    ASSERT_TRUE(first.Push(DeltaPush(d)).status.ok());
    first.CheckLeases();
    EXPECT_THAT(first.StaleClusters(), IsEmpty());
    clock_.Advance(absl::Seconds(6));
    first.CheckLeases();
    EXPECT_THAT(first.StaleClusters(), ElementsAre("cluster-b"));
    EXPECT_EQ(BackendClusters(*Find(*sink_.last(), "default/rebel-base")), std::set<std::string>{"cluster-a"});
  }
  server::ControlPlane second(options, &sink_);
  ASSERT_TRUE(second.Restore().ok());
  EXPECT_THAT(second.StaleClusters(), IsEmpty());
  EXPECT_EQ(BackendClusters(*Find(*sink_.last(), "default/rebel-base")), (std::set<std::string>{"cluster-a", "cluster-b"}));
  clock_.Advance(absl::Seconds(6));
  second.CheckLeases();
  EXPECT_THAT(second.StaleClusters(), ElementsAre("cluster-b"));
}

// The publisher's own timer, on the real clock: nobody calls CheckLeases.
TEST(PartitionTimerTest, LeaseRunsOutOnTheRealClock) {
  RecordingSink sink;
  server::ControlPlane cp(server::ControlPlane::Options{}, &sink);
  v1::State s = LeasedState(v1::DROP);
  s.mutable_clusters(1)->set_lease_ttl_ms(200);
  s.mutable_clusters(1)->set_hold_down_ms(0);
  v1::PushRequest r = SnapshotPush(s);
  ASSERT_TRUE(cp.Push(r).status.ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (cp.StaleClusters().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_THAT(cp.StaleClusters(), ElementsAre("cluster-b"));
  EXPECT_EQ(BackendClusters(*Find(*sink.last(), "default/rebel-base")), std::set<std::string>{"cluster-a"});
  // Renewed (no hold-down): back at once, and stale again 200 ms after the renewals stop.
  ASSERT_TRUE(cp.Push(Renewal("cluster-b")).status.ok());
  while (!cp.StaleClusters().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(BackendClusters(*Find(*sink.last(), "default/rebel-base")), (std::set<std::string>{"cluster-a", "cluster-b"}));
  while (cp.StaleClusters().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_THAT(cp.StaleClusters(), ElementsAre("cluster-b"));
}

// A state whose service answers on :80 and :5432, cluster-b holding the write authority for 5432.
v1::State WriterState(uint64_t token) {
  v1::State s = LeasedState(v1::KEEP);
  v1::Frontend* f = s.mutable_services(0)->add_frontends();
  f->set_vip("10.96.0.10");
  f->set_port(5432);
  f->set_protocol(v1::TCP);
  v1::Writer* w = s.mutable_services(0)->mutable_writer();
  w->set_cluster("cluster-b");
  w->set_fencing_token(token);
  w->add_write_ports(5432);
  return s;
}

TEST_F(PartitionTest, WritePortsGoToTheWriterOnly) {
  PushOk(SnapshotPush(WriterState(5)));
  const snapshot::CompiledService& main = Rebel();
  ASSERT_EQ(main.frontends.size(), 1u);
  EXPECT_EQ(main.frontends[0].port, 80);
  EXPECT_EQ(SlotClusters(main), (std::set<std::string>{"cluster-a", "cluster-b"}));
  const snapshot::CompiledService* write = Find(*last_, "default/rebel-base#write");
  ASSERT_NE(write, nullptr);
  ASSERT_EQ(write->frontends.size(), 1u);
  EXPECT_EQ(write->frontends[0].port, 5432);
  EXPECT_EQ(write->frontends[0].vip.ToString(), "10.96.0.10");
  EXPECT_EQ(BackendClusters(*write), std::set<std::string>{"cluster-b"});
  EXPECT_EQ(SlotClusters(*write), std::set<std::string>{"cluster-b"});
  EXPECT_NE(write->id, main.id);
  // The same endpoint is the same backend (id) in both tables.
  EXPECT_EQ(write->backends[0].id, std::find_if(main.backends.begin(), main.backends.end(), [](const auto& b) {
                                     return b.cluster == "cluster-b";
                                   })->id);

  // The writer goes stale: the write port gets no new flows at all (not a non-writer), its
  // established flows keep their backends; port 80 is unchanged (KEEP).
  const auto main_before = SlotOwners(main);
  Advance(absl::Seconds(6));
  const snapshot::CompiledService* stale_write = Find(*sink_.last(), "default/rebel-base#write");
  ASSERT_NE(stale_write, nullptr);
  for (const snapshot::Table& t : stale_write->tables) EXPECT_THAT(t.slots, IsEmpty());
  EXPECT_EQ(BackendClusters(*stale_write), std::set<std::string>{"cluster-b"});
  for (const snapshot::Backend& b : stale_write->backends) EXPECT_TRUE(b.refuse_new);
  EXPECT_EQ(SlotOwners(Rebel()), main_before);
}

// The write ports' table is built from the writer cluster's endpoints: an update elsewhere that
// leaves both tables' inputs alone copies both; one in the writer cluster that moves weights
// builds both again.
TEST_F(PartitionTest, WritePortTablesAreCopiedWhenTheirInputStays) {
  PushOk(SnapshotPush(WriterState(5)));
  const v1::StatsResponse first = cp_->Stats();
  ASSERT_EQ(first.maglev_tables_built(), 2u);  // the service's and its write ports'
  const std::vector<uint16_t> write_slots = Find(*sink_.last(), "default/rebel-base#write")->tables[0].slots;
  v1::Delta zone_only;
  *zone_only.add_upsert_endpoints() = MakeEndpoint("cluster-b", "10.244.2.10", "us-east-1c");
  PushOk(DeltaPush(zone_only));
  const v1::StatsResponse copied = cp_->Stats();
  EXPECT_EQ(copied.maglev_tables_built(), 2u);
  EXPECT_EQ(copied.maglev_tables_copied(), 2u);
  EXPECT_EQ(Find(*sink_.last(), "default/rebel-base#write")->tables[0].slots, write_slots);
  v1::Delta heavier;
  v1::Endpoint e = MakeEndpoint("cluster-b", "10.244.2.10", "us-east-1c");
  e.set_weight(4);
  *heavier.add_upsert_endpoints() = e;
  PushOk(DeltaPush(heavier));
  EXPECT_EQ(cp_->Stats().maglev_tables_built(), 4u);
  EXPECT_NE(Find(*sink_.last(), "default/rebel-base#write")->tables[0].slots, write_slots);
}

TEST_F(PartitionTest, WriterOnPortZeroFrontendGetsExactPortFrontends) {
  v1::State s = LeasedState(v1::KEEP);
  s.mutable_services(0)->mutable_frontends(0)->set_port(0);
  v1::Writer* w = s.mutable_services(0)->mutable_writer();
  w->set_cluster("cluster-a");
  w->set_fencing_token(1);
  w->add_write_ports(5432);
  w->add_write_ports(6379);
  PushOk(SnapshotPush(s));
  const snapshot::CompiledService& main = Rebel();
  ASSERT_EQ(main.frontends.size(), 1u);
  EXPECT_EQ(main.frontends[0].port, 0);
  const snapshot::CompiledService* write = Find(*last_, "default/rebel-base#write");
  ASSERT_NE(write, nullptr);
  std::vector<uint16_t> ports;
  for (const snapshot::Frontend& f : write->frontends) ports.push_back(f.port);
  EXPECT_THAT(ports, ElementsAre(5432, 6379));
  EXPECT_EQ(SlotClusters(*write), std::set<std::string>{"cluster-a"});
}

TEST_F(PartitionTest, WriterWithoutPortsOwnsTheWholeService) {
  v1::State s = LeasedState(v1::KEEP);
  s.mutable_services(0)->mutable_writer()->set_cluster("cluster-b");
  PushOk(SnapshotPush(s));
  EXPECT_EQ(SlotClusters(Rebel()), std::set<std::string>{"cluster-b"});
  EXPECT_EQ(Find(*last_, "default/rebel-base#write"), nullptr);
}

TEST_F(PartitionTest, FencingTokens) {
  PushOk(SnapshotPush(WriterState(5)));
  auto upsert = [&](const std::string& cluster, uint64_t token) {
    v1::Service svc = WriterState(token).services(0);
    svc.mutable_writer()->set_cluster(cluster);
    v1::Delta d;
    *d.add_upsert_services() = svc;
    return cp_->Push(DeltaPush(d));
  };
  server::PushOutcome lower = upsert("cluster-b", 3);
  EXPECT_EQ(lower.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(lower.status.message()),
              HasSubstr("delta.upsert_services[0].writer.fencing_token: stale token 3 < 5 held"));
  server::PushOutcome usurper = upsert("cluster-a", 5);
  EXPECT_EQ(usurper.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(usurper.status.message()), HasSubstr("token 5 is held by cluster \"cluster-b\""));
  EXPECT_TRUE(upsert("cluster-b", 5).status.ok());  // a retry
  EXPECT_TRUE(upsert("cluster-a", 6).status.ok());  // a new holder
  EXPECT_EQ(SlotClusters(*Find(*sink_.last(), "default/rebel-base#write")), std::set<std::string>{"cluster-a"});
  // A whole snapshot is fenced the same way.
  server::PushOutcome old = cp_->Push(SnapshotPush(WriterState(5)));
  EXPECT_THAT(std::string(old.status.message()),
              HasSubstr("snapshot.services[0].writer.fencing_token: stale token 5 < 6 held"));
  // Clearing the writer, or deleting the service, does not forget the token.
  v1::State cleared = WriterState(6);
  cleared.mutable_services(0)->clear_writer();
  PushOk(SnapshotPush(cleared));
  EXPECT_EQ(Find(*sink_.last(), "default/rebel-base#write"), nullptr);
  EXPECT_THAT(std::string(cp_->Push(SnapshotPush(WriterState(4))).status.message()),
              HasSubstr("stale token 4 < 6 held (by cluster \"cluster-a\")"));
  v1::Delta del;
  del.add_delete_services("default/rebel-base");
  PushOk(DeltaPush(del));
  EXPECT_THAT(std::string(cp_->Push(SnapshotPush(WriterState(4))).status.message()), HasSubstr("stale token 4 < 6"));
  PushOk(SnapshotPush(WriterState(7)));
}

TEST(FencingPersistenceTest, TheHighestTokenSurvivesARestart) {
  TempDir dir;
  RecordingSink sink;
  server::ControlPlane::Options options;
  options.state_dir = dir.path();
  {
    server::ControlPlane cp(options, &sink);
    ASSERT_TRUE(cp.Restore().ok());
    ASSERT_TRUE(cp.Push(SnapshotPush(WriterState(9))).status.ok());
    v1::State cleared = WriterState(9);
    cleared.mutable_services(0)->clear_writer();
    ASSERT_TRUE(cp.Push(SnapshotPush(cleared)).status.ok());
  }
  server::ControlPlane cp(options, &sink);
  ASSERT_TRUE(cp.Restore().ok());
  EXPECT_THAT(std::string(cp.Push(SnapshotPush(WriterState(8))).status.message()),
              HasSubstr("snapshot.services[0].writer.fencing_token: stale token 8 < 9 held"));
  EXPECT_TRUE(cp.Push(SnapshotPush(WriterState(9))).status.ok());
}

TEST_F(PartitionTest, ValidationWithFieldPaths) {
  v1::State s = WriterState(1);
  s.mutable_clusters(1)->set_lease_ttl_ms(50);
  s.mutable_clusters(1)->set_hold_down_ms(4000000);
  s.mutable_services(0)->mutable_writer()->add_write_ports(443);
  s.mutable_services(0)->mutable_writer()->add_write_ports(5432);
  s.mutable_services(0)->set_partition_policy(static_cast<v1::PartitionPolicy>(9));
  server::PushOutcome out = cp_->Push(SnapshotPush(s));
  const std::string text(out.status.message());
  EXPECT_THAT(text, HasSubstr("snapshot.clusters[1].lease_ttl_ms: lease TTL 50 is out of range 100..3600000"));
  EXPECT_THAT(text, HasSubstr("snapshot.clusters[1].hold_down_ms: hold-down 4000000 is out of range 0..3600000"));
  EXPECT_THAT(text, HasSubstr("snapshot.services[0].writer.write_ports[1]: port 443 is not a port of the service's frontends"));
  EXPECT_THAT(text, HasSubstr("snapshot.services[0].writer.write_ports[2]: port 5432 is listed twice"));
  EXPECT_THAT(text, HasSubstr("snapshot.services[0].partition_policy: unknown partition policy"));

  v1::State unknown = WriterState(1);
  unknown.mutable_services(0)->mutable_writer()->set_cluster("cluster-z");
  EXPECT_THAT(std::string(cp_->Push(SnapshotPush(unknown)).status.message()),
              HasSubstr("services[\"default/rebel-base\"].writer.cluster: unknown cluster \"cluster-z\""));

  PushOk(SnapshotPush(WriterState(1)));
  EXPECT_THAT(std::string(cp_->Push(Renewal("cluster-z")).status.message()),
              HasSubstr("delta.renew_clusters[0]: unknown cluster \"cluster-z\""));
  v1::Delta d;
  d.add_delete_clusters("cluster-b");
  EXPECT_THAT(std::string(cp_->Push(DeltaPush(d)).status.message()),
              HasSubstr("services[\"default/rebel-base\"].writer.cluster: unknown cluster \"cluster-b\""));
}

}  // namespace
}  // namespace causeway::testing
