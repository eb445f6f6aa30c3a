// causewayd: the dataplane process. EAL arguments first, then `--`, then causewayd's own flags:
//
//   causewayd -l 0-1 --vdev=net_af_packet0,iface=lb0 -- --snapshot-file=FILE [--neighbor=IP,MAC]...
//       [--resolve-neighbors=1] [--default-next-hop-mac=MAC] [--tunnel-source=IP]... [--idle-sleep-us=100]
//       [--flow-table-size=1048576] [--exception-tap=IFNAME]
//       [--mbufs-per-port=8191]
//
// Next hops without a static --neighbor are resolved by ARP/ND (--resolve-neighbors=0 or false: not;
// 1, true or the bare flag, the default: resolved; any other value is refused).
// Every probed port is used, one RX/TX queue pair per worker lcore (the main lcore works too when
// it is the only one). --exception-tap creates a kernel TAP interface (net_tap, with the first
// port's MAC) for the first port: frames that are the host's (not a VIP or gateway address, other
// protocols) go to it, and what the host sends through it leaves on that port, so the host can share
// the NIC. Until the gRPC control plane drives it, the tables come from
// --snapshot-file (see snapshot_file.h; a test stand-in with round-robin tables, not Maglev).
// SIGINT/SIGTERM: workers finish their burst, ports stop, the counters are printed, exit 0.
// Telemetry: /causeway/counters, /causeway/snapshot, /causeway/neighbors, … (telemetry.h). rte_pdump is enabled, so
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
#include "dataplane/eal_policy.h"
#include "dataplane/port.h"
#include "dataplane/snapshot_file.h"
#include "dataplane/snapshot_store.h"
#include "dataplane/telemetry.h"
#include "dataplane/gateway.h"

namespace causeway::dataplane {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

struct Options {
  std::string snapshot_file;
  GatewayOptions gateway;
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
      o.gateway.settings.neighbors.emplace_back(*ip, mac);
    } else if (name == "--resolve-neighbors") {
      if (eq == std::string::npos || value == "1" || value == "true") {
        o.gateway.resolve_neighbors = true;
      } else if (value == "0" || value == "false") {
        o.gateway.resolve_neighbors = false;
      } else {
        std::fprintf(stderr, "causewayd: --resolve-neighbors=%s: give 0, 1, true or false\n", value.c_str());
        return false;
      }
    } else if (name == "--default-next-hop-mac") {
      rte_ether_addr mac{};
      if (!ParseMac(value, mac)) return false;
      o.gateway.settings.default_next_hop_mac = mac;
    } else if (name == "--tunnel-source") {
      auto ip = net::IpAddress::Parse(value);
      if (!ip.ok()) return false;
      (ip->is_v4() ? o.gateway.settings.tunnel_source_v4 : o.gateway.settings.tunnel_source_v6) = *ip;
    } else if (name == "--exception-tap") {
      o.gateway.exception_tap = value;
    } else if (name == "--idle-sleep-us") {
      o.gateway.loop.idle_sleep_us = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (name == "--flow-table-size") {
      o.gateway.flow_table_size = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (name == "--mbufs-per-port") {
      o.gateway.mbufs_per_port = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
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

int Main(int argc, char** argv) {
  SchedulingPolicy started_with;
  const int consumed = InitEalUnderNormalPolicy(argc, argv, &started_with);
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
  opts.gateway.worker_policy = started_with;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  auto snap = LoadSnapshotFile(opts.snapshot_file);
  if (!snap.ok()) {
    std::fprintf(stderr, "causewayd: %s\n", std::string(snap.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Gateway>> gateway = Gateway::Start(opts.gateway);
  if (!gateway.ok()) {
    std::fprintf(stderr, "causewayd: %s\n", std::string(gateway.status().message()).c_str());
    return 1;
  }
  if (absl::Status s = (*gateway)->store().PublishOrError(*snap); !s.ok()) {
    std::fprintf(stderr, "causewayd: snapshot: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  (*gateway)->Run(g_stop);
  const WorkerCounters total = (*gateway)->Totals();
  gateway->reset();
  for (size_t i = 0; i < kCounterCount; ++i) {
    if (total.value[i] != 0) {
      std::printf("causewayd: counter %.*s %lu\n", static_cast<int>(kCounterNames[i].size()), kCounterNames[i].data(),
                  static_cast<unsigned long>(total.value[i]));
    }
  }
  std::printf("causewayd: stopped\n");
  std::fflush(stdout);
  rte_eal_cleanup();
  return 0;
}

}  // namespace
}  // namespace causeway::dataplane

int main(int argc, char** argv) { return causeway::dataplane::Main(argc, argv); }
