// Transmit checksum offload on a port that honours it: net_tap offers IPv4 and UDP checksum offload
// and, when a frame asks for them, computes the sums itself before the kernel gets the frame. An
// encapsulated frame that went through the pipeline with the offloads on is sent out of such a port
// and read back from the kernel side with a packet socket: its checksums must be right there, so the
// flags and header lengths the pipeline set are what a real PMD needs. Root only (a TAP interface);
// the interface has no address, and the frames' destination MAC is not its own: the kernel drops them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "dataplane/encap.h"
#include "dataplane/pipeline.h"
#include "dataplane/port.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/dataplane/test_snapshot.h"

namespace causeway::dataplane::testing {
namespace {

using snapshot::Forwarding;
using snapshot::Frontend;
using snapshot::Protocol;

// The frame the kernel side of `iface` receives next whose Ethernet type is `ether_type` (others,
// such as the kernel's own IPv6 chatter, are skipped); empty after 3 s.
Bytes Receive(int fd, uint16_t ether_type) {
  for (int tries = 0; tries < 30; ++tries) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    uint8_t buf[2048];
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 14 || from.sll_pkttype == PACKET_OUTGOING) continue;
    if (((buf[12] << 8) | buf[13]) == ether_type) return Bytes(buf, buf + n);
  }
  return {};
}

TEST(PortOffloadTest, ChecksumsAskedOfATapPortArriveRight) {
  if (geteuid() != 0 || access("/dev/net/tun", F_OK) != 0) GTEST_SKIP() << "needs root and /dev/net/tun";
  const std::string iface = "cwoff" + std::to_string(getpid() % 100000);
  const std::string name = "net_tap_cwoff";
  ASSERT_EQ(rte_dev_probe((name + ",iface=" + iface).c_str()), 0);
  uint16_t port = 0;
  ASSERT_EQ(rte_eth_dev_get_port_by_name(name.c_str(), &port), 0);

  // A packet socket on the kernel side before the port sends anything.
  const int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  ASSERT_GE(fd, 0);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
  ASSERT_GT(addr.sll_ifindex, 0);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  PipelineHarness h;
  rte_ether_addr mac{};
  uint64_t offloads = 0;
  ASSERT_TRUE(StartPort(port, PortConfig{}, h.pool(), mac, &offloads).ok());
  EXPECT_EQ(offloads, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
  h.ctx().tx_offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

  auto snap = BaseSnapshot();
  snap.services.push_back(MakeService(1, {Frontend{Addr("10.0.0.100"), 80, Protocol::kTcp}}, {MakeBackend(1, "10.1.0.1")}));
  snap.services.push_back(MakeService(5, {Frontend{Addr("fd00::101"), 53, Protocol::kUdp}}, {MakeBackend(5, "fd01::5")},
                                      Forwarding::kGue));
  auto tables = Tables::Compile(snap, SettingsFor(snap));
  ASSERT_TRUE(tables.ok()) << tables.status();

  const Ip4 client = V4("10.9.0.7"), vip = V4("10.0.0.100");
  const Ip6 client6 = V6("fd09::7"), vip6 = V6("fd00::101"), gw6 = V6("fd00::1"), backend6 = V6("fd01::5");
  const std::vector<Bytes> frames = {
      Ether(kPortMac, kClientMac, 0x0800, Ipv4(client, vip, 6, Tcp4(client, vip, 40000, 80, kSyn))),
      Ether(kPortMac, kClientMac, 0x86dd, Ipv6(client6, vip6, 17, Udp6(client6, vip6, 3333, 53, Bytes(300, 0x5a)))),
  };
  for (const Bytes& frame : frames) {
    rte_mbuf* in[1] = {h.Mbuf(frame)};
    rte_mbuf* out[1];
    ASSERT_EQ(ProcessBurst(h.ctx(), tables->get(), in, 1, 1000, out), 1);
    ASSERT_NE(out[0]->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, 0u);
    ASSERT_EQ(rte_eth_tx_burst(port, 0, out, 1), 1);
  }
  const Bytes ipip = Receive(fd, 0x0800);
  ASSERT_EQ(ipip.size(), 14u + 20 + 20 + 20);
  EXPECT_TRUE(ChecksumOk(ipip.data() + 14, 20)) << Hex(ipip);
  const Bytes gue = Receive(fd, 0x86dd);
  ASSERT_GE(gue.size(), 14u + 40 + 8);
  const size_t udp_len = gue.size() - 54;
  EXPECT_TRUE(ChecksumOk(gue.data() + 54, udp_len, PseudoV6(gw6, backend6, 17, static_cast<uint32_t>(udp_len)))) << Hex(gue);

  close(fd);
  StopPort(port);
  rte_eal_hotplug_remove("vdev", name.c_str());  // the kernel interface goes with it
  EXPECT_EQ(h.in_use(), 0u) << "mbuf leak";
}

}  // namespace
}  // namespace causeway::dataplane::testing
