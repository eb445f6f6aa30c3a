// Golden packets: frames built in the test (packet_builder, with its own checksum code) go through
// the real pipeline; what comes out is compared byte for byte with the frame the test expects, and
// every checksum is verified independently. After every test the mempool is back to zero mbufs in use.
#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <map>

#include "dataplane/encap.h"
#include "dataplane/parse.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/dataplane/test_snapshot.h"

namespace causeway::dataplane::testing {
namespace {

using snapshot::Forwarding;
using snapshot::Frontend;
using snapshot::Protocol;

Mac MacOf(const rte_ether_addr& a) { return {a.addr_bytes[0], a.addr_bytes[1], a.addr_bytes[2], a.addr_bytes[3], a.addr_bytes[4], a.addr_bytes[5]}; }

const Ip4 kClient = V4("10.9.0.7"), kGw4 = V4("10.0.0.1"), kVip4 = V4("10.0.0.100");
const Ip6 kClient6 = V6("fd09::7"), kGw6 = V6("fd00::1"), kVip6 = V6("fd00::100");

class GoldenPacketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snap_ = BaseSnapshot();
    auto fe = [](const char* vip, uint16_t port, Protocol proto) { return Frontend{Addr(vip), port, proto}; };
    snap_.services.push_back(MakeService(1, {fe("10.0.0.100", 80, Protocol::kTcp)}, {MakeBackend(1, "10.1.0.1")}));
    snap_.services.push_back(MakeService(2, {fe("10.0.0.100", 0, Protocol::kUdp)}, {MakeBackend(2, "10.1.0.2")}, Forwarding::kGue));
    snap_.services.push_back(MakeService(3, {fe("fd00::100", 443, Protocol::kTcp)}, {MakeBackend(3, "fd01::3")}));
    snap_.services.push_back(MakeService(4, {fe("10.0.0.101", 80, Protocol::kTcp)}, {MakeBackend(4, "fd01::4")}));
    snap_.services.push_back(MakeService(5, {fe("fd00::101", 53, Protocol::kUdp)}, {MakeBackend(5, "fd01::5")}, Forwarding::kGue));
    snap_.services.push_back(MakeService(6, {fe("10.0.0.102", 80, Protocol::kTcp)}, {}));
    Compile();
  }
  void Compile() {
    auto t = Tables::Compile(snap_, SettingsFor(snap_));
    ASSERT_TRUE(t.ok()) << t.status();
    tables_ = std::move(*t);
  }
  void TearDown() override { EXPECT_EQ(h_.in_use(), 0u) << "mbuf leak"; }

  std::vector<Bytes> Run(const std::vector<Bytes>& frames, uint32_t now_ms = 1000) {
    return h_.Run(frames, tables_.get(), now_ms);
  }
  Bytes RunOne(const Bytes& frame) {
    auto out = Run({frame});
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? Bytes{} : out[0];
  }
  // Nothing comes out and `reason` counted once per frame.
  void ExpectDropped(const std::vector<Bytes>& frames, Counter reason) {
    const uint64_t before = h_.count(reason);
    EXPECT_TRUE(Run(frames).empty());
    EXPECT_EQ(h_.count(reason) - before, frames.size()) << kCounterNames[static_cast<size_t>(reason)];
  }

  snapshot::CompiledSnapshot snap_;
  std::unique_ptr<Tables> tables_;
  PipelineHarness h_;
};

Bytes ClientTcp4(uint16_t sport, uint8_t flags, Ip4Options o = {}, const Bytes& payload = {}, int vlan = -1,
                 Ip4 vip = kVip4, uint16_t dport = 80) {
  return Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, vip, 6, Tcp4(kClient, vip, sport, dport, flags, payload), o), vlan);
}

TEST_F(GoldenPacketTest, Ipv4TcpInIpv4) {
  const Bytes out = RunOne(ClientTcp4(40000, kSyn, {.ttl = 64, .tos = 0x28}));
  const Bytes inner = Ipv4(kClient, kVip4, 6, Tcp4(kClient, kVip4, 40000, 80, kSyn), {.ttl = 63, .tos = 0x28});
  const Bytes expected = Ether(MacOf(BackendMac(1)), kPortMac, 0x0800,
                               Ipv4(kGw4, V4("10.1.0.1"), 4, inner, {.ttl = 64, .tos = 0x28, .df = true}));
  EXPECT_EQ(Hex(out), Hex(expected));
  EXPECT_TRUE(ChecksumOk(out.data() + 14, 20));       // outer IPv4 header
  EXPECT_TRUE(ChecksumOk(out.data() + 34, 20));       // inner IPv4 header after the TTL change
  EXPECT_TRUE(ChecksumOk(out.data() + 54, 20, PseudoV4(kClient, kVip4, 6, 20)));  // TCP untouched
  EXPECT_EQ(h_.count(Counter::forwarded_new_flow), 1u);
}

