// Dynamic neighbour resolution: the ARP requests and neighbour solicitations the control side builds
// for unresolved next hops (byte for byte, against frames built here), replies arriving on a worker
// turning into forwarding with the learned MAC after the republish, static entries never overridden,
// answers we did not ask for (or malformed ones) ignored, the refresh / back-off / aging timers on a
// fake clock, and no mbuf left behind in either pool.
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "dataplane/neighbor_resolver.h"
#include "dataplane/neighbor_table.h"
#include "dataplane/snapshot_store.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/dataplane/test_snapshot.h"

namespace causeway::dataplane::testing {
namespace {

using snapshot::Frontend;
using snapshot::Protocol;

const Ip4 kClient = V4("10.9.0.7"), kGw4 = V4("10.0.0.1"), kGwOther4 = V4("192.168.5.1");
const Ip4 kVip4 = V4("10.0.0.100"), kVipStatic4 = V4("10.0.0.101"), kVipFar4 = V4("10.0.0.102");
const Ip4 kHop4 = V4("10.0.0.11"), kStaticHop4 = V4("10.0.0.12"), kFarHop4 = V4("192.168.5.20");
const Ip6 kClient6 = V6("fd09::7"), kGw6 = V6("fd00::1"), kVip6 = V6("fd00::100"), kHop6 = V6("fd00::33");
const Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const Mac kHopMac = {0x02, 0xbb, 0, 0, 0, 0x11}, kHopMac2 = {0x02, 0xbb, 0, 0, 0, 0x22};
const Mac kHop6Mac = {0x02, 0xbb, 0, 0, 0, 0x33};
const Mac kStaticMac = {0x02, 0x5a, 0, 0, 0, 0x12};

rte_ether_addr EtherOf(const Mac& m) { return rte_ether_addr{{m[0], m[1], m[2], m[3], m[4], m[5]}}; }

// ARP over Ethernet (RFC 826), padded to Ethernet's 60-byte minimum.
Bytes Arp(const Mac& eth_dst, const Mac& eth_src, uint16_t op, const Mac& sha, const Ip4& spa, const Mac& tha,
          const Ip4& tpa) {
  Bytes arp = {0, 1, 8, 0, 6, 4, 0, static_cast<uint8_t>(op)};
  arp.insert(arp.end(), sha.begin(), sha.end());
  arp.insert(arp.end(), spa.begin(), spa.end());
  arp.insert(arp.end(), tha.begin(), tha.end());
  arp.insert(arp.end(), tpa.begin(), tpa.end());
  arp.insert(arp.end(), 18, 0);
  return Ether(eth_dst, eth_src, 0x0806, arp);
}

// ICMPv6 neighbour discovery message: type, code 0, checksum, 4 bytes of flags, the target, one
// link-layer address option (`option` type 1 source / 2 target, or 0 for none).
Bytes NdMessage(uint8_t type, uint8_t flags, const Ip6& target, uint8_t option, const Mac& mac, const Ip6& src,
                const Ip6& dst) {
  Bytes icmp = {type, 0, 0, 0, flags, 0, 0, 0};
  icmp.insert(icmp.end(), target.begin(), target.end());
  if (option != 0) {
    icmp.push_back(option);
    icmp.push_back(1);
    icmp.insert(icmp.end(), mac.begin(), mac.end());
  }
  const uint16_t c = Fold(SumWords(icmp.data(), icmp.size(), PseudoV6(src, dst, 58, static_cast<uint32_t>(icmp.size()))));
  icmp[2] = static_cast<uint8_t>(c >> 8);
  icmp[3] = static_cast<uint8_t>(c);
  return icmp;
}

// A neighbour advertisement from `target` (Ethernet source `mac`) with `flags` (0x40 solicited,
// 0x20 override).
Bytes NdAdvert(const Ip6& target, const Mac& mac, uint8_t flags, uint8_t option, uint8_t hop = 255) {
  const Bytes icmp = NdMessage(136, flags, target, option, mac, target, kGw6);
  return Ether(kPortMac, mac, 0x86dd, Ipv6(target, kGw6, 58, icmp, hop));
}

Bytes Advert(const Ip6& target, const Mac& mac, uint8_t hop = 255, uint8_t option = 2) {
  return NdAdvert(target, mac, 0x60, option, hop);  // solicited, override
}

// An ARP request for `target`.
bool AsksFor(const Bytes& f, const Ip4& target) {
  return f.size() >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1 && std::equal(target.begin(), target.end(), f.begin() + 38);
}

Bytes ClientSyn4(const Ip4& vip) {
  return Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, vip, 6, Tcp4(kClient, vip, 40000, 80, kSyn)));
}

