// Cilium's kvstore values (the field variants its writers used) and their mapping onto causeway's
// state.
#include "controlplane/adapters/cilium/cilium_mapping.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/adapters/cilium/cilium_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace causeway::cilium {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The example value of peers.md, verbatim.
constexpr char kRebelBase[] =
    R"({"cluster":"cluster-a","namespace":"default","name":"rebel-base","frontends":{"10.96.120.15":{"":{"Protocol":"TCP","Port":80}}},"backends":{"10.244.1.17":{"":{"Protocol":"TCP","Port":80}},"10.244.2.23":{"":{"Protocol":"TCP","Port":80}}},"labels":{},"selector":{"name":"rebel-base"},"includeExternal":true,"shared":true,"clusterID":1})";

CiliumService Parse(const std::string& json) {
  absl::StatusOr<CiliumService> s = ParseValue(json);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : CiliumService();
}

TEST(CiliumValue, ReadsThePeersExample) {
  const CiliumService s = Parse(kRebelBase);
  EXPECT_EQ(s.cluster, "cluster-a");
  EXPECT_EQ(s.namespace_, "default");
  EXPECT_EQ(s.name, "rebel-base");
  EXPECT_EQ(s.cluster_id, 1u);
  EXPECT_TRUE(s.shared);
  EXPECT_TRUE(s.include_external);
  ASSERT_EQ(s.frontends.size(), 1u);
  EXPECT_EQ(s.frontends.at("10.96.120.15").at("").port, 80u);
  EXPECT_EQ(s.frontends.at("10.96.120.15").at("").protocol, "TCP");
  EXPECT_EQ(s.backends.size(), 2u);
}

TEST(CiliumValue, ReadsLowerCaseFieldsNamedPortsAndZones) {
  const CiliumService s = Parse(R"({"cluster":"c","namespace":"n","name":"web","clusterID":7,
      "backends":{"10.0.0.1":{"http":{"protocol":"tcp","port":8080},"dns":{"Protocol":"UDP","port":53}}},
      "zones":{"10.0.0.1":{"zone":"zone-a","forZones":[{"name":"zone-a"},{"name":"zone-b"}]}}})");
  EXPECT_EQ(s.backends.at("10.0.0.1").at("http").protocol, "TCP");
  EXPECT_EQ(s.backends.at("10.0.0.1").at("http").port, 8080u);
  EXPECT_EQ(s.backends.at("10.0.0.1").at("dns").protocol, "UDP");
  EXPECT_EQ(s.zones.at("10.0.0.1").zone, "zone-a");
  EXPECT_THAT(s.zones.at("10.0.0.1").for_zones, ElementsAre("zone-a", "zone-b"));
  EXPECT_TRUE(s.shared) << "no shared field: written before it existed, so exported";
}

TEST(CiliumValue, RefusesMalformedValuesSayingWhere) {
  const std::pair<const char*, const char*> cases[] = {
      {"{not json", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {R"({"namespace":"n","name":"x"})", "cluster: missing"},
      {R"({"cluster":"c","namespace":"n","name":"x","backends":{"10.0.0.1":{"":{"Protocol":"TCP","Port":70000}}}})",
       "backends[\"10.0.0.1\"][\"\"].port: 70000 is out of range"},
      {R"({"cluster":"c","namespace":"n","name":"x","backends":{"10.0.0.1":{"":{"Port":80}}}})",
       "no protocol"},
      {R"({"cluster":"c","namespace":"n","name":"x","shared":"yes"})", "shared: not true or false"},
      {R"({"cluster":"c","namespace":"n","name":"x","clusterID":-1})", "clusterID"},
  };
  for (const auto& [json, message] : cases) {
    absl::StatusOr<CiliumService> s = ParseValue(json);
    ASSERT_FALSE(s.ok()) << json;
    EXPECT_THAT(std::string(s.status().message()), HasSubstr(message)) << json;
  }
}

TEST(CiliumKey, SplitsClusterNamespaceName) {
  absl::StatusOr<ServiceKey> k = ParseKey("cilium/state/services/v1/cluster-a/default/rebel-base");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->cluster, "cluster-a");
  EXPECT_EQ(k->namespace_, "default");
  EXPECT_EQ(k->name, "rebel-base");
  EXPECT_FALSE(ParseKey("cilium/state/services/v1/cluster-a/default").ok());
  EXPECT_FALSE(ParseKey("cilium/state/nodes/v1/cluster-a/x/y").ok());
}

CiliumService Copy(const std::string& cluster, uint32_t id, bool with_frontend, bool shared = true) {
  CiliumService s;
  s.cluster = cluster;
  s.cluster_id = id;
  s.namespace_ = "default";
  s.name = "rebel-base";
  s.shared = shared;
  if (with_frontend) s.frontends["10.96.120.15"][""] = {"TCP", 80};
  s.backends[absl::StrCat("10.", id, ".0.1")][""] = {"TCP", 8080};
  return s;
}

std::string Key(const CiliumService& s) {
  return absl::StrCat(kServicesPrefix, s.cluster, "/default/", s.name);
}

std::vector<std::string> EndpointLines(const v1::State& state) {
  std::vector<std::string> out;
  for (const v1::Endpoint& e : state.endpoints()) {
    out.push_back(absl::StrCat(e.service(), " ", e.cluster(), "/", e.address(), ":", e.port(),
                               e.zone().empty() ? "" : " " + e.zone(),
                               e.has_exported() && !e.exported() ? " not-exported" : ""));
  }
  return out;
}

