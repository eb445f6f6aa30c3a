// Topology and affinity weighting, table-driven. Every share is measured from the built Maglev table's
// slot counts (within 1% of the expected share, or one slot).
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "controlplane/topology/explain.h"
#include "controlplane/topology/service_tables.h"
#include "controlplane/topology/spillover.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace causeway::topology {
namespace {

using ::testing::HasSubstr;

// Endpoints are named for the test: "cluster/last-octet" → 10.244.0.<octet>:80 in that cluster.
struct Ep {
  std::string cluster;
  std::string zone;
  int octet;
  std::string region = "us-east-1";
  uint32_t weight = 1;
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  bool healthy = true;
  bool exported = true;
};

EndpointState State(const Ep& e) {
  EndpointState s;
  s.cluster = e.cluster;
  s.region = e.region;
  s.zone = e.zone;
  s.address = net::IpAddress::V4(0x0af40000u + e.octet);  // island clusters reuse 10.244.0.0/16
  s.port = 80;
  s.weight = e.weight;
  s.ready = e.ready;
  s.serving = e.serving;
  s.terminating = e.terminating;
  s.health = e.healthy ? Health::kHealthy : Health::kUnhealthy;
  s.exported = e.exported;
  return s;
}

std::string Name(const Ep& e) { return e.cluster + "/" + std::to_string(e.octet); }

GatewayView Gateway(const std::string& cluster = "a", const std::string& zone = "us-east-1a") {
  GatewayView g;
  g.cluster = cluster;
  g.region = "us-east-1";
  g.zone = zone;
  g.client_zones = {{*net::IpPrefix::Parse("10.1.0.0/16"), "us-east-1a"},
                    {*net::IpPrefix::Parse("10.2.0.0/16"), "us-east-1b"},
                    {*net::IpPrefix::Parse("10.3.0.0/16"), "us-east-1c"}};
  return g;
}

struct Case {
  std::string name;
  ServicePolicy policy;
  std::vector<Ep> endpoints;
  std::string client_zone;
  std::map<std::string, double> want;  // endpoint name → share; unlisted endpoints must get 0
  GatewayView gateway = Gateway();
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// Measured shares for one client zone.
std::map<std::string, double> Shares(const Case& c) {
  std::vector<EndpointState> states;
  for (const Ep& e : c.endpoints) states.push_back(State(e));
  absl::StatusOr<ServiceTables> t = BuildServiceTables(c.gateway, c.policy, states);
  EXPECT_TRUE(t.ok()) << t.status();
  if (!t.ok()) return {};
  const auto zone = std::find(t->zones.begin(), t->zones.end(), c.client_zone);
  EXPECT_NE(zone, t->zones.end()) << c.client_zone;
  const maglev::MaglevTable& table = t->tables[t->zone_table[zone - t->zones.begin()]];
  std::map<std::string, double> shares;
  if (table.empty()) return shares;
  const std::vector<uint32_t> counts = table.SlotCounts();
  for (size_t i = 0; i < counts.size(); ++i) {
    for (const Ep& e : c.endpoints) {
      const EndpointState s = State(e);
      if (table.endpoints()[i].key == maglev::EndpointKey{s.cluster, s.address, s.port}) {
        shares[Name(e)] = static_cast<double>(counts[i]) / table.size();
      }
    }
  }
  return shares;
}

ServicePolicy Policy(Affinity affinity = Affinity::kNone,
                     TrafficDistribution distribution = TrafficDistribution::kDefault) {
  ServicePolicy p;
  p.name = "default/rebel-base";
  p.affinity = affinity;
  p.distribution = distribution;
  return p;
}

Ep Unhealthy(Ep e) {
  e.healthy = false;
  return e;
}
Ep Terminating(Ep e, bool serving = true) {
  e.terminating = true;
  e.ready = false;
  e.serving = serving;
  return e;
}
Ep Weight(Ep e, uint32_t w) {
  e.weight = w;
  return e;
}
Ep NotExported(Ep e) {
  e.exported = false;
  return e;
}

std::vector<Case> Cases() {
  const Ep a1{"a", "us-east-1a", 1}, a2{"a", "us-east-1a", 2}, a3{"a", "us-east-1a", 3}, a4{"a", "us-east-1a", 4};
  const Ep a5{"a", "us-east-1b", 5}, a6{"a", "us-east-1b", 6};
  // Cluster b reuses cluster a's addresses: b/1 and a/1 are different endpoints.
  const Ep b1{"b", "us-east-1a", 1}, b2{"b", "us-east-1b", 2};
  const Ep w1{"w", "us-west-2a", 7, "us-west-2"};

  ServicePolicy factor2 = Policy(Affinity::kLocal);
  factor2.spillover_factor = 2.0;
  ServicePolicy local_only = Policy();
  local_only.scope = Scope::kLocalOnly;
  ServicePolicy no_panic = Policy();
  no_panic.panic_threshold = 0;
  ServicePolicy close_local = Policy(Affinity::kLocal, TrafficDistribution::kPreferSameZone);

  std::vector<Case> cases = {
      {"PreferSameZoneKeepsClientZone", Policy(Affinity::kNone, TrafficDistribution::kPreferSameZone),
       {a1, a2, a3, a4, a5, a6}, "us-east-1a",
       {{"a/1", .25}, {"a/2", .25}, {"a/3", .25}, {"a/4", .25}}},
      {"PreferSameZoneFromZoneB", Policy(Affinity::kNone, TrafficDistribution::kPreferSameZone),
       {a1, a2, a3, a4, a5, a6}, "us-east-1b", {{"a/5", .5}, {"a/6", .5}}},
      {"DefaultSpreadsEvenly", Policy(), {a1, a2, a3, a4, a5, a6}, "us-east-1a",
       {{"a/1", 1. / 6}, {"a/2", 1. / 6}, {"a/3", 1. / 6}, {"a/4", 1. / 6}, {"a/5", 1. / 6}, {"a/6", 1. / 6}}},
      {"AffinityLocalAllLocal", Policy(Affinity::kLocal), {a1, a5, b1, b2}, "us-east-1a",
       {{"a/1", .5}, {"a/5", .5}}},
      {"AffinityLocalAllLocalDownGoesRemote", Policy(Affinity::kLocal),
       {Unhealthy(a1), Unhealthy(a5), b1, b2}, "us-east-1a", {{"b/1", .5}, {"b/2", .5}}},
      {"AffinityLocalOneBackSpills30", Policy(Affinity::kLocal), {a1, Unhealthy(a5), b1, b2}, "us-east-1a",
       {{"a/1", .7}, {"b/1", .15}, {"b/2", .15}}},
      {"AffinityLocalOneBackFactor2AllLocal", factor2, {a1, Unhealthy(a5), b1, b2}, "us-east-1a",
       {{"a/1", 1.0}}},
      {"AffinityNoneMixes", Policy(), {a1, a5, b1, b2}, "us-east-1a",
       {{"a/1", .25}, {"a/5", .25}, {"b/1", .25}, {"b/2", .25}}},
      {"AffinityRemoteMirrorsLocal", Policy(Affinity::kRemote), {a1, a5, b1, b2}, "us-east-1a",
       {{"b/1", .5}, {"b/2", .5}}},
      {"AffinityRemoteAllRemoteDown", Policy(Affinity::kRemote), {a1, a5, Unhealthy(b1), Unhealthy(b2)},
       "us-east-1a", {{"a/1", .5}, {"a/5", .5}}},
      {"ZoneHalfHealthyKeeps70", close_local, {a1, a2, Unhealthy(a3), Unhealthy(a4), a5, a6}, "us-east-1a",
       {{"a/1", .35}, {"a/2", .35}, {"a/5", .15}, {"a/6", .15}}},
      {"ZoneThreeQuartersHealthyKeepsAll", close_local, {a1, a2, a3, Unhealthy(a4), a5, a6}, "us-east-1a",
       {{"a/1", 1. / 3}, {"a/2", 1. / 3}, {"a/3", 1. / 3}}},
      {"TiersDownToOtherRegions", close_local,
       {Unhealthy(a1), Unhealthy(a5), Unhealthy(b1), Unhealthy(b2), w1}, "us-east-1a", {{"w/7", 1.0}}},
      {"RemoteSameZoneBeforeRemoteOtherZone", close_local, {Unhealthy(a1), b1, b2}, "us-east-1a",
       {{"b/1", 1.0}}},
      {"TerminatingGetsNothing", Policy(), {a1, Terminating(a2), a3}, "us-east-1a", {{"a/1", .5}, {"a/3", .5}}},
      {"AllTerminatingFallsBackToServing", Policy(), {Terminating(a1), Terminating(a2, false), Terminating(a3)},
       "us-east-1a", {{"a/1", .5}, {"a/3", .5}}},
      {"PanicIgnoresHealth", Policy(),
       {a1, a2, Unhealthy(a3), Unhealthy(a4), Unhealthy(a5), Unhealthy(a6)}, "us-east-1a",
       {{"a/1", 1. / 6}, {"a/2", 1. / 6}, {"a/3", 1. / 6}, {"a/4", 1. / 6}, {"a/5", 1. / 6}, {"a/6", 1. / 6}}},
      {"PanicOffKeepsToHealthy", no_panic,
       {a1, a2, Unhealthy(a3), Unhealthy(a4), Unhealthy(a5), Unhealthy(a6)}, "us-east-1a",
       {{"a/1", .5}, {"a/2", .5}}},
      {"NothingHealthyPanicUsesFirstTier", Policy(Affinity::kLocal),
       {Unhealthy(a1), Unhealthy(a5), Unhealthy(b1)}, "us-east-1a", {{"a/1", .5}, {"a/5", .5}}},
      {"NothingHealthyNoPanicNoBackend", no_panic, {Unhealthy(a1), Unhealthy(b1)}, "us-east-1a", {}},
      {"LocalOnlyIgnoresRemote", local_only, {a1, b1, b2}, "us-east-1a", {{"a/1", 1.0}}},
      {"GlobalUsesRemote", Policy(), {a1, b1}, "us-east-1a", {{"a/1", .5}, {"b/1", .5}}},
      {"SharedFalseRemoteNotUsed", Policy(), {a1, NotExported(b1)}, "us-east-1a", {{"a/1", 1.0}}},
      {"SharedFalseUsedByItsOwnCluster", Policy(), {NotExported(a1), b1}, "us-east-1a",
       {{"a/1", .5}, {"b/1", .5}}},
      {"WeightsOneToThreeInATier", Policy(), {a1, Weight(a2, 3)}, "us-east-1a", {{"a/1", .25}, {"a/2", .75}}},
      {"WeightZeroGetsNothing", Policy(), {a1, Weight(a2, 0)}, "us-east-1a", {{"a/1", 1.0}}},
  };
  return cases;
}

class WeightingTest : public ::testing::TestWithParam<Case> {};

TEST_P(WeightingTest, SharesFromTheBuiltTable) {
  const Case& c = GetParam();
  const std::map<std::string, double> got = Shares(c);
  for (const Ep& e : c.endpoints) {
    const std::string name = Name(e);
    const double want = c.want.count(name) ? c.want.at(name) : 0.0;
    const double have = got.count(name) ? got.at(name) : 0.0;
    // Within 1% of the share, or one slot of the smallest automatic table.
    EXPECT_NEAR(have, want, std::max(0.01 * want, 1.0 / 251)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Semantics, WeightingTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(Spillover, EnvoyPriorityLoadTable) {
  // Envoy's documented figures with factor 1.4: P0 health → share kept by P0.
  struct Row {
    uint64_t healthy, total;
    double p0;
  };
  for (const Row& r : std::vector<Row>{{100, 100, 1.0}, {72, 100, 1.0}, {71, 100, .994}, {50, 100, .70},
                                       {25, 100, .35}, {0, 100, 0}}) {
    const auto loads = TierLoads({{r.healthy, r.total}, {100, 100}}, 1400);
    EXPECT_NEAR(static_cast<double>(loads[0]) / kLoadScale, r.p0, 0.001) << r.healthy;
    EXPECT_NEAR(static_cast<double>(loads[0] + loads[1]) / kLoadScale, 1.0, 1e-6);
  }
  // Healths that add up to less than all traffic are normalised: 20% and 20% → half each.
  const auto loads = TierLoads({{20, 100}, {20, 100}}, 1400);
  EXPECT_NEAR(static_cast<double>(loads[0]) / kLoadScale, .5, 1e-6);
  EXPECT_NEAR(static_cast<double>(loads[1]) / kLoadScale, .5, 1e-6);
  EXPECT_EQ(TierLoads({{0, 3}, {0, 1}}, 1400), (std::vector<uint64_t>{0, 0}));
}

std::vector<EndpointState> ManyEndpoints() {
  std::vector<EndpointState> v;
  const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
  for (int i = 0; i < 60; ++i) {
    Ep e{i % 2 ? "a" : "b", zones[i % 3], i + 1};
    e.weight = 1 + i % 4;
    e.healthy = i % 7 != 0;
    v.push_back(State(e));
  }
  return v;
}

TEST(ServiceTables, ShuffledInputGivesIdenticalTables) {
  std::vector<EndpointState> v = ManyEndpoints();
  const ServicePolicy p = Policy(Affinity::kLocal, TrafficDistribution::kPreferSameZone);
  const ServiceTables want = *BuildServiceTables(Gateway(), p, v);
  std::mt19937 rng(3);
  for (int round = 0; round < 4; ++round) {
    std::shuffle(v.begin(), v.end(), rng);
    const ServiceTables got = *BuildServiceTables(Gateway(), p, v);
    ASSERT_EQ(got.tables.size(), want.tables.size());
    EXPECT_EQ(got.zone_table, want.zone_table);
    for (size_t t = 0; t < want.tables.size(); ++t) {
      EXPECT_TRUE(std::ranges::equal(got.tables[t].slots(), want.tables[t].slots()));
      ASSERT_EQ(got.tables[t].endpoints().size(), want.tables[t].endpoints().size());
      for (size_t i = 0; i < want.tables[t].endpoints().size(); ++i) {
        EXPECT_EQ(got.tables[t].endpoints()[i].key, want.tables[t].endpoints()[i].key);
      }
    }
  }
}

TEST(ServiceTables, UnknownSourcesUseTheGatewaysZone) {
  GatewayView g = Gateway("a", "us-east-1b");
  const ServiceTables t = *BuildServiceTables(g, Policy(Affinity::kNone, TrafficDistribution::kPreferSameZone),
                                              ManyEndpoints());
  // Zone 0 is the one the dataplane uses for sources that no prefix covers.
  ASSERT_EQ(t.zones, (std::vector<std::string>{"us-east-1b", "us-east-1a", "us-east-1c"}));
  EXPECT_EQ(t.views[0].client_zone, "us-east-1b");
}

TEST(ServiceTables, IdenticalViewsShareOneTable) {
  const ServiceTables spread = *BuildServiceTables(Gateway(), Policy(), ManyEndpoints());
  EXPECT_EQ(spread.tables.size(), 1u);
  EXPECT_EQ(spread.zone_table, (std::vector<uint16_t>{0, 0, 0}));
  const ServiceTables close =
      *BuildServiceTables(Gateway(), Policy(Affinity::kNone, TrafficDistribution::kPreferSameZone), ManyEndpoints());
  EXPECT_EQ(close.tables.size(), 3u);
}

TEST(ServiceTables, AutomaticSizeFollowsTheView) {
  const ServiceTables t = *BuildServiceTables(Gateway(), Policy(), ManyEndpoints());
  // 60 endpoints, of which the 9 unhealthy get nothing: 51 × 100 → 8191.
  EXPECT_EQ(t.tables[0].size(), 8191u);
  ServicePolicy explicit_size = Policy();
  explicit_size.table_size = 65537;
  EXPECT_EQ(BuildServiceTables(Gateway(), explicit_size, ManyEndpoints())->tables[0].size(), 65537u);
}

// Each table of `got` is the one a build from scratch gives (slots, endpoints, input positions).
void ExpectSameTables(const ServiceTables& got, const ServiceTables& want) {
  ASSERT_EQ(got.tables.size(), want.tables.size());
  EXPECT_EQ(got.zone_table, want.zone_table);
  for (size_t t = 0; t < want.tables.size(); ++t) {
    EXPECT_EQ(got.tables[t].size(), want.tables[t].size());
    EXPECT_TRUE(std::ranges::equal(got.tables[t].slots(), want.tables[t].slots()));
    EXPECT_TRUE(std::ranges::equal(got.tables[t].input_positions(), want.tables[t].input_positions()));
    ASSERT_EQ(got.tables[t].endpoints().size(), want.tables[t].endpoints().size());
    for (size_t i = 0; i < want.tables[t].endpoints().size(); ++i) {
      EXPECT_EQ(got.tables[t].endpoints()[i], want.tables[t].endpoints()[i]);
    }
  }
}

TEST(ServiceTables, ATableWhoseInputDidNotChangeIsTakenFromThePreviousBuild) {
  std::vector<EndpointState> v = ManyEndpoints();
  const ServiceTables before = *BuildServiceTables(Gateway(), Policy(), v);
  EXPECT_EQ(before.reused, 0u);
  // A zone label: under the default distribution every client zone sees the same weights, and
  // the table's input (keys, weights) is what it was.
  ASSERT_NE(v[5].zone, "us-east-1a");
  v[5].zone = "us-east-1a";
  const ServiceTables after = *BuildServiceTables(Gateway(), Policy(), v, &before);
  EXPECT_EQ(after.reused, 1u);
  ExpectSameTables(after, *BuildServiceTables(Gateway(), Policy(), v));
  EXPECT_EQ(after.views[0].endpoints.size(), v.size());
  // Taken again from a table that was itself taken: still the build's.
  v[11].zone = v[11].zone == "us-east-1a" ? "us-east-1b" : "us-east-1a";
  const ServiceTables again = *BuildServiceTables(Gateway(), Policy(), v, &after);
  EXPECT_EQ(again.reused, 1u);
  ExpectSameTables(again, *BuildServiceTables(Gateway(), Policy(), v));
}

TEST(ServiceTables, ATableWhoseInputChangedIsBuiltAgain) {
  std::vector<EndpointState> v = ManyEndpoints();
  const ServiceTables before = *BuildServiceTables(Gateway(), Policy(), v);
  ASSERT_EQ(v[8].health, Health::kHealthy);
  for (auto change : std::vector<std::function<void(std::vector<EndpointState>&)>>{
           [](auto& e) { e[3].weight += 1; },                     // a weight
           [](auto& e) { e[8].health = Health::kUnhealthy; },     // one fewer endpoint with weight
           [](auto& e) { e.pop_back(); },                         // one endpoint gone
           [](auto& e) { std::swap(e[1], e[2]); },                // same set, other input order
           // An endpoint without weight (unhealthy) moved: the weighted ones keep their keys,
           // weights and order, but not their input positions.
           [](auto& e) { std::rotate(e.begin(), e.begin() + 1, e.begin() + 8); }}) {
    std::vector<EndpointState> changed = v;
    change(changed);
    const ServiceTables after = *BuildServiceTables(Gateway(), Policy(), changed, &before);
    EXPECT_EQ(after.reused, 0u);
    ExpectSameTables(after, *BuildServiceTables(Gateway(), Policy(), changed));
  }
  // Same input, another table size: built again.
  ServicePolicy sized = Policy();
  sized.table_size = 65537;
  EXPECT_EQ(BuildServiceTables(Gateway(), sized, v, &before)->reused, 0u);
}

TEST(ServiceTables, PerZoneTablesAreReusedOneByOne) {
  std::vector<EndpointState> v = ManyEndpoints();
  const ServicePolicy p = Policy(Affinity::kNone, TrafficDistribution::kPreferSameZone);
  const ServiceTables before = *BuildServiceTables(Gateway(), p, v);
  ASSERT_EQ(before.tables.size(), 3u);
  // An endpoint of us-east-1c leaves it for us-east-1b: the two zones' tables change, us-east-1a's
  // does not.
  ASSERT_EQ(v[2].zone, "us-east-1c");
  v[2].zone = "us-east-1b";
  const ServiceTables after = *BuildServiceTables(Gateway(), p, v, &before);
  EXPECT_EQ(after.reused, 1u);
  ExpectSameTables(after, *BuildServiceTables(Gateway(), p, v));
}

TEST(ServiceTables, DuplicateEndpointIsAnError) {
  std::vector<EndpointState> v = {State({"a", "us-east-1a", 1}), State({"a", "us-east-1a", 1})};
  const auto t = BuildServiceTables(Gateway(), Policy(), v);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("a/10.244.0.1:80 is listed twice"));
}

TEST(Explain, SaysWhySomeTrafficSpilled) {
  const std::vector<EndpointState> v = {State({"a", "us-east-1a", 1}), State(Unhealthy({"a", "us-east-1a", 2})),
                                        State(Terminating({"a", "us-east-1a", 3})),
                                        State({"b", "us-east-1a", 4})};
  const ServicePolicy p = Policy(Affinity::kLocal);
  const ServiceTables t = *BuildServiceTables(Gateway(), p, v);
  const Explanation e = Explain(p, v, t.views[0], t.tables[t.zone_table[0]]);
  ASSERT_EQ(e.tiers.size(), 2u);
  EXPECT_THAT(e.tiers[0], HasSubstr("tier 0 (local cluster): 1 of 2 healthy, 70.0% of new flows"));
  EXPECT_THAT(e.tiers[1], HasSubstr("tier 1 (remote clusters): 1 of 1 healthy, 30.0% of new flows, spilled"));
  ASSERT_EQ(e.endpoints.size(), 4u);
  EXPECT_EQ(e.endpoints[0].tier, 0);
  EXPECT_NEAR(e.endpoints[0].share, .70, .01);
  EXPECT_EQ(e.endpoints[1].why, "unhealthy");
  EXPECT_EQ(e.endpoints[2].tier, -1);
  EXPECT_THAT(e.endpoints[2].why, HasSubstr("terminating"));
  EXPECT_NEAR(e.endpoints[3].share, .30, .01);
  const std::string text = FormatExplanation(e);
  EXPECT_THAT(text, HasSubstr("service default/rebel-base, clients in zone us-east-1a"));
  EXPECT_THAT(text, HasSubstr("b/10.244.0.4:80"));
}

TEST(Explain, NoBackendAndPanicAreSaid) {
  ServicePolicy p = Policy();
  p.panic_threshold = 0;
  std::vector<EndpointState> v = {State(Unhealthy({"a", "us-east-1a", 1}))};
  ServiceTables t = *BuildServiceTables(Gateway(), p, v);
  EXPECT_THAT(Explain(p, v, t.views[0], t.tables[0]).summary, HasSubstr("no backend"));
  p.panic_threshold = 0.5;
  v.push_back(State({"a", "us-east-1a", 2}));
  v.push_back(State(Unhealthy({"a", "us-east-1a", 3})));
  t = *BuildServiceTables(Gateway(), p, v);
  const Explanation e = Explain(p, v, t.views[0], t.tables[0]);
  EXPECT_THAT(e.summary, HasSubstr("panic"));
  EXPECT_THAT(e.endpoints[0].why, HasSubstr("used anyway: panic"));
}

}  // namespace
}  // namespace causeway::topology
