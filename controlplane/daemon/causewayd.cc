// causewayd: the gateway. The control plane (gRPC API, validation, versioning, compilation,
// persistence) always; the DPDK dataplane when EAL arguments follow a `--`:
//
//   causewayd --listen=unix:/run/causeway/causeway.sock --state_dir=/var/lib/causeway
//       --neighbors=10.0.0.2@02:00:00:00:00:02 -- -l 0-1 --vdev=net_af_packet0,iface=eth1
//
// Next hops not in --neighbors are resolved by ARP/ND (--resolve_neighbors, on by default).
// Then every compiled snapshot goes to the dataplane's SnapshotStore (RCU swap to the workers);
// without a dataplane, snapshots are only logged (a control-plane-only gateway, for tests and tools).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ether.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controlplane/config/config_file.h"
#include "controlplane/health/control_plane_checks.h"
#include "controlplane/metrics/http_listener.h"
#include "controlplane/metrics/metrics_page.h"
#include "controlplane/server/grpc_server.h"
#include "dataplane/eal_policy.h"
#include "dataplane/gateway.h"

ABSL_FLAG(std::string, listen, "unix:/run/causeway/causeway.sock",
          "gRPC address: unix:/path, 127.0.0.1:PORT or [::1]:PORT");
ABSL_FLAG(std::string, state_dir, "/var/lib/causeway", "where the last accepted state is kept (empty: nowhere)");
ABSL_FLAG(std::string, config, "", "initial state (YAML), used when the state directory holds none");
ABSL_FLAG(std::string, tls_cert, "", "server certificate (PEM); with --tls_key enables TLS");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(bool, health_checks, true,
          "probe the local endpoints of services with a health_check (TCP connect, HTTP GET) from this host's "
          "kernel, and take failing ones out of new flows");
ABSL_FLAG(std::string, metrics_listen, "",
          "serve Prometheus metrics at http://ADDRESS/metrics (HTTP/1.0), e.g. 127.0.0.1:9100 or [::1]:9100; "
          "empty: off");
ABSL_FLAG(std::string, tls_client_ca, "", "CA (PEM) that client certificates must be signed by (mutual TLS)");
// Dataplane settings (used only with EAL arguments after `--`).
ABSL_FLAG(std::vector<std::string>, neighbors, {},
          "static next hops, IP@MAC, comma-separated; they always win over MACs learned by ARP/ND");
ABSL_FLAG(bool, resolve_neighbors, true,
          "resolve next hops missing from --neighbors by ARP (IPv4) and neighbour discovery (IPv6), asked from the "
          "gateway's address nearest each next hop, refreshed every 30 s; see /causeway/neighbors in DPDK telemetry");
ABSL_FLAG(std::string, default_next_hop_mac, "",
          "MAC for next hops neither in --neighbors nor resolved (a router); empty: drop");
ABSL_FLAG(std::vector<std::string>, tunnel_sources, {}, "outer source addresses for encapsulation (one IPv4, one IPv6)");
ABSL_FLAG(std::vector<std::string>, snat_addresses, {},
          "full-NAT source addresses (island mode), comma-separated; default: the gateway's first address of each family");
ABSL_FLAG(uint32_t, idle_sleep_us, 100, "workers sleep this long when idle (0: never, a dedicated core)");
ABSL_FLAG(uint32_t, flow_table_size, 1u << 20,
          "flows per worker (the bound; lookups are fastest at most half full: size it at ~2x the flows expected)");
ABSL_FLAG(uint32_t, mbufs_per_port, 8191, "mbufs in each port's pool");
ABSL_FLAG(std::string, exception_tap, "", "kernel TAP for frames that are the host's (empty: none)");

namespace {

// Until the dataplane is wired in: say what would be forwarded.
class LoggingSink final : public causeway::snapshot::SnapshotSink {
 public:
  void Publish(std::shared_ptr<const causeway::snapshot::CompiledSnapshot> s) override {
    size_t tables = 0;
    for (const auto& svc : s->services) tables += svc.tables.size();
    std::fprintf(stderr, "causewayd: snapshot version %llu: %zu services, %zu tables\n",
                 static_cast<unsigned long long>(s->version), s->services.size(), tables);
  }
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "causewayd: %s\n", message.c_str());
  return 1;
}

