// Full-NAT and the peer tunnel (island mode), golden packets: frames built by the test's own
// builder go through the real pipeline, and what comes out is compared byte for byte (so every
// rewritten checksum is checked by the builder's independent code). Gateway A balances a VIP over a
// local backend and a backend behind peer gateway B; gateway B takes the tunnelled flow in, NATs it
// into its own island and tunnels the replies back. After every test no mbuf is left in use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <rte_ring.h>

#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/dataplane/test_snapshot.h"

namespace causeway::dataplane::testing {
namespace {

using snapshot::Forwarding;
using snapshot::Frontend;
using snapshot::Protocol;

Mac MacOf(const rte_ether_addr& a) {
  return {a.addr_bytes[0], a.addr_bytes[1], a.addr_bytes[2], a.addr_bytes[3], a.addr_bytes[4], a.addr_bytes[5]};
}

// Both islands use 10.244.0.0/16: the backend behind A and the one behind B share an address.
const Ip4 kClient = V4("10.244.1.5"), kPod = V4("10.244.2.10");
const Ip4 kGwA = V4("10.0.0.1"), kGwB = V4("10.0.0.2");             // SNAT and tunnel addresses
const Ip4 kPeerA = V4("192.168.10.2"), kPeerB = V4("192.168.20.2");  // as each other's peers
const Ip4 kVipLocal = V4("10.96.0.10"), kVipRemote = V4("10.96.0.11");
const Mac kRouterMac = {0x02, 0x0f, 0xab, 0x00, 0x00, 0x01};
constexpr uint16_t kClientPort = 40000, kPodPort = 8080;
constexpr uint16_t kP = 10240;  // the first NAT port (of worker 0)
constexpr uint8_t kSynAck = kSyn | kAck;

snapshot::Backend PodBackend(uint32_t id, const std::string& cluster, bool local, const std::string& next_hop) {
  snapshot::Backend b = MakeBackend(id, "10.244.2.10");
  b.cluster = cluster;
  b.port = kPodPort;
  b.local = local;
  b.next_hop = Addr(next_hop);
  return b;
}

Bytes Frame(const Mac& dst, const Mac& src, const Ip4& from, const Ip4& to, uint16_t sport, uint16_t dport,
            uint8_t flags, uint8_t ttl = 64, const Bytes& payload = {}) {
  return Ether(dst, src, 0x0800, Ipv4(from, to, 6, Tcp4(from, to, sport, dport, flags, payload), {.ttl = ttl}));
}

// GUE over IPv4 (zero UDP checksum) around `inner`.
Bytes Gue(const Mac& dst, const Mac& src, const Ip4& from, const Ip4& to, uint16_t sport, const Bytes& inner) {
  return Ether(dst, src, 0x0800, Ipv4(from, to, 17, Udp(sport, 6080, inner, 0, /*zero_checksum=*/true)));
}

Bytes Inner(const Ip4& from, const Ip4& to, uint16_t sport, uint16_t dport, uint8_t flags, uint8_t ttl) {
  return Ipv4(from, to, 6, Tcp4(from, to, sport, dport, flags), {.ttl = ttl});
}

uint16_t OuterSourcePort(const Bytes& frame) { return static_cast<uint16_t>((frame[34] << 8) | frame[35]); }

class NatTest : public ::testing::Test {
 protected:
  // Gateway A (cluster c1): VIP .10 → the local pod, VIP .11 → the pod behind peer B.
  void BuildA() {
    snap_ = BaseSnapshot();
    snap_.gateway.addresses = {Addr("10.0.0.1"), Addr("fd00::1")};
    snap_.gateway.peer_gateways = {Addr("192.168.20.2")};
    snap_.services.push_back(MakeService(1, {Frontend{Addr("10.96.0.10"), 80, Protocol::kTcp}},
                                         {PodBackend(1, "c1", true, "10.244.2.10")}, Forwarding::kFullNat));
    snap_.services.push_back(MakeService(2, {Frontend{Addr("10.96.0.11"), 80, Protocol::kTcp}},
                                         {PodBackend(2, "c2", false, "192.168.20.2")}, Forwarding::kFullNat));
    Compile();
  }
  // Gateway B (cluster c2): its own pod 10.244.2.10:8080, peers A (and a second peer when asked).
  void BuildB(bool two_peers = false) {
    snap_ = BaseSnapshot();
    snap_.gateway.cluster = "c2";
    snap_.gateway.addresses = {Addr("10.0.0.2")};
    snap_.gateway.peer_gateways = {Addr("192.168.10.2")};
    if (two_peers) snap_.gateway.peer_gateways.push_back(Addr("192.168.30.2"));
    snap_.services.push_back(MakeService(5, {Frontend{Addr("10.96.0.10"), 80, Protocol::kTcp}},
                                         {PodBackend(5, "c2", true, "10.244.2.10")}, Forwarding::kFullNat));
    Compile();
  }
  void Compile() {
    DataplaneSettings settings = SettingsFor(snap_);
    settings.default_next_hop_mac = rte_ether_addr{{kRouterMac[0], kRouterMac[1], kRouterMac[2], kRouterMac[3],
                                                    kRouterMac[4], kRouterMac[5]}};
    auto t = Tables::Compile(snap_, settings);
    ASSERT_TRUE(t.ok()) << t.status();
    tables_ = std::move(*t);
  }
  void SetUp() override { h_.EnableNat(NatTableConfig{}); }
  void TearDown() override { EXPECT_EQ(h_.in_use(), 0u) << "mbuf leak"; }

