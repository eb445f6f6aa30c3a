#include "dataplane/telemetry.h"

#include <rte_telemetry.h>

#include <string>

namespace causeway::dataplane {
namespace {

struct Registered {
  std::vector<const WorkerCounters*> workers;
  SnapshotStore* store = nullptr;
};
Registered* g_registered = nullptr;

int Counters(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  for (size_t i = 0; i < kCounterCount; ++i) {
    uint64_t sum = 0;
    for (const WorkerCounters* w : g_registered->workers) sum += w->value[i];
    const std::string name(kCounterNames[i]);
    rte_tel_data_add_dict_u64(d, name.c_str(), sum);
  }
  return 0;
}

int Snapshot(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  const Tables* t = g_registered->store->Current();
  rte_tel_data_add_dict_u64(d, "version", t == nullptr ? 0 : t->version());
  rte_tel_data_add_dict_u64(d, "published", g_registered->store->published());
  rte_tel_data_add_dict_u64(d, "refused", g_registered->store->failed());
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
  TrafficTotals services, backends;
  g_registered->store->Traffic(services, backends);
  AddTotals(d, services);
  return 0;
}

int Backends(const char*, const char*, rte_tel_data* d) {
  TrafficTotals services, backends;
  g_registered->store->Traffic(services, backends);
  AddTotals(d, backends);
  return 0;
}

}  // namespace

void RegisterTelemetry(std::vector<const WorkerCounters*> workers, SnapshotStore* store) {
  g_registered = new Registered{std::move(workers), store};  // lives as long as the process
  rte_telemetry_register_cmd("/causeway/counters", Counters, "Dataplane counters summed over workers");
  rte_telemetry_register_cmd("/causeway/snapshot", Snapshot, "Published snapshot: version, published, refused");
  rte_telemetry_register_cmd("/causeway/services", Services, "Packets and bytes forwarded per service id");
  rte_telemetry_register_cmd("/causeway/backends", Backends, "Packets and bytes forwarded per backend id");
}

}  // namespace causeway::dataplane