Bytes ClientSyn6() {
  return Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, 6, Tcp6(kClient6, kVip6, 40000, 443, kSyn)));
}

class NeighborTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snap_ = BaseSnapshot();
    snap_.gateway.addresses.push_back(Addr("192.168.5.1"));
    auto fe = [](const char* vip, uint16_t port) { return Frontend{Addr(vip), port, Protocol::kTcp}; };
    snap_.services.push_back(MakeService(1, {fe("10.0.0.100", 80)}, {MakeBackend(1, "10.0.0.11")}));
    snap_.services.push_back(MakeService(2, {fe("10.0.0.101", 80)}, {MakeBackend(2, "10.0.0.12")}));
    snap_.services.push_back(MakeService(3, {fe("10.0.0.102", 80)}, {MakeBackend(3, "192.168.5.20")}));
    snap_.services.push_back(MakeService(4, {fe("fd00::100", 443)}, {MakeBackend(4, "fd00::33")}));
    DataplaneSettings settings;
    settings.neighbors.emplace_back(Addr("10.0.0.12"), EtherOf(kStaticMac));
    auto store = SnapshotStore::Create(settings, 1);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    ASSERT_TRUE(store_->PublishOrError(snap_).ok());
    NeighborTimings timings;  // the defaults but for the jitter: the timers below are exact
    timings.reachable_jitter_pct = 0;
    timings.backoff_jitter_pct = 0;
    auto resolver = NeighborResolver::Create(store_.get(), {{0, EtherOf(kPortMac)}}, timings);
    ASSERT_TRUE(resolver.ok()) << resolver.status();
    resolver_ = std::move(*resolver);
    h_.ctx().neighbor_reports = resolver_->reports();
  }
  void TearDown() override {
    EXPECT_EQ(h_.in_use(), 0u) << "mbuf leak (worker pool)";
    TakeTx();
    EXPECT_EQ(rte_mempool_in_use_count(resolver_->pool()), 0u) << "mbuf leak (request pool)";
    h_.ctx().neighbor_reports = nullptr;
  }

  // The frames the control side queued for the worker, freed.
  std::vector<Bytes> TakeTx() {
    std::vector<Bytes> frames;
    void* p;
    while (rte_ring_dequeue(resolver_->tx(), &p) == 0) {
      auto* m = static_cast<rte_mbuf*>(p);
      EXPECT_EQ(m->port, 0);
      const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
      frames.emplace_back(d, d + m->data_len);
      rte_pktmbuf_free(m);
    }
    return frames;
  }
  std::vector<Bytes> Run(const std::vector<Bytes>& frames, std::vector<Bytes>* to_host = nullptr) {
    return h_.Run(frames, store_->Current(), 1000, to_host);
  }
  // Asks (round at 0), gets `hop`'s ARP reply with `mac`, and takes it in the round at `at_ms`.
  void LearnByArp(const Mac& mac, const Ip4& hop, uint64_t at_ms) {
    resolver_->Tick(0);
    TakeTx();
    Run({Arp(kPortMac, mac, 2, mac, hop, kPortMac, kGw4)});
    resolver_->Tick(at_ms);
  }
  // The one frame a SYN to `syn` produces, or empty when it was dropped.
  Bytes Forward(const Bytes& syn) {
    const auto out = Run({syn});
    return out.empty() ? Bytes{} : out[0];
  }

  snapshot::CompiledSnapshot snap_;
  PipelineHarness h_;
  std::unique_ptr<SnapshotStore> store_;
  std::unique_ptr<NeighborResolver> resolver_;
};

Bytes ExpectedIpip4(const Mac& dst_mac, const Ip4& backend, const Ip4& vip) {
  const Bytes inner = Ipv4(kClient, vip, 6, Tcp4(kClient, vip, 40000, 80, kSyn), {.ttl = 63});
  return Ether(dst_mac, kPortMac, 0x0800, Ipv4(kGw4, backend, 4, inner, {.ttl = 64, .df = true}));
}