TEST_F(GoldenPacketTest, EthernetPaddingIsNotEncapsulated) {
  Bytes frame = ClientTcp4(40001, kAck);
  const Bytes unpadded = frame;
  frame.resize(frame.size() + 6, 0xee);  // a short frame padded by the sender's NIC
  const Bytes out = RunOne(frame);
  EXPECT_EQ(out.size(), unpadded.size() + 20);
}

TEST_F(GoldenPacketTest, Ipv4UdpInGueWithVlan) {
  const Bytes payload = {1, 2, 3, 4, 5};
  const Bytes in = Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 17, Udp4(kClient, kVip4, 5353, 9999, payload)), 100);
  const Bytes out = RunOne(in);
  ASSERT_GT(out.size(), 40u);
  const uint16_t sport = static_cast<uint16_t>((out[38] << 8) | out[39]);
  EXPECT_GE(sport, 0x8000);
  const Bytes inner = Ipv4(kClient, kVip4, 17, Udp4(kClient, kVip4, 5353, 9999, payload), {.ttl = 63});
  const Bytes expected = Ether(MacOf(BackendMac(2)), kPortMac, 0x0800,
                               Ipv4(kGw4, V4("10.1.0.2"), 17, Udp(sport, 6080, inner, 0, /*zero_checksum=*/true)), 100);
  EXPECT_EQ(Hex(out), Hex(expected));
  EXPECT_TRUE(ChecksumOk(out.data() + 18, 20));
  // Entropy: another flow gets another outer source port (with overwhelming probability).
  const Bytes out2 = RunOne(Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 17, Udp4(kClient, kVip4, 5354, 9999, payload)), 100));
  EXPECT_NE(sport, static_cast<uint16_t>((out2[38] << 8) | out2[39]));
}

TEST_F(GoldenPacketTest, Ipv6TcpInIpv6) {
  const Bytes in = Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, 6, Tcp6(kClient6, kVip6, 40000, 443, kSyn), 64, 0x12345, 0xb8));
  const Bytes out = RunOne(in);
  ASSERT_GE(out.size(), 54u);
  const uint32_t label = ((out[15] & 0x0f) << 16) | (out[16] << 8) | out[17];
  const Bytes inner = Ipv6(kClient6, kVip6, 6, Tcp6(kClient6, kVip6, 40000, 443, kSyn), 63, 0x12345, 0xb8);
  const Bytes expected = Ether(MacOf(BackendMac(3)), kPortMac, 0x86dd, Ipv6(kGw6, V6("fd01::3"), 41, inner, 64, label, 0xb8));
  EXPECT_EQ(Hex(out), Hex(expected));
  EXPECT_TRUE(ChecksumOk(out.data() + 94, 20, PseudoV6(kClient6, kVip6, 6, 20)));
}

TEST_F(GoldenPacketTest, Ipv4TcpInIpv6) {
  const Ip4 vip = V4("10.0.0.101");
  const Bytes out = RunOne(ClientTcp4(40000, kSyn, {}, {}, -1, vip));
  ASSERT_GE(out.size(), 54u);
  const uint32_t label = ((out[15] & 0x0f) << 16) | (out[16] << 8) | out[17];
  const Bytes inner = Ipv4(kClient, vip, 6, Tcp4(kClient, vip, 40000, 80, kSyn), {.ttl = 63});
  const Bytes expected = Ether(MacOf(BackendMac(4)), kPortMac, 0x86dd, Ipv6(kGw6, V6("fd01::4"), 4, inner, 64, label));
  EXPECT_EQ(Hex(out), Hex(expected));
}