  std::vector<Bytes> Run(const std::vector<Bytes>& frames, uint32_t now_ms = 1000) {
    return h_.Run(frames, tables_.get(), now_ms);
  }
  Bytes RunOne(const Bytes& frame, uint32_t now_ms = 1000) {
    auto out = Run({frame}, now_ms);
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? Bytes{} : out[0];
  }
  void ExpectDropped(const Bytes& frame, Counter reason, uint32_t now_ms = 1000) {
    const uint64_t before = h_.count(reason);
    EXPECT_TRUE(Run({frame}, now_ms).empty());
    EXPECT_EQ(h_.count(reason) - before, 1u) << kCounterNames[static_cast<size_t>(reason)] << Counts();
  }

  std::string Counts() {
    std::string text;
    for (size_t i = 0; i < kCounterCount; ++i) {
      if (h_.ctx().counters.value[i] != 0) text += " " + std::string(kCounterNames[i]) + "=" + std::to_string(h_.ctx().counters.value[i]);
    }
    return text;
  }

  snapshot::CompiledSnapshot snap_;
  std::unique_ptr<Tables> tables_;
  PipelineHarness h_;
};

TEST_F(NatTest, LocalBackendBothDirections) {
  BuildA();
  // Client → VIP becomes SNAT address:first port → pod, TTL one less, to the pod's MAC.
  EXPECT_EQ(Hex(RunOne(Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn))),
            Hex(Frame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, kP, kPodPort, kSyn, 63)));
  // The pod's answer to that port goes back as VIP → client, to the MAC the client's frame came from.
  EXPECT_EQ(Hex(RunOne(Frame(kPortMac, MacOf(BackendMac(1)), kPod, kGwA, kPodPort, kP, kSynAck))),
            Hex(Frame(kClientMac, kPortMac, kVipLocal, kClient, 80, kClientPort, kSynAck, 63)));
  // Established: the same session, with data.
  const Bytes data = {'G', 'E', 'T', ' ', '/'};
  EXPECT_EQ(Hex(RunOne(Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kAck, 64, data))),
            Hex(Frame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, kP, kPodPort, kAck, 63, data)));
  EXPECT_EQ(h_.count(Counter::forwarded_nat_new), 1u);
  EXPECT_EQ(h_.count(Counter::forwarded_nat_hit), 1u);
  EXPECT_EQ(h_.count(Counter::forwarded_nat_reply), 1u);
  EXPECT_EQ(h_.ctx().nat->size(), 1u);
  // Its lookups read primary buckets first (the rte_hash layout checked out on this DPDK).
  EXPECT_TRUE(h_.ctx().nat->fast_lookup());
  // Another client port: another session, the next port.
  EXPECT_EQ(Hex(RunOne(Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort + 1, 80, kSyn))),
            Hex(Frame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, kP + 1, kPodPort, kSyn, 63)));
}

TEST_F(NatTest, UdpKeepsAValidOrAbsentChecksum) {
  snap_ = BaseSnapshot();
  snap_.services.push_back(MakeService(1, {Frontend{Addr("10.96.0.10"), 53, Protocol::kUdp}},
                                       {PodBackend(1, "c1", true, "10.244.2.10")}, Forwarding::kFullNat));
  Compile();
  const Bytes payload = {1, 2, 3};
  const Bytes in = Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVipLocal, 17, Udp4(kClient, kVipLocal, 5353, 53, payload)));
  EXPECT_EQ(Hex(RunOne(in)), Hex(Ether(MacOf(BackendMac(1)), kPortMac, 0x0800,
                                       Ipv4(kGwA, kPod, 17, Udp4(kGwA, kPod, kP, kPodPort, payload), {.ttl = 63}))));
  // A datagram without a checksum (0 over IPv4) stays without one.
  const Bytes bare = Ether(kPortMac, kClientMac, 0x0800,
                           Ipv4(kClient, kVipLocal, 17, Udp(5354, 53, payload, 0, /*zero_checksum=*/true)));
  EXPECT_EQ(Hex(RunOne(bare)), Hex(Ether(MacOf(BackendMac(1)), kPortMac, 0x0800,
                                         Ipv4(kGwA, kPod, 17, Udp(kP + 1, kPodPort, payload, 0, true), {.ttl = 63}))));
}

TEST_F(NatTest, Ipv6LocalBackend) {
  snap_ = BaseSnapshot();
  snapshot::Backend b = MakeBackend(3, "fd01::3");
  b.port = 8443;
  snap_.services.push_back(MakeService(3, {Frontend{Addr("fd00::100"), 443, Protocol::kTcp}}, {b}, Forwarding::kFullNat));
  Compile();
  const Ip6 client = V6("fd09::7"), vip = V6("fd00::100"), gw = V6("fd00::1"), be = V6("fd01::3");
  const Bytes in = Ether(kPortMac, kClientMac, 0x86dd, Ipv6(client, vip, 6, Tcp6(client, vip, 40000, 443, kSyn)));
  EXPECT_EQ(Hex(RunOne(in)), Hex(Ether(MacOf(BackendMac(3)), kPortMac, 0x86dd, Ipv6(gw, be, 6, Tcp6(gw, be, kP, 8443, kSyn), 63))));
  const Bytes reply = Ether(kPortMac, MacOf(BackendMac(3)), 0x86dd, Ipv6(be, gw, 6, Tcp6(be, gw, 8443, kP, kSynAck)));
  EXPECT_EQ(Hex(RunOne(reply)), Hex(Ether(kClientMac, kPortMac, 0x86dd, Ipv6(vip, client, 6, Tcp6(vip, client, 443, 40000, kSynAck), 63))));
}