TEST_F(NeighborTest, RequestsForUnresolvedNextHopsByteForByte) {
  // Before anything is learned, frames to those backends have no MAC to go to.
  EXPECT_TRUE(Forward(ClientSyn4(kVip4)).empty());
  EXPECT_EQ(h_.count(Counter::drop_no_neighbor), 1u);

  resolver_->Tick(0);
  const std::vector<Bytes> sent = TakeTx();
  // Sorted by address; the static 10.0.0.12 is never asked for. Each from the gateway's address
  // nearest the next hop: 192.168.5.20 from 192.168.5.1, not from the first address 10.0.0.1.
  const Ip6 solicited = V6("ff02::1:ff00:33");
  const std::vector<Bytes> expected = {
      Arp(kBroadcast, kPortMac, 1, kPortMac, kGw4, Mac{}, kHop4),
      Arp(kBroadcast, kPortMac, 1, kPortMac, kGwOther4, Mac{}, kFarHop4),
      Ether({0x33, 0x33, 0xff, 0x00, 0x00, 0x33}, kPortMac, 0x86dd,
            Ipv6(kGw6, solicited, 58, NdMessage(135, 0, kHop6, 1, kPortMac, kGw6, solicited), 255)),
  };
  ASSERT_EQ(sent.size(), expected.size());
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(Hex(sent[i]), Hex(expected[i])) << "frame " << i;
  EXPECT_TRUE(ChecksumOk(sent[2].data() + 54, 32, PseudoV6(kGw6, solicited, 58, 32)));
  EXPECT_EQ(resolver_->stats().requests_sent, 3u);

  // Not again until the back-off (1 s) is over; then the same broadcasts.
  resolver_->Tick(999);
  EXPECT_TRUE(TakeTx().empty());
  resolver_->Tick(1000);
  EXPECT_EQ(TakeTx().size(), 3u);
}

TEST_F(NeighborTest, ArpReplyLearnedThenForwardedWithThatMac) {
  resolver_->Tick(0);
  TakeTx();
  // The backend's kernel answers: unicast to our port MAC.
  const Bytes reply = Arp(kPortMac, kHopMac, 2, kHopMac, kHop4, kPortMac, kGw4);
  EXPECT_TRUE(Run({reply}).empty());
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 1u);
  EXPECT_EQ(h_.count(Counter::neighbor_replies), 1u);
  // Not forwarded yet: the workers' tables change only when the control side republishes.
  EXPECT_TRUE(Forward(ClientSyn4(kVip4)).empty());
  EXPECT_EQ(h_.count(Counter::drop_no_neighbor), 1u);

  resolver_->Tick(20);
  EXPECT_EQ(store_->republished(), 1u);
  EXPECT_EQ(store_->published(), 1u);
  EXPECT_EQ(resolver_->stats().replies_learned, 1u);
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVip4))), Hex(ExpectedIpip4(kHopMac, kHop4, kVip4)));
  // The dropped SYN's flow entry (its backend chosen before the MAC was missed) is kept.
  EXPECT_EQ(h_.count(Counter::forwarded_flow_hit), 1u);
  // Nothing more to ask about it until its reachable time (30 s) is over.
  resolver_->Tick(1000);
  for (const Bytes& f : TakeTx()) EXPECT_FALSE(AsksFor(f, kHop4));
}

TEST_F(NeighborTest, ReplyAlsoReachesTheHostWithAnExceptionPath) {
  resolver_->Tick(0);
  TakeTx();
  std::vector<Bytes> host;
  const Bytes reply = Arp(kPortMac, kHopMac, 2, kHopMac, kHop4, kPortMac, kGw4);
  EXPECT_TRUE(Run({reply}, &host).empty());
  ASSERT_EQ(host.size(), 1u);  // the host may be resolving the same next hop
  EXPECT_EQ(Hex(host[0]), Hex(reply));
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 1u);
  EXPECT_EQ(h_.count(Counter::to_host), 1u);
}

TEST_F(NeighborTest, NeighborAdvertisementLearned) {
  resolver_->Tick(0);
  TakeTx();
  EXPECT_TRUE(Run({Advert(kHop6, kHop6Mac)}).empty());
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 1u);
  resolver_->Tick(20);
  const Bytes out = Forward(ClientSyn6());
  const Bytes inner = Ipv6(kClient6, kVip6, 6, Tcp6(kClient6, kVip6, 40000, 443, kSyn), 63);
  // IPIP 6in6 (next header 41) to the backend, from fd00::1, to the MAC its advertisement named.
  const Bytes expected = Ether(kHop6Mac, kPortMac, 0x86dd, Ipv6(kGw6, kHop6, 41, inner, 64));
  ASSERT_EQ(out.size(), expected.size());
  EXPECT_EQ(Hex(Bytes(out.begin(), out.begin() + 14)), Hex(Bytes(expected.begin(), expected.begin() + 14)));
  EXPECT_EQ(Hex(Bytes(out.begin() + 54, out.end())), Hex(Bytes(expected.begin() + 54, expected.end())));
}

