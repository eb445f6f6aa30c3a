// The adapters' diff: what they send causewayd to go from what it holds to what they want.
#include "controlplane/adapters/common/owned_state.h"

#include "controlplane/adapters/common/port_split.h"
#include "controlplane/config/config_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace causeway::adapters {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

OwnedState Load(const char* yaml) {
  absl::StatusOr<v1::State> s = config::ParseStateYaml(yaml);
  EXPECT_TRUE(s.ok()) << s.status();
  return OwnedState::From(s.ok() ? *s : v1::State());
}

constexpr char kBefore[] = R"(
clusters: [{name: a, id: 1}]
services:
- {namespace: ns, name: kept, frontends: [{vip: 10.0.0.1, port: 80, protocol: TCP}]}
- {namespace: ns, name: gone, frontends: [{vip: 10.0.0.2, port: 80, protocol: TCP}]}
endpoints:
- {service: ns/kept, cluster: a, address: 10.1.0.1, port: 80}
- {service: ns/kept, cluster: a, address: 10.1.0.2, port: 80}
- {service: ns/gone, cluster: a, address: 10.1.0.3, port: 80}
)";

constexpr char kAfter[] = R"(
clusters: [{name: a, id: 1}, {name: b, id: 2}]
services:
- {namespace: ns, name: kept, frontends: [{vip: 10.0.0.1, port: 80, protocol: TCP}]}
- {namespace: ns, name: new, frontends: [{vip: 10.0.0.3, port: 53, protocol: UDP}]}
endpoints:
- {service: ns/kept, cluster: a, address: 10.1.0.1, port: 80, zone: z1}
- {service: ns/kept, cluster: b, address: 10.1.0.9, port: 80}
- {service: ns/new, cluster: b, address: 10.2.0.1, port: 53}
)";

TEST(OwnedState, DiffHasClustersThenOnePartPerChangedService) {
  const OwnedState before = Load(kBefore), after = Load(kAfter);
  const std::vector<DeltaPart> parts = Diff(before, after);
  ASSERT_THAT(parts, SizeIs(4));
  EXPECT_EQ(parts[0].service_key, "");
  ASSERT_EQ(parts[0].delta.upsert_clusters_size(), 1);
  EXPECT_EQ(parts[0].delta.upsert_clusters(0).name(), "b");
  // A deleted service's endpoints go with it: no endpoint deletes for it.
  EXPECT_EQ(parts[1].service_key, "ns/gone");
  EXPECT_THAT(parts[1].delta.delete_services(), ::testing::ElementsAre("ns/gone"));
  EXPECT_EQ(parts[1].delta.delete_endpoints_size(), 0);
  // Unchanged service: only its endpoint changes.
  EXPECT_EQ(parts[2].service_key, "ns/kept");
  EXPECT_EQ(parts[2].delta.upsert_services_size(), 0);
  EXPECT_EQ(parts[2].delta.upsert_endpoints_size(), 2);  // zone changed; new one in b
  ASSERT_EQ(parts[2].delta.delete_endpoints_size(), 1);
  EXPECT_EQ(parts[2].delta.delete_endpoints(0).address(), "10.1.0.2");
  EXPECT_EQ(parts[3].service_key, "ns/new");
  EXPECT_EQ(parts[3].delta.upsert_services_size(), 1);
  EXPECT_EQ(Merge(parts).upsert_endpoints_size(), 3);
}

TEST(OwnedState, NoDiffBetweenEqualStatesAndTakingPartsConverges) {
  const OwnedState before = Load(kBefore), after = Load(kAfter);
  EXPECT_THAT(Diff(after, after), IsEmpty());
  OwnedState s = before;
  for (const DeltaPart& p : Diff(before, after)) {
    p.service_key.empty() ? s.TakeClusters(after) : s.TakeService(p.service_key, after);
  }
  EXPECT_TRUE(s == after);
  EXPECT_THAT(Diff(s, after), IsEmpty());
}

TEST(OwnedState, BatchesKeepOrderAndSize) {
  const std::vector<DeltaPart> parts = Diff(Load(kBefore), Load(kAfter));
  const size_t one = parts[2].delta.ByteSizeLong();
  std::vector<std::vector<DeltaPart>> batches = Batch(parts, one);
  size_t n = 0;
  std::vector<std::string> keys;
  for (const auto& b : batches) {
    size_t bytes = 0;
    for (const DeltaPart& p : b) {
      bytes += p.delta.ByteSizeLong();
      keys.push_back(p.service_key);
    }
    EXPECT_TRUE(b.size() == 1 || bytes <= one);
    n += b.size();
  }
  EXPECT_EQ(n, parts.size());
  EXPECT_THAT(keys, ::testing::ElementsAre("", "ns/gone", "ns/kept", "ns/new"));
  EXPECT_THAT(Batch(parts, 1 << 20), SizeIs(1));
  EXPECT_THAT(Batch({}, 1 << 20), IsEmpty());
}

TEST(OwnedState, ClustersAreNeverDeleted) {
  EXPECT_THAT(Diff(Load("clusters: [{name: a, id: 1}]"), Load("clusters: []")), IsEmpty());
}

TEST(PortSplit, NamesOneServicePerPort) {
  EXPECT_EQ(*ServiceNameForPort("web", "http", 1), "web");
  EXPECT_EQ(*ServiceNameForPort("web", "", 1), "web");
  EXPECT_EQ(*ServiceNameForPort("web", "http", 2), "web-http");
  EXPECT_EQ(*ServiceNameForPort("web", "", 2), "web");
  absl::StatusOr<std::string> too_long = ServiceNameForPort(std::string(60, 'a'), "https", 2);
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(std::string(too_long.status().message()), HasSubstr("not a valid causeway service name"));
  EXPECT_FALSE(ServiceNameForPort("web", "HTTP", 2).ok());
}

}  // namespace
}  // namespace causeway::adapters
