#include "perf/dataplane/bench_support.h"

#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <sched.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "dataplane/eal_policy.h"
#include "dataplane/worker_context.h"

namespace causeway::dataplane {
namespace {

uint64_t FreeHugepages() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "HugePages_Free:") return value;
    in.ignore(256, '\n');
  }
  return 0;
}

bool g_hugepages = false;

int FirstAllowedCpu() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) return cpu;
  }
  return 0;
}

double ThreadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

bool StartEal() {
  static const bool started = [] {
    g_hugepages = FreeHugepages() >= 600;
    const std::string prefix = "cw_bench_" + std::to_string(getpid());
    // The one lcore runs on the first CPU this process may use (`taskset -c 1` means CPU 1): EAL's
    // "-l 0" would move the benchmark to CPU 0 whatever the caller chose.
    std::vector<std::string> args = {"causeway_bench", "--no-pci", "--lcores", "0@" + std::to_string(FirstAllowedCpu()),
                                     "--log-level=error", "--file-prefix", prefix};
    if (g_hugepages) {
      args.push_back("--in-memory");
    } else {
      args.insert(args.end(), {"--no-huge", "-m", "2048", "--no-shconf"});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    // EAL starts under the normal policy (eal_policy.h); the benchmark itself, on the main lcore,
    // runs with the caller's (`chrt -f 50`) again.
    SchedulingPolicy caller;
    const bool ok = InitEalUnderNormalPolicy(static_cast<int>(argv.size()), argv.data(), &caller) >= 0;
    ApplyToCurrentThread(caller);
    if (!ok) return false;
    // Leave no runtime directory behind (--no-shconf still creates one).
    static std::string runtime_dir = "/var/run/dpdk/" + prefix;
    std::atexit([] {
      rte_eal_cleanup();
      std::error_code ignored;
      std::filesystem::remove_all(runtime_dir, ignored);
    });
    return true;
  }();
  return started;
}

bool EalOnHugepages() { return g_hugepages; }

void PrefetchBurstAfter(const std::vector<rte_mbuf*>& mbufs, size_t start) {
  const size_t next = start + kBurstSize, after = next + kBurstSize;
  if (next + kBurstSize <= mbufs.size()) {
    for (uint32_t i = 0; i < kBurstSize; ++i) rte_prefetch0(rte_pktmbuf_mtod(mbufs[next + i], const void*));
  }
  if (after + kBurstSize <= mbufs.size()) {
    for (uint32_t i = 0; i < kBurstSize; ++i) rte_prefetch0(mbufs[after + i]);
  }
}

double MacSwapFloorMpps(const std::vector<rte_mbuf*>& mbufs) {
  const double start = ThreadSeconds();
  uint64_t packets = 0;
  double seconds = 0;
  do {
    for (size_t b = 0; b + kBurstSize <= mbufs.size(); b += kBurstSize) {
      PrefetchBurstAfter(mbufs, b);
      for (uint32_t i = 0; i < kBurstSize; ++i) {
        auto* eth = rte_pktmbuf_mtod(mbufs[b + i], rte_ether_hdr*);
        const rte_ether_addr tmp = eth->src_addr;
        eth->src_addr = eth->dst_addr;
        eth->dst_addr = tmp;
      }
      packets += kBurstSize;
      benchmark::ClobberMemory();
    }
    seconds = ThreadSeconds() - start;
  } while (seconds < 0.2);
  return static_cast<double>(packets) / seconds / 1e6;
}

}  // namespace causeway::dataplane
