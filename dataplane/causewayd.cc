// causewayd: the dataplane process. EAL arguments first, then `--`, then causewayd's own flags:
//
//   causewayd -l 0-1 --vdev=net_af_packet0,iface=lb0 -- --snapshot-file=FILE [--neighbor=IP,MAC]...
//       [--default-next-hop-mac=MAC] [--tunnel-source=IP]... [--idle-sleep-us=100]
//       [--flow-table-size=1048576] [--exception-tap=IFNAME]
//       [--mbufs-per-port=8191]
//
// Every probed port is used, one RX/TX queue pair per worker lcore (the main lcore works too when
// it is the only one). --exception-tap creates a kernel TAP interface (net_tap, with the first
// port's MAC) for the first port: frames that are the host's (not a VIP or gateway address, other
// protocols) go to it, and what the host sends through it leaves on that port, so the host can share
// the NIC. Until the gRPC control plane drives it, the tables come from
// --snapshot-file (see snapshot_file.h; a test stand-in with round-robin tables, not Maglev).
// SIGINT/SIGTERM: workers finish their burst, ports stop, the counters are printed, exit 0.
// Telemetry: /causeway/counters and /causeway/snapshot (telemetry.h). rte_pdump is enabled, so
// dpdk-dumpcap can capture from a running causewayd started with shared config.
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_dev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/counters.h"
#include "dataplane/port.h"
#include "dataplane/snapshot_file.h"
#include "dataplane/snapshot_store.h"
#include "dataplane/telemetry.h"
#include "dataplane/worker_loop.h"

