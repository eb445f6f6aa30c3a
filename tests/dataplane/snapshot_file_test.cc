// causewayd's stand-in snapshot file (until the control plane drives it).
#include <gtest/gtest.h>

#include "dataplane/snapshot_file.h"

namespace causeway::dataplane {
namespace {

TEST(SnapshotFileTest, ParsesServicesFrontendsAndBackends) {
  auto snap = ParseSnapshotFile(
      "# test\nversion 7\ngateway 10.99.0.1\ngateway fd99::1\nmtu 9000\ngue_port 7000\nflow_key 0x10 0x20\n"
      "service 3 gue\nfrontend 10.99.1.100 0 udp\nbackend 11 10.99.0.11\nbackend 12 10.99.0.12 10.99.0.254\n");
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->version, 7u);
  EXPECT_EQ(snap->gateway.addresses.size(), 2u);
  EXPECT_EQ(snap->gateway.mtu, 9000);
  EXPECT_EQ(snap->gateway.gue_port, 7000);
  EXPECT_EQ(snap->gateway.flow_hash_key[0], 0x10u);
  EXPECT_EQ(snap->gateway.flow_hash_key[1], 0x20u);
  ASSERT_EQ(snap->services.size(), 1u);
  const auto& s = snap->services[0];
  EXPECT_EQ(s.forwarding, snapshot::Forwarding::kGue);
  ASSERT_EQ(s.frontends.size(), 1u);
  EXPECT_EQ(s.frontends[0].port, 0);
  EXPECT_EQ(s.frontends[0].protocol, snapshot::Protocol::kUdp);
  ASSERT_EQ(s.backends.size(), 2u);
  EXPECT_EQ(s.backends[1].next_hop.ToString(), "10.99.0.254");
  ASSERT_EQ(s.tables.size(), 1u);
  EXPECT_EQ(s.tables[0].slots.size(), kSnapshotFileTableSize);
  EXPECT_EQ(s.tables[0].slots[1], 1);
}

TEST(SnapshotFileTest, RejectsNonsenseWithTheLineNumber) {
  for (const char* bad : {"frontend 10.0.0.1 80 tcp\n", "service 1 nat\n", "service 1 ipip\nfrontend nope 80 tcp\n",
                          "bogus\n", "service 1 ipip\nfrontend 10.0.0.1 80 sctp\n"}) {
    auto snap = ParseSnapshotFile(bad);
    EXPECT_FALSE(snap.ok()) << bad;
    EXPECT_NE(snap.status().message().find("line"), std::string::npos);
  }
}

}  // namespace
}  // namespace causeway::dataplane
