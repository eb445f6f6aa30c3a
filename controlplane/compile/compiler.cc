#include "controlplane/compile/compiler.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace causeway::compile {
namespace {

topology::Scope ScopeOf(v1::Scope s) {
  switch (s) {
    case v1::LOCAL_ONLY:
      return topology::Scope::kLocalOnly;
    case v1::IMPORT_ONLY:
      return topology::Scope::kImportOnly;
    default:
      return topology::Scope::kGlobal;
  }
}

topology::Affinity AffinityOf(v1::Affinity a) {
  switch (a) {
    case v1::LOCAL:
      return topology::Affinity::kLocal;
    case v1::REMOTE:
      return topology::Affinity::kRemote;
    default:
      return topology::Affinity::kNone;
  }
}

snapshot::Forwarding ForwardingOf(v1::Forwarding f) {
  switch (f) {
    case v1::GUE:
      return snapshot::Forwarding::kGue;
    case v1::FULL_NAT:
      return snapshot::Forwarding::kFullNat;
    default:
      return snapshot::Forwarding::kIpip;
  }
}

// Validated text, so parsing cannot fail here.
net::IpAddress Address(const std::string& text) { return net::IpAddress::Parse(text).value_or(net::IpAddress()); }

const std::string& RegionOf(const state::Model& m, const std::string& cluster) {
  static const std::string kNone;
  auto it = m.clusters.find(cluster);
  return it == m.clusters.end() ? kNone : it->second.region();
}

snapshot::GatewaySettings GatewayOf(const state::Model& m) {
  snapshot::GatewaySettings g;
  g.cluster = m.gateway.cluster();
  if (auto it = m.clusters.find(g.cluster); it != m.clusters.end()) g.cluster_id = it->second.id();
  g.region = RegionOf(m, g.cluster);
  g.zone = m.gateway.zone();
  for (const std::string& a : m.gateway.addresses()) g.addresses.push_back(Address(a));
  if (m.gateway.gue_port() != 0) g.gue_port = static_cast<uint16_t>(m.gateway.gue_port());
  if (m.gateway.mtu() != 0) g.mtu = static_cast<uint16_t>(m.gateway.mtu());
  for (const auto& [name, c] : m.clusters) {
    if (name != g.cluster && !c.gateway_address().empty()) g.peer_gateways.push_back(Address(c.gateway_address()));
  }
  return g;
}

// Where the gateway stands, as the weighting sees it.
topology::GatewayView GatewayViewOf(const state::Model& m) {
  topology::GatewayView g{m.gateway.cluster(), RegionOf(m, m.gateway.cluster()), m.gateway.zone(), {}};
  for (const v1::ClientZone& z : m.gateway.client_zones()) {
    g.client_zones.push_back({net::IpPrefix::Parse(z.prefix()).value_or(net::IpPrefix()), z.zone()});
  }
  return g;
}

}  // namespace

const std::map<state::EndpointId, std::string>* HealthOverlay::FailingOf(const std::string& service) const {
  auto it = services.find(service);
  return it == services.end() ? nullptr : &it->second.failing;
}

bool PartitionSensitive(const v1::Service& s) {
  return s.has_writer() || s.partition_policy() == v1::DROP || s.partition_policy() == v1::SAFE_MODE;
}