TEST_F(GoldenPacketTest, Ipv6UdpInGueOverIpv6WithChecksum) {
  const Ip6 vip = V6("fd00::101");
  const Bytes payload(100, 0x5a);
  const Bytes out = RunOne(Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, vip, 17, Udp6(kClient6, vip, 3333, 53, payload))));
  ASSERT_GE(out.size(), 62u);
  const uint32_t label = ((out[15] & 0x0f) << 16) | (out[16] << 8) | out[17];
  const uint16_t sport = static_cast<uint16_t>((out[54] << 8) | out[55]);
  const Bytes inner = Ipv6(kClient6, vip, 17, Udp6(kClient6, vip, 3333, 53, payload), 63);
  const Ip6 backend = V6("fd01::5");
  const Bytes udp = Udp(sport, 6080, inner, PseudoV6(kGw6, backend, 17, static_cast<uint32_t>(8 + inner.size())));
  const Bytes expected = Ether(MacOf(BackendMac(5)), kPortMac, 0x86dd, Ipv6(kGw6, backend, 17, udp, 64, label));
  EXPECT_EQ(Hex(out), Hex(expected));
  EXPECT_TRUE(ChecksumOk(out.data() + 54, out.size() - 54, PseudoV6(kGw6, backend, 17, static_cast<uint32_t>(out.size() - 54))));
}

// A port with checksum offload: the outer IPv4 header checksum and GUE-over-IPv6's UDP checksum are
// left to it — the same frames as in software, but for those fields, with the mbuf asking the port
// for them; what a port computes from that request gives the software frame back byte for byte.
TEST_F(GoldenPacketTest, ChecksumOffloadLeavesTheOuterSumsToThePort) {
  const Ip6 vip6 = V6("fd00::101"), backend6 = V6("fd01::5");
  const Bytes v4 = ClientTcp4(40020, kAck);
  const Bytes v4_vlan = Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 17, Udp4(kClient, kVip4, 5353, 9999, {7})), 100);
  const Bytes gue6 = Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, vip6, 17, Udp6(kClient6, vip6, 3334, 53, Bytes(200, 0x33))));
  const std::vector<Bytes> software = Run({v4, v4_vlan, gue6});
  ASSERT_EQ(software.size(), 3u);
  for (const TxRequest& r : h_.tx_requests()) EXPECT_EQ(r.flags, 0u);

  h_.ctx().tx_offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
  std::vector<Bytes> offloaded = Run({v4, v4_vlan, gue6});  // the same flows: the same backends, ports
  ASSERT_EQ(offloaded.size(), 3u);
  const std::vector<TxRequest> req = h_.tx_requests();
  ASSERT_EQ(req.size(), 3u);

  // IPv4 outer headers (untagged, and behind a VLAN tag): checksum zero, IPv4 + IP checksum asked.
  for (int i : {0, 1}) {
    const size_t l2 = i == 0 ? 14 : 18;
    EXPECT_EQ(req[i].flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM) << i;
    EXPECT_EQ(req[i].l2_len, l2) << i;
    EXPECT_EQ(req[i].l3_len, 20u) << i;
    Bytes& f = offloaded[i];
    EXPECT_EQ(f[l2 + 10], 0);
    EXPECT_EQ(f[l2 + 11], 0);
    const uint16_t sum = Fold(SumWords(f.data() + l2, 20));  // what the port does
    f[l2 + 10] = static_cast<uint8_t>(sum >> 8);
    f[l2 + 11] = static_cast<uint8_t>(sum);
    EXPECT_EQ(Hex(f), Hex(software[i])) << i;
  }

  // GUE over IPv6: the UDP checksum field holds the pseudo-header sum; the port sums the datagram.
  EXPECT_EQ(req[2].flags, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
  EXPECT_EQ(req[2].l2_len, 14u);
  EXPECT_EQ(req[2].l3_len, 40u);
  EXPECT_EQ(req[2].l4_len, 8u);
  Bytes& f = offloaded[2];
  const size_t udp = 14 + 40, len = f.size() - udp;
  const uint16_t pseudo = static_cast<uint16_t>(~Fold(PseudoV6(kGw6, backend6, 17, static_cast<uint32_t>(len))));
  EXPECT_EQ((f[udp + 6] << 8) | f[udp + 7], pseudo);
  const uint16_t sum = Fold(SumWords(f.data() + udp, len));  // the field already holds the pseudo sum
  f[udp + 6] = static_cast<uint8_t>(sum >> 8);
  f[udp + 7] = static_cast<uint8_t>(sum);
  EXPECT_EQ(Hex(f), Hex(software[2]));
}