TEST_F(NatTest, RepliesMustMatchTheirSession) {
  BuildA();
  ASSERT_EQ(Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn)}).size(), 1u);
  const Mac pod = MacOf(BackendMac(1));
  ExpectDropped(Frame(kPortMac, pod, kPod, kGwA, kPodPort + 1, kP, kSynAck), Counter::drop_nat_no_session);
  ExpectDropped(Frame(kPortMac, pod, V4("10.244.2.11"), kGwA, kPodPort, kP, kSynAck), Counter::drop_nat_no_session);
  ExpectDropped(Frame(kPortMac, pod, kPod, kGwA, kPodPort, kP + 6, kSynAck), Counter::drop_nat_no_session);
  // The right tuple but through a peer's tunnel: a local session's replies never come that way.
  BuildA();
  ExpectDropped(Gue(kPortMac, kRouterMac, kPeerB, kGwA, 40001, Inner(kPod, kGwA, kPodPort, kP, kSynAck, 64)),
                Counter::drop_nat_no_session);
  // Below the NAT range: not a NAT reply; a TCP port the gateway address does not serve.
  ExpectDropped(Frame(kPortMac, pod, kPod, kGwA, kPodPort, 1000, kSynAck), Counter::drop_no_vip);
  EXPECT_EQ(h_.count(Counter::forwarded_nat_reply), 0u);
}

TEST_F(NatTest, SessionsExpireAndPortsAreReusedLast) {
  BuildA();
  ASSERT_EQ(Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn)}, 1000).size(), 1u);
  // A SYN-only session lives 10 s; after that its reply finds nothing and the port is free again.
  ExpectDropped(Frame(kPortMac, MacOf(BackendMac(1)), kPod, kGwA, kPodPort, kP, kSynAck),
                Counter::drop_nat_no_session, 1000 + 10'001);
  EXPECT_EQ(h_.ctx().nat->size(), 0u);
  // First in, first out: the next session takes a port never used, not the one just freed.
  EXPECT_EQ(Hex(RunOne(Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn), 12'000)),
            Hex(Frame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, kP + 1, kPodPort, kSyn, 63)));
}

TEST_F(NatTest, ANewConnectionOnAClosingOnesPortsIsOneNewSessionEvenTwiceInABurst) {
  BuildA();
  ASSERT_EQ(Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn),
                 Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kFin | kAck)}).size(), 2u);
  // The client reuses its port at once, and its SYN is retransmitted within the same burst.
  const Bytes syn = Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn);
  const auto out = Run({syn, syn});
  ASSERT_EQ(out.size(), 2u);
  const Bytes expected = Frame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, kP + 1, kPodPort, kSyn, 63);
  EXPECT_EQ(Hex(out[0]), Hex(expected));
  EXPECT_EQ(Hex(out[1]), Hex(expected));
  EXPECT_EQ(h_.ctx().nat->size(), 1u);
  EXPECT_EQ(h_.count(Counter::forwarded_nat_new), 2u);
  EXPECT_EQ(h_.count(Counter::forwarded_nat_hit), 2u);
}

TEST_F(NatTest, OnlyTheClientMakesASessionEstablished) {
  BuildA();
  const Mac pod = MacOf(BackendMac(1));
  // Half-open: the pod's SYN-ACK does not promote it; it ends after the SYN timeout (10 s).
  ASSERT_EQ(Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn)}, 1000).size(), 1u);
  ASSERT_EQ(Run({Frame(kPortMac, pod, kPod, kGwA, kPodPort, kP, kSynAck)}, 1000).size(), 1u);
  ExpectDropped(Frame(kPortMac, pod, kPod, kGwA, kPodPort, kP, kAck), Counter::drop_nat_no_session, 1000 + 10'001);
  // The client's ACK does: the session outlives the SYN timeout.
  ASSERT_EQ(Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort + 1, 80, kSyn)}, 20'000).size(), 1u);
  ASSERT_EQ(Run({Frame(kPortMac, pod, kPod, kGwA, kPodPort, kP + 1, kSynAck)}, 20'000).size(), 1u);
  ASSERT_EQ(Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort + 1, 80, kAck)}, 20'000).size(), 1u);
  EXPECT_EQ(Run({Frame(kPortMac, pod, kPod, kGwA, kPodPort, kP + 1, kAck)}, 20'000 + 10'001).size(), 1u);
}

TEST_F(NatTest, AVipOnTheSnatAddressKeepsItsFrontends) {
  snap_ = BaseSnapshot();
  // The gateway's own address (the default SNAT address) also serves a port in the NAT range.
  snap_.services.push_back(MakeService(1, {Frontend{Addr("10.0.0.1"), 30000, Protocol::kTcp}},
                                       {PodBackend(1, "c1", true, "10.244.2.10")}, Forwarding::kFullNat));
  Compile();
  EXPECT_EQ(Hex(RunOne(Frame(kPortMac, kClientMac, kClient, kGwA, kClientPort, 30000, kSyn))),
            Hex(Frame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, kP, kPodPort, kSyn, 63)));
  // And the rest of the NAT range on it is still replies.
  EXPECT_EQ(Hex(RunOne(Frame(kPortMac, MacOf(BackendMac(1)), kPod, kGwA, kPodPort, kP, kSynAck))),
            Hex(Frame(kClientMac, kPortMac, kGwA, kClient, 30000, kClientPort, kSynAck, 63)));
}

