#include "controlplane/topology/weighting.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "controlplane/topology/spillover.h"

namespace causeway::topology {
namespace {

// Where an endpoint stands relative to the service's preference: which group (preferred clusters
// first) and, with PreferSameZone, how close (same zone, same region, elsewhere).
struct Rank {
  int group = 0;     // 0 preferred, 1 the others
  int closeness = 0; // 0 same zone, 1 same region, 2 elsewhere
  friend auto operator<=>(const Rank&, const Rank&) = default;
};

Rank RankOf(const GatewayView& gateway, const ServicePolicy& policy, const EndpointState& e,
            const std::string& client_zone) {
  const bool local = e.cluster == gateway.cluster;
  Rank r;
  if (policy.affinity == Affinity::kLocal) r.group = local ? 0 : 1;
  if (policy.affinity == Affinity::kRemote) r.group = local ? 1 : 0;
  if (policy.distribution == TrafficDistribution::kPreferSameZone) {
    const bool same_region = e.region == gateway.region;
    if (same_region && e.zone == client_zone) {
      r.closeness = 0;
    } else if (same_region) {
      r.closeness = 1;
    } else {
      r.closeness = 2;
    }
  }
  return r;
}

std::string TierLabel(const GatewayView& gateway, const ServicePolicy& policy, const Rank& r,
                      const std::string& client_zone) {
  std::string who = "all clusters";
  if (policy.affinity == Affinity::kLocal) who = r.group == 0 ? "local cluster" : "remote clusters";
  if (policy.affinity == Affinity::kRemote) who = r.group == 0 ? "remote clusters" : "local cluster";
  if (policy.distribution != TrafficDistribution::kPreferSameZone) return who;
  switch (r.closeness) {
    case 0:
      return absl::StrCat(who, ", zone ", client_zone);
    case 1:
      return absl::StrCat(who, ", other zones of ", gateway.region);
    default:
      return absl::StrCat(who, ", other regions");
  }
}

uint64_t Milli(double v) { return static_cast<uint64_t>(std::llround(std::max(0.0, v) * 1000.0)); }

}  // namespace

const char* ExclusionText(Exclusion e) {
  switch (e) {
    case Exclusion::kNone:
      return "";
    case Exclusion::kServiceLocalOnly:
      return "remote, and the service is local-only here";
    case Exclusion::kNotExported:
      return "remote, and its cluster does not export the service";
    case Exclusion::kZeroWeight:
      return "weight 0";
    case Exclusion::kTerminating:
      return "terminating: keeps its established flows, gets no new ones";
    case Exclusion::kNotServing:
      return "terminating and not serving";
    case Exclusion::kNotReady:
      return "not ready";
    case Exclusion::kUnhealthy:
      return "unhealthy";
    case Exclusion::kTierUnused:
      return "its tier gets no traffic: the tiers before it have the capacity";
  }
  return "";
}

WeightedView ComputeView(const GatewayView& gateway, const ServicePolicy& policy,
                         absl::Span<const EndpointState> endpoints, const std::string& client_zone) {
  WeightedView view;
  view.client_zone = client_zone;
  view.endpoints.resize(endpoints.size());

  // 1. Eligibility, and whether any eligible endpoint is ready (else fall back to terminating ones).
  std::vector<bool> eligible(endpoints.size(), false);
  bool any_ready = false;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const EndpointState& e = endpoints[i];
    Exclusion& why = view.endpoints[i].exclusion;
    const bool local = e.cluster == gateway.cluster;
    if (!local && policy.scope == Scope::kLocalOnly) {
      why = Exclusion::kServiceLocalOnly;
    } else if (!local && !e.exported) {
      why = Exclusion::kNotExported;
    } else if (e.weight == 0) {
      why = Exclusion::kZeroWeight;
    } else {
      eligible[i] = true;
      any_ready |= e.ready && !e.terminating;
    }
  }
  view.terminating_fallback = !any_ready;

  // 2. Tier membership and health. Members count in their tier's capacity; healthy members may be
  // chosen.
  std::map<Rank, int> tier_of_rank;
  std::vector<Rank> ranks(endpoints.size());
  std::vector<bool> healthy(endpoints.size(), false);
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (!eligible[i]) continue;
    const EndpointState& e = endpoints[i];
    Exclusion& why = view.endpoints[i].exclusion;
    if (e.terminating && !view.terminating_fallback) {
      why = Exclusion::kTerminating;
      continue;
    }
    if (e.terminating && !e.serving) {
      why = Exclusion::kNotServing;
      continue;
    }
    ranks[i] = RankOf(gateway, policy, e, client_zone);
    tier_of_rank.emplace(ranks[i], 0);
    const bool usable = e.terminating ? e.serving : e.ready;
    if (!usable) {
      why = Exclusion::kNotReady;
    } else if (e.health != Health::kHealthy) {
      why = Exclusion::kUnhealthy;
    } else {
      healthy[i] = true;
    }
  }
  for (auto& [rank, index] : tier_of_rank) {
    index = static_cast<int>(view.tiers.size());
    view.tiers.push_back(Tier{.label = TierLabel(gateway, policy, rank, client_zone)});
  }
  uint64_t all_weight = 0, all_healthy_weight = 0;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const Exclusion why = view.endpoints[i].exclusion;
    const bool member = eligible[i] && (why == Exclusion::kNone || why == Exclusion::kNotReady ||
                                        why == Exclusion::kUnhealthy);
    if (!member) continue;
    const int t = tier_of_rank[ranks[i]];
    view.endpoints[i].tier = t;
    Tier& tier = view.tiers[t];
    ++tier.members;
    tier.total_weight += endpoints[i].weight;
    all_weight += endpoints[i].weight;
    if (healthy[i]) {
      ++tier.healthy;
      tier.healthy_weight += endpoints[i].weight;
      all_healthy_weight += endpoints[i].weight;
    }
  }
  if (view.tiers.empty()) return view;

  // 3. Panic, then the tiers' shares.
  const uint64_t threshold_milli = Milli(policy.panic_threshold);
  view.panic = threshold_milli > 0 && all_healthy_weight * 1000 < threshold_milli * all_weight;
  std::vector<TierCapacity> capacity;
  for (const Tier& t : view.tiers) capacity.push_back({t.healthy_weight, t.total_weight});
  std::vector<uint64_t> loads = TierLoads(capacity, Milli(policy.spillover_factor));
  if (view.panic && all_healthy_weight == 0) loads[0] = kLoadScale;  // nothing healthy: first tier, all of it
  for (size_t t = 0; t < view.tiers.size(); ++t) view.tiers[t].load = loads[t];

  // 4. Endpoint weights: the tier's share split by weight over the tier's chosen endpoints (healthy
  // ones; all members in panic).
  std::vector<uint64_t> chosen_weight(view.tiers.size(), 0);
  auto chosen = [&](size_t i) { return view.endpoints[i].tier >= 0 && (healthy[i] || view.panic); };
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (chosen(i)) chosen_weight[view.endpoints[i].tier] += endpoints[i].weight;
  }
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (!chosen(i)) continue;
    EndpointWeight& w = view.endpoints[i];
    const uint64_t load = loads[w.tier];
    if (load == 0) {
      if (w.exclusion == Exclusion::kNone) w.exclusion = Exclusion::kTierUnused;
      continue;
    }
    w.weight = static_cast<uint32_t>(absl::Uint128Low64(absl::uint128(load) * endpoints[i].weight /
                                                        chosen_weight[w.tier]));
  }
  return view;
}

}  // namespace causeway::topology
