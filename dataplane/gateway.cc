#include "dataplane/gateway.h"

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <rte_ring.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "dataplane/encap.h"
#include "dataplane/port.h"
#include "dataplane/telemetry.h"

namespace causeway::dataplane {

struct Gateway::Worker {
  WorkerContext ctx;
  std::vector<PortQueue> ports;
  SnapshotStore* store = nullptr;
  const WorkerLoopConfig* loop = nullptr;
  const std::atomic<bool>* stop = nullptr;
  const SchedulingPolicy* policy = nullptr;
};

namespace {

int LaunchWorker(void* arg) {
  auto* w = static_cast<Gateway::Worker*>(arg);
  if (const int error = ApplyToCurrentThread(*w->policy); error != 0) {
    std::fprintf(stderr, "causewayd: worker %u keeps the normal scheduling policy: %s\n", w->ctx.worker_id,
                 std::strerror(error));
  }
  RunWorker(w->ctx, *w->store, w->ports, *w->loop, *w->stop);
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const GatewayOptions& options) {
  if (rte_eth_dev_count_avail() == 0) {
    return absl::FailedPreconditionError("no ports (give --vdev or PCI devices to EAL)");
  }
  std::unique_ptr<Gateway> g(new Gateway());
  g->options_ = options;
  const uint32_t nworkers = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1;
  absl::StatusOr<std::unique_ptr<SnapshotStore>> store = SnapshotStore::Create(options.settings, nworkers);
  if (!store.ok()) return store.status();
  g->store_ = *std::move(store);

  for (uint32_t w = 0; w < nworkers; ++w) {
    auto worker = std::make_unique<Worker>();
    worker->ctx.worker_id = static_cast<uint16_t>(w);
    FlowTableConfig fc;
    fc.capacity = options.flow_table_size;
    absl::StatusOr<std::unique_ptr<FlowTable>> flows = FlowTable::Create(fc);
    if (!flows.ok()) return flows.status();
    worker->ctx.flows = std::move(*flows);
    if (options.full_nat) {
      NatTableConfig nc;
      nc.plan = NatPortPlan::For(static_cast<uint16_t>(nworkers));
      nc.worker = static_cast<uint16_t>(w);
      // One slot per SNAT address: the configured ones, else the first address of each family.
      nc.addresses = static_cast<uint16_t>(
          options.settings.snat_sources.empty() ? 2 : options.settings.snat_sources.size());
      absl::StatusOr<std::unique_ptr<NatTable>> nat = NatTable::Create(nc);
      if (!nat.ok()) return nat.status();
      worker->ctx.nat = std::move(*nat);
    }
    worker->store = g->store_.get();
    worker->loop = &g->options_.loop;
    worker->policy = &g->options_.worker_policy;
    g->workers_.push_back(std::move(worker));
  }
  if (options.full_nat && nworkers > 1) {
    for (uint32_t w = 0; w < nworkers; ++w) {
      const std::string name = "cw_handoff_" + std::to_string(w);
      // Many producers (the other workers), one consumer (the owner). 4096 frames: what arrives for
      // the owner while it naps (idle_sleep_us) at line rate.
      rte_ring* ring = rte_ring_create(name.c_str(), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
      if (ring == nullptr) return absl::ResourceExhaustedError("hand-off ring " + name);
      g->handoff_rings_.push_back(ring);
    }
    for (auto& w : g->workers_) w->ctx.handoff = g->handoff_rings_.data();
  }
  // The checksum offloads every data port has (a frame leaves on the port it came in on).
  uint64_t common_tx_offloads = PortConfig{}.tx_offloads;
  uint16_t port_id;
  RTE_ETH_FOREACH_DEV(port_id) {
    const std::string name = "mbufs_port" + std::to_string(port_id);
    rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), options.mbufs_per_port, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, rte_eth_dev_socket_id(port_id));
    if (pool == nullptr) return absl::ResourceExhaustedError(absl::StrCat("mempool for port ", port_id));
    rte_ether_addr mac{};
    PortConfig pc;
    pc.queues = static_cast<uint16_t>(nworkers);
    uint64_t tx_offloads = 0;
    if (absl::Status s = StartPort(port_id, pc, pool, mac, &tx_offloads); !s.ok()) return s;
    g->started_ports_.push_back(port_id);
    common_tx_offloads &= tx_offloads;
    char text[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(text, sizeof text, &mac);
    const bool ipv4_sum = tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM, udp_sum = tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
    std::printf("causewayd: port %u up, MAC %s, %u queue(s), TX checksum offload:%s%s%s\n", port_id, text, nworkers,
                ipv4_sum ? " ipv4" : "", udp_sum ? " udp" : "", ipv4_sum || udp_sum ? "" : " none (software)");
    for (uint32_t w = 0; w < nworkers; ++w) g->workers_[w]->ports.push_back({port_id, static_cast<uint16_t>(w), mac});
  }
  for (auto& w : g->workers_) w->ctx.tx_offloads = g->started_ports_.empty() ? 0 : common_tx_offloads;
  // dpdk-dumpcap (a secondary process) can capture from the ports; it needs the primary's shared
  // config, so not with --in-memory or --no-shconf.
  g->pdump_ = rte_pdump_init() == 0;
  if (!options.exception_tap.empty() && !g->started_ports_.empty()) {
    // Created after the physical ports were enumerated, so it is not one of them.
    char text[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(text, sizeof text, &g->workers_[0]->ports[0].mac);
    // Hot-plugged through EAL (the vdev bus library is not among libdpdk's link libraries).
    const std::string devargs = std::string("net_tap_causeway,iface=") + options.exception_tap + ",mac=" + text;
    uint16_t tap = 0;
    rte_ether_addr tap_mac{};
    rte_mempool* pool = rte_pktmbuf_pool_create("mbufs_host", options.mbufs_per_port, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    PortConfig pc;
    pc.queues = static_cast<uint16_t>(nworkers);
    absl::Status s = pool == nullptr ? absl::ResourceExhaustedError("mempool")
                     : rte_dev_probe(devargs.c_str()) != 0 ? absl::InternalError("rte_dev_probe(" + devargs + ")")
                     : rte_eth_dev_get_port_by_name("net_tap_causeway", &tap) != 0 ? absl::NotFoundError("TAP port")
                     : StartPort(tap, pc, pool, tap_mac);
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat("exception TAP ", options.exception_tap, ": ", s.message()));
    g->started_ports_.push_back(tap);
    for (auto& w : g->workers_) w->ports[0].host_port = tap;
    std::printf("causewayd: exception path to %s (port %u)\n", options.exception_tap.c_str(), tap);
  }
  if (options.resolve_neighbors) {
    // Requests go out of every data port (not the exception TAP); worker 0 sends them.
    std::vector<NeighborResolver::Port> ports;
    for (const PortQueue& pq : g->workers_[0]->ports) ports.push_back({pq.port, pq.mac});
    absl::StatusOr<std::unique_ptr<NeighborResolver>> resolver = NeighborResolver::Create(g->store_.get(), ports);
    if (!resolver.ok()) return resolver.status();
    g->neighbors_ = *std::move(resolver);
    for (auto& w : g->workers_) w->ctx.neighbor_reports = g->neighbors_->reports();
    g->workers_[0]->ctx.control_tx = g->neighbors_->tx();
    std::printf("causewayd: next hops without a static neighbour resolved by ARP/ND\n");
  } else {
    std::printf("causewayd: neighbour resolution off (static neighbours and the default next-hop MAC only)\n");
  }
  std::vector<const WorkerCounters*> counters;
  for (const auto& w : g->workers_) counters.push_back(&w->ctx.counters);
  RegisterTelemetry(std::move(counters), g->store_.get(), g->neighbors_.get());
  std::fflush(stdout);
  return g;
}

void Gateway::ControlLoop(const std::atomic<bool>& stop) {
  // 20 ms: a learned MAC reaches the workers within a round (plus the compile).
  while (!stop.load()) {
    store_->Reclaim();
    if (neighbors_ != nullptr) {
      const auto now = std::chrono::steady_clock::now().time_since_epoch();
      neighbors_->Tick(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Gateway::Run(const std::atomic<bool>& stop) {
  for (auto& w : workers_) w->stop = &stop;
  if (rte_lcore_count() > 1) {
    uint32_t w = 0;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) rte_eal_remote_launch(LaunchWorker, workers_[w++].get(), lcore);
    // The main lcore is the control thread.
    ControlLoop(stop);
    rte_eal_mp_wait_lcore();
  } else {
    if (options_.worker_policy.realtime() && options_.loop.idle_sleep_us == 0) {
      std::fprintf(stderr, "causewayd: one lcore, a real-time worker and no idle sleep: the control thread and "
                           "the rest share the worker's CPU and get only what the kernel's real-time throttle "
                           "leaves (give the workers an idle sleep, or a second lcore)\n");
    }
    // Not an EAL thread: it allocates mbufs without a per-lcore cache and touches no queue.
    std::thread control([this, &stop] { ControlLoop(stop); });
    LaunchWorker(workers_[0].get());
    control.join();
  }
}

WorkerCounters Gateway::Totals() const {
  WorkerCounters total;
  for (const auto& w : workers_) {
    for (size_t i = 0; i < kCounterCount; ++i) total.value[i] += __atomic_load_n(&w->ctx.counters.value[i], __ATOMIC_RELAXED);
  }
  return total;
}

std::vector<std::pair<std::string, uint64_t>> Gateway::Counters() const {
  const WorkerCounters total = Totals();
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(kCounterCount);
  for (size_t i = 0; i < kCounterCount; ++i) out.emplace_back(std::string(kCounterNames[i]), total.value[i]);
  return out;
}

void Gateway::Traffic(std::map<uint32_t, Count>& services, std::map<uint32_t, Count>& backends) const {
  TrafficTotals s, b;
  store_->Traffic(s, b);
  for (const auto& [id, t] : s) services[id] = Count{t.packets, t.bytes};
  for (const auto& [id, t] : b) backends[id] = Count{t.packets, t.bytes};
}

std::vector<snapshot::DataplaneStats::ZonePair> Gateway::ZonePairs() const {
  ZonePairTotals totals;
  store_->ZonePairs(totals);
  std::vector<ZonePair> out;
  out.reserve(totals.size());
  for (const auto& [k, t] : totals) {
    out.push_back(ZonePair{k.client_zone, k.backend_zone, k.backend_cluster, k.backend_region, k.to_backend,
                           Count{t.packets, t.bytes}});
  }
  return out;
}

Gateway::~Gateway() {
  // Telemetry's thread must not read the workers' counters, the resolver or the store from now on.
  UnregisterTelemetry();
  if (pdump_) rte_pdump_uninit();
  for (uint16_t p : started_ports_) StopPort(p);
  workers_.clear();
  neighbors_.reset();  // after the ports: they may still hold its frames
  for (rte_ring* r : handoff_rings_) {
    // Frames still in flight between workers.
    void* m;
    while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
  store_.reset();
}

}  // namespace causeway::dataplane