Bytes ArpRequest(const Ip4& sender, const Ip4& target) {
  Bytes arp = {0, 1, 8, 0, 6, 4, 0, 1};
  arp.insert(arp.end(), kClientMac.begin(), kClientMac.end());
  arp.insert(arp.end(), sender.begin(), sender.end());
  arp.insert(arp.end(), 6, 0);
  arp.insert(arp.end(), target.begin(), target.end());
  arp.insert(arp.end(), 18, 0);  // padding to the 60-byte minimum
  return Ether({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kClientMac, 0x0806, arp);
}

TEST_F(GoldenPacketTest, ArpForVipAndGatewayAddress) {
  for (const Ip4& target : {kVip4, kGw4}) {
    const Bytes out = RunOne(ArpRequest(kClient, target));
    Bytes arp = {0, 1, 8, 0, 6, 4, 0, 2};
    arp.insert(arp.end(), kPortMac.begin(), kPortMac.end());
    arp.insert(arp.end(), target.begin(), target.end());
    arp.insert(arp.end(), kClientMac.begin(), kClientMac.end());
    arp.insert(arp.end(), kClient.begin(), kClient.end());
    arp.insert(arp.end(), 18, 0);
    EXPECT_EQ(Hex(out), Hex(Ether(kClientMac, kPortMac, 0x0806, arp)));
  }
  EXPECT_EQ(h_.count(Counter::arp_replies), 2u);
  ExpectDropped({ArpRequest(kClient, V4("10.0.0.77"))}, Counter::drop_not_for_us);
}

Bytes NeighborSolicit(const Ip6& src, const Ip6& target, uint8_t hop = 255) {
  Bytes ns = {135, 0, 0, 0, 0, 0, 0, 0};
  ns.insert(ns.end(), target.begin(), target.end());
  ns.insert(ns.end(), {1, 1});
  ns.insert(ns.end(), kClientMac.begin(), kClientMac.end());
  Ip6 solicited = V6("ff02::1:ff00:0");
  std::copy(target.end() - 3, target.end(), solicited.end() - 3);
  const uint16_t c = Fold(SumWords(ns.data(), ns.size(), PseudoV6(src, solicited, 58, static_cast<uint32_t>(ns.size()))));
  ns[2] = static_cast<uint8_t>(c >> 8);
  ns[3] = static_cast<uint8_t>(c);
  return Ether({0x33, 0x33, 0xff, target[13], target[14], target[15]}, kClientMac, 0x86dd, Ipv6(src, solicited, 58, ns, hop));
}

TEST_F(GoldenPacketTest, NeighborSolicitationForVip) {
  const Bytes out = RunOne(NeighborSolicit(kClient6, kVip6));
  Bytes na = {136, 0, 0, 0, 0x60, 0, 0, 0};
  na.insert(na.end(), kVip6.begin(), kVip6.end());
  na.insert(na.end(), {2, 1});
  na.insert(na.end(), kPortMac.begin(), kPortMac.end());
  const uint16_t c = Fold(SumWords(na.data(), na.size(), PseudoV6(kVip6, kClient6, 58, static_cast<uint32_t>(na.size()))));
  na[2] = static_cast<uint8_t>(c >> 8);
  na[3] = static_cast<uint8_t>(c);
  EXPECT_EQ(Hex(out), Hex(Ether(kClientMac, kPortMac, 0x86dd, Ipv6(kVip6, kClient6, 58, na, 255))));
  EXPECT_EQ(h_.count(Counter::nd_replies), 1u);
  // Hop limit other than 255: not a valid solicitation (RFC 4861 7.1.1); unknown target.
  ExpectDropped({NeighborSolicit(kClient6, kVip6, 64), NeighborSolicit(kClient6, V6("fd00::77"))}, Counter::drop_not_for_us);
}

Bytes Icmp(uint8_t type, const Bytes& rest, uint32_t pseudo = 0) {
  Bytes b = Concat({type, 0, 0, 0}, rest);
  const uint16_t c = Fold(SumWords(b.data(), b.size(), pseudo));
  b[2] = static_cast<uint8_t>(c >> 8);
  b[3] = static_cast<uint8_t>(c);
  return b;
}

TEST_F(GoldenPacketTest, EchoToVip) {
  const Bytes body = {0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
  const Bytes out = RunOne(Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 1, Icmp(8, body), {.ttl = 5, .df = true, .id = 77})));
  EXPECT_EQ(Hex(out), Hex(Ether(kClientMac, kPortMac, 0x0800, Ipv4(kVip4, kClient, 1, Icmp(0, body), {.ttl = 64, .df = true, .id = 77}))));

  const auto len = static_cast<uint32_t>(body.size() + 4);
  const Bytes out6 = RunOne(Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, 58, Icmp(128, body, PseudoV6(kClient6, kVip6, 58, len)), 9)));
  EXPECT_EQ(Hex(out6), Hex(Ether(kClientMac, kPortMac, 0x86dd, Ipv6(kVip6, kClient6, 58, Icmp(129, body, PseudoV6(kVip6, kClient6, 58, len)), 64))));
  EXPECT_EQ(h_.count(Counter::echo_replies), 2u);
  ExpectDropped({Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, V4("10.0.0.88"), 1, Icmp(8, body)))}, Counter::drop_not_for_us);
}