TEST_F(NeighborTest, ArpRequestFromANextHopTeachesItsMac) {
  const Bytes request = Arp(kBroadcast, kHopMac, 1, kHopMac, kHop4, Mac{}, kGw4);
  const auto out = Run({request});
  ASSERT_EQ(out.size(), 1u);  // answered as before
  EXPECT_EQ(h_.count(Counter::arp_replies), 1u);
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 1u);
  resolver_->Tick(0);
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVip4))), Hex(ExpectedIpip4(kHopMac, kHop4, kVip4)));
}

TEST_F(NeighborTest, NeighborSolicitationFromANextHopTeachesItsMac) {
  const Ip6 solicited = V6("ff02::1:ff00:1");
  const Bytes solicit = Ether({0x33, 0x33, 0xff, 0x00, 0x00, 0x01}, kHop6Mac, 0x86dd,
                              Ipv6(kHop6, solicited, 58, NdMessage(135, 0, kGw6, 1, kHop6Mac, kHop6, solicited), 255));
  ASSERT_EQ(Run({solicit}).size(), 1u);  // answered as before
  EXPECT_EQ(h_.count(Counter::nd_replies), 1u);
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 1u);
  resolver_->Tick(0);
  const Bytes out = Forward(ClientSyn6());
  ASSERT_GE(out.size(), 14u);
  EXPECT_EQ(Hex(Bytes(out.begin(), out.begin() + 6)), Hex(Bytes(kHop6Mac.begin(), kHop6Mac.end())));
}

TEST_F(NeighborTest, StaticEntryNeverOverridden) {
  resolver_->Tick(0);
  for (const Bytes& f : TakeTx()) EXPECT_FALSE(AsksFor(f, kStaticHop4));
  // Someone claims the static next hop's address with another MAC, by reply and by request.
  EXPECT_TRUE(Run({Arp(kPortMac, kHopMac2, 2, kHopMac2, kStaticHop4, kPortMac, kGw4)}).empty());
  EXPECT_EQ(Run({Arp(kBroadcast, kHopMac2, 1, kHopMac2, kStaticHop4, Mac{}, kGw4)}).size(), 1u);
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 0u);
  EXPECT_EQ(h_.count(Counter::drop_not_for_us), 1u);
  resolver_->Tick(20);
  EXPECT_EQ(store_->republished(), 0u);
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVipStatic4))), Hex(ExpectedIpip4(kStaticMac, kStaticHop4, kVipStatic4)));
  // Even when a learned entry exists for the same address, the static one wins in the tables.
  ASSERT_TRUE(store_->SetLearnedNeighbors({{Addr("10.0.0.12"), EtherOf(kHopMac2)}}).ok());
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVipStatic4))), Hex(ExpectedIpip4(kStaticMac, kStaticHop4, kVipStatic4)));
}

TEST_F(NeighborTest, AnswersNotAskedForOrMalformedAreIgnored) {
  resolver_->Tick(0);
  TakeTx();
  Bytes bad_checksum = Advert(kHop6, kHop6Mac);
  bad_checksum[14 + 40 + 2] ^= 0x01;
  const Mac multicast = {0x01, 0x00, 0x5e, 0, 0, 1};
  const std::vector<Bytes> frames = {
      Arp(kPortMac, kHopMac, 2, kHopMac, V4("10.0.0.99"), kPortMac, kGw4),  // no next hop of ours
      Arp(kPortMac, kHopMac, 2, kHopMac, kClient, kPortMac, kGw4),          // a client, unsolicited
      Arp(kPortMac, multicast, 2, multicast, kHop4, kPortMac, kGw4),        // multicast MAC
      Arp(kPortMac, kHopMac, 2, Mac{}, kHop4, kPortMac, kGw4),              // zero MAC
      Advert(V6("fd00::99"), kHop6Mac),                                     // not a next hop
      Advert(kHop6, kHop6Mac, 64),                                          // hop limit not 255
      NdAdvert(kHop6, kHop6Mac, 0x20, 0),                                   // unsolicited, no option
      NdAdvert(kHop6, kHop6Mac, 0x20, 1),                                   // unsolicited, a source option instead
      bad_checksum,
  };
  EXPECT_TRUE(Run(frames).empty());
  EXPECT_EQ(h_.count(Counter::drop_not_for_us), frames.size());
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 0u);
  EXPECT_EQ(rte_ring_count(resolver_->reports()), 0u);
  // A solicited advertisement without the option (Linux's answer to a unicast solicitation) can
  // only confirm the MAC held: there is none here, so it teaches nothing.
  EXPECT_TRUE(Run({Advert(kHop6, kHop6Mac, 255, 0)}).empty());
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 1u);
  resolver_->Tick(20);
  EXPECT_EQ(resolver_->stats().reports_ignored, 1u);
  EXPECT_EQ(store_->republished(), 0u);
  EXPECT_TRUE(Forward(ClientSyn4(kVip4)).empty());
  EXPECT_TRUE(Forward(ClientSyn6()).empty());
  EXPECT_EQ(h_.count(Counter::drop_no_neighbor), 2u);
}