namespace causeway::dataplane {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

struct Options {
  std::string snapshot_file;
  DataplaneSettings settings;
  WorkerLoopConfig loop;
  uint32_t flow_table_size = 1u << 20;
  uint32_t mbufs_per_port = 8191;
  std::string exception_tap;  // kernel interface name for frames that are the host's
};

bool ParseMac(const std::string& text, rte_ether_addr& mac) {
  return rte_ether_unformat_addr(text.c_str(), &mac) == 0;
}

bool ParseOptions(int argc, char** argv, Options& o) {
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (name == "--snapshot-file") {
      o.snapshot_file = value;
    } else if (name == "--neighbor") {
      const auto comma = value.find(',');
      auto ip = net::IpAddress::Parse(value.substr(0, comma));
      rte_ether_addr mac{};
      if (comma == std::string::npos || !ip.ok() || !ParseMac(value.substr(comma + 1), mac)) {
        std::fprintf(stderr, "causewayd: --neighbor=IP,MAC: bad %s\n", value.c_str());
        return false;
      }
      o.settings.neighbors.emplace_back(*ip, mac);
    } else if (name == "--default-next-hop-mac") {
      rte_ether_addr mac{};
      if (!ParseMac(value, mac)) return false;
      o.settings.default_next_hop_mac = mac;
    } else if (name == "--tunnel-source") {
      auto ip = net::IpAddress::Parse(value);
      if (!ip.ok()) return false;
      (ip->is_v4() ? o.settings.tunnel_source_v4 : o.settings.tunnel_source_v6) = *ip;
    } else if (name == "--exception-tap") {
      o.exception_tap = value;
    } else if (name == "--idle-sleep-us") {
      o.loop.idle_sleep_us = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (name == "--flow-table-size") {
      o.flow_table_size = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (name == "--mbufs-per-port") {
      o.mbufs_per_port = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else {
      std::fprintf(stderr, "causewayd: unknown flag %s\n", arg.c_str());
      return false;
    }
  }
  if (o.snapshot_file.empty()) {
    std::fprintf(stderr, "causewayd: --snapshot-file is required until the control plane drives causewayd\n");
    return false;
  }
  return true;
}

struct Worker {
  WorkerContext ctx;
  std::vector<PortQueue> ports;
  SnapshotStore* store = nullptr;
  const WorkerLoopConfig* loop = nullptr;
};

int LaunchWorker(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  RunWorker(w->ctx, *w->store, w->ports, *w->loop, g_stop);
  return 0;
}

int Main(int argc, char** argv) {
  const int consumed = rte_eal_init(argc, argv);
  if (consumed < 0) {
    std::fprintf(stderr, "causewayd: rte_eal_init failed\n");
    return 1;
  }
  Options opts;
  // rte_eal_init consumed argv[1..consumed-1] and the `--`; causewayd's flags follow.
  if (!ParseOptions(argc - consumed - 1, argv + consumed + 1, opts)) {
    rte_eal_cleanup();
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  auto snap = LoadSnapshotFile(opts.snapshot_file);
  if (!snap.ok()) {
    std::fprintf(stderr, "causewayd: %s\n", std::string(snap.status().message()).c_str());
    return 1;
  }
  const uint16_t nports = rte_eth_dev_count_avail();
  if (nports == 0) {
    std::fprintf(stderr, "causewayd: no ports (give --vdev or PCI devices to EAL)\n");
    return 1;
  }
  const uint32_t nworkers = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1;
  auto store = SnapshotStore::Create(opts.settings, nworkers);
  if (!store.ok()) return 1;
  if (absl::Status s = (*store)->PublishOrError(*snap); !s.ok()) {
    std::fprintf(stderr, "causewayd: snapshot: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t w = 0; w < nworkers; ++w) {
    auto worker = std::make_unique<Worker>();
    worker->ctx.worker_id = static_cast<uint16_t>(w);
    FlowTableConfig fc;
    fc.capacity = opts.flow_table_size;
    auto flows = FlowTable::Create(fc);
    if (!flows.ok()) {
      std::fprintf(stderr, "causewayd: %s\n", std::string(flows.status().message()).c_str());
      return 1;
    }
    worker->ctx.flows = std::move(*flows);
    worker->store = store->get();
    worker->loop = &opts.loop;
    workers.push_back(std::move(worker));
  }
  uint16_t port_id;
  std::vector<uint16_t> started;
  RTE_ETH_FOREACH_DEV(port_id) {
    const std::string name = "mbufs_port" + std::to_string(port_id);
    rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), opts.mbufs_per_port, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, rte_eth_dev_socket_id(port_id));
    if (pool == nullptr) {
      std::fprintf(stderr, "causewayd: mempool for port %u\n", port_id);
      return 1;
    }
    rte_ether_addr mac{};
    PortConfig pc;
    pc.queues = static_cast<uint16_t>(nworkers);
    if (absl::Status s = StartPort(port_id, pc, pool, mac); !s.ok()) {
      std::fprintf(stderr, "causewayd: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    started.push_back(port_id);
    char text[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(text, sizeof text, &mac);
    std::printf("causewayd: port %u up, MAC %s, %u queue(s)\n", port_id, text, nworkers);
    for (uint32_t w = 0; w < nworkers; ++w) workers[w]->ports.push_back({port_id, static_cast<uint16_t>(w), mac});
  }
  // dpdk-dumpcap (a secondary process) can capture from the ports; it needs the primary's shared
  // config, so not with --in-memory or --no-shconf.
  const bool pdump = rte_pdump_init() == 0;
  if (!opts.exception_tap.empty() && !started.empty()) {
    // Created after the physical ports were enumerated, so it is not one of them.
    char text[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(text, sizeof text, &workers[0]->ports[0].mac);
    // Hot-plugged through EAL (the vdev bus library is not among libdpdk's link libraries).
    const std::string devargs = std::string("net_tap_causeway,iface=") + opts.exception_tap + ",mac=" + text;
    uint16_t tap = 0;
    rte_ether_addr tap_mac{};
    rte_mempool* pool = rte_pktmbuf_pool_create("mbufs_host", opts.mbufs_per_port, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                SOCKET_ID_ANY);
    PortConfig pc;
    pc.queues = static_cast<uint16_t>(nworkers);
    absl::Status s = pool == nullptr ? absl::ResourceExhaustedError("mempool")
                     : rte_dev_probe(devargs.c_str()) != 0 ? absl::InternalError("rte_dev_probe(" + devargs + ")")
                     : rte_eth_dev_get_port_by_name("net_tap_causeway", &tap) != 0 ? absl::NotFoundError("TAP port")
                     : StartPort(tap, pc, pool, tap_mac);
    if (!s.ok()) {
      std::fprintf(stderr, "causewayd: exception TAP %s: %s\n", opts.exception_tap.c_str(), std::string(s.message()).c_str());
      return 1;
    }
    started.push_back(tap);
    for (auto& w : workers) w->ports[0].host_port = tap;
    std::printf("causewayd: exception path to %s (port %u)\n", opts.exception_tap.c_str(), tap);
  }
  std::vector<const WorkerCounters*> counters;
  for (const auto& w : workers) counters.push_back(&w->ctx.counters);
  RegisterTelemetry(std::move(counters), store->get());
  std::fflush(stdout);

  if (rte_lcore_count() > 1) {
    uint32_t w = 0;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) rte_eal_remote_launch(LaunchWorker, workers[w++].get(), lcore);
    // The main lcore is the control thread: it frees retired tables.
    while (!g_stop.load()) {
      (*store)->Reclaim();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    rte_eal_mp_wait_lcore();
  } else {
    LaunchWorker(workers[0].get());
  }

  if (pdump) rte_pdump_uninit();
  for (uint16_t p : started) StopPort(p);
  WorkerCounters total;
  for (const auto& w : workers) {
    for (size_t i = 0; i < kCounterCount; ++i) total.value[i] += w->ctx.counters.value[i];
  }
  for (size_t i = 0; i < kCounterCount; ++i) {
    if (total.value[i] != 0) {
      std::printf("causewayd: counter %.*s %lu\n", static_cast<int>(kCounterNames[i].size()), kCounterNames[i].data(),
                  static_cast<unsigned long>(total.value[i]));
    }
  }
  std::printf("causewayd: stopped\n");
  std::fflush(stdout);
  workers.clear();
  store->reset();
  rte_eal_cleanup();
  return 0;
}

}  // namespace
}  // namespace causeway::dataplane

int main(int argc, char** argv) { return causeway::dataplane::Main(argc, argv); }