TEST_F(NatTest, PortExhaustionRefusesNewFlowsOnly) {
  NatTableConfig small;
  small.plan = NatPortPlan{.first_port = 65534, .per_worker = 2, .workers = 1};
  PipelineHarness h;
  h.EnableNat(small);
  BuildA();
  std::vector<Bytes> out = h.Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, 1, 80, kSyn),
                                  Frame(kPortMac, kClientMac, kClient, kVipLocal, 2, 80, kSyn),
                                  Frame(kPortMac, kClientMac, kClient, kVipLocal, 3, 80, kSyn)},
                                 tables_.get());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Hex(out[1]), Hex(Frame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, 65535, kPodPort, kSyn, 63)));
  EXPECT_EQ(h.count(Counter::drop_nat_exhausted), 1u);
  // Established sessions go on.
  EXPECT_EQ(h.Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, 1, 80, kAck)}, tables_.get()).size(), 1u);
  EXPECT_EQ(h.in_use(), 0u);
}

// A burst's sweep ages 2 sessions while it finds nothing to end, and 8 after one that ended a
// session, until one ends nothing again (SweepPace).
TEST(NatSweepTest, SweepWorksHarderWhileItFindsExpiredSessions) {
  NatTableConfig c;
  c.addresses = 1;
  c.plan = NatPortPlan{.first_port = 65000, .per_worker = 40, .workers = 1};
  auto made = NatTable::Create(c);
  ASSERT_TRUE(made.ok()) << made.status();
  NatTable& t = **made;
  const uint32_t udp_ms = c.timeouts.udp_ms;
  for (uint32_t i = 0; i < 40; ++i) {
    FlowKey k;
    k.words[0] = 0x0a090000u + i;
    k.words[4] = 4ull << 56;
    const int32_t index = t.Allocate(k, t.Signature(k), 1);
    // A new table hands out its ports in order: the test's premise.
    ASSERT_EQ(index, static_cast<int32_t>(i));
    t.session(index).state = FlowState::kUdp;
    t.session(index).last_seen_ms = i < 20 ? 0 : udp_ms / 2;  // sessions 0-19 expire first
  }
  EXPECT_EQ(t.Sweep(1), 0u);  // sessions 0-1: live
  // 2-3 (the quiet share), 4-11, 12-19, 20-27 (live).
  EXPECT_THAT(SweepCounts(t, udp_ms + 1, 4), ::testing::ElementsAre(2, 8, 8, 0));
  // 28-29 (quiet again), 30-37, then 38, 39, 0 and 1 (2-5 are free).
  EXPECT_THAT(SweepCounts(t, udp_ms / 2 + udp_ms + 1, 3), ::testing::ElementsAre(2, 8, 4));
  EXPECT_EQ(t.size(), 8u);              // 20-27, passed while they were live
  EXPECT_EQ(t.free_ports(0), 32u);
}

TEST_F(NatTest, RemoteBackendGoesThroughThePeerTunnelBothWays) {
  BuildA();
  // To the pod behind B: NATed as for a local pod, then GUE to B (the encapsulation takes the TTL).
  const Bytes out = RunOne(Frame(kPortMac, kClientMac, kClient, kVipRemote, kClientPort, 80, kSyn));
  ASSERT_GT(out.size(), 36u);
  const uint16_t sport = OuterSourcePort(out);
  EXPECT_GE(sport, 0x8000);
  EXPECT_EQ(Hex(out), Hex(Gue(MacOf(BackendMac(2)), kPortMac, kGwA, kPeerB, sport,
                              Inner(kGwA, kPod, kP, kPodPort, kSyn, 63))));
  // B tunnels the pod's reply back: decapsulated, matched to the session, rewritten for the client.
  const Bytes reply = Gue(kPortMac, kRouterMac, kPeerB, kGwA, 50000, Inner(kPod, kGwA, kPodPort, kP, kSynAck, 63));
  EXPECT_EQ(Hex(RunOne(reply)), Hex(Frame(kClientMac, kPortMac, kVipRemote, kClient, 80, kClientPort, kSynAck, 62)));
  EXPECT_EQ(h_.count(Counter::tunnel_in), 1u);
  // The same reply straight from A's own island (the local pod with the same address) is not it.
  ExpectDropped(Frame(kPortMac, MacOf(BackendMac(1)), kPod, kGwA, kPodPort, kP, kSynAck), Counter::drop_nat_no_session);
}