TEST_F(NeighborTest, RefreshIsUnicastAndAChangedMacIsPickedUp) {
  LearnByArp(kHopMac, kHop4, 100);
  TakeTx();
  // 30 s after the reply: a unicast request to the MAC we hold (the kernel's probe).
  resolver_->Tick(100 + 29999);
  for (const Bytes& f : TakeTx()) EXPECT_FALSE(AsksFor(f, kHop4));  // others are still being retried
  resolver_->Tick(100 + 30000);
  std::vector<Bytes> sent = TakeTx();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(Hex(sent[0]), Hex(Arp(kHopMac, kPortMac, 1, kPortMac, kGw4, Mac{}, kHop4)));
  // The address moves to another MAC (a gratuitous ARP): the next publish carries it.
  Run({Arp(kBroadcast, kHopMac2, 2, kHopMac2, kHop4, kBroadcast, kHop4)});
  resolver_->Tick(100 + 30500);
  EXPECT_EQ(resolver_->stats().macs_changed, 1u);
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVip4))), Hex(ExpectedIpip4(kHopMac2, kHop4, kVip4)));
}

TEST_F(NeighborTest, UnansweredMacForgottenAfter120s) {
  resolver_->Tick(0);
  Run({Arp(kPortMac, kHopMac, 2, kHopMac, kHop4, kPortMac, kGw4)});
  resolver_->Tick(100);
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVip4))), Hex(ExpectedIpip4(kHopMac, kHop4, kVip4)));
  // Nobody answers the refresh: still used while unconfirmed, gone at 120 s.
  resolver_->Tick(100 + 119999);
  EXPECT_FALSE(Forward(ClientSyn4(kVip4)).empty());
  resolver_->Tick(100 + 120000);
  TakeTx();
  EXPECT_EQ(resolver_->stats().forgotten, 1u);
  EXPECT_TRUE(Forward(ClientSyn4(kVip4)).empty());
  EXPECT_EQ(h_.count(Counter::drop_no_neighbor), 1u);
}

// A neighbour solicitation for `target` (to the solicited-node group or unicast).
bool SolicitsFor(const Bytes& f, const Ip6& target) {
  return f.size() >= 78 && f[12] == 0x86 && f[13] == 0xdd && f[54] == 135 && std::equal(target.begin(), target.end(), f.begin() + 62);
}

const Ip4 kVipNat4 = V4("10.0.0.103"), kNatHop4 = V4("10.0.0.13");
const Mac kNatMac = {0x02, 0xbb, 0, 0, 0, 0x13}, kNatMac2 = {0x02, 0xbb, 0, 0, 0, 0x14};

Bytes ClientToNatVip(uint8_t flags) {
  return Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVipNat4, 6, Tcp4(kClient, kVipNat4, 40000, 80, flags)));
}

Bytes DestinationMac(const Bytes& frame) { return frame.size() < 6 ? Bytes{} : Bytes(frame.begin(), frame.begin() + 6); }
Bytes B(const Mac& m) { return Bytes(m.begin(), m.end()); }