TEST_F(GoldenPacketTest, UnknownVipPortAndProtocolDropped) {
  ExpectDropped({ClientTcp4(1, kSyn, {}, {}, -1, V4("10.0.0.99")),       // no such VIP
                 ClientTcp4(1, kSyn, {}, {}, -1, kVip4, 81),             // TCP only on port 80
                 Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, 17, Udp6(kClient6, kVip6, 1, 443)))},
                Counter::drop_no_vip);
  // UDP port 0 frontend: every port of 10.0.0.100 answers.
  EXPECT_EQ(Run({Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 17, Udp4(kClient, kVip4, 1, 1))),
                 Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 17, Udp4(kClient, kVip4, 1, 65535)))}).size(), 2u);
}

TEST_F(GoldenPacketTest, NoBackendDropped) {
  ExpectDropped({ClientTcp4(1, kSyn, {}, {}, -1, V4("10.0.0.102"))}, Counter::drop_no_backend);
}

TEST_F(GoldenPacketTest, TtlOneDroppedTtlTwoForwarded) {
  ExpectDropped({ClientTcp4(1, kSyn, {.ttl = 1}), ClientTcp4(2, kSyn, {.ttl = 0}),
                 Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, 6, Tcp6(kClient6, kVip6, 1, 443, kSyn), 1))},
                Counter::drop_ttl);
  const Bytes out = RunOne(ClientTcp4(3, kSyn, {.ttl = 2}));
  EXPECT_EQ(out[14 + 20 + 8], 1);  // inner TTL
}

TEST_F(GoldenPacketTest, DfBeyondMtuGetsFragmentationNeeded) {
  const Bytes payload(1460, 0xab);  // IP packet of 1500 bytes: 1520 once in IPIP
  const Bytes in = ClientTcp4(40000, kAck, {.df = true}, payload);
  const Bytes out = RunOne(in);
  const Bytes original(in.begin() + 14, in.end());
  const Bytes quote(original.begin(), original.begin() + (576 - 28));
  const Bytes icmp = Icmp(3, Concat({0, 0, 1480 >> 8, 1480 & 0xff}, quote));
  Bytes icmp_code4 = icmp;
  icmp_code4[1] = 4;  // code 4: fragmentation needed; fix the checksum for it
  const uint16_t c = static_cast<uint16_t>(((icmp[2] << 8) | icmp[3]) - 4);
  icmp_code4[2] = static_cast<uint8_t>(c >> 8);
  icmp_code4[3] = static_cast<uint8_t>(c);
  EXPECT_TRUE(ChecksumOk(icmp_code4.data(), icmp_code4.size()));
  EXPECT_EQ(Hex(out), Hex(Ether(kClientMac, kPortMac, 0x0800, Ipv4(kVip4, kClient, 1, icmp_code4, {.ttl = 64, .df = false}))));
  EXPECT_EQ(h_.count(Counter::icmp_frag_needed_sent), 1u);
  // Without DF the packet may not be sent whole and is not fragmented: dropped.
  ExpectDropped({ClientTcp4(40001, kAck, {.df = false}, payload)}, Counter::drop_mtu);
  // An inner packet of MTU - 20 fits exactly.
  EXPECT_EQ(RunOne(ClientTcp4(40002, kAck, {.df = true}, Bytes(1440, 1))).size(), 14u + 1500u);
}