namespace {

// `only_cluster`: keep that cluster's endpoints only (a writer's view), or null.
ServiceInputs Inputs(const state::Model& m, const state::ServiceEntry& entry,
                     const std::map<state::EndpointId, std::string>* failing, const std::set<std::string>* stale,
                     const std::string* only_cluster) {
  ServiceInputs in;
  in.gateway = GatewayViewOf(m);
  const v1::Service& s = entry.service;
  in.policy.name = state::ServiceKey(s);
  in.policy.scope = ScopeOf(s.scope());
  in.policy.affinity = AffinityOf(s.affinity());
  in.policy.distribution = s.traffic_distribution() == v1::PREFER_SAME_ZONE || s.traffic_distribution() == v1::PREFER_CLOSE
                               ? topology::TrafficDistribution::kPreferSameZone
                               : topology::TrafficDistribution::kDefault;
  if (s.has_spillover_factor()) in.policy.spillover_factor = s.spillover_factor();
  if (s.has_panic_threshold()) in.policy.panic_threshold = s.panic_threshold();
  in.policy.table_size = s.table_size();
  const bool drop_stale = stale != nullptr && !stale->empty() && s.partition_policy() == v1::DROP;
  in.endpoints.reserve(entry.endpoints.size());
  in.sources.reserve(entry.endpoints.size());
  for (const auto& [id, shared] : entry.endpoints) {
    const v1::Endpoint& e = *shared;
    if (only_cluster != nullptr && id.cluster != *only_cluster) continue;
    if (drop_stale && stale->contains(id.cluster)) continue;  // as if deleted
    topology::EndpointState st;
    st.cluster = e.cluster();
    st.region = e.region().empty() ? RegionOf(m, e.cluster()) : e.region();
    st.zone = e.zone();
    st.address = Address(e.address());
    st.port = static_cast<uint16_t>(e.port());
    st.weight = e.has_weight() ? e.weight() : 1;
    st.ready = !e.conditions().has_ready() || e.conditions().ready();
    st.serving = !e.conditions().has_serving() || e.conditions().serving();
    st.terminating = e.conditions().has_terminating() && e.conditions().terminating();
    st.health = e.health() == v1::UNHEALTHY ? topology::Health::kUnhealthy : topology::Health::kHealthy;
    if (failing != nullptr && failing->contains(id)) st.health = topology::Health::kCheckFailing;
    st.exported = !e.has_exported() || e.exported();
    in.endpoints.push_back(std::move(st));
    in.sources.push_back(&e);
  }
  return in;
}

}  // namespace

ServiceInputs InputsOf(const state::Model& m, const state::ServiceEntry& entry,
                       const std::map<state::EndpointId, std::string>* failing, const std::set<std::string>* stale) {
  const v1::Service& s = entry.service;
  const bool all_write = s.has_writer() && s.writer().write_ports().empty();
  return Inputs(m, entry, failing, stale, all_write ? &s.writer().cluster() : nullptr);
}

ServiceInputs WriterInputsOf(const state::Model& m, const state::ServiceEntry& entry,
                             const std::map<state::EndpointId, std::string>* failing,
                             const std::set<std::string>* stale) {
  return Inputs(m, entry, failing, stale, &entry.service.writer().cluster());
}

uint32_t Compiler::BackendId(const maglev::EndpointKey& key) {
  auto [it, inserted] = backend_ids_.try_emplace(key, next_backend_id_);
  if (inserted) ++next_backend_id_;
  return it->second;
}

uint32_t Compiler::ServiceId(const std::string& id_key) {
  auto [sid, inserted] = service_ids_.try_emplace(id_key, next_service_id_);
  if (inserted) ++next_service_id_;
  return sid->second;
}

snapshot::CompiledService Compiler::CompileView(const state::Model& m, const std::string& id_key,
                                                const ServiceInputs& in, const topology::ServiceTables& tables) {
  snapshot::CompiledService c;
  c.id = ServiceId(id_key);
  c.name = id_key;
  // Backends: every endpoint with weight in some view, and every draining one (terminating, or weight
  // 0): those get no slots, but the dataplane's flow entries keep sending their established flows to
  // them (a flow whose backend left the service is chosen again). In the model's (deterministic) order.
  // The backend each endpoint of `in` became (kNone: not used), by its position: the tables were
  // built from `in.endpoints` in this order, so their slots map onto backends without key lookups.
  constexpr uint16_t kNone = UINT16_MAX;
  std::vector<uint16_t> backend_of(in.endpoints.size(), kNone);
  for (size_t i = 0; i < in.endpoints.size(); ++i) {
    const topology::EndpointState& e = in.endpoints[i];
    const bool used = std::any_of(tables.views.begin(), tables.views.end(), [&](const topology::WeightedView& v) {
      const topology::EndpointWeight& w = v.endpoints[i];
      return w.weight > 0 || w.exclusion == topology::Exclusion::kTerminating ||
             w.exclusion == topology::Exclusion::kZeroWeight;
    });
    if (!used) continue;
    const maglev::EndpointKey k{e.cluster, e.address, e.port};
    snapshot::Backend b;
    b.id = BackendId(k);
    b.cluster = e.cluster;
    if (auto cl = m.clusters.find(e.cluster); cl != m.clusters.end()) {
      b.cluster_id = cl->second.id();
      b.local = e.cluster == m.gateway.cluster();
      b.next_hop = b.local || cl->second.gateway_address().empty() ? e.address : Address(cl->second.gateway_address());
    }
    b.address = e.address;
    b.port = e.port;
    b.zone = e.zone;
    b.region = e.region;
    backend_of[i] = static_cast<uint16_t>(c.backends.size());
    c.backends.push_back(std::move(b));
  }
  for (const maglev::MaglevTable& t : tables.tables) {
    snapshot::Table out_table;
    if (!t.empty()) {
      std::vector<uint16_t> remap(t.endpoints().size());
      for (size_t i = 0; i < remap.size(); ++i) remap[i] = backend_of[t.input_positions()[i]];
      const absl::Span<const maglev::SlotIndex> in = t.slots();
      out_table.slots.resize(in.size());
      uint16_t* const out = out_table.slots.data();
      for (size_t s = 0; s < in.size(); ++s) out[s] = remap[in[s]];
    }
    c.tables.push_back(std::move(out_table));
  }
  c.zone_table = tables.zone_table;
  return c;
}