TEST_F(NeighborTest, AFullNatSessionFollowsItsBackendsMac) {
  h_.EnableNat(NatTableConfig{});
  snap_.services.push_back(MakeService(5, {Frontend{Addr("10.0.0.103"), 80, Protocol::kTcp}},
                                       {MakeBackend(5, "10.0.0.13")}, snapshot::Forwarding::kFullNat));
  ASSERT_TRUE(store_->PublishOrError(snap_).ok());
  LearnByArp(kNatMac, kNatHop4, 20);
  EXPECT_EQ(Hex(DestinationMac(Forward(ClientToNatVip(kSyn)))), Hex(B(kNatMac)));
  EXPECT_EQ(h_.count(Counter::forwarded_nat_new), 1u);
  // The backend's address moves to another MAC (a gratuitous ARP): the established session follows.
  Run({Arp(kBroadcast, kNatMac2, 2, kNatMac2, kNatHop4, kBroadcast, kNatHop4)});
  resolver_->Tick(2000);
  EXPECT_EQ(resolver_->stats().macs_changed, 1u);
  EXPECT_EQ(Hex(DestinationMac(Forward(ClientToNatVip(kAck)))), Hex(B(kNatMac2)));
  EXPECT_EQ(h_.count(Counter::forwarded_nat_hit), 1u);
  // Nobody answers for it any more: forgotten, and the session's packets are not sent to a stale MAC.
  resolver_->Tick(2000 + 120000);
  TakeTx();
  EXPECT_EQ(resolver_->stats().forgotten, 1u);
  EXPECT_TRUE(Forward(ClientToNatVip(kAck)).empty());
  EXPECT_EQ(h_.count(Counter::drop_no_neighbor), 1u);
  // Learned again: the session goes on.
  Run({Arp(kPortMac, kNatMac, 2, kNatMac, kNatHop4, kPortMac, kGw4)});
  resolver_->Tick(2000 + 120020);
  EXPECT_EQ(Hex(DestinationMac(Forward(ClientToNatVip(kAck)))), Hex(B(kNatMac)));
  EXPECT_EQ(h_.count(Counter::forwarded_nat_hit), 2u);
}

TEST_F(NeighborTest, ANextHopThatLeavesAndComesBackIsAskedForAgain) {
  LearnByArp(kHopMac, kHop4, 20);
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVip4))), Hex(ExpectedIpip4(kHopMac, kHop4, kVip4)));
  // The backend leaves; later its address is back (a pod address reused, perhaps by another host).
  snapshot::CompiledSnapshot without = snap_;
  without.services.erase(without.services.begin());
  ASSERT_TRUE(store_->PublishOrError(without).ok());
  resolver_->Tick(40);
  ASSERT_TRUE(store_->PublishOrError(snap_).ok());
  // Not sent to the old MAC: unresolved, and asked for.
  EXPECT_TRUE(Forward(ClientSyn4(kVip4)).empty());
  EXPECT_EQ(h_.count(Counter::drop_no_neighbor), 1u);
  resolver_->Tick(60);
  bool asked = false;
  for (const Bytes& f : TakeTx()) asked |= AsksFor(f, kHop4) && DestinationMac(f) == B(kBroadcast);
  EXPECT_TRUE(asked);
}

TEST_F(NeighborTest, UnicastRefreshConfirmedByAnAdvertisementWithoutTheOption) {
  resolver_->Tick(0);
  TakeTx();
  Run({Advert(kHop6, kHop6Mac)});
  resolver_->Tick(100);
  TakeTx();
  resolver_->Tick(100 + 30000);
  bool unicast = false;
  for (const Bytes& f : TakeTx()) unicast |= SolicitsFor(f, kHop6) && DestinationMac(f) == B(kHop6Mac);
  ASSERT_TRUE(unicast);
  // Linux answers a unicast solicitation with a solicited advertisement without the target's
  // link-layer option: it confirms the MAC it comes from.
  EXPECT_TRUE(Run({Advert(kHop6, kHop6Mac, 255, 0)}).empty());
  EXPECT_EQ(h_.count(Counter::neighbor_reported), 2u);
  resolver_->Tick(100 + 30010);
  // Reachable again: no more probes (unicast or multicast) until its next reachable time.
  for (uint64_t at : {31000u, 32000u, 33000u, 40000u}) {
    resolver_->Tick(100 + at);
    for (const Bytes& f : TakeTx()) EXPECT_FALSE(SolicitsFor(f, kHop6)) << at;
  }
  // Such an answer from another MAC teaches nothing.
  Run({Advert(kHop6, kHopMac2, 255, 0)});
  resolver_->Tick(100 + 40020);
  EXPECT_EQ(resolver_->stats().macs_changed, 0u);
  const Bytes out = Forward(ClientSyn6());
  EXPECT_EQ(Hex(DestinationMac(out)), Hex(B(kHop6Mac)));
}