TEST(CiliumMapping, LocalCopyGivesTheVipsEveryCopyGivesEndpoints) {
  View view;
  for (const CiliumService& s :
       {Copy("cluster-a", 1, true), Copy("cluster-b", 2, true), Copy("cluster-c", 3, false, false)}) {
    view[Key(s)] = s;
  }
  const Mapped m = MapView(view, "cluster-a");
  EXPECT_THAT(m.notes, IsEmpty());
  ASSERT_EQ(m.state.services_size(), 1);
  const v1::Service& svc = m.state.services(0);
  EXPECT_EQ(svc.name(), "rebel-base");
  EXPECT_EQ(svc.scope(), v1::SCOPE_UNSPECIFIED);
  ASSERT_EQ(svc.frontends_size(), 1);
  EXPECT_EQ(svc.frontends(0).vip(), "10.96.120.15");
  EXPECT_EQ(svc.frontends(0).port(), 80u);
  EXPECT_EQ(svc.frontends(0).protocol(), v1::TCP);
  EXPECT_THAT(EndpointLines(m.state), ElementsAre("default/rebel-base cluster-a/10.1.0.1:8080",
                                                  "default/rebel-base cluster-b/10.2.0.1:8080",
                                                  "default/rebel-base cluster-c/10.3.0.1:8080 not-exported"));
  ASSERT_EQ(m.state.clusters_size(), 3);
  EXPECT_EQ(m.state.clusters(2).name(), "cluster-c");
  EXPECT_EQ(m.state.clusters(2).id(), 3u);
}

TEST(CiliumMapping, LocalSharedFalseIsImportOnly) {
  View view;
  const CiliumService local = Copy("cluster-a", 1, true, /*shared=*/false);
  view[Key(local)] = local;
  const Mapped m = MapView(view, "cluster-a");
  ASSERT_EQ(m.state.services_size(), 1);
  EXPECT_EQ(m.state.services(0).scope(), v1::IMPORT_ONLY);
  EXPECT_THAT(EndpointLines(m.state), ElementsAre("default/rebel-base cluster-a/10.1.0.1:8080 not-exported"));
}

TEST(CiliumMapping, OnlyRemoteCopiesGiveNoServiceAndSaySo) {
  View view;
  const CiliumService remote = Copy("cluster-b", 2, true);
  view[Key(remote)] = remote;
  const Mapped m = MapView(view, "cluster-a");
  EXPECT_EQ(m.state.services_size(), 0);
  EXPECT_EQ(m.state.endpoints_size(), 0);
  EXPECT_THAT(m.notes, ElementsAre(HasSubstr("no copy from the local cluster cluster-a")));
}

TEST(CiliumMapping, OneServicePerPortNameWithTheBackendPortOfThatName) {
  View view;
  CiliumService local = Copy("cluster-a", 1, false);
  local.name = "web";
  local.frontends["10.96.0.20"]["http"] = {"TCP", 80};
  local.frontends["10.96.0.20"]["dns"] = {"UDP", 53};
  local.backends.clear();
  local.backends["10.1.0.9"]["http"] = {"TCP", 8080};
  local.backends["10.1.0.9"]["dns"] = {"UDP", 5353};
  local.zones["10.1.0.9"].zone = "zone-a";
  view[Key(local)] = local;
  CiliumService remote = local;
  remote.cluster = "cluster-b";
  remote.cluster_id = 2;
  remote.frontends.clear();
  remote.zones.clear();
  remote.backends.clear();
  remote.backends["10.2.0.9"]["http"] = {"UDP", 8081};  // wrong protocol for "http": skipped
  remote.backends["10.2.0.10"]["dns"] = {"UDP", 53};
  view[Key(remote)] = remote;
  const Mapped m = MapView(view, "cluster-a");
  ASSERT_EQ(m.state.services_size(), 2);
  EXPECT_EQ(m.state.services(0).name(), "web-dns");
  EXPECT_EQ(m.state.services(0).frontends(0).protocol(), v1::UDP);
  EXPECT_EQ(m.state.services(1).name(), "web-http");
  EXPECT_THAT(EndpointLines(m.state), ElementsAre("default/web-dns cluster-a/10.1.0.9:5353 zone-a",
                                                  "default/web-dns cluster-b/10.2.0.10:53",
                                                  "default/web-http cluster-a/10.1.0.9:8080 zone-a"));
  EXPECT_THAT(m.notes, ElementsAre(HasSubstr("backend 10.2.0.9 port \"http\" is UDP")));
}

TEST(CiliumMapping, CopiesWithoutOrWithConflictingClusterIdsAreSkipped) {
  View view;
  const CiliumService a = Copy("cluster-a", 1, true);
  CiliumService b = Copy("cluster-b", 1, false);  // claims cluster-a's id
  CiliumService c = Copy("cluster-c", 0, false);  // no id
  view[Key(a)] = a;
  view[Key(b)] = b;
  view[Key(c)] = c;
  const Mapped m = MapView(view, "cluster-a");
  EXPECT_EQ(m.state.clusters_size(), 1);
  EXPECT_THAT(EndpointLines(m.state), ElementsAre("default/rebel-base cluster-a/10.1.0.1:8080"));
  EXPECT_THAT(m.notes, ElementsAre(HasSubstr("conflicts with cluster cluster-a"), HasSubstr("no clusterID")));
}

}  // namespace
}  // namespace causeway::cilium