// Next hops' MACs change with the tables (learned by ARP/ND, static here for brevity): every kind of
// session resolves its next hop again with new tables, and drops rather than use a MAC the tables no
// longer have.
TEST_F(NatTest, SessionsFollowTheirNextHopsMacAcrossTables) {
  const Mac new_pod = {0x02, 0x77, 0, 0, 0, 0x01}, new_peer = {0x02, 0x77, 0, 0, 0, 0x02};
  auto recompile = [&](std::vector<std::pair<std::string, Mac>> macs) {
    DataplaneSettings settings;
    for (const auto& [address, m] : macs) {
      settings.neighbors.emplace_back(Addr(address), rte_ether_addr{{m[0], m[1], m[2], m[3], m[4], m[5]}});
    }
    auto t = Tables::Compile(snap_, settings);
    ASSERT_TRUE(t.ok()) << t.status();
    tables_ = std::move(*t);
  };
  auto destination = [](const Bytes& f) { return Hex(Bytes(f.begin(), f.begin() + std::min<size_t>(6, f.size()))); };
  BuildA();
  ASSERT_EQ(Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn),
                 Frame(kPortMac, kClientMac, kClient, kVipRemote, kClientPort, 80, kSyn)}).size(), 2u);
  recompile({{"10.244.2.10", new_pod}, {"192.168.20.2", new_peer}});
  const Bytes local = RunOne(Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kAck));
  const Bytes remote = RunOne(Frame(kPortMac, kClientMac, kClient, kVipRemote, kClientPort, 80, kAck));
  EXPECT_EQ(destination(local), Hex(Bytes(new_pod.begin(), new_pod.end())));    // kLocal
  EXPECT_EQ(destination(remote), Hex(Bytes(new_peer.begin(), new_peer.end())));  // kViaPeer
  EXPECT_EQ(h_.count(Counter::forwarded_nat_hit), 2u);
  recompile({});  // neither resolved any more (and no default next hop)
  ExpectDropped(Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kAck), Counter::drop_no_neighbor);
  ExpectDropped(Frame(kPortMac, kClientMac, kClient, kVipRemote, kClientPort, 80, kAck), Counter::drop_no_neighbor);

  // kFromPeer: B's session for a flow A tunnelled in follows its pod's MAC.
  BuildB();
  const Bytes in = Gue(kPortMac, kRouterMac, kPeerA, kGwB, 40001, Inner(kGwA, kPod, kP, kPodPort, kSyn, 63));
  const Mac pod = MacOf(BackendMac(5));
  EXPECT_EQ(destination(RunOne(in)), Hex(Bytes(pod.begin(), pod.end())));
  recompile({{"10.244.2.10", new_pod}});
  const Bytes again = Gue(kPortMac, kRouterMac, kPeerA, kGwB, 40001, Inner(kGwA, kPod, kP, kPodPort, kAck, 63));
  EXPECT_EQ(destination(RunOne(again)), Hex(Bytes(new_pod.begin(), new_pod.end())));
}

// MSS option 1460 (after a no-op, so the value straddles checksum words) and a window-scale option.
Bytes SynOptions(uint16_t mss, bool odd) {
  const Bytes mss_option = {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)};
  Bytes o = odd ? Bytes{1} : Bytes{};
  o.insert(o.end(), mss_option.begin(), mss_option.end());
  const Bytes tail = odd ? Bytes{3, 3, 7} : Bytes{1, 3, 3, 7};  // (no-op,) window scale 7
  o.insert(o.end(), tail.begin(), tail.end());
  return o;
}

Bytes SynFrame(const Mac& dst, const Mac& src, const Ip4& from, const Ip4& to, uint16_t sport, uint16_t dport,
               uint8_t flags, uint16_t mss, bool odd, uint8_t ttl = 64) {
  return Ether(dst, src, 0x0800, Ipv4(from, to, 6, Tcp4Options(from, to, sport, dport, flags, SynOptions(mss, odd)), {.ttl = ttl}));
}

TEST_F(NatTest, TunnelledFlowsGetAnMssThatFitsTheTunnel) {
  BuildA();
  // 1500 − 20 (outer IPv4) − 8 (UDP) − 40 (IPv4 + TCP) = 1432, on the SYN and on the SYN-ACK.
  for (bool odd : {false, true}) {
    const uint16_t client_port = odd ? kClientPort + 1 : kClientPort;
    const uint16_t port = odd ? kP + 1 : kP;
    const Bytes out = RunOne(SynFrame(kPortMac, kClientMac, kClient, kVipRemote, client_port, 80, kSyn, 1460, odd));
    ASSERT_GT(out.size(), 36u);
    const Bytes inner = Ipv4(kGwA, kPod, 6, Tcp4Options(kGwA, kPod, port, kPodPort, kSyn, SynOptions(1432, odd)), {.ttl = 63});
    EXPECT_EQ(Hex(out), Hex(Gue(MacOf(BackendMac(2)), kPortMac, kGwA, kPeerB, OuterSourcePort(out), inner))) << odd;
    const Bytes reply_inner = Ipv4(kPod, kGwA, 6, Tcp4Options(kPod, kGwA, kPodPort, port, kSynAck, SynOptions(1460, odd)), {.ttl = 63});
    EXPECT_EQ(Hex(RunOne(Gue(kPortMac, kRouterMac, kPeerB, kGwA, 50000, reply_inner))),
              Hex(SynFrame(kClientMac, kPortMac, kVipRemote, kClient, 80, client_port, kSynAck, 1432, odd, 62))) << odd;
  }
  // A smaller MSS is left alone; local backends are not clamped.
  EXPECT_EQ(Hex(RunOne(SynFrame(kPortMac, kClientMac, kClient, kVipLocal, 5000, 80, kSyn, 1460, false))),
            Hex(SynFrame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, kP + 2, kPodPort, kSyn, 1460, false, 63)));
}

