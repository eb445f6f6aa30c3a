#include "dataplane/telemetry.h"

#include <rte_telemetry.h>

#include <chrono>
#include <mutex>
#include <string>

namespace causeway::dataplane {
namespace {

struct Registered {
  std::vector<const WorkerCounters*> workers;
  SnapshotStore* store = nullptr;
  const NeighborResolver* neighbors = nullptr;
};
// The telemetry thread reads, the owner (un)registers: every callback holds g_mu throughout, so the
// objects cannot be destroyed under it. Off the fast path.
std::mutex g_mu;
Registered g_registered;
bool g_commands = false;  // registered with DPDK (once per process)

int Counters(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  rte_tel_data_start_dict(d);
  for (size_t i = 0; i < kCounterCount; ++i) {
    uint64_t sum = 0;
    for (const WorkerCounters* w : g_registered.workers) sum += w->value[i];
    const std::string name(kCounterNames[i]);
    rte_tel_data_add_dict_u64(d, name.c_str(), sum);
  }
  return 0;
}

int Snapshot(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  rte_tel_data_start_dict(d);
  if (g_registered.store == nullptr) return 0;
  // Not Current()->version(): a republish may retire and free those tables meanwhile.
  rte_tel_data_add_dict_u64(d, "version", g_registered.store->CurrentVersion());
  rte_tel_data_add_dict_u64(d, "published", g_registered.store->published());
  rte_tel_data_add_dict_u64(d, "refused", g_registered.store->failed());
  rte_tel_data_add_dict_u64(d, "republished", g_registered.store->republished());
  return 0;
}

void AddTotals(rte_tel_data* d, const TrafficTotals& totals) {
  rte_tel_data_start_dict(d);
  for (const auto& [id, t] : totals) {
    rte_tel_data_add_dict_u64(d, (std::to_string(id) + "_packets").c_str(), t.packets);
    rte_tel_data_add_dict_u64(d, (std::to_string(id) + "_bytes").c_str(), t.bytes);
  }
}

int Services(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  TrafficTotals services, backends;
  if (g_registered.store != nullptr) g_registered.store->Traffic(services, backends);
  AddTotals(d, services);
  return 0;
}

int Backends(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  TrafficTotals services, backends;
  if (g_registered.store != nullptr) g_registered.store->Traffic(services, backends);
  AddTotals(d, backends);
  return 0;
}

uint64_t NowMs() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

// A list of lines "ADDRESS MAC STATE …": telemetry's dictionary names may not hold '.' or ':'.
int Neighbors(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
  if (g_registered.store == nullptr) return 0;
  if (g_registered.neighbors == nullptr) {
    for (const auto& [address, mac] : g_registered.store->settings().neighbors) {
      char text[RTE_ETHER_ADDR_FMT_SIZE];
      rte_ether_format_addr(text, sizeof text, &mac);
      rte_tel_data_add_array_string(d, (address.ToString() + " " + text + " static").c_str());
    }
    return 0;
  }
  for (const NeighborView& v : g_registered.neighbors->View(NowMs())) {
    std::string line = v.address + " " + (v.mac.empty() ? "-" : v.mac) + " " + v.state;
    if (v.confirmed_ago_ms >= 0) line += " confirmed " + std::to_string(v.confirmed_ago_ms) + " ms ago";
    rte_tel_data_add_array_string(d, line.c_str());
  }
  return 0;
}

int NeighborStatsCmd(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  rte_tel_data_start_dict(d);
  if (g_registered.store == nullptr) return 0;
  const NeighborStats s = g_registered.neighbors != nullptr ? g_registered.neighbors->stats() : NeighborStats{};
#define CAUSEWAY_NEIGHBOR_STAT_ADD(name, meaning) rte_tel_data_add_dict_u64(d, #name, s.name);
  CAUSEWAY_NEIGHBOR_STATS(CAUSEWAY_NEIGHBOR_STAT_ADD)
#undef CAUSEWAY_NEIGHBOR_STAT_ADD
  rte_tel_data_add_dict_u64(d, "republished", g_registered.store->republished());
  return 0;
}

}  // namespace

void RegisterTelemetry(std::vector<const WorkerCounters*> workers, SnapshotStore* store,
                       const NeighborResolver* neighbors) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_registered = Registered{std::move(workers), store, neighbors};
  if (g_commands) return;
  g_commands = true;
  rte_telemetry_register_cmd("/causeway/counters", Counters, "Dataplane counters summed over workers");
  rte_telemetry_register_cmd("/causeway/snapshot", Snapshot, "Published snapshot: version, published, refused");
  rte_telemetry_register_cmd("/causeway/services", Services, "Packets and bytes forwarded per service id");
  rte_telemetry_register_cmd("/causeway/backends", Backends, "Packets and bytes forwarded per backend id");
  rte_telemetry_register_cmd("/causeway/neighbors", Neighbors, "Next hops: MAC and state (static, learned by ARP/ND)");
  rte_telemetry_register_cmd("/causeway/neighbor_stats", NeighborStatsCmd,
                             "Neighbour resolution: requests sent, replies learned, MACs changed, forgotten");
}

void UnregisterTelemetry() {
  std::lock_guard<std::mutex> lock(g_mu);
  g_registered = Registered{};
}

}  // namespace causeway::dataplane