TEST_F(NeighborTest, MoreNextHopsThanTheRingHoldsAreAllAskedWithinAFewTicks) {
  // 1200 next hops, all dead: more requests than the TX ring (511) and the request pool (1023) hold.
  std::vector<snapshot::Backend> many;
  for (uint32_t i = 0; i < 1200; ++i) {
    many.push_back(MakeBackend(1000 + i, "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)));
  }
  snap_.services.push_back(MakeService(9, {Frontend{Addr("10.0.0.109"), 80, Protocol::kTcp}}, many,
                                       snapshot::Forwarding::kIpip, 2003));
  ASSERT_TRUE(store_->PublishOrError(snap_).ok());
  std::set<Bytes> asked;
  for (uint64_t tick = 0; tick < 5; ++tick) {
    resolver_->Tick(tick * 20);  // the worker drains the ring between rounds
    for (const Bytes& f : TakeTx()) {
      if (f.size() >= 42 && f[12] == 0x08 && f[13] == 0x06) asked.insert(Bytes(f.begin() + 38, f.begin() + 42));
    }
  }
  EXPECT_EQ(asked.size(), 1200u + 2);  // and the fixture's two IPv4 next hops
  EXPECT_EQ(resolver_->stats().requests_lost, 0u);
}

TEST_F(NeighborTest, AChangedMacWithinALocktimeOfTheLastIsNotTaken) {
  LearnByArp(kHopMac, kHop4, 20);
  EXPECT_EQ(store_->republished(), 1u);
  // A second responder for the same address half a second later: ignored (Linux's locktime).
  Run({Arp(kBroadcast, kHopMac2, 2, kHopMac2, kHop4, kBroadcast, kHop4)});
  resolver_->Tick(520);
  EXPECT_EQ(resolver_->stats().macs_changed, 0u);
  EXPECT_EQ(store_->republished(), 1u);
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVip4))), Hex(ExpectedIpip4(kHopMac, kHop4, kVip4)));
  // After it, a change is taken.
  Run({Arp(kBroadcast, kHopMac2, 2, kHopMac2, kHop4, kBroadcast, kHop4)});
  resolver_->Tick(1100);
  EXPECT_EQ(resolver_->stats().macs_changed, 1u);
  EXPECT_EQ(Hex(Forward(ClientSyn4(kVip4))), Hex(ExpectedIpip4(kHopMac2, kHop4, kVip4)));
  // Two responders answering every round for 5 s: the tables are compiled a few times, not 250.
  for (uint64_t at = 1120; at < 6120; at += 20) {
    const Mac& mac = (at / 20) % 2 == 0 ? kHopMac : kHopMac2;
    Run({Arp(kBroadcast, mac, 2, mac, kHop4, kBroadcast, kHop4)});
    resolver_->Tick(at);
  }
  EXPECT_LE(store_->republished(), 2u + 5);
}

NeighborTimings Exact() {
  NeighborTimings timings;
  timings.reachable_jitter_pct = 0;
  timings.backoff_jitter_pct = 0;
  return timings;
}