TEST_F(NatTest, ATunnelledReplyTooBigGetsFragmentationNeededBackToTheBackend) {
  BuildB();
  ASSERT_EQ(Run({Gue(kPortMac, kRouterMac, kPeerA, kGwB, 40001, Inner(kGwA, kPod, kP, kPodPort, kSyn, 63))}).size(), 1u);
  // 1500 bytes from the pod: 28 more once tunnelled back to A.
  const Bytes big = Frame(kPortMac, MacOf(BackendMac(5)), kPod, kGwB, kPodPort, kP, kAck, 64, Bytes(1460, 0x5a));
  const Bytes out = RunOne(big);
  ASSERT_GE(out.size(), 14u + 20 + 8);
  const Mac pod = MacOf(BackendMac(5));
  EXPECT_EQ(Hex(Bytes(out.begin(), out.begin() + 12)),
            Hex(Concat(Bytes(pod.begin(), pod.end()), Bytes(kPortMac.begin(), kPortMac.end()))));
  EXPECT_EQ(Bytes(out.begin() + 26, out.begin() + 34), Concat(Bytes(kGwB.begin(), kGwB.end()), Bytes(kPod.begin(), kPod.end())));
  EXPECT_EQ(out[34], 3);  // destination unreachable
  EXPECT_EQ(out[35], 4);  // fragmentation needed
  EXPECT_EQ((out[40] << 8) | out[41], 1472);
  EXPECT_TRUE(ChecksumOk(out.data() + 14, 20));
  EXPECT_TRUE(ChecksumOk(out.data() + 34, out.size() - 34));
  EXPECT_EQ(h_.count(Counter::icmp_frag_needed_sent), 1u);
}

TEST_F(NatTest, PeerTunnelsFlowsInAndGetsRepliesBack) {
  BuildB();
  // A's NATed packet (from A's SNAT address and port) arrives in GUE from peer A.
  const Bytes in = Gue(kPortMac, kRouterMac, kPeerA, kGwB, 40001, Inner(kGwA, kPod, kP, kPodPort, kSyn, 63));
  EXPECT_EQ(Hex(RunOne(in)), Hex(Frame(MacOf(BackendMac(5)), kPortMac, kGwB, kPod, kP, kPodPort, kSyn, 62)));
  // The pod answers B; B tunnels it back to A, addressed to A's SNAT address and port.
  const Bytes out = RunOne(Frame(kPortMac, MacOf(BackendMac(5)), kPod, kGwB, kPodPort, kP, kSynAck));
  ASSERT_GT(out.size(), 36u);
  EXPECT_EQ(Hex(out), Hex(Gue(kRouterMac, kPortMac, kGwB, kPeerA, OuterSourcePort(out),
                              Inner(kPod, kGwA, kPodPort, kP, kSynAck, 63))));
}

TEST_F(NatTest, TunnelsAreTakenOnlyFromPeersAndOnlyForOurBackends) {
  BuildB();
  ExpectDropped(Gue(kPortMac, kRouterMac, V4("192.168.99.9"), kGwB, 40001, Inner(kGwA, kPod, kP, kPodPort, kSyn, 63)),
                Counter::drop_tunnel_not_peer);
  ExpectDropped(Gue(kPortMac, kRouterMac, kPeerA, kGwB, 40001, Inner(kGwA, V4("10.244.9.9"), kP, kPodPort, kSyn, 63)),
                Counter::drop_tunnel_no_target);
  ExpectDropped(Gue(kPortMac, kRouterMac, kPeerA, kGwB, 40001, Inner(kGwA, kPod, kP, kPodPort + 1, kSyn, 63)),
                Counter::drop_tunnel_no_target);
  EXPECT_EQ(h_.count(Counter::forwarded_nat_new), 0u);
}

TEST_F(NatTest, TheSameInnerFlowFromTwoPeersIsTwoSessions) {
  BuildB(/*two_peers=*/true);
  const Bytes inner = Inner(kGwA, kPod, kP, kPodPort, kSyn, 63);
  const auto out = Run({Gue(kPortMac, kRouterMac, kPeerA, kGwB, 40001, inner),
                        Gue(kPortMac, kRouterMac, V4("192.168.30.2"), kGwB, 40001, inner)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Hex(out[0]), Hex(Frame(MacOf(BackendMac(5)), kPortMac, kGwB, kPod, kP, kPodPort, kSyn, 62)));
  EXPECT_EQ(Hex(out[1]), Hex(Frame(MacOf(BackendMac(5)), kPortMac, kGwB, kPod, kP + 1, kPodPort, kSyn, 62)));
  EXPECT_EQ(h_.ctx().nat->size(), 2u);
}

// Two workers of one gateway (ports 10240.. for worker 0, 37888.. for worker 1) with their hand-off
// rings.
struct TwoWorkers {
  NatPortPlan plan = NatPortPlan::For(2);
  PipelineHarness w0, w1;
  rte_ring* rings[2];
  TwoWorkers() {
    static int n = 0;
    NatTableConfig config;
    config.plan = plan;
    w0.EnableNat(config);
    config.worker = 1;
    w1.EnableNat(config);
    for (int i = 0; i < 2; ++i) {
      rings[i] = rte_ring_create(("nat_test_ring" + std::to_string(n++)).c_str(), 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
    }
    w0.ctx().handoff = rings;
    w1.ctx().handoff = rings;
  }
  ~TwoWorkers() {
    for (rte_ring* r : rings) rte_ring_free(r);
  }
  bool ok() const { return rings[0] != nullptr && rings[1] != nullptr; }
};

TEST_F(NatTest, RepliesReachTheWorkerOwningThePort) {
  BuildA();
  TwoWorkers two;
  ASSERT_TRUE(two.ok());
  const NatPortPlan& plan = two.plan;
  PipelineHarness& w0 = two.w0;
  PipelineHarness& w1 = two.w1;
  const uint16_t port = static_cast<uint16_t>(kP + plan.per_worker);  // worker 1's first port
  // Worker 1 sees the client's SYN; RSS gives the pod's reply to worker 0.
  auto out = w1.Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn)}, tables_.get());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Hex(out[0]), Hex(Frame(MacOf(BackendMac(1)), kPortMac, kGwA, kPod, port, kPodPort, kSyn, 63)));
  EXPECT_TRUE(w0.Run({Frame(kPortMac, MacOf(BackendMac(1)), kPod, kGwA, kPodPort, port, kSynAck)}, tables_.get()).empty());
  EXPECT_EQ(w0.count(Counter::handed_off), 1u);
  // Worker 1 takes it from its ring and answers the client.
  rte_mbuf* handed[4];
  ASSERT_EQ(rte_ring_dequeue_burst(two.rings[1], reinterpret_cast<void**>(handed), 4, nullptr), 1u);
  out = w1.RunHandoff({handed[0]}, tables_.get());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Hex(out[0]), Hex(Frame(kClientMac, kPortMac, kVipLocal, kClient, 80, kClientPort, kSynAck, 63)));
  EXPECT_EQ(w1.count(Counter::rx_handoff), 1u);
  EXPECT_EQ(w0.in_use(), 0u);
  EXPECT_EQ(w1.in_use(), 0u);
}

