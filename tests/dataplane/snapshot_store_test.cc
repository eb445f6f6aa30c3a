// The RCU snapshot store: old tables live exactly until every worker has passed a quiescent state,
// and swapping tables under traffic loses no packet and moves no established flow.
#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "dataplane/snapshot_store.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/dataplane/test_snapshot.h"

namespace causeway::dataplane::testing {
namespace {

using snapshot::Frontend;
using snapshot::Protocol;

std::shared_ptr<snapshot::CompiledSnapshot> SnapshotWith(std::initializer_list<uint32_t> ids, uint64_t version) {
  auto snap = std::make_shared<snapshot::CompiledSnapshot>(BaseSnapshot());
  snap->version = version;
  std::vector<snapshot::Backend> backends;
  for (uint32_t id : ids) backends.push_back(MakeBackend(id, "10.2.0." + std::to_string(id)));
  snap->services.push_back(MakeService(10, {Frontend{Addr("10.0.0.50"), 80, Protocol::kTcp}}, backends));
  return snap;
}

DataplaneSettings AllNeighbors() {
  DataplaneSettings s;
  s.default_next_hop_mac = BackendMac(0);
  return s;
}

Bytes Flow(uint32_t i, uint8_t flags) {
  const Ip4 client = {10, 9, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
  const Ip4 vip = V4("10.0.0.50");
  return Ether(kPortMac, kClientMac, 0x0800, Ipv4(client, vip, 6, Tcp4(client, vip, static_cast<uint16_t>(20000 + i), 80, flags)));
}

TEST(SnapshotStoreTest, OldTablesWaitForEveryWorkersQuiescentState) {
  auto store = SnapshotStore::Create(AllNeighbors(), 2);
  ASSERT_TRUE(store.ok());
  SnapshotStore& s = **store;
  s.RegisterWorker(0);
  s.RegisterWorker(1);
  s.Publish(SnapshotWith({1}, 1));
  const Tables* first = s.Current();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->version(), 1u);

  s.Publish(SnapshotWith({1, 2}, 2));
  EXPECT_EQ(s.Current()->version(), 2u);
  EXPECT_EQ(s.Reclaim(), 1u) << "no worker has been quiescent since the swap";
  s.Quiescent(0);
  EXPECT_EQ(s.Reclaim(), 1u) << "worker 1 may still read the old tables";
  s.Quiescent(1);
  EXPECT_EQ(s.Reclaim(), 0u);

  // An offline worker (stopped, idle) does not hold up reclamation.
  s.UnregisterWorker(1);
  s.Publish(SnapshotWith({2}, 3));
  s.Quiescent(0);
  EXPECT_EQ(s.Reclaim(), 0u);
  s.UnregisterWorker(0);
  EXPECT_EQ(s.published(), 3u);
}

// Per-service and per-backend packets and bytes survive table swaps (kept by id).
TEST(SnapshotStoreTest, TrafficCountsPerServiceAndBackendAcrossSwaps) {
  auto store = SnapshotStore::Create(AllNeighbors(), 1);
  ASSERT_TRUE(store.ok());
  SnapshotStore& s = **store;
  s.RegisterWorker(0);
  s.Publish(SnapshotWith({1, 2, 3}, 1));
  PipelineHarness h;
  std::vector<Bytes> frames;
  for (uint32_t i = 0; i < 90; ++i) frames.push_back(Flow(i, kSyn));
  const size_t ip_bytes = frames[0].size() - 14;
  EXPECT_EQ(h.Run(frames, s.Current()).size(), 90u);
  s.Publish(SnapshotWith({1, 2, 3}, 2));
  s.Quiescent(0);
  EXPECT_EQ(s.Reclaim(), 0u);
  EXPECT_EQ(h.Run(frames, s.Current()).size(), 90u);  // established: the same backends

  TrafficTotals services, backends;
  s.Traffic(services, backends);
  EXPECT_EQ(services[10].packets, 180u);
  EXPECT_EQ(services[10].bytes, 180u * ip_bytes);
  uint64_t sum = 0;
  for (uint32_t id : {1u, 2u, 3u}) {
    EXPECT_GT(backends[id].packets, 0u);
    EXPECT_EQ(backends[id].packets % 2, 0u) << "each flow twice, to the same backend";
    sum += backends[id].packets;
  }
  EXPECT_EQ(sum, 180u);
  s.UnregisterWorker(0);
}

TEST(SnapshotStoreTest, BadSnapshotIsRefusedAndTheOldOneStays) {
  auto store = SnapshotStore::Create(AllNeighbors(), 1);
  ASSERT_TRUE(store.ok());
  SnapshotStore& s = **store;
  s.Publish(SnapshotWith({1}, 1));
  auto bad = SnapshotWith({1}, 2);
  bad->services[0].tables[0].slots[0] = 7;  // no backend 7
  EXPECT_FALSE(s.PublishOrError(*bad).ok());
  auto bad_zone = SnapshotWith({1}, 3);
  bad_zone->services[0].zone_table = {0, 1};  // there is one table
  EXPECT_FALSE(s.PublishOrError(*bad_zone).ok());
  auto twice = SnapshotWith({1}, 4);
  twice->services.push_back(twice->services[0]);  // the same frontend in two services
  EXPECT_FALSE(s.PublishOrError(*twice).ok());
  EXPECT_EQ(s.Current()->version(), 1u);
  EXPECT_EQ(s.failed(), 3u);
}

// Telemetry's thread reads the version while the control thread republishes (learned MACs) and
// reclaims: through CurrentVersion(), under the store's lock, never through a Tables pointer that a
// reclaim may free meanwhile.
TEST(SnapshotStoreTest, CurrentVersionIsReadSafelyWhileRepublishing) {
  auto store = SnapshotStore::Create(AllNeighbors(), 1);
  ASSERT_TRUE(store.ok());
  SnapshotStore& s = **store;
  EXPECT_EQ(s.CurrentVersion(), 0u);
  s.Publish(SnapshotWith({1, 2}, 7));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> wrong{0};
  std::thread reader([&] {
    while (!done.load()) wrong += s.CurrentVersion() != 7 ? 1 : 0;
  });
  for (int i = 0; i < 50; ++i) {
    const rte_ether_addr mac{{0x02, 0, 0, 0, 0, static_cast<uint8_t>(i)}};
    ASSERT_TRUE(s.SetLearnedNeighbors({{Addr("10.2.0.1"), mac}}).ok());
    s.Reclaim();  // no worker registered: every retired table is freed at once
  }
  done = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(s.republished(), 50u);
}

// A worker thread forwards established flows in a loop while the main thread publishes 40 snapshots
// that add and remove a backend the flows do not use. Every packet must come out, at its flow's first
// backend.
TEST(SnapshotStoreTest, SwapUnderTrafficLosesNothingAndKeepsFlows) {
  auto store = SnapshotStore::Create(AllNeighbors(), 1);
  ASSERT_TRUE(store.ok());
  SnapshotStore& s = **store;
  s.Publish(SnapshotWith({1, 2, 3}, 1));

  PipelineHarness h;
  constexpr uint32_t kFlows = 64;
  std::vector<Bytes> syn, ack;
  for (uint32_t i = 0; i < kFlows; ++i) {
    syn.push_back(Flow(i, kSyn));
    ack.push_back(Flow(i, kAck));
  }
  std::vector<int> backend_of;
  for (const Bytes& o : h.Run(syn, s.Current())) backend_of.push_back(o[33]);
  ASSERT_EQ(backend_of.size(), kFlows);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0}, received{0}, misplaced{0};
  std::thread worker([&] {
    s.RegisterWorker(0);
    rte_mbuf* in[kBurstSize];
    rte_mbuf* out[kBurstSize];
    while (!stop.load(std::memory_order_relaxed)) {
      for (uint32_t start = 0; start < kFlows; start += kBurstSize) {
        for (uint32_t i = 0; i < kBurstSize; ++i) {
          in[i] = rte_pktmbuf_alloc(h.pool());
          const Bytes& f = ack[start + i];
          std::memcpy(rte_pktmbuf_append(in[i], static_cast<uint16_t>(f.size())), f.data(), f.size());
        }
        const uint16_t n = ProcessBurst(h.ctx(), s.Current(), in, kBurstSize, 2000, out);
        sent += kBurstSize;
        received += n;
        for (uint16_t i = 0; i < n; ++i) {
          // Frames come out in input order when none is dropped.
          if (rte_pktmbuf_mtod(out[i], const uint8_t*)[33] != backend_of[start + i]) ++misplaced;
        }
        rte_pktmbuf_free_bulk(out, n);
        s.Quiescent(0);
      }
    }
    s.UnregisterWorker(0);
  });
  for (uint64_t v = 2; v < 42; ++v) {
    s.Publish(v % 2 ? SnapshotWith({1, 2, 3}, v) : SnapshotWith({1, 2, 3, 4}, v));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  while (s.Reclaim() != 0) std::this_thread::yield();
  stop = true;
  worker.join();
  EXPECT_GT(sent.load(), 0u);
  EXPECT_EQ(received.load(), sent.load());
  EXPECT_EQ(misplaced.load(), 0u);
  EXPECT_EQ(s.published(), 41u);
  EXPECT_EQ(h.in_use(), 0u);
}

}  // namespace
}  // namespace causeway::dataplane::testing