absl::StatusOr<Compiler::Cached> Compiler::CompileService(const state::Model& m, const std::string& key,
                                                          const state::ServiceEntry& entry,
                                                          const HealthOverlay& overlay,
                                                          const PartitionView& partition,
                                                          const Cached* previous) {
  const v1::Service& s = entry.service;
  const std::map<state::EndpointId, std::string>* failing = overlay.FailingOf(key);
  const ServiceInputs in = InputsOf(m, entry, failing, &partition.stale);
  absl::StatusOr<topology::ServiceTables> tables =
      topology::BuildServiceTables(in.gateway, in.policy, in.endpoints, previous ? previous->tables.get() : nullptr);
  if (!tables.ok()) {
    return absl::InternalError(absl::StrCat("service ", key, ": ", tables.status().message()));
  }
  Cached out;
  out.generation = entry.generation;
  out.shared_generation = m.shared_generation;
  if (auto o = overlay.services.find(key); o != overlay.services.end()) out.overlay_generation = o->second.generation;
  if (PartitionSensitive(s)) out.partition_key = absl::StrJoin(partition.stale, ",");
  out.compiled = CompileView(m, key, in, *tables);
  snapshot::CompiledService& c = out.compiled;
  c.forwarding = ForwardingOf(s.forwarding());
  // Safe mode: the stale clusters' backends keep their slots (no other flow moves) and their
  // established flows; new flows landing on them are refused by the dataplane.
  if (s.partition_policy() == v1::SAFE_MODE) {
    for (snapshot::Backend& b : c.backends) b.refuse_new = partition.stale.contains(b.cluster);
  }
  const bool writer_stale = s.has_writer() && partition.stale.contains(s.writer().cluster());
  auto fence = [](snapshot::CompiledService& v) {
    // The writer is cut off: no new flow may go to it, and none to another cluster. Established
    // flows keep their backends (listed, without slots).
    for (snapshot::Table& t : v.tables) t.slots.clear();
    for (snapshot::Backend& b : v.backends) b.refuse_new = true;
  };
  const std::set<uint32_t> write_ports(s.writer().write_ports().begin(), s.writer().write_ports().end());
  std::vector<snapshot::Frontend> write_frontends;
  for (const v1::Frontend& f : s.frontends()) {
    const snapshot::Protocol protocol = f.protocol() == v1::UDP ? snapshot::Protocol::kUdp : snapshot::Protocol::kTcp;
    if (f.port() == 0) {
      // The write ports get exact-port frontends of their own, found before the VIP's port 0.
      for (uint32_t p : write_ports) write_frontends.push_back({Address(f.vip()), static_cast<uint16_t>(p), protocol});
    } else if (write_ports.contains(f.port())) {
      write_frontends.push_back({Address(f.vip()), static_cast<uint16_t>(f.port()), protocol});
      continue;
    }
    c.frontends.push_back({Address(f.vip()), static_cast<uint16_t>(f.port()), protocol});
  }
  if (s.has_writer() && write_ports.empty() && writer_stale) fence(c);  // every port is a write port
  if (!write_frontends.empty()) {
    const ServiceInputs w = WriterInputsOf(m, entry, failing, &partition.stale);
    absl::StatusOr<topology::ServiceTables> wt = topology::BuildServiceTables(
        w.gateway, w.policy, w.endpoints, previous ? previous->write_tables.get() : nullptr);
    if (!wt.ok()) return absl::InternalError(absl::StrCat("service ", key, " (write ports): ", wt.status().message()));
    out.write_view = CompileView(m, absl::StrCat(key, "#write"), w, *wt);
    out.write_view->forwarding = c.forwarding;
    out.write_view->frontends = std::move(write_frontends);
    if (writer_stale) fence(*out.write_view);
    out.write_tables = std::make_shared<const topology::ServiceTables>(*std::move(wt));
  }
  out.tables = std::make_shared<const topology::ServiceTables>(*std::move(tables));
  return out;
}