TEST_F(GoldenPacketTest, Ipv6BeyondMtuGetsPacketTooBig) {
  const Bytes payload(1440, 0xcd);
  const Bytes in = Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, 6, Tcp6(kClient6, kVip6, 40000, 443, kAck, payload)));
  const Bytes out = RunOne(in);
  const Bytes quote(in.begin() + 14, in.begin() + 14 + (1280 - 48));
  const Bytes body = Concat({0, 0, 1460 >> 8, 1460 & 0xff}, quote);
  const Bytes icmp = Icmp(2, body, PseudoV6(kVip6, kClient6, 58, static_cast<uint32_t>(body.size() + 4)));
  EXPECT_EQ(Hex(out), Hex(Ether(kClientMac, kPortMac, 0x86dd, Ipv6(kVip6, kClient6, 58, icmp, 64))));
  EXPECT_EQ(h_.count(Counter::icmp_too_big_sent), 1u);
}

// A router between a backend and the client tells the VIP that the backend's SYN-ACK was too big:
// the error goes, encapsulated, to the backend of the flow it quotes.
TEST_F(GoldenPacketTest, IcmpErrorAboutAFlowGoesToItsBackend) {
  const Ip4 router = V4("10.5.5.5");
  const Bytes syn_ack = Ipv4(kVip4, kClient, 6, Tcp4(kVip4, kClient, 80, 40000, kSyn | kAck));
  const Bytes quote(syn_ack.begin(), syn_ack.begin() + 28);
  Bytes icmp_code4 = Icmp(3, Concat({0, 0, 0x05, 0x00}, quote));
  icmp_code4[1] = 4;
  const uint16_t c = static_cast<uint16_t>(((icmp_code4[2] << 8) | icmp_code4[3]) - 4);
  icmp_code4[2] = static_cast<uint8_t>(c >> 8);
  icmp_code4[3] = static_cast<uint8_t>(c);
  const Bytes in = Ether(kPortMac, kClientMac, 0x0800, Ipv4(router, kVip4, 1, icmp_code4, {.ttl = 60, .df = false}));
  const Bytes out = RunOne(in);
  const Bytes inner = Ipv4(router, kVip4, 1, icmp_code4, {.ttl = 59, .df = false});
  EXPECT_EQ(Hex(out), Hex(Ether(MacOf(BackendMac(1)), kPortMac, 0x0800, Ipv4(kGw4, V4("10.1.0.1"), 4, inner, {.df = false}))));
  EXPECT_EQ(h_.count(Counter::forwarded_icmp_error), 1u);
  EXPECT_EQ(h_.ctx().flows->size(), 0u) << "an ICMP error creates no flow";

  // IPv6 packet-too-big about a TCP segment from the IPv6 VIP.
  const Ip6 router6 = V6("fd05::5");
  const Bytes seg = Ipv6(kVip6, kClient6, 6, Tcp6(kVip6, kClient6, 443, 40000, kAck, Bytes(100, 1)));
  const Bytes body = Concat({0, 0, 0x05, 0x00}, seg);
  const Bytes ptb = Icmp(2, body, PseudoV6(router6, kVip6, 58, static_cast<uint32_t>(body.size() + 4)));
  const Bytes out6 = RunOne(Ether(kPortMac, kClientMac, 0x86dd, Ipv6(router6, kVip6, 58, ptb, 64)));
  ASSERT_GE(out6.size(), 54u);
  const Ip6 backend3 = V6("fd01::3");
  EXPECT_EQ(Bytes(out6.begin() + 38, out6.begin() + 54), Bytes(backend3.begin(), backend3.end()));
  EXPECT_EQ(h_.count(Counter::forwarded_icmp_error), 2u);

  // Quoting a VIP port nobody serves, or too little of the packet.
  const Bytes other = Ipv4(kVip4, kClient, 6, Tcp4(kVip4, kClient, 81, 40000, kAck));
  ExpectDropped({Ether(kPortMac, kClientMac, 0x0800, Ipv4(router, kVip4, 1, Icmp(3, Concat({0, 0, 0, 0}, Bytes(other.begin(), other.begin() + 28)))))},
                Counter::drop_no_vip);
  ExpectDropped({Ether(kPortMac, kClientMac, 0x0800, Ipv4(router, kVip4, 1, Icmp(3, Concat({0, 0, 0, 0}, Bytes(syn_ack.begin(), syn_ack.begin() + 24)))))},
                Counter::drop_malformed);
}

