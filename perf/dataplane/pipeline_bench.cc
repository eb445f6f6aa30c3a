// The dataplane pipeline on one core, over pre-built mbufs holding real 64-byte TCP/IPv4 frames of
// 10k or 1M distinct flows, in bursts of 32 (scripts/dp-bench.sh runs it with hugepages).
//
// BM_PipelineEstablished/N  every flow is in the flow table (ACKs): parse, VIP, bulk flow lookup, IPIP
// BM_PipelineNewFlows/N     every packet is a SYN of an unknown flow: + Maglev + flow-table insert
// BM_PipelineMix/N          1 packet in 8 starts a new flow, the rest are established
// Counters: Mpps (the pipeline) and floor_Mpps — a trivial MAC-swap loop over the same mbufs in the
// same run, the rate no pipeline can beat. The pipeline's Mpps includes putting each frame back as
// it was (undoing the encapsulation: a 14-byte copy, the TTL and its checksum, and the 6 bytes of
// Ethernet padding a 54-byte TCP segment arrives with, which the pipeline cuts off) so that the same
// mbufs can be replayed as a NIC delivers them; the flow table is reset between passes for new flows
// outside the timing.
// EAL starts once, lazily, the first time a BM_Pipeline benchmark runs (the Maglev benchmarks in the
// same binary never start it); it uses hugepages when the system has free ones (counter hugepages).
#include <benchmark/benchmark.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/checksum.h"
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
constexpr uint16_t kFrameLen = 60;  // a 64-byte frame on the wire, without its FCS

struct Fixture {
  std::unique_ptr<Tables> tables;
  rte_mempool* pool = nullptr;
  std::vector<rte_mbuf*> mbufs;
  WorkerContext ctx;
  t::Bytes header;  // the frame's first 14 bytes, to put back after encapsulation