absl::StatusOr<causeway::dataplane::GatewayOptions> DataplaneOptions() {
  causeway::dataplane::GatewayOptions o;
  for (const std::string& n : absl::GetFlag(FLAGS_neighbors)) {
    const size_t at = n.find('@');
    absl::StatusOr<causeway::net::IpAddress> ip = causeway::net::IpAddress::Parse(n.substr(0, at));
    rte_ether_addr mac{};
    if (at == std::string::npos || !ip.ok() || rte_ether_unformat_addr(n.substr(at + 1).c_str(), &mac) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("--neighbors: \"", n, "\" is not IP@MAC"));
    }
    o.settings.neighbors.emplace_back(*ip, mac);
  }
  if (const std::string mac = absl::GetFlag(FLAGS_default_next_hop_mac); !mac.empty()) {
    rte_ether_addr parsed{};
    if (rte_ether_unformat_addr(mac.c_str(), &parsed) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("--default_next_hop_mac: bad MAC \"", mac, "\""));
    }
    o.settings.default_next_hop_mac = parsed;
  }
  for (const std::string& t : absl::GetFlag(FLAGS_tunnel_sources)) {
    absl::StatusOr<causeway::net::IpAddress> ip = causeway::net::IpAddress::Parse(t);
    if (!ip.ok()) return absl::InvalidArgumentError(absl::StrCat("--tunnel_sources: ", ip.status().message()));
    (ip->is_v4() ? o.settings.tunnel_source_v4 : o.settings.tunnel_source_v6) = *ip;
  }
  for (const std::string& a : absl::GetFlag(FLAGS_snat_addresses)) {
    absl::StatusOr<causeway::net::IpAddress> ip = causeway::net::IpAddress::Parse(a);
    if (!ip.ok()) return absl::InvalidArgumentError(absl::StrCat("--snat_addresses: ", ip.status().message()));
    o.settings.snat_sources.push_back(*ip);
  }
  if (o.settings.snat_sources.size() > causeway::dataplane::kMaxSnatAddresses) {
    return absl::InvalidArgumentError("--snat_addresses: too many");
  }
  o.loop.idle_sleep_us = absl::GetFlag(FLAGS_idle_sleep_us);
  o.flow_table_size = absl::GetFlag(FLAGS_flow_table_size);
  o.mbufs_per_port = absl::GetFlag(FLAGS_mbufs_per_port);
  o.exception_tap = absl::GetFlag(FLAGS_exception_tap);
  o.resolve_neighbors = absl::GetFlag(FLAGS_resolve_neighbors);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("causewayd: causeway's gateway daemon [flags] [-- EAL arguments]");
  // Arguments after `--` stay positional: they are EAL's.
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);

  // SIGINT/SIGTERM are taken by sigwait below; block them before EAL and gRPC start their threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<causeway::dataplane::Gateway> gateway;
  if (positional.size() > 1) {
    absl::StatusOr<causeway::dataplane::GatewayOptions> dp = DataplaneOptions();
    if (!dp.ok()) return Fail(std::string(dp.status().message()));
    if (causeway::dataplane::InitEalUnderNormalPolicy(static_cast<int>(positional.size()), positional.data(),
                                                      &dp->worker_policy) < 0) {
      return Fail("rte_eal_init failed");
    }
    absl::StatusOr<std::unique_ptr<causeway::dataplane::Gateway>> started = causeway::dataplane::Gateway::Start(*dp);
    if (!started.ok()) return Fail(std::string(started.status().message()));
    gateway = *std::move(started);
  }

  const std::string state_dir = absl::GetFlag(FLAGS_state_dir);
  if (!state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) return Fail(absl::StrCat("cannot create ", state_dir, ": ", ec.message()));
  }
  LoggingSink logging_sink;
  causeway::snapshot::SnapshotSink* sink = gateway ? static_cast<causeway::snapshot::SnapshotSink*>(&gateway->store())
                                                   : &logging_sink;
  causeway::server::ControlPlane control_plane({.state_dir = state_dir, .dataplane_stats = gateway.get()}, sink);
  if (absl::Status s = control_plane.Restore(); !s.ok()) return Fail(std::string(s.message()));
  // Follows the state from here on (the restored one, then --config and every push); stops before
  // the control plane does.
  std::unique_ptr<causeway::health::ControlPlaneChecks> health_checks;
  if (absl::GetFlag(FLAGS_health_checks)) health_checks = std::make_unique<causeway::health::ControlPlaneChecks>(&control_plane);
  const std::string config = absl::GetFlag(FLAGS_config);
  if (!config.empty()) {
    if (control_plane.version() != 0) {
      std::fprintf(stderr, "causewayd: state restored from %s (version %llu); --config not applied\n", state_dir.c_str(),
                   static_cast<unsigned long long>(control_plane.version()));
    } else {
      absl::StatusOr<causeway::v1::State> initial = causeway::config::LoadStateFile(config);
      if (!initial.ok()) return Fail(std::string(initial.status().message()));
      causeway::v1::PushRequest push;
      push.set_source("config-file");
      push.set_version_info(config);
      *push.mutable_snapshot() = *initial;
      const causeway::server::PushOutcome out = control_plane.Push(std::move(push));
      if (!out.status.ok()) return Fail(absl::StrCat(config, " refused:\n", out.status.message()));
    }
  }

  std::unique_ptr<causeway::metrics::MetricsListener> metrics;
  if (const std::string listen = absl::GetFlag(FLAGS_metrics_listen); !listen.empty()) {
    absl::StatusOr<std::unique_ptr<causeway::metrics::MetricsListener>> started = causeway::metrics::MetricsListener::Start(
        listen, [&control_plane] { return causeway::metrics::RenderMetrics(control_plane); });
    if (!started.ok()) return Fail(std::string(started.status().message()));
    metrics = *std::move(started);
    std::fprintf(stderr, "causewayd: metrics on http://%s/metrics (port %d)\n", listen.c_str(), metrics->port());
  }

  causeway::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  if (absl::StartsWith(options.listen, "unix:")) {
    const std::filesystem::path socket = options.listen.substr(5);
    std::error_code ec;
    std::filesystem::create_directories(socket.parent_path(), ec);
    std::filesystem::remove(socket, ec);  // a stale socket from a previous run
  }
  absl::StatusOr<causeway::server::RunningServer> server = causeway::server::StartServer(options, &control_plane);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  std::fprintf(stderr, "causewayd: listening on %s%s (version %llu)\n", options.listen.c_str(),
               server->port ? absl::StrCat(" port ", server->port).c_str() : "",
               static_cast<unsigned long long>(control_plane.version()));

  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    std::fprintf(stderr, "causewayd: signal %d, stopping\n", signal_number);
    stop.store(true);
    // Open Stream and Watch calls never end by themselves: give them two seconds, then cancel them.
    server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
  if (gateway) gateway->Run(stop);  // until the stopper sets `stop`
  stopper.join();
  metrics.reset();
  health_checks.reset();
  if (gateway) {
    gateway.reset();
    rte_eal_cleanup();
  }
  return 0;
}
