// Flows through table changes, a full flow table, TCP-aware timeouts, client zones and the keyed
// hash: the behaviour that decides which backend a packet reaches.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "dataplane/flow_hash.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/dataplane/test_snapshot.h"

namespace causeway::dataplane::testing {
namespace {

using snapshot::Frontend;
using snapshot::Protocol;

const Ip4 kVip = V4("10.0.0.50");

Bytes Flow(uint32_t i, uint8_t flags, Ip4 client = V4("10.9.0.0")) {
  client[2] = static_cast<uint8_t>(i >> 8);
  client[3] = static_cast<uint8_t>(i);
  const auto sport = static_cast<uint16_t>(10000 + i);
  return Ether(kPortMac, kClientMac, 0x0800, Ipv4(client, kVip, 6, Tcp4(client, kVip, sport, 80, flags)));
}

Bytes UdpFlow(uint32_t i) {
  const Ip4 client = V4("10.9.1.1");
  return Ether(kPortMac, kClientMac, 0x0800, Ipv4(client, kVip, 17, Udp4(client, kVip, static_cast<uint16_t>(i), 80)));
}

// The backend an encapsulated IPv4 frame goes to: the last byte of the outer destination.
int BackendOf(const Bytes& out) { return out.size() >= 34 ? out[33] : -1; }

std::vector<snapshot::Backend> Backends(std::initializer_list<uint32_t> ids) {
  std::vector<snapshot::Backend> v;
  for (uint32_t id : ids) v.push_back(MakeBackend(id, "10.2.0." + std::to_string(id)));
  return v;
}

std::unique_ptr<Tables> TablesWith(std::vector<snapshot::Backend> backends, uint64_t version = 1) {
  auto snap = BaseSnapshot();
  snap.version = version;
  snap.services.push_back(MakeService(10, {Frontend{Addr("10.0.0.50"), 80, Protocol::kTcp},
                                           Frontend{Addr("10.0.0.50"), 80, Protocol::kUdp}},
                                      std::move(backends)));
  auto t = Tables::Compile(snap, SettingsFor(snap));
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(*t);
}

std::vector<int> Backends(PipelineHarness& h, const std::vector<Bytes>& frames, const Tables* t, uint32_t now = 1000) {
  std::vector<int> r;
  for (const Bytes& o : h.Run(frames, t, now)) r.push_back(BackendOf(o));
  return r;
}

std::vector<Bytes> Flows(uint32_t from, uint32_t to, uint8_t flags) {
  std::vector<Bytes> v;
  for (uint32_t i = from; i < to; ++i) v.push_back(Flow(i, flags));
  return v;
}

// The common case: flows seen again in the tables they were chosen with keep their backends, and
// each packet refreshes its entry's age and TCP state, so an established flow outlives the SYN
// timeout and lives on as long as packets come within the established timeout of each other.
TEST(FlowTest, FlowsSeenAgainInTheSameTablesKeepTheirBackendsAndStayFresh) {
  PipelineHarness h;
  auto t = TablesWith(Backends({1, 2, 3}));
  const FlowTimeouts& to = h.ctx().flows->timeouts();
  const std::vector<int> first = Backends(h, Flows(0, 400, kSyn), t.get(), 1000);
  ASSERT_EQ(first.size(), 400u);
  EXPECT_EQ(std::set<int>(first.begin(), first.end()), (std::set<int>{1, 2, 3}));
  const uint32_t acked = 1000 + to.tcp_syn_ms - 1;
  EXPECT_EQ(Backends(h, Flows(0, 400, kAck), t.get(), acked), first);
  // Beyond the established timeout counted from the SYN, within it counted from the ACK.
  EXPECT_EQ(Backends(h, Flows(0, 400, kAck), t.get(), acked + to.tcp_established_ms - 1), first);
  EXPECT_EQ(h.count(Counter::forwarded_flow_hit), 800u);
  EXPECT_EQ(h.count(Counter::forwarded_new_flow), 400u);
  EXPECT_EQ(h.in_use(), 0u);
}

TEST(FlowTest, EstablishedFlowsKeepBackendsNewFlowsFollowTheNewTable) {
  PipelineHarness h;
  auto before = TablesWith(Backends({1, 2, 3}));
  auto after = TablesWith(Backends({1, 2, 3, 4}), 2);
  const auto old_flows = Flows(0, 400, kSyn);
  const std::vector<int> first = Backends(h, old_flows, before.get());
  ASSERT_EQ(first.size(), 400u);
  EXPECT_EQ(std::set<int>(first.begin(), first.end()), (std::set<int>{1, 2, 3}));

  // Same flows after the table grew: every one keeps its backend.
  EXPECT_EQ(Backends(h, Flows(0, 400, kAck), after.get()), first);
  EXPECT_EQ(h.count(Counter::forwarded_flow_hit), 400u);

  // New flows follow the new table exactly as a worker that never saw the old table would.
  PipelineHarness fresh;
  const auto new_flows = Flows(1000, 1400, kSyn);
  const std::vector<int> chosen = Backends(h, new_flows, after.get());
  EXPECT_EQ(chosen, Backends(fresh, new_flows, after.get()));
  EXPECT_TRUE(std::set<int>(chosen.begin(), chosen.end()).count(4));
  // Some old flows would have moved to backend 4 had they been chosen again.
  EXPECT_NE(Backends(fresh, Flows(0, 400, kAck), after.get()), first);
  EXPECT_EQ(h.in_use(), 0u);
}

TEST(FlowTest, FlowsOfARemovedBackendAreRescheduledOthersStay) {
  PipelineHarness h;
  auto before = TablesWith(Backends({1, 2, 3}));
  auto after = TablesWith(Backends({1, 3}), 2);
  const std::vector<int> first = Backends(h, Flows(0, 300, kSyn), before.get());
  const std::vector<int> second = Backends(h, Flows(0, 300, kAck), after.get());
  ASSERT_EQ(second.size(), 300u);
  uint64_t moved = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    if (first[i] == 2) {
      ++moved;
      EXPECT_NE(second[i], 2);
    } else {
      EXPECT_EQ(second[i], first[i]);
    }
  }
  EXPECT_GT(moved, 0u);
  EXPECT_EQ(h.count(Counter::flow_rescheduled), moved);
}

// ICMP errors a router sends to the VIP about backend → client packets follow the flow's entry,
// also when the table has changed since and a fresh choice would differ.
TEST(FlowTest, IcmpErrorsFollowTheFlowEntry) {
  PipelineHarness h;
  auto before = TablesWith(Backends({1, 2, 3}));
  auto after = TablesWith(Backends({1, 2, 3, 4, 5, 6}), 2);
  const std::vector<int> first = Backends(h, Flows(0, 200, kSyn), before.get());
  std::vector<Bytes> errors;
  for (uint32_t i = 0; i < 200; ++i) {
    const Ip4 client = {10, 9, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    const Bytes reply = Ipv4(kVip, client, 6, Tcp4(kVip, client, 80, static_cast<uint16_t>(10000 + i), kSyn | kAck));
    const Bytes icmp = Concat({3, 4, 0, 0, 0, 0, 0x05, 0x00}, Bytes(reply.begin(), reply.begin() + 28));
    errors.push_back(Ether(kPortMac, kClientMac, 0x0800, Ipv4(V4("10.5.5.5"), kVip, 1, icmp)));
  }
  const uint32_t flows_before = h.ctx().flows->size();
  EXPECT_EQ(Backends(h, errors, after.get()), first);
  EXPECT_EQ(h.count(Counter::forwarded_icmp_error), 200u);
  EXPECT_EQ(h.ctx().flows->size(), flows_before);
}

TEST(FlowTest, EveryFragmentOfADatagramReachesTheSameBackend) {
  auto snap = BaseSnapshot();
  snap.services.push_back(MakeService(11, {Frontend{Addr("10.0.0.60"), 0, Protocol::kUdp}}, Backends({1, 2, 3})));
  auto t = Tables::Compile(snap, SettingsFor(snap));
  ASSERT_TRUE(t.ok());
  const Ip4 vip = V4("10.0.0.60");
  std::vector<Bytes> firsts, lasts;
  for (uint32_t i = 0; i < 150; ++i) {
    const Ip4 client = {10, 9, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    Bytes first = Ipv4(client, vip, 17, Udp4(client, vip, static_cast<uint16_t>(1000 + i), 53, Bytes(8, 1)), {.df = false});
    first[6] = 0x20;  // more fragments, offset 0: carries the UDP header
    Bytes last = Ipv4(client, vip, 17, Bytes(16, 2), {.df = false});
    last[6] = 0x00;
    last[7] = 2;      // offset 16 bytes, no header
    firsts.push_back(Ether(kPortMac, kClientMac, 0x0800, first));
    lasts.push_back(Ether(kPortMac, kClientMac, 0x0800, last));
  }
  PipelineHarness h;
  const std::vector<int> a = Backends(h, firsts, t->get());
  EXPECT_EQ(Backends(h, lasts, t->get()), a);
  EXPECT_EQ(std::set<int>(a.begin(), a.end()), (std::set<int>{1, 2, 3}));
  EXPECT_EQ(h.count(Counter::forwarded_fragment), 300u);
}

TEST(FlowTest, FullTableForwardsByMaglevAloneAndCounts) {
  PipelineHarness h(/*flow_capacity=*/64);
  auto t = TablesWith(Backends({1, 2, 3}));
  const auto frames = Flows(0, 200, kSyn);
  const std::vector<int> got = Backends(h, frames, t.get());
  EXPECT_EQ(got.size(), 200u);  // nothing lost
  EXPECT_EQ(h.ctx().flows->size(), 64u);
  EXPECT_EQ(h.count(Counter::forwarded_new_flow), 64u);
  EXPECT_EQ(h.count(Counter::flow_table_full), 136u);
  EXPECT_EQ(h.count(Counter::forwarded_untracked), 136u);
  // Untracked flows go where Maglev sends them: the same as a worker with room would choose.
  PipelineHarness roomy;
  EXPECT_EQ(got, Backends(roomy, frames, t.get()));
}

TEST(FlowTest, TcpAwareTimeouts) {
  PipelineHarness h;
  auto t = TablesWith(Backends({1, 2, 3}));
  const FlowTimeouts to = h.ctx().flows->timeouts();
  const uint32_t t0 = 1000;
  h.Run({Flow(1, kSyn)}, t.get(), t0);
  EXPECT_EQ(h.count(Counter::forwarded_new_flow), 1u);
  // A SYN-only flow is forgotten after the SYN timeout.
  h.Run({Flow(1, kAck)}, t.get(), t0 + to.tcp_syn_ms + 1);
  EXPECT_EQ(h.count(Counter::forwarded_new_flow), 2u);
  // Established now: survives well past the SYN timeout.
  const uint32_t t1 = t0 + to.tcp_syn_ms + 1;
  h.Run({Flow(1, kAck)}, t.get(), t1 + to.tcp_syn_ms * 5);
  EXPECT_EQ(h.count(Counter::forwarded_flow_hit), 1u);
  // A FIN makes it short-lived again; a new SYN on a closing flow starts a new flow.
  const uint32_t t2 = t1 + to.tcp_syn_ms * 5;
  h.Run({Flow(1, kFin | kAck)}, t.get(), t2);
  h.Run({Flow(1, kSyn)}, t.get(), t2 + 1);
  EXPECT_EQ(h.count(Counter::forwarded_new_flow), 3u);
  // UDP: one timeout.
  h.Run({UdpFlow(7)}, t.get(), t0);
  h.Run({UdpFlow(7)}, t.get(), t0 + to.udp_ms - 1);
  h.Run({UdpFlow(7)}, t.get(), t0 + to.udp_ms * 2);
  EXPECT_EQ(h.count(Counter::forwarded_new_flow), 5u);
  EXPECT_EQ(h.count(Counter::forwarded_flow_hit), 3u);
}

TEST(FlowTest, SweepFreesExpiredEntries) {
  PipelineHarness h(/*flow_capacity=*/256);
  auto t = TablesWith(Backends({1, 2}));
  h.Run(Flows(0, 100, kSyn), t.get(), 1000);
  EXPECT_EQ(h.ctx().flows->size(), 100u);
  const uint32_t later = 1000 + h.ctx().flows->timeouts().tcp_syn_ms + 1;
  const uint32_t removed = h.ctx().flows->Sweep(later, 1 << 20);
  EXPECT_EQ(removed, 100u);
  EXPECT_EQ(h.ctx().flows->size(), 0u);
  // The freed room is usable again.
  h.Run(Flows(500, 600, kSyn), t.get(), later);
  EXPECT_EQ(h.ctx().flows->size(), 100u);
}

// A burst's sweep examines one line of entries (4 positions) while it finds nothing to free, and 16
// after a sweep that freed something, until one frees nothing again.
TEST(FlowTest, SweepWorksHarderWhileItFindsExpiredFlows) {
  FlowTableConfig c;
  c.capacity = 256;
  auto made = FlowTable::Create(c);
  ASSERT_TRUE(made.ok()) << made.status();
  FlowTable& t = **made;
  const uint32_t udp_ms = t.timeouts().udp_ms;
  for (uint32_t i = 0; i < 80; ++i) {
    FlowKey k;
    k.words[0] = 0x0a090000u + i;
    k.words[4] = 4ull << 56;
    const int32_t pos = t.Insert(k, t.Signature(k));
    // A new table hands out positions 1, 2, 3, … (0 is never used): the test's premise.
    ASSERT_EQ(pos, static_cast<int32_t>(i + 1));
    t.entry(pos).state = FlowState::kUdp;
    t.entry(pos).last_seen_ms = i < 40 ? 0 : udp_ms / 2;  // positions 1-40 expire first
  }
  EXPECT_EQ(t.Sweep(1), 0u);  // positions 0-3: 0 unused, 1-3 live
  // 4-7 (the quiet share), 8-23, 24-39, 40-55 (only 40 expired), 56-71 (live).
  EXPECT_THAT(SweepCounts(t, udp_ms + 1, 5), ::testing::ElementsAre(4, 16, 16, 1, 0));
  // 72-75 (quiet again), 76-91 (76-80 are the last).
  EXPECT_THAT(SweepCounts(t, udp_ms / 2 + udp_ms + 1, 2), ::testing::ElementsAre(4, 5));
  EXPECT_EQ(t.size(), 80u - 46u);
}

TEST(FlowTest, ClientZoneSelectsTheZonesTable) {
  auto snap = BaseSnapshot();
  snap.zones = {"zone-a", "zone-b"};
  snap.client_zones = {{*net::IpPrefix::Parse("192.168.0.0/16"), 1}, {*net::IpPrefix::Parse("fd10::/16"), 1}};
  auto svc = MakeService(10, {Frontend{Addr("10.0.0.50"), 80, Protocol::kTcp}, Frontend{Addr("fd00::50"), 80, Protocol::kTcp}},
                         Backends({1, 2}));
  svc.tables = {MaglevSlots({svc.backends[0]}, 251), MaglevSlots({svc.backends[1]}, 251)};
  // Both tables index the service's backends: table 1 holds only backend 2 (index 1).
  for (auto& s : svc.tables[1].slots) s = 1;
  svc.zone_table = {0, 1};
  snap.services.push_back(svc);
  auto t = Tables::Compile(snap, SettingsFor(snap));
  ASSERT_TRUE(t.ok());
  PipelineHarness h;
  EXPECT_EQ(Backends(h, {Flow(1, kSyn, V4("10.9.0.0")), Flow(2, kSyn, V4("192.168.0.0"))}, t->get()), (std::vector<int>{1, 2}));
  const Ip6 vip6 = V6("fd00::50");
  auto v6 = [&](const char* src) {
    return Ether(kPortMac, kClientMac, 0x86dd, Ipv6(V6(src), vip6, 6, Tcp6(V6(src), vip6, 5, 80, kSyn)));
  };
  const auto out = h.Run({v6("fd09::1"), v6("fd10::1")}, t->get());
  ASSERT_EQ(out.size(), 2u);
  // IPv4 backends, IPv6 clients: 6in4, and the outer destination's last byte names the backend.
  EXPECT_EQ(out[0][33], 1);
  EXPECT_EQ(out[1][33], 2);
}

TEST(FlowHashTest, SipHashMatchesThePublishedVector) {
  // SipHash-2-4 paper, appendix A: key 00..0f, empty message.
  const FlowHashKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  EXPECT_EQ((SipHashWords<2, 4>(key, nullptr, 0)), 0x726fdb47dd0e0e31ULL);
}

TEST(FlowHashTest, KeyChangesTheHashAndFamiliesDiffer) {
  FlowKey k;
  k.words[0] = 0x0100000a0200000aULL;
  k.words[4] = 0x1234 | (uint64_t{80} << 16) | (uint64_t{6} << 32) | (uint64_t{4} << 56);
  const FlowHashKey a{1, 2}, b{1, 3};
  EXPECT_NE(FlowHash(a, k), FlowHash(b, k));
  FlowKey k6 = k;
  k6.words[4] = (k.words[4] & ~(uint64_t{0xff} << 56)) | (uint64_t{6} << 56);
  EXPECT_NE(FlowHash(a, k), FlowHash(a, k6));
  EXPECT_EQ(FlowHash(a, k), FlowHash(a, k));
}

TEST(FlowHashTest, SignatureDependsOnItsKeyAndOnEveryWord) {
  FlowKey k;
  k.words[0] = 0x0100000a0200000aULL;
  k.words[4] = 0x1234 | (uint64_t{80} << 16) | (uint64_t{6} << 32) | (uint64_t{4} << 56);
  FlowSignatureKey a, b;
  for (int i = 0; i < 6; ++i) {
    a.k[i] = 0x9e3779b97f4a7c15ULL * (i + 1);
    b.k[i] = a.k[i];
  }
  b.k[5] ^= 1;
  EXPECT_EQ(FlowSignature(a, k), FlowSignature(a, k));
  EXPECT_NE(FlowSignature(a, k), FlowSignature(b, k));
  // Any word, the NAT table's peer tag (word 5) included, and even one bit of it.
  for (int w = 0; w < 6; ++w) {
    FlowKey changed = k;
    changed.words[w] ^= uint64_t{1} << (7 * w + 3);
    EXPECT_NE(FlowSignature(a, k), FlowSignature(a, changed)) << "word " << w;
  }
}

TEST(FlowTest, EstablishedFlowsKeepTheirBackendWhenTheGroupKeyChanges) {
  // The flow table is found by its own per-table signature, not by the group's flow hash: a new
  // group key re-chooses new flows only.
  PipelineHarness h;
  auto snap = BaseSnapshot();
  snap.services.push_back(MakeService(10, {Frontend{Addr("10.0.0.50"), 80, Protocol::kTcp}}, Backends({1, 2, 3, 4})));
  auto before = Tables::Compile(snap, SettingsFor(snap));
  ASSERT_TRUE(before.ok()) << before.status();
  snap.version = 2;
  snap.gateway.flow_hash_key[0] ^= 0x5555;
  auto after = Tables::Compile(snap, SettingsFor(snap));
  ASSERT_TRUE(after.ok()) << after.status();

  const std::vector<int> first = Backends(h, Flows(0, 64, kSyn), before->get());
  ASSERT_EQ(first.size(), 64u);
  EXPECT_EQ(Backends(h, Flows(0, 64, kAck), after->get()), first);
  // New flows under the new key: not all where the old key would have put them (64 flows over 4
  // backends all landing the same by chance: about 4^-64).
  PipelineHarness fresh;
  EXPECT_NE(Backends(fresh, Flows(0, 64, kSyn), after->get()), first);
}

}  // namespace
}  // namespace causeway::dataplane::testing