  Fixture(uint32_t flows, uint8_t tcp_flags, uint32_t flow_capacity) {
    auto snap = t::BaseSnapshot();
    std::vector<snapshot::Backend> backends;
    for (uint32_t i = 0; i < kBackends; ++i) {
      backends.push_back(t::MakeBackend(i + 1, "10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)));
    }
    snap.services.push_back(t::MakeService(1, {snapshot::Frontend{t::Addr("10.0.0.50"), 80, snapshot::Protocol::kTcp}},
                                           backends, snapshot::Forwarding::kIpip, 65537));
    DataplaneSettings settings;
    settings.default_next_hop_mac = t::BackendMac(1);
    tables = std::move(*Tables::Compile(snap, settings));

    const std::string name = "bench_pool_" + std::to_string(flows) + "_" + std::to_string(tcp_flags);
    // Small data rooms: a 64-byte frame plus the 128-byte headroom encapsulation needs.
    pool = rte_pktmbuf_pool_create(name.c_str(), flows, 0, 0, RTE_PKTMBUF_HEADROOM + 128, SOCKET_ID_ANY);
    if (pool == nullptr) throw std::runtime_error("mempool for " + std::to_string(flows) + " mbufs");
    const t::Ip4 vip = t::V4("10.0.0.50");
    for (uint32_t i = 0; i < flows; ++i) {
      const t::Ip4 client = {100, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
      const auto sport = static_cast<uint16_t>(1024 + (i * 7919) % 60000);
      t::Bytes f = t::Ether(t::kPortMac, t::kClientMac, 0x0800,
                            t::Ipv4(client, vip, 6, t::Tcp4(client, vip, sport, 80, tcp_flags)));
      f.resize(kFrameLen, 0);
      rte_mbuf* m = rte_pktmbuf_alloc(pool);
      std::memcpy(rte_pktmbuf_append(m, kFrameLen), f.data(), kFrameLen);
      mbufs.push_back(m);
      if (i == 0) header.assign(f.begin(), f.begin() + 14);
    }
    FlowTableConfig fc;
    fc.capacity = flow_capacity;
    ctx.flows = std::move(*FlowTable::Create(fc));
    std::memcpy(&ctx.port_mac, t::kPortMac.data(), 6);
  }
  ~Fixture() {
    for (rte_mbuf* m : mbufs) rte_pktmbuf_free(m);
    ctx.flows.reset();
    rte_mempool_free(pool);
  }

  // Undoes the IPIP encapsulation of an IPv4 frame in place, padding included (the pipeline trims it,
  // leaving its bytes where they were).
  void Restore(rte_mbuf* m) const {
    rte_pktmbuf_adj(m, 20);
    m->data_len = kFrameLen;
    m->pkt_len = kFrameLen;
    auto* frame = rte_pktmbuf_mtod(m, uint8_t*);
    std::memcpy(frame, header.data(), 14);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(frame + 14);
    uint16_t word;
    std::memcpy(&word, &ip->time_to_live, 2);
    const auto updated = static_cast<uint16_t>(word + 1);  // TTL is the low byte (little-endian)
    std::memcpy(&ip->time_to_live, &updated, 2);
    ip->hdr_checksum = UpdatedChecksum(ip->hdr_checksum, word, updated);
  }

  // A NIC's receive path leaves the mbuf headers it just wrote in cache; pre-built mbufs are cold.
  // Both loops (pipeline and floor) prefetch the next burst's headers to stand in for that.
  void PrefetchNextBurst(size_t start) const { PrefetchBurstAfter(mbufs, start); }

  // One pass over every mbuf in bursts of 32. Returns frames forwarded.
  uint64_t Pass() {
    rte_mbuf* out[kBurstSize];
    uint64_t forwarded = 0;
    for (size_t start = 0; start + kBurstSize <= mbufs.size(); start += kBurstSize) {
      PrefetchNextBurst(start);
      const uint16_t n = ProcessBurst(ctx, tables.get(), &mbufs[start], kBurstSize, 1000, out);
      for (uint16_t i = 0; i < n; ++i) Restore(out[i]);
      forwarded += n;
    }
    return forwarded;
  }

  double FloorMpps() { return MacSwapFloorMpps(mbufs); }
};

enum class Kind { kEstablished, kNew, kMix };

void RunPipeline(benchmark::State& state, Kind kind) {
  if (!StartEal()) {
    state.SkipWithError("rte_eal_init failed");
    return;
  }
  const auto flows = static_cast<uint32_t>(state.range(0));
  const uint8_t flags = kind == Kind::kNew ? t::kSyn : t::kAck;
  Fixture fx(flows, flags, flows * 2);
  auto populate = [&] {
    fx.ctx.flows->Clear();
    if (kind == Kind::kNew) return;
    // Established: every flow; mix: 7 in 8 (every 8th flow stays unknown and is new in the pass).
    std::vector<rte_mbuf*> keep = fx.mbufs;
    if (kind == Kind::kMix) {
      std::vector<rte_mbuf*> seven;
      for (size_t i = 0; i < keep.size(); ++i) if (i % 8 != 7) seven.push_back(keep[i]);
      fx.mbufs = seven;
    }
    fx.Pass();
    fx.mbufs = keep;
  };
  populate();
  uint64_t packets = 0, forwarded = 0;
  for (auto _ : state) {
    forwarded += fx.Pass();
    packets += fx.mbufs.size() / kBurstSize * kBurstSize;
    if (kind != Kind::kEstablished) {
      state.PauseTiming();
      populate();
      state.ResumeTiming();
    }
  }
  if (forwarded != packets) state.SkipWithError("a frame was not forwarded");
  state.counters["Mpps"] = benchmark::Counter(static_cast<double>(packets) / 1e6, benchmark::Counter::kIsRate);
  state.counters["floor_Mpps"] = fx.FloorMpps();
  state.counters["hugepages"] = EalOnHugepages() ? 1 : 0;
}

void BM_PipelineEstablished(benchmark::State& state) { RunPipeline(state, Kind::kEstablished); }
void BM_PipelineNewFlows(benchmark::State& state) { RunPipeline(state, Kind::kNew); }
void BM_PipelineMix(benchmark::State& state) { RunPipeline(state, Kind::kMix); }

BENCHMARK(BM_PipelineEstablished)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_PipelineNewFlows)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_PipelineMix)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace causeway::dataplane