TEST_F(GoldenPacketTest, TruncatedAtEveryOffsetIsMalformed) {
  const std::vector<Bytes> whole = {
      ClientTcp4(1, kSyn),
      ClientTcp4(1, kSyn, {}, {}, 42),
      Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 17, Udp4(kClient, kVip4, 1, 2, {9}))),
      Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, 6, Tcp6(kClient6, kVip6, 1, 443, kSyn))),
  };
  for (const Bytes& f : whole) {
    std::vector<Bytes> cut;
    for (size_t len = 0; len < f.size(); ++len) cut.emplace_back(f.begin(), f.begin() + len);
    ExpectDropped(cut, Counter::drop_malformed);
    EXPECT_EQ(Run({f}).size(), 1u) << "the whole frame forwards";
  }
}

TEST_F(GoldenPacketTest, BadHeaderFieldsAreMalformed) {
  const Bytes good = ClientTcp4(1, kSyn);
  auto with = [&](size_t at, uint8_t value) { Bytes b = good; b[at] = value; return b; };
  ExpectDropped({
      with(14, 0x44),         // IHL 4
      with(14, 0x4f),         // IHL 15: header longer than the packet
      with(14, 0x55),         // version 5
      with(17, 30),           // total length shorter than header + TCP... (30 < 20+20: TCP cut)
      with(16, 0x05),         // total length 1320 > frame
      with(14 + 20 + 12, 0x40),  // TCP data offset 4
      with(14 + 20 + 12, 0xf0),  // TCP data offset 15 > segment
  }, Counter::drop_malformed);
  Bytes udp = Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 17, Udp4(kClient, kVip4, 1, 2, {1, 2})));
  Bytes short_len = udp, long_len = udp;
  short_len[14 + 20 + 5] = 7;
  long_len[14 + 20 + 5] = 11;
  Bytes v6 = Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, 6, Tcp6(kClient6, kVip6, 1, 443, kSyn)));
  v6[14 + 5] = 21;  // payload length beyond the frame
  ExpectDropped({short_len, long_len, v6}, Counter::drop_malformed);
}

Bytes WithDestOptions(int count) {
  Bytes tcp = Tcp6(kClient6, kVip6, 7, 443, kSyn);
  Bytes chain;
  for (int i = 0; i < count; ++i) {
    const uint8_t next = i + 1 < count ? 60 : 6;
    chain.insert(chain.end(), {next, 0, 1, 4, 0, 0, 0, 0});  // PadN over the 6 option bytes
  }
  return Ether(kPortMac, kClientMac, 0x86dd, Ipv6(kClient6, kVip6, count > 0 ? 60 : 6, Concat(chain, tcp)));
}

TEST_F(GoldenPacketTest, Ipv6ExtensionChains) {
  EXPECT_EQ(Run({WithDestOptions(1), WithDestOptions(kMaxIpv6ExtensionHeaders)}).size(), 2u);
  ExpectDropped({WithDestOptions(kMaxIpv6ExtensionHeaders + 1), WithDestOptions(40)}, Counter::drop_ext_headers);
  Bytes cut = WithDestOptions(3);
  cut[14 + 40 + 8 + 1] = 200;  // second header claims 1608 bytes
  ExpectDropped({cut}, Counter::drop_malformed);
}

TEST_F(GoldenPacketTest, OtherFramesCountedUnsupported) {
  ExpectDropped({Ether(kPortMac, kClientMac, 0x88cc, Bytes(46, 0)),                      // LLDP
                 Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 47, Bytes(8, 0))),  // GRE
                 Ether(kPortMac, kClientMac, 0x8100, Concat({0, 1, 0x81, 0}, Bytes(46, 0)))},  // two tags
                Counter::drop_unsupported);
  Bytes gre_fragment = Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kVip4, 47, Bytes(8, 0), {.df = false}));
  gre_fragment[14 + 6] = 0x20;  // more fragments
  ExpectDropped({gre_fragment}, Counter::drop_fragment);
}