absl::StatusOr<Compiler::Result> Compiler::Compile(const state::Model& m, uint64_t version,
                                                   const HealthOverlay& overlay, const PartitionView& partition) {
  const std::string stale_key = absl::StrJoin(partition.stale, ",");
  auto snap = std::make_shared<snapshot::CompiledSnapshot>();
  snap->version = version;
  snap->gateway = GatewayOf(m);
  const topology::GatewayView view = GatewayViewOf(m);
  snap->zones = topology::ClientZones(view);
  for (const topology::ClientZonePrefix& p : view.client_zones) {
    const auto z = std::find(snap->zones.begin(), snap->zones.end(), p.zone);
    snap->client_zones.push_back({p.prefix, static_cast<uint16_t>(z - snap->zones.begin())});
  }

  Result result;
  std::map<std::string, Cached> next;
  for (const auto& [key, entry] : m.services) {
    auto cached = cache_.find(key);
    const auto o = overlay.services.find(key);
    const uint64_t overlay_generation = o == overlay.services.end() ? 0 : o->second.generation;
    // A service's compiled form lives in the snapshot only (a big service's table is 256 KiB):
    // one compiled afresh is moved in, one from the cache copied from the last snapshot.
    if (cached != cache_.end() && cached->second.generation == entry->generation &&
        cached->second.shared_generation == m.shared_generation &&
        cached->second.overlay_generation == overlay_generation &&
        cached->second.partition_key == (PartitionSensitive(entry->service) ? stale_key : "")) {
      // Copied, not moved: a later service of this call may fail to compile, and the cache must
      // then still hold this one whole (its compiled form already lives in the snapshot: cheap).
      Cached& c = next.emplace(key, cached->second).first->second;
      std::optional<snapshot::CompiledService> write;
      if (c.write_index) write = last_snapshot_->services[*c.write_index];
      Place(c, last_snapshot_->services[c.index], std::move(write), *snap);
    } else {
      absl::StatusOr<Cached> compiled =
          CompileService(m, key, *entry, overlay, partition, cached != cache_.end() ? &cached->second : nullptr);
      if (!compiled.ok()) return compiled.status();
      Cached& c = next.emplace(key, *std::move(compiled)).first->second;
      Place(c, std::exchange(c.compiled, {}), std::exchange(c.write_view, std::nullopt), *snap);
      ++result.recompiled;
      for (const topology::ServiceTables* t : {c.tables.get(), c.write_tables.get()}) {
        if (t == nullptr) continue;
        result.tables_built += t->tables.size() - t->reused;
        result.tables_copied += t->reused;
      }
    }
  }
  // What the old cache held of weight — replaced services' tables — the caller's published tables
  // hold too, and free after publishing (ControlPlane hands them to its reaper).
  cache_ = std::move(next);
  last_snapshot_ = snap;
  PruneBackendIds(m);
  result.snapshot = std::move(snap);
  return result;
}

void Compiler::Place(Cached& c, snapshot::CompiledService main, std::optional<snapshot::CompiledService> write,
                     snapshot::CompiledSnapshot& snap) {
  snap.services.push_back(std::move(main));
  c.index = snap.services.size() - 1;
  c.write_index.reset();
  if (write) {
    snap.services.push_back(*std::move(write));
    c.write_index = snap.services.size() - 1;
  }
}

void Compiler::PruneBackendIds(const state::Model& m) {
  // Amortised: only when ids of departed backends outnumber the live ones.
  const size_t live = m.EndpointCount();
  if (backend_ids_.size() <= 2 * live + 1024) return;
  absl::flat_hash_map<maglev::EndpointKey, uint32_t> kept;
  for (const auto& [key, entry] : m.services) {
    for (const auto& [id, e] : entry->endpoints) {
      const maglev::EndpointKey k{id.cluster, Address(e->address()), static_cast<uint16_t>(e->port())};
      if (auto it = backend_ids_.find(k); it != backend_ids_.end()) kept.insert(*it);
    }
  }
  backend_ids_ = std::move(kept);
}

std::shared_ptr<const topology::ServiceTables> Compiler::TablesOf(const std::string& service) const {
  auto it = cache_.find(service);
  return it == cache_.end() ? nullptr : it->second.tables;
}

}  // namespace causeway::compile