TEST_F(NatTest, TunnelledRepliesReachTheOwnerWithTheirPeer) {
  BuildA();
  TwoWorkers two;
  ASSERT_TRUE(two.ok());
  const NatPortPlan& plan = two.plan;
  PipelineHarness& w0 = two.w0;
  PipelineHarness& w1 = two.w1;
  rte_ring** rings = two.rings;
  const auto port = static_cast<uint16_t>(kP + plan.per_worker);
  ASSERT_EQ(w1.Run({Frame(kPortMac, kClientMac, kClient, kVipRemote, kClientPort, 80, kSyn)}, tables_.get()).size(), 1u);
  // B's tunnelled reply lands on worker 0: decapsulated, handed over with its peer, answered by 1.
  const Bytes reply = Gue(kPortMac, kRouterMac, kPeerB, kGwA, 50000, Inner(kPod, kGwA, kPodPort, port, kSynAck, 63));
  EXPECT_TRUE(w0.Run({reply}, tables_.get()).empty());
  EXPECT_EQ(w0.count(Counter::handed_off), 1u);
  rte_mbuf* handed[4];
  ASSERT_EQ(rte_ring_dequeue_burst(rings[1], reinterpret_cast<void**>(handed), 4, nullptr), 1u);
  // The owner reads the peer with tables of another generation (peers reordered): still found.
  snap_.gateway.peer_gateways.insert(snap_.gateway.peer_gateways.begin(), Addr("192.168.99.2"));
  Compile();
  const auto out = w1.RunHandoff({handed[0]}, tables_.get());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Hex(out[0]), Hex(Frame(kClientMac, kPortMac, kVipRemote, kClient, 80, kClientPort, kSynAck, 62)));
  EXPECT_EQ(w0.in_use(), 0u);
  EXPECT_EQ(w1.in_use(), 0u);
}

TEST_F(NatTest, TruncatedInnerPacketsAreDroppedWithoutLeaks) {
  BuildB();
  const Bytes inner = Inner(kGwA, kPod, kP, kPodPort, kSyn, 63);
  // The outer headers are whole and consistent; the inner packet is cut at every length.
  for (size_t len = 0; len < inner.size(); ++len) {
    const Bytes cut(inner.begin(), inner.begin() + static_cast<long>(len));
    EXPECT_TRUE(Run({Gue(kPortMac, kRouterMac, kPeerA, kGwB, 40001, cut)}).empty()) << len;
  }
  EXPECT_EQ(h_.count(Counter::forwarded_nat_new), 0u);
  EXPECT_EQ(h_.count(Counter::drop_malformed), inner.size());
}


// Partition safe mode: a backend of a cut-off cluster keeps its slots and its established flows, and
// a new flow that lands on it is refused — a TCP reset, or ICMP administratively prohibited for UDP.
class RefuseNewTest : public NatTest {
 protected:
  void Build(Forwarding forwarding, bool refuse) {
    snap_ = BaseSnapshot();
    snapshot::Backend b = PodBackend(1, "c1", true, "10.244.2.10");
    b.refuse_new = refuse;
    snap_.services.push_back(MakeService(1, {Frontend{Addr("10.96.0.10"), 80, Protocol::kTcp},
                                             Frontend{Addr("10.96.0.10"), 53, Protocol::kUdp}},
                                         {b}, forwarding));
    Compile();
  }
};