// Fragments are balanced on addresses alone, to frontends serving every port: the first fragment
// (with the UDP header) and a later one (without) are encapsulated as they are, to the same backend.
TEST_F(GoldenPacketTest, FragmentsOfAPortZeroServiceForwardStatelessly) {
  const Bytes datagram = Udp4(kClient, kVip4, 5353, 9999, Bytes(24, 7));  // 32 bytes
  auto fragment = [&](uint16_t offset_words, bool more, const Bytes& piece) {
    Bytes ip = Ipv4(kClient, kVip4, 17, piece, {.df = false, .id = 99});
    const uint16_t field = static_cast<uint16_t>((more ? 0x2000 : 0) | offset_words);
    ip[6] = static_cast<uint8_t>(field >> 8);
    ip[7] = static_cast<uint8_t>(field);
    ip[10] = ip[11] = 0;
    const uint16_t c = Fold(SumWords(ip.data(), 20));
    ip[10] = static_cast<uint8_t>(c >> 8);
    ip[11] = static_cast<uint8_t>(c);
    return ip;
  };
  const Bytes first = fragment(0, true, Bytes(datagram.begin(), datagram.begin() + 16));
  const Bytes second = fragment(2, false, Bytes(datagram.begin() + 16, datagram.end()));
  const auto out = Run({Ether(kPortMac, kClientMac, 0x0800, first), Ether(kPortMac, kClientMac, 0x0800, second)});
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    Bytes inner = i == 0 ? first : second;
    inner[8] = 63;  // TTL decremented, checksum adjusted
    const uint16_t c = static_cast<uint16_t>(((inner[10] << 8) | inner[11]) + 0x100);
    inner[10] = static_cast<uint8_t>(c >> 8);
    inner[11] = static_cast<uint8_t>(c);
    EXPECT_TRUE(ChecksumOk(inner.data(), 20));
    const uint16_t sport = static_cast<uint16_t>((out[i][34] << 8) | out[i][35]);
    EXPECT_EQ(Hex(out[i]), Hex(Ether(MacOf(BackendMac(2)), kPortMac, 0x0800,
                                     Ipv4(kGw4, V4("10.1.0.2"), 17, Udp(sport, 6080, inner, 0, true), {.df = false}))));
  }
  EXPECT_EQ(h_.count(Counter::forwarded_fragment), 2u);
  EXPECT_EQ(h_.ctx().flows->size(), 0u);
  // The TCP service answers on port 80 only: its fragments have no port-0 frontend.
  Bytes tcp_fragment = ClientTcp4(1, kSyn, {.df = false});
  tcp_fragment[14 + 6] = 0x20;
  ExpectDropped({tcp_fragment}, Counter::drop_no_vip);
}

// With an exception path, what is the host's goes to it unchanged; what is causeway's, or broken,
// does not.
TEST_F(GoldenPacketTest, HostFramesTakeTheExceptionPath) {
  const Ip4 host = V4("10.0.0.5");
  const std::vector<Bytes> hosts = {
      ArpRequest(kClient, host),                                                        // ARP for the host
      Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, host, 6, Tcp4(kClient, host, 5000, 22, kSyn))),  // SSH
      Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, host, 1, Icmp(8, {0, 1, 0, 1}))),  // ping the host
      Ether(kPortMac, kClientMac, 0x88cc, Bytes(46, 0)),                                // LLDP
      Ether(kPortMac, kClientMac, 0x0800, Ipv4(kClient, kGw4, 89, Bytes(20, 0))),      // OSPF
  };
  std::vector<Bytes> to_host;
  EXPECT_TRUE(h_.Run(hosts, tables_.get(), 1000, &to_host).empty());
  ASSERT_EQ(to_host.size(), hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) EXPECT_EQ(Hex(to_host[i]), Hex(hosts[i])) << i;
  EXPECT_EQ(h_.count(Counter::to_host), hosts.size());

  to_host.clear();
  Bytes truncated = hosts[1];
  truncated.resize(40);
  const auto out = h_.Run({ClientTcp4(1, kSyn, {}, {}, -1, kVip4, 81),  // a VIP without that port: refused
                           truncated, ClientTcp4(2, kSyn), ArpRequest(kClient, kVip4)},
                          tables_.get(), 1000, &to_host);
  EXPECT_TRUE(to_host.empty());
  EXPECT_EQ(out.size(), 2u);  // the forwarded SYN and the ARP reply
  EXPECT_EQ(h_.count(Counter::drop_no_vip), 1u);
  EXPECT_EQ(h_.count(Counter::drop_malformed), 1u);
}

TEST_F(GoldenPacketTest, NothingPublishedDropsEverything) {
  EXPECT_TRUE(h_.Run({ClientTcp4(1, kSyn)}, nullptr).empty());
  EXPECT_EQ(h_.count(Counter::drop_no_snapshot), 1u);
}

}  // namespace
}  // namespace causeway::dataplane::testing
