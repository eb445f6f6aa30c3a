// Full-NAT (island mode) on one core, over pre-built mbufs holding real 64-byte TCP/IPv4 frames, in
// bursts of 32, with N sessions in the worker's NAT table (20 SNAT addresses, so 1M sessions fit in
// one worker's share of ports):
//
// BM_FullNat/N             established sessions, both directions: every other frame is a client
//                          packet (bulk session lookup, DNAT + SNAT rewrite), the others are backend
//                          replies (session by port, checked, rewritten back); all N sessions are hit
// BM_FullNatNewSessions/N  every frame is the first packet of a flow: Maglev, a port, a session
//
// Counters: Mpps (both directions counted) and floor_Mpps (the MAC-swap loop over the same mbufs in
// the same run). Frames are put back as they were between passes, outside the timing (unlike
// BM_Pipeline*, whose figures include undoing the encapsulation).
#include <benchmark/benchmark.h>
#include <rte_mbuf.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/nat_table.h"
#include "dataplane/pipeline.h"
#include "dataplane/tables.h"
#include "dataplane/worker_context.h"
#include "perf/dataplane/bench_support.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/dataplane/test_snapshot.h"

namespace causeway::dataplane {
namespace {

namespace t = causeway::dataplane::testing;

constexpr uint32_t kBackends = 100;
constexpr uint16_t kSnatAddresses = 20;  // 20 × 55296 ports ≥ 1M sessions
constexpr size_t kFrameLen = 60;

struct NatFixture {
  std::unique_ptr<Tables> tables;
  rte_mempool* pool = nullptr;
  std::vector<rte_mbuf*> mbufs;
  std::vector<t::Bytes> frames;  // what each mbuf holds before a pass
  WorkerContext ctx;
  NatTableConfig nat_config;

  explicit NatFixture(uint32_t sessions) {
    auto snap = t::BaseSnapshot();
    std::vector<snapshot::Backend> backends;
    for (uint32_t i = 0; i < kBackends; ++i) {
      snapshot::Backend b = t::MakeBackend(i + 1, "10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
      b.port = 8080;
      backends.push_back(b);
    }
    snap.services.push_back(t::MakeService(1, {snapshot::Frontend{t::Addr("10.0.0.50"), 80, snapshot::Protocol::kTcp}},
                                           backends, snapshot::Forwarding::kFullNat, 65537));
    DataplaneSettings settings;
    settings.default_next_hop_mac = t::BackendMac(1);
    for (uint16_t a = 0; a < kSnatAddresses; ++a) settings.snat_sources.push_back(t::Addr("10.0.1." + std::to_string(a + 1)));
    tables = std::move(*Tables::Compile(snap, settings));

    nat_config.addresses = kSnatAddresses;
    pool = rte_pktmbuf_pool_create(("nat_bench_pool_" + std::to_string(sessions)).c_str(), sessions, 0, 0,
                                   RTE_PKTMBUF_HEADROOM + 128, SOCKET_ID_ANY);
    if (pool == nullptr) throw std::runtime_error("mempool for " + std::to_string(sessions) + " mbufs");
    const t::Ip4 vip = t::V4("10.0.0.50");
    for (uint32_t i = 0; i < sessions; ++i) {
      const t::Ip4 client = {100, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
      const auto sport = static_cast<uint16_t>(1024 + (i * 7919) % 60000);
      t::Bytes f = t::Ether(t::kPortMac, t::kClientMac, 0x0800, t::Ipv4(client, vip, 6, t::Tcp4(client, vip, sport, 80, t::kAck)));
      f.resize(kFrameLen, 0);
      frames.push_back(f);
      mbufs.push_back(rte_pktmbuf_alloc(pool));
      if (mbufs.back() == nullptr) throw std::runtime_error("mbuf");
      std::memcpy(rte_pktmbuf_append(mbufs.back(), kFrameLen), f.data(), kFrameLen);
    }
    std::memcpy(&ctx.port_mac, t::kPortMac.data(), 6);
    FlowTableConfig fc;  // a worker has one (for DSR services); unused here
    fc.capacity = 1024;
    ctx.flows = std::move(*FlowTable::Create(fc));
    ResetSessions();
  }
  ~NatFixture() {
    for (rte_mbuf* m : mbufs) rte_pktmbuf_free(m);
    ctx.nat.reset();
    ctx.flows.reset();
    rte_mempool_free(pool);
  }

  void ResetSessions() { ctx.nat = std::move(*NatTable::Create(nat_config)); }

  // Every mbuf back to the frame it held before the pass.
  void Restore() {
    for (size_t i = 0; i < mbufs.size(); ++i) std::memcpy(rte_pktmbuf_mtod(mbufs[i], uint8_t*), frames[i].data(), kFrameLen);
  }

  // Makes every session (one pass of client frames), then turns every other frame into the
  // backend's reply to its session: from the backend to the SNAT address and port it was given.
  void MakeHalfReplies() {
    Pass();
    for (size_t i = 1; i < mbufs.size(); i += 2) {
      const auto* f = rte_pktmbuf_mtod(mbufs[i], const uint8_t*);  // as rewritten: SNAT → backend
      const t::Ip4 snat = {f[26], f[27], f[28], f[29]}, backend = {f[30], f[31], f[32], f[33]};
      const auto snat_port = static_cast<uint16_t>(f[34] << 8 | f[35]);
      const auto backend_port = static_cast<uint16_t>(f[36] << 8 | f[37]);
      t::Bytes reply = t::Ether(t::kPortMac, t::kClientMac, 0x0800,
                                t::Ipv4(backend, snat, 6, t::Tcp4(backend, snat, backend_port, snat_port, t::kAck)));
      reply.resize(kFrameLen, 0);
      frames[i] = reply;
    }
    Restore();
  }

  // One pass over every mbuf in bursts of 32; frames forwarded.
  uint64_t Pass() {
    rte_mbuf* out[kBurstSize];
    uint64_t forwarded = 0;
    for (size_t start = 0; start + kBurstSize <= mbufs.size(); start += kBurstSize) {
      PrefetchBurstAfter(mbufs, start);
      forwarded += ProcessBurst(ctx, tables.get(), &mbufs[start], kBurstSize, 1000, out);
    }
    return forwarded;
  }
};

void RunFullNat(benchmark::State& state, bool new_sessions) {
  if (!StartEal()) {
    state.SkipWithError("rte_eal_init failed");
    return;
  }
  NatFixture fx(static_cast<uint32_t>(state.range(0)));
  if (!new_sessions) fx.MakeHalfReplies();
  uint64_t packets = 0, forwarded = 0;
  for (auto _ : state) {
    forwarded += fx.Pass();
    packets += fx.mbufs.size() / kBurstSize * kBurstSize;
    state.PauseTiming();
    fx.Restore();
    if (new_sessions) fx.ResetSessions();
    state.ResumeTiming();
  }
  if (forwarded != packets) state.SkipWithError("a frame was not forwarded");
  state.counters["Mpps"] = benchmark::Counter(static_cast<double>(packets) / 1e6, benchmark::Counter::kIsRate);
  state.counters["floor_Mpps"] = MacSwapFloorMpps(fx.mbufs);
  state.counters["sessions"] = static_cast<double>(fx.ctx.nat->size());
  state.counters["hugepages"] = EalOnHugepages() ? 1 : 0;
}

void BM_FullNat(benchmark::State& state) { RunFullNat(state, false); }
void BM_FullNatNewSessions(benchmark::State& state) { RunFullNat(state, true); }

BENCHMARK(BM_FullNat)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_FullNatNewSessions)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace causeway::dataplane
