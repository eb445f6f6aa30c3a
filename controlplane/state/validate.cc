#include "controlplane/state/validate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "controlplane/maglev/table_size.h"
#include "controlplane/net/ip_address.h"

namespace causeway::state {
namespace {

void Add(Problems& out, const std::string& field, std::string message) {
  out.push_back({field, std::move(message)});
}

// The field is `path` + `suffix`, put together only for a problem: a snapshot checks every
// endpoint, and nearly all of them are fine.

// Kubernetes-style names (RFC 1123 labels): what cluster names, namespaces and service names are.
void CheckName(const std::string& name, absl::string_view path, absl::string_view suffix, Problems& out) {
  if (name.empty()) {
    Add(out, absl::StrCat(path, suffix), "must not be empty");
    return;
  }
  bool ok = name.size() <= 63 && absl::ascii_isalnum(name.front()) && absl::ascii_isalnum(name.back());
  for (char c : name) ok &= absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
  if (!ok) {
    Add(out, absl::StrCat(path, suffix),
        absl::StrCat("\"", name, "\" is not a valid name (lower-case letters, digits and '-', at most 63)"));
  }
}

void CheckAddress(const std::string& text, absl::string_view path, absl::string_view suffix, Problems& out) {
  if (absl::StatusOr<net::IpAddress> a = net::IpAddress::Parse(text); !a.ok()) {
    Add(out, absl::StrCat(path, suffix), std::string(a.status().message()));
  }
}

void CheckPort(uint32_t port, bool zero_ok, absl::string_view path, absl::string_view suffix, Problems& out) {
  if ((port == 0 && !zero_ok) || port > 65535) {
    Add(out, absl::StrCat(path, suffix), absl::StrCat("port ", port, " is out of range ", zero_ok ? "0" : "1", "..65535"));
  }
}

void CheckRange(uint32_t value, uint32_t low, uint32_t high, const std::string& what, const std::string& field,
                Problems& out) {
  if (value < low || value > high) Add(out, field, absl::StrCat(what, " ", value, " is out of range ", low, "..", high));
}

// Zero fields take their defaults (proto comments), so only set ones are checked.
void CheckHealthCheck(const v1::HealthCheck& h, const std::string& path, Problems& out) {
  if (!v1::HealthCheck::Kind_IsValid(h.kind())) {
    Add(out, path + ".kind", "unknown kind: NONE, TCP or HTTP");
    return;
  }
  if (h.interval_ms() != 0) CheckRange(h.interval_ms(), 100, 600000, "interval", path + ".interval_ms", out);
  if (h.timeout_ms() != 0) {
    const uint32_t interval = h.interval_ms() != 0 ? h.interval_ms() : 1000;
    CheckRange(h.timeout_ms(), 10, interval, "timeout", path + ".timeout_ms", out);
  }
  if (h.rise() != 0) CheckRange(h.rise(), 1, 100, "rise", path + ".rise", out);
  if (h.fall() != 0) CheckRange(h.fall(), 1, 100, "fall", path + ".fall", out);
  CheckPort(h.port(), true, path, ".port", out);
  const std::string& p = h.http_path();
  if (!p.empty() && (p.front() != '/' || p.find_first_of(" \t\r\n") != std::string::npos)) {
    Add(out, path + ".http_path", absl::StrCat("\"", absl::CEscape(p), "\" must start with '/' and hold no spaces, CR or LF"));
  }
}

// The writer on its own; that its cluster exists is CheckModel's, its token CheckFencing's.
void CheckWriter(const v1::Service& s, const std::string& path, Problems& out) {
  const v1::Writer& w = s.writer();
  CheckName(w.cluster(), path, ".cluster", out);
  std::set<uint32_t> seen;
  for (int i = 0; i < w.write_ports_size(); ++i) {
    const uint32_t port = w.write_ports(i);
    const std::string field = absl::StrCat(path, ".write_ports[", i, "]");
    if (port == 0 || port > 65535) {
      CheckPort(port, false, field, "", out);
      continue;
    }
    if (!seen.insert(port).second) {
      Add(out, field, absl::StrCat("port ", port, " is listed twice"));
      continue;
    }
    const bool served = std::any_of(s.frontends().begin(), s.frontends().end(),
                                    [&](const v1::Frontend& f) { return f.port() == port || f.port() == 0; });
    if (!served) Add(out, field, absl::StrCat("port ", port, " is not a port of the service's frontends"));
  }
}

}  // namespace

void CheckFencing(const Model& current, const v1::Service& s, const std::string& path, Problems& out) {
  if (!s.has_writer()) return;
  auto it = current.fencing.find(ServiceKey(s));
  if (it == current.fencing.end()) return;
  const v1::Writer& held = it->second;
  const v1::Writer& w = s.writer();
  if (w.fencing_token() < held.fencing_token()) {
    Add(out, path + ".writer.fencing_token",
        absl::StrCat("stale token ", w.fencing_token(), " < ", held.fencing_token(), " held (by cluster \"",
                     held.cluster(), "\")"));
  } else if (w.fencing_token() == held.fencing_token() && w.cluster() != held.cluster()) {
    Add(out, path + ".writer.fencing_token",
        absl::StrCat("token ", w.fencing_token(), " is held by cluster \"", held.cluster(),
                     "\": a new writer needs a higher token"));
  }
}

void CheckCluster(const v1::Cluster& c, const std::string& path, Problems& out) {
  CheckName(c.name(), path, ".name", out);
  if (c.id() == 0 || c.id() > 65535) Add(out, path + ".id", absl::StrCat("cluster id ", c.id(), " is out of range 1..65535"));
  if (!c.gateway_address().empty()) CheckAddress(c.gateway_address(), path, ".gateway_address", out);
  if (c.lease_ttl_ms() != 0) CheckRange(c.lease_ttl_ms(), 100, kMaxLeaseMs, "lease TTL", path + ".lease_ttl_ms", out);
  if (c.has_hold_down_ms()) CheckRange(c.hold_down_ms(), 0, kMaxLeaseMs, "hold-down", path + ".hold_down_ms", out);
}

void CheckService(const v1::Service& s, const std::string& path, Problems& out) {
  CheckName(s.namespace_(), path, ".namespace", out);
  CheckName(s.name(), path, ".name", out);
  if (s.frontends().empty()) Add(out, path + ".frontends", "a service needs at least one frontend");
  for (int i = 0; i < s.frontends_size(); ++i) {
    const v1::Frontend& f = s.frontends(i);
    const std::string fp = absl::StrCat(path, ".frontends[", i, "]");
    CheckAddress(f.vip(), fp, ".vip", out);
    CheckPort(f.port(), true, fp, ".port", out);
    if (f.protocol() != v1::TCP && f.protocol() != v1::UDP) {
      Add(out, fp + ".protocol", absl::StrCat("unknown protocol ", static_cast<int>(f.protocol()), ": TCP or UDP"));
    }
  }
  if (s.has_spillover_factor() && !(s.spillover_factor() >= 1.0 && s.spillover_factor() <= 10.0)) {
    Add(out, path + ".spillover_factor", absl::StrCat("spill-over factor ", s.spillover_factor(), " is out of range 1.0..10.0"));
  }
  if (s.has_panic_threshold() && !(s.panic_threshold() >= 0.0 && s.panic_threshold() <= 1.0)) {
    Add(out, path + ".panic_threshold", absl::StrCat("panic threshold ", s.panic_threshold(), " is out of range 0.0..1.0"));
  }
  if (s.table_size() != 0) {
    if (absl::Status st = maglev::ValidateTableSize(s.table_size()); !st.ok()) {
      Add(out, path + ".table_size", std::string(st.message()));
    }
  }
  if (!v1::Scope_IsValid(s.scope())) Add(out, path + ".scope", "unknown scope");
  if (!v1::Affinity_IsValid(s.affinity())) Add(out, path + ".affinity", "unknown affinity");
  if (!v1::TrafficDistribution_IsValid(s.traffic_distribution())) {
    Add(out, path + ".traffic_distribution", "unknown traffic distribution");
  }
  if (!v1::Forwarding_IsValid(s.forwarding())) Add(out, path + ".forwarding", "unknown forwarding");
  if (s.has_health_check()) CheckHealthCheck(s.health_check(), path + ".health_check", out);
  if (!v1::PartitionPolicy_IsValid(s.partition_policy())) {
    Add(out, path + ".partition_policy", "unknown partition policy: KEEP, DROP or SAFE_MODE");
  }
  if (s.has_writer()) CheckWriter(s, path + ".writer", out);
}

void CheckEndpoint(const v1::Endpoint& e, const std::string& path, Problems& out) {
  if (e.service().find('/') == std::string::npos) {
    Add(out, path + ".service", absl::StrCat("\"", e.service(), "\" is not a service key (namespace/name)"));
  }
  CheckName(e.cluster(), path, ".cluster", out);
  CheckAddress(e.address(), path, ".address", out);
  CheckPort(e.port(), false, path, ".port", out);
  if (e.has_weight() && e.weight() > kMaxWeight) {
    Add(out, path + ".weight", absl::StrCat("weight ", e.weight(), " is out of range 0..", kMaxWeight));
  }
  if (!v1::Health_IsValid(e.health())) Add(out, path + ".health", "unknown health");
}

void CheckCostModel(const v1::CostModel& c, const std::string& path, Problems& out) {
  auto check_price = [&](bool has, double price, const char* field) {
    if (has && !(std::isfinite(price) && price >= 0)) {
      Add(out, absl::StrCat(path, ".", field), absl::StrCat("price ", price, " per GB must be finite and >= 0"));
    }
  };
  check_price(c.has_inter_zone_per_gb(), c.inter_zone_per_gb(), "inter_zone_per_gb");
  check_price(c.has_inter_region_per_gb(), c.inter_region_per_gb(), "inter_region_per_gb");
  if (c.currency().size() > 8) Add(out, path + ".currency", "at most 8 characters");
}

void CheckGateway(const v1::Gateway& g, const std::string& path, Problems& out) {
  CheckName(g.cluster(), path, ".cluster", out);
  for (int i = 0; i < g.addresses_size(); ++i) CheckAddress(g.addresses(i), absl::StrCat(path, ".addresses[", i, "]"), "", out);
  for (int i = 0; i < g.client_zones_size(); ++i) {
    const std::string zp = absl::StrCat(path, ".client_zones[", i, "]");
    if (absl::StatusOr<net::IpPrefix> p = net::IpPrefix::Parse(g.client_zones(i).prefix()); !p.ok()) {
      Add(out, zp + ".prefix", std::string(p.status().message()));
    }
    if (g.client_zones(i).zone().empty()) Add(out, zp + ".zone", "must not be empty");
  }
  if (g.gue_port() > 65535) Add(out, path + ".gue_port", absl::StrCat("port ", g.gue_port(), " is out of range 0..65535"));
  if (g.mtu() != 0 && (g.mtu() < 576 || g.mtu() > 9216)) {
    Add(out, path + ".mtu", absl::StrCat("MTU ", g.mtu(), " is out of range 576..9216"));
  }
  if (g.has_costs()) CheckCostModel(g.costs(), path + ".costs", out);
}

void CheckModel(const Model& m, Problems& out, const std::set<std::string>* touched) {
  if (m.clusters.size() > kMaxClusters) Add(out, "clusters", absl::StrCat("more than ", kMaxClusters, " clusters"));
  if (m.services.size() > kMaxServices) Add(out, "services", absl::StrCat("more than ", kMaxServices, " services"));
  std::map<uint32_t, std::string> cluster_of_id;
  for (const auto& [name, c] : m.clusters) {
    auto [it, inserted] = cluster_of_id.emplace(c.id(), name);
    if (!inserted) {
      Add(out, absl::StrCat("clusters[\"", name, "\"].id"),
          absl::StrCat("cluster id ", c.id(), " is already used by cluster \"", it->second, "\""));
    }
  }
  if (m.has_gateway && !m.clusters.contains(m.gateway.cluster())) {
    Add(out, "gateway.cluster", absl::StrCat("unknown cluster \"", m.gateway.cluster(), "\""));
  }
  // Frontends grouped by (VIP, protocol). Two services conflict on the same port, or when either
  // claims port 0 (every port).
  struct Claim {
    uint32_t port;
    std::string service;
    std::string field;
  };
  std::map<std::pair<std::string, int>, std::vector<Claim>> claims;
  for (const auto& [key, entry] : m.services) {
    const v1::Service& s = entry->service;
    for (int i = 0; i < s.frontends_size(); ++i) {
      const v1::Frontend& f = s.frontends(i);
      absl::StatusOr<net::IpAddress> vip = net::IpAddress::Parse(f.vip());
      std::vector<Claim>& group = claims[{vip.ok() ? vip->ToString() : f.vip(), f.protocol()}];
      const std::string field = absl::StrCat("services[\"", key, "\"].frontends[", i, "]");
      for (const Claim& other : group) {
        if (other.service != key && (other.port == f.port() || other.port == 0 || f.port() == 0)) {
          Add(out, field, absl::StrCat(f.vip(), ":", f.port(), "/", v1::Protocol_Name(f.protocol()),
                                       " conflicts with ", other.field, " (port ", other.port,
                                       other.port == 0 ? ", every port" : "", ") of service ", other.service));
          break;
        }
      }
      group.push_back({f.port(), key, field});
    }
  }
  for (const auto& [key, entry] : m.services) {
    // Every service: deleting a cluster touches only the services with endpoints there.
    if (entry->service.has_writer() && !m.clusters.contains(entry->service.writer().cluster())) {
      Add(out, absl::StrCat("services[\"", key, "\"].writer.cluster"),
          absl::StrCat("unknown cluster \"", entry->service.writer().cluster(), "\""));
    }
    if (touched != nullptr && !touched->contains(key)) continue;
    if (entry->endpoints.size() > kMaxEndpointsPerService) {
      Add(out, absl::StrCat("services[\"", key, "\"]"),
          absl::StrCat(entry->endpoints.size(), " endpoints: at most ", kMaxEndpointsPerService, " per service"));
    }
    for (const auto& [id, e] : entry->endpoints) {
      if (!m.clusters.contains(id.cluster)) {
        Add(out, absl::StrCat("endpoints[\"", key, "\", ", id.cluster, "/", id.address, ":", id.port, "].cluster"),
            absl::StrCat("unknown cluster \"", id.cluster, "\""));
      }
    }
  }
}

}  // namespace causeway::state