TEST(NeighborTableTest, BackOffRefreshAndAging) {
  NeighborTable table(Exact());
  NeighborWant w;
  w.address = {10, 0, 0, 11};
  w.has_source = true;
  w.source = {10, 0, 0, 1};
  table.SetWanted({w}, 0);
  uint32_t forgotten = 0;
  auto due_at = [&](uint64_t t) {
    forgotten += table.Age(t);
    return table.Due(t);
  };
  // Unresolved: at once, then 1, 2, 4, 8, 16 s apart, then every 30 s; always broadcast.
  uint64_t t = 0;
  for (uint64_t gap : {0u, 1000u, 2000u, 4000u, 8000u, 16000u, 30000u, 30000u}) {
    t += gap;
    if (gap > 0) {
      EXPECT_TRUE(due_at(t - 1).empty()) << t;
    }
    auto due = due_at(t);
    ASSERT_EQ(due.size(), 1u) << t;
    EXPECT_FALSE(due[0].unicast.has_value());
  }
  EXPECT_EQ(forgotten, 0u);
  const rte_ether_addr mac = EtherOf(kHopMac), other = EtherOf(kHopMac2);
  using Outcome = NeighborTable::Outcome;
  EXPECT_EQ(table.Learn(WantAddress(w), mac, t), Outcome::kLearned);
  EXPECT_EQ(table.Learn(WantAddress(w), mac, t), Outcome::kConfirmed);  // the same MAC: nothing to publish
  EXPECT_EQ(table.Learned().size(), 1u);
  // Reachable for 30 s, then three unicast probes 1 s apart, then broadcast with the back-off.
  EXPECT_TRUE(due_at(t + 29999).empty());
  for (uint64_t at : {30000u, 31000u, 32000u}) {
    auto due = due_at(t + at);
    ASSERT_EQ(due.size(), 1u);
    ASSERT_TRUE(due[0].unicast.has_value());
    EXPECT_TRUE(rte_is_same_ether_addr(&*due[0].unicast, &mac));
  }
  auto due = due_at(t + 33000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(due[0].unicast.has_value());
  // Unconfirmed for 120 s: forgotten, once.
  due_at(t + 119999);
  EXPECT_EQ(forgotten, 0u);
  due_at(t + 120000);
  due_at(t + 130000);
  EXPECT_EQ(forgotten, 1u);
  EXPECT_TRUE(table.Learned().empty());
  // A different MAC later is learned, and is a replacement only when one was held — and then only
  // after the locktime (1 s) since the last update.
  EXPECT_EQ(table.Learn(WantAddress(w), other, t + 130000), Outcome::kLearned);
  EXPECT_EQ(table.Learn(WantAddress(w), mac, t + 130999), Outcome::kLocked);
  EXPECT_EQ(table.Learn(WantAddress(w), mac, t + 131000), Outcome::kReplaced);
  // A confirmation without a MAC of its own confirms only the MAC held.
  EXPECT_EQ(table.Confirm(WantAddress(w), other, t + 131001), Outcome::kIgnored);
  EXPECT_EQ(table.Confirm(WantAddress(w), mac, t + 131001), Outcome::kConfirmed);
  // No longer wanted: reports about it are ignored; it had a MAC, so the learned list lost one.
  EXPECT_TRUE(table.SetWanted({}, t + 131002));
  EXPECT_EQ(table.Learn(WantAddress(w), mac, t + 131003), Outcome::kIgnored);
  EXPECT_FALSE(table.SetWanted({w}, t + 131004));
}

TEST(NeighborTableTest, JitterSpreadsRefreshesAndBackOff) {
  // 200 next hops learned at once come due over the ±50% of the reachable time, not in one round;
  // unresolved ones retry within ±25% of the back-off.
  NeighborTable table;
  std::vector<NeighborWant> wants(200);
  for (size_t i = 0; i < wants.size(); ++i) {
    wants[i].address = {10, 0, static_cast<uint8_t>(i / 250), static_cast<uint8_t>(i % 250 + 1)};
    wants[i].has_source = true;
    wants[i].source = {10, 0, 0, 254};
  }
  table.SetWanted(wants, 0);
  EXPECT_EQ(table.Due(0).size(), 200u);
  std::set<uint64_t> retries;
  for (const auto& e : table.entries()) {
    EXPECT_GE(e.next_probe_ms, 750u);
    EXPECT_LE(e.next_probe_ms, 1250u);
    retries.insert(e.next_probe_ms);
  }
  EXPECT_GT(retries.size(), 50u);
  const rte_ether_addr mac = EtherOf(kHopMac);
  for (const NeighborWant& w : wants) table.Learn(WantAddress(w), mac, 1000);
  std::set<uint64_t> refreshes;
  for (const auto& e : table.entries()) {
    EXPECT_GE(e.next_probe_ms, 1000u + 15000);
    EXPECT_LE(e.next_probe_ms, 1000u + 45000);
    refreshes.insert(e.next_probe_ms / 1000);
  }
  EXPECT_GT(refreshes.size(), 20u);
}

TEST(NeighborTableTest, ABudgetLeavesTheRestDueAndTheNextScanStartsThere) {
  NeighborTable table(Exact());
  std::vector<NeighborWant> wants(10);
  for (size_t i = 0; i < wants.size(); ++i) {
    wants[i].address = {10, 0, 0, static_cast<uint8_t>(i + 1)};
    wants[i].has_source = true;
    wants[i].source = {10, 0, 0, 254};
  }
  table.SetWanted(wants, 0);
  auto first = [](const std::vector<NeighborTable::Probe>& due) { return due.empty() ? 0 : due[0].want.address[3]; };
  auto due = table.Due(0, 4);
  ASSERT_EQ(due.size(), 4u);
  EXPECT_EQ(first(due), 1);
  due = table.Due(20, 4);
  ASSERT_EQ(due.size(), 4u);
  EXPECT_EQ(first(due), 5);
  due = table.Due(40, 4);
  ASSERT_EQ(due.size(), 2u);  // the last two; the first eight are not due again before 1 s
  EXPECT_EQ(first(due), 9);
  EXPECT_TRUE(table.Due(60, 4).empty());
}

}  // namespace
}  // namespace causeway::dataplane::testing
