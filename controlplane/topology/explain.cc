#include "controlplane/topology/explain.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controlplane/topology/spillover.h"

namespace causeway::topology {
namespace {

std::string Percent(double share) { return absl::StrFormat("%.1f%%", 100 * share); }

double LoadShare(uint64_t load) { return static_cast<double>(load) / static_cast<double>(kLoadScale); }

// Why an endpoint is left out, saying which health check (a pushed verdict or our own probes) keeps it
// out when health is the reason.
std::string ExclusionOf(const EndpointState& e, Exclusion why) {
  if (why == Exclusion::kUnhealthy && e.health == Health::kCheckFailing) return "health check failing";
  return ExclusionText(why);
}

}  // namespace

Explanation Explain(const ServicePolicy& policy, absl::Span<const EndpointState> endpoints,
                    const WeightedView& view, const maglev::MaglevTable& table) {
  Explanation out;
  out.service = policy.name;
  out.client_zone = view.client_zone;

  absl::flat_hash_map<maglev::EndpointKey, uint32_t> slots;
  if (!table.empty()) {
    const std::vector<uint32_t> counts = table.SlotCounts();
    for (size_t i = 0; i < counts.size(); ++i) slots[table.endpoints()[i].key] = counts[i];
  }

  // A tier's line says how much of the traffic it keeps and, when it is short, how short.
  uint64_t before = 0;  // share taken by the tiers before this one
  for (size_t t = 0; t < view.tiers.size(); ++t) {
    const Tier& tier = view.tiers[t];
    std::string line = absl::StrCat("tier ", t, " (", tier.label, "): ", tier.healthy, " of ", tier.members,
                                    " healthy, ", Percent(LoadShare(tier.load)), " of new flows");
    if (t > 0 && tier.load > 0 && before < kLoadScale) {
      absl::StrAppend(&line, ", spilled from earlier tiers short of healthy capacity");
    }
    before += tier.load;
    out.tiers.push_back(std::move(line));
  }

  for (size_t i = 0; i < endpoints.size(); ++i) {
    const EndpointState& e = endpoints[i];
    const EndpointWeight& w = view.endpoints[i];
    EndpointExplanation x;
    const maglev::EndpointKey key{e.cluster, e.address, e.port};
    x.endpoint = key.ToString();
    x.zone = e.zone;
    x.tier = w.tier;
    if (auto it = slots.find(key); it != slots.end()) {
      x.share = static_cast<double>(it->second) / table.size();
    }
    if (w.weight > 0) {
      const Tier& tier = view.tiers[w.tier];
      x.why = absl::StrCat("tier ", w.tier, " (", tier.label, ") gets ", Percent(LoadShare(tier.load)),
                           "; this endpoint's weight ", e.weight, " of the tier's chosen endpoints");
      if (view.panic && w.exclusion != Exclusion::kNone) {
        absl::StrAppend(&x.why, " (", ExclusionOf(e, w.exclusion), ", used anyway: panic)");
      }
    } else {
      x.why = ExclusionOf(e, w.exclusion);
      if (w.exclusion == Exclusion::kNone) x.why = "no traffic";
    }
    out.endpoints.push_back(std::move(x));
  }

  if (table.empty()) {
    out.summary = "no backend: new flows to this service are dropped and counted";
  } else if (view.panic) {
    out.summary = absl::StrFormat(
        "panic: fewer than %.0f%% of the eligible endpoints are healthy, so the tiers that get traffic "
        "spread it over all their endpoints",
        100 * policy.panic_threshold);
  }
  if (view.terminating_fallback && !table.empty()) {
    absl::StrAppend(&out.summary, out.summary.empty() ? "" : "; ",
                    "no endpoint is ready: serving terminating endpoints are used");
  }
  return out;
}

std::string FormatExplanation(const Explanation& e) {
  std::string out = absl::StrCat("service ", e.service, ", clients in zone ", e.client_zone, "\n");
  for (const std::string& t : e.tiers) absl::StrAppend(&out, "  ", t, "\n");
  if (!e.summary.empty()) absl::StrAppend(&out, "  ", e.summary, "\n");
  size_t width = 8;
  for (const auto& x : e.endpoints) width = std::max(width, x.endpoint.size());
  absl::StrAppend(&out, absl::StrFormat("%-*s  %-12s  %4s  %7s  %s\n", width, "ENDPOINT", "ZONE", "TIER", "SHARE", "WHY"));
  for (const auto& x : e.endpoints) {
    absl::StrAppend(&out, absl::StrFormat("%-*s  %-12s  %4s  %7s  %s\n", width, x.endpoint, x.zone,
                                          x.tier >= 0 ? absl::StrCat(x.tier) : "-", Percent(x.share), x.why));
  }
  return out;
}

}  // namespace causeway::topology