void ExpectReset(const Bytes& out, uint16_t client_port, uint32_t ack) {
  ASSERT_EQ(out.size(), 14u + 20 + 20);
  EXPECT_EQ(Hex(Bytes(out.begin(), out.begin() + 6)), Hex(Bytes(kClientMac.begin(), kClientMac.end())));
  EXPECT_EQ(Bytes(out.begin() + 26, out.begin() + 34), Concat(Bytes(kVipLocal.begin(), kVipLocal.end()),
                                                              Bytes(kClient.begin(), kClient.end())));
  const uint8_t* tcp = out.data() + 34;
  EXPECT_EQ((tcp[0] << 8) | tcp[1], 80);
  EXPECT_EQ((tcp[2] << 8) | tcp[3], client_port);
  EXPECT_EQ(static_cast<uint32_t>(tcp[8] << 24 | tcp[9] << 16 | tcp[10] << 8 | tcp[11]), ack);
  EXPECT_EQ(tcp[13], 0x14);  // RST + ACK
  EXPECT_TRUE(ChecksumOk(out.data() + 14, 20));
  EXPECT_TRUE(ChecksumOk(tcp, 20, PseudoV4(kVipLocal, kClient, 6, 20)));
}

TEST_F(RefuseNewTest, NewFlowsAreRefusedEstablishedOnesGoOn) {
  for (Forwarding forwarding : {Forwarding::kFullNat, Forwarding::kIpip}) {
    PipelineHarness h;
    h.EnableNat(NatTableConfig{});
    Build(forwarding, false);
    // Established before the partition.
    ASSERT_EQ(h.Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kSyn)}, tables_.get()).size(), 1u);
    Build(forwarding, true);
    // The established flow still goes to its backend.
    auto out = h.Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort, 80, kAck)}, tables_.get());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(h.count(Counter::refused_partition), 0u);
    // A new one is reset: <SEQ=0><ACK=SEG.SEQ+1><RST,ACK> for the builder's SYN (SEQ 0x01020304).
    out = h.Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort + 1, 80, kSyn)}, tables_.get());
    ASSERT_EQ(out.size(), 1u);
    ExpectReset(out[0], kClientPort + 1, 0x01020305);
    // UDP: ICMP destination unreachable, administratively prohibited, from the VIP.
    out = h.Run({Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVipLocal, 17, Udp4(kClient, kVipLocal, 5353, 53, {1, 2})))},
                tables_.get());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(Bytes(out[0].begin() + 26, out[0].begin() + 34),
              Concat(Bytes(kVipLocal.begin(), kVipLocal.end()), Bytes(kClient.begin(), kClient.end())));
    EXPECT_EQ(out[0][34], 3);
    EXPECT_EQ(out[0][35], 13);
    EXPECT_TRUE(ChecksumOk(out[0].data() + 34, out[0].size() - 34));
    EXPECT_EQ(h.count(Counter::refused_partition), 2u);
    // A reset is never answered with one.
    EXPECT_TRUE(h.Run({Frame(kPortMac, kClientMac, kClient, kVipLocal, kClientPort + 2, 80, 0x04)}, tables_.get()).empty());
    EXPECT_EQ(h.count(Counter::refused_partition), 2u);
    EXPECT_EQ(h.in_use(), 0u);
  }
}


// Costs: N bytes sent between a client zone and a backend zone land in that cell, each way.
TEST_F(NatTest, ZonePairsCountBytesInTheRightCell) {
  BuildA();
  snap_.zones = {"zone-a", "zone-b"};
  snap_.client_zones = {{*net::IpPrefix::Parse("10.244.128.0/17"), 1}};  // zone-b
  snap_.services[0].backends[0].zone = "zone-a";
  snap_.services[0].backends[0].region = "eu-1";
  snap_.services[1].backends[0].zone = "zone-c";
  snap_.services[1].backends[0].region = "eu-2";
  Compile();
  const Ip4 client_b = V4("10.244.200.5");
  const Bytes payload(100, 7);
  // Zone-b client → local pod (zone-a): 3 packets out, 2 back; zone-a client → remote pod: 1 out.
  std::vector<Bytes> frames;
  for (uint16_t i = 0; i < 3; ++i) frames.push_back(Frame(kPortMac, kClientMac, client_b, kVipLocal, 1000, 80, i ? kAck : kSyn, 64, payload));
  frames.push_back(Frame(kPortMac, kClientMac, kClient, kVipRemote, 2000, 80, kSyn));
  ASSERT_EQ(Run(frames).size(), 4u);
  const Bytes reply = Frame(kPortMac, MacOf(BackendMac(1)), kPod, kGwA, kPodPort, kP, kAck, 64, payload);
  ASSERT_EQ(Run({reply, reply}).size(), 2u);

  ZonePairTotals totals;
  tables_->CollectZonePairs(totals);
  const uint32_t big = 20 + 20 + 100, small = 20 + 20;
  ASSERT_EQ(totals.size(), 3u);
  const TrafficStats out = totals[ZonePairKey{"zone-b", "zone-a", "c1", "eu-1", true}];
  EXPECT_EQ(out.packets, 3u);
  EXPECT_EQ(out.bytes, 3u * big);
  const TrafficStats back = totals[ZonePairKey{"zone-b", "zone-a", "c1", "eu-1", false}];
  EXPECT_EQ(back.packets, 2u);
  EXPECT_EQ(back.bytes, 2u * big);
  const TrafficStats remote = totals[ZonePairKey{"zone-a", "zone-c", "c2", "eu-2", true}];
  EXPECT_EQ(remote.packets, 1u);
  EXPECT_EQ(remote.bytes, small);
}

}  // namespace
}  // namespace causeway::dataplane::testing