namespace causeway::dataplane::testing {
namespace {

// Zone maps (rte_lpm is ~64 MB) are shared by successive tables while the client prefixes stay the
// same, outlive the retired tables that share them, and are rebuilt when the prefixes change.
TEST(SnapshotStoreTest, ZoneMapsAreReusedWhileThePrefixesStay) {
  auto store = SnapshotStore::Create(AllNeighbors(), 1);
  ASSERT_TRUE(store.ok());
  SnapshotStore& s = **store;
  s.RegisterWorker(0);
  auto with_zones = [](uint64_t version, const char* prefix) {
    auto snap = SnapshotWith({1}, version);
    snap->zones = {"zone-a", "zone-b"};
    snap->client_zones = {{*net::IpPrefix::Parse(prefix), 1}};
    return snap;
  };
  s.Publish(with_zones(1, "10.9.0.0/16"));
  const auto first = s.Current()->zone_maps();
  EXPECT_EQ(s.Current()->ZoneOfV4(rte_cpu_to_be_32(0x0a090001)), 1);

  s.Publish(with_zones(2, "10.9.0.0/16"));
  EXPECT_EQ(s.Current()->zone_maps(), first) << "same prefixes: the maps are shared";
  s.Quiescent(0);
  EXPECT_EQ(s.Reclaim(), 0u);  // version 1's tables are gone, the shared maps are not
  EXPECT_EQ(s.Current()->ZoneOfV4(rte_cpu_to_be_32(0x0a090001)), 1);

  s.Publish(with_zones(3, "10.8.0.0/16"));
  EXPECT_NE(s.Current()->zone_maps(), first) << "other prefixes: new maps";
  EXPECT_EQ(s.Current()->ZoneOfV4(rte_cpu_to_be_32(0x0a090001)), 0);
  EXPECT_EQ(s.Current()->ZoneOfV4(rte_cpu_to_be_32(0x0a080001)), 1);
  s.Quiescent(0);
  s.Reclaim();
  s.UnregisterWorker(0);
}

}  // namespace
}  // namespace causeway::dataplane::testing
