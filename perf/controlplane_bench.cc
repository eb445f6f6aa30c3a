// Control-plane latency through the real gRPC server (in-process, unix socket), client to compiled
// snapshot handed to the dataplane's sink.
//
// BM_PushToSnapshot: a snapshot push of one 1000-endpoint service (one endpoint's weight changes each
//   time, so every push recompiles it), after one untimed warm-up push (the channel's connection).
//   Counters p50_ms, p99_ms. Target ≤ 5 ms both.
// BM_EndpointUpdates/0: single-endpoint deltas to that service sent open-loop at 1000/s by 32
//   clients for one second, each endpoint once; a quarter mark their endpoint unhealthy (its view's
//   weights change: the table is built), the rest move it to another zone or restate its health
//   (the table's input stays as it was). Rounds carry the updates that arrived while the last one
//   ran, so a round copies its table only if none of them changed it. /1: every update also changes
//   its endpoint's weight, so every round builds the table (the worst case). Counters: rate
//   (updates/s achieved), p50_ms, p99_ms, failures, tables_built and tables_copied (the rounds'
//   Maglev tables). Target: 1000/s with p99 ≤ 10 ms.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "controlplane/server/grpc_server.h"

namespace causeway::perf {
namespace {

using Clock = std::chrono::steady_clock;

class CountingSink final : public snapshot::SnapshotSink {
 public:
  void Publish(std::shared_ptr<const snapshot::CompiledSnapshot> s) override { last_version = s->version; }
  std::atomic<uint64_t> last_version{0};
};

v1::State ServiceWith(int endpoints) {
  v1::State s;
  s.mutable_gateway()->set_cluster("cluster-a");
  s.mutable_gateway()->set_zone("us-east-1a");
  for (int c = 0; c < 2; ++c) {
    v1::Cluster* cl = s.add_clusters();
    cl->set_name(c ? "cluster-b" : "cluster-a");
    cl->set_id(c + 1);
    cl->set_region("us-east-1");
  }
  v1::Service* svc = s.add_services();
  svc->set_namespace_("default");
  svc->set_name("big");
  v1::Frontend* f = svc->add_frontends();
  f->set_vip("10.96.0.1");
  f->set_port(80);
  f->set_protocol(v1::TCP);
  const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
  for (int i = 0; i < endpoints; ++i) {
    v1::Endpoint* e = s.add_endpoints();
    e->set_service("default/big");
    e->set_cluster(i % 2 ? "cluster-b" : "cluster-a");
    e->set_address(absl::StrCat("10.244.", i / 200, ".", i % 200 + 1));
    e->set_port(8080);
    e->set_zone(zones[i % 3]);
  }
  return s;
}

struct Harness {
  Harness() {
    char pattern[] = "/tmp/causeway-bench-XXXXXX";
    dir = mkdtemp(pattern);
    cp = std::make_unique<server::ControlPlane>(server::ControlPlane::Options{.state_dir = dir}, &sink);
    server::ServerOptions o;
    o.listen = "unix:" + dir + "/sock";
    running = *server::StartServer(o, cp.get());
    channel = grpc::CreateChannel(o.listen, grpc::InsecureChannelCredentials());
  }
  ~Harness() {
    running.server->Shutdown();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  CountingSink sink;
  std::unique_ptr<server::ControlPlane> cp;
  server::RunningServer running;
  std::shared_ptr<grpc::Channel> channel;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void BM_PushToSnapshot(benchmark::State& state) {
  Harness h;
  auto stub = v1::Causeway::NewStub(h.channel);
  v1::PushRequest push;
  push.set_source("bench");
  *push.mutable_snapshot() = ServiceWith(1000);
  std::vector<double> ms, round_ms;
  uint32_t round = 0;
  {
    // Not timed: the channel connects on its first call (socket, HTTP/2 settings), and the first
    // compile of the service builds what later pushes reuse; neither is a push's latency.
    grpc::ClientContext ctx;
    v1::PushResponse r;
    if (!stub->Push(&ctx, push, &r).ok()) state.SkipWithError("warm-up push failed");
  }
  for (auto _ : state) {
    push.mutable_snapshot()->mutable_endpoints(0)->set_weight(1 + (++round % 2));
    const auto start = Clock::now();
    grpc::ClientContext ctx;
    v1::PushResponse r;
    const grpc::Status s = stub->Push(&ctx, push, &r);
    if (!s.ok() || h.sink.last_version != r.version()) state.SkipWithError("push failed");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    round_ms.push_back(h.cp->Stats().last_compile_ms());
  }
  state.counters["p50_ms"] = Percentile(ms, 0.50);
  state.counters["p99_ms"] = Percentile(ms, 0.99);
  // The server's share: compiling and persisting (in parallel), from acceptance to the sink.
  state.counters["round_p50_ms"] = Percentile(round_ms, 0.50);
  state.counters["round_p99_ms"] = Percentile(round_ms, 0.99);
}
BENCHMARK(BM_PushToSnapshot)->Unit(benchmark::kMillisecond)->Iterations(200)->UseRealTime();

void BM_EndpointUpdates(benchmark::State& state) {
  const bool every_update_changes_the_table = state.range(0) != 0;
  Harness h;
  {
    auto stub = v1::Causeway::NewStub(h.channel);
    grpc::ClientContext ctx;
    v1::PushRequest push;
    *push.mutable_snapshot() = ServiceWith(1000);
    v1::PushResponse r;
    if (!stub->Push(&ctx, push, &r).ok()) state.SkipWithError("initial push failed");
  }
  constexpr int kClients = 32;
  constexpr int kPerSecond = 1000;
  constexpr int kTotal = 1000;
  const v1::StatsResponse before = h.cp->Stats();
  for (auto _ : state) {
    std::vector<std::vector<double>> latencies(kClients);
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        auto stub = v1::Causeway::NewStub(h.channel);
        for (int i = c; i < kTotal; i += kClients) {
          // Open loop: update i is due at i ms, whether or not earlier ones were answered.
          std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1000000 / kPerSecond));
          v1::PushRequest push;
          push.set_source(absl::StrCat("adapter-", c));
          v1::Endpoint* e = push.mutable_delta()->add_upsert_endpoints();
          e->set_service("default/big");
          e->set_cluster(i % 2 ? "cluster-b" : "cluster-a");
          e->set_address(absl::StrCat("10.244.", (i % 1000) / 200, ".", i % 200 + 1));
          e->set_port(8080);
          e->set_zone("us-east-1a");
          e->set_health(i % 4 == 0 ? v1::UNHEALTHY : v1::HEALTHY);
          if (every_update_changes_the_table) e->set_weight(2 + i % 3);
          const auto sent = Clock::now();
          grpc::ClientContext ctx;
          v1::PushResponse r;
          if (!stub->Push(&ctx, push, &r).ok()) ++failures;
          latencies[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        }
      });
    }
    for (auto& t : clients) t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    state.counters["rate"] = kTotal / seconds;
    state.counters["p50_ms"] = Percentile(all, 0.50);
    state.counters["p99_ms"] = Percentile(all, 0.99);
    state.counters["failures"] = failures.load();
  }
  const v1::StatsResponse after = h.cp->Stats();
  state.counters["tables_built"] = static_cast<double>(after.maglev_tables_built() - before.maglev_tables_built());
  state.counters["tables_copied"] = static_cast<double>(after.maglev_tables_copied() - before.maglev_tables_copied());
}
BENCHMARK(BM_EndpointUpdates)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace causeway::perf
