#include "controlplane/partition/leases.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "controlplane/partition/hold_down.h"

namespace causeway::partition {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

std::string Seconds(absl::Duration d) { return absl::FormatDuration(absl::Floor(d, absl::Milliseconds(100))); }

}  // namespace

const Clock* Clock::Real() {
  static const RealClock clock;
  return &clock;
}

absl::Duration HoldDownOf(const v1::Cluster& c) {
  return absl::Milliseconds(HoldDownMs(c));
}

bool Leases::Leased(const state::Model& m, const std::string& name, const v1::Cluster& c) {
  return c.lease_ttl_ms() != 0 && !(m.has_gateway && m.gateway.cluster() == name);
}

void Leases::Sync(const state::Model& m, absl::Time now) {
  std::erase_if(leases_, [&](const auto& kv) { return !m.clusters.contains(kv.first); });
  std::erase_if(stale_, [&](const std::string& name) { return !m.clusters.contains(name); });
  for (const auto& [name, c] : m.clusters) {
    auto [it, added] = leases_.try_emplace(name);
    Lease& l = it->second;
    // A lease starts when the cluster is learned, and when it gets a lease it did not have.
    if (added || (l.ttl_ms == 0 && c.lease_ttl_ms() != 0)) {
      l.renewed = now;
      l.state = State::kFresh;
    }
    l.ttl_ms = c.lease_ttl_ms();
  }
}

std::string Leases::Renew(const state::Model& m, const std::string& cluster, absl::Time now) {
  auto it = leases_.find(cluster);
  if (it == leases_.end()) return "";
  Lease& l = it->second;
  l.renewed = std::max(l.renewed, now);
  if (l.state != State::kStale) return "";
  l.state = State::kHoldingDown;
  l.recovering = now;
  auto c = m.clusters.find(cluster);
  const absl::Duration hold = c == m.clusters.end() ? absl::ZeroDuration() : HoldDownOf(c->second);
  return absl::StrCat(cluster, " renewed after ", Seconds(now - l.lapsed), " stale: holding down for ", Seconds(hold));
}

std::vector<std::string> Leases::Evaluate(const state::Model& m, absl::Time now, bool* stale_changed) {
  std::vector<std::string> events;
  for (const auto& [name, c] : m.clusters) {
    auto it = leases_.find(name);
    if (it == leases_.end()) continue;  // not synced yet
    Lease& l = it->second;
    if (!Leased(m, name, c)) {
      if (l.state != State::kFresh) events.push_back(absl::StrCat(name, " fresh (no lease any more)"));
      l.state = State::kFresh;
      continue;
    }
    const absl::Duration ttl = absl::Milliseconds(c.lease_ttl_ms());
    const absl::Duration hold = HoldDownOf(c);
    if (l.state == State::kHoldingDown) {
      const absl::Time recover_at = l.recovering + hold;
      const absl::Time lapse_at = l.renewed + ttl;
      if (recover_at <= lapse_at && now >= recover_at) {
        l.state = State::kFresh;
        events.push_back(absl::StrCat(name, " fresh again (renewed for ", Seconds(hold), ", the hold-down)"));
      } else if (now >= lapse_at) {
        l.state = State::kStale;
        l.lapsed = lapse_at;
        events.push_back(absl::StrCat(name, " stale again during its hold-down (no renewal for ",
                                      Seconds(now - l.renewed), ")"));
      }
    }
    if (l.state == State::kFresh && now >= l.renewed + ttl) {
      l.state = State::kStale;
      l.lapsed = l.renewed + ttl;
      events.push_back(absl::StrCat(name, " stale (no renewal for ", Seconds(now - l.renewed), ", TTL ", Seconds(ttl), ")"));
    }
  }
  std::set<std::string> stale;
  for (const auto& [name, l] : leases_) {
    if (l.state != State::kFresh) stale.insert(name);
  }
  if (stale_changed != nullptr) *stale_changed = stale != stale_;
  stale_ = std::move(stale);
  return events;
}

absl::Time Leases::NextDeadline(const state::Model& m) const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [name, c] : m.clusters) {
    auto it = leases_.find(name);
    if (it == leases_.end() || !Leased(m, name, c)) continue;
    const Lease& l = it->second;
    const absl::Time lapse_at = l.renewed + absl::Milliseconds(c.lease_ttl_ms());
    if (l.state == State::kFresh) next = std::min(next, lapse_at);
    if (l.state == State::kHoldingDown) next = std::min({next, lapse_at, l.recovering + HoldDownOf(c)});
  }
  return next;
}

LeaseStatus Leases::StatusOf(const state::Model& m, const std::string& cluster, absl::Time now) const {
  LeaseStatus s;
  auto c = m.clusters.find(cluster);
  auto it = leases_.find(cluster);
  if (it != leases_.end()) s.since_renewal = std::max(absl::ZeroDuration(), now - it->second.renewed);
  if (m.has_gateway && m.gateway.cluster() == cluster) {
    s.freshness = Freshness::kLocal;
    return s;
  }
  if (c == m.clusters.end() || c->second.lease_ttl_ms() == 0 || it == leases_.end()) {
    s.freshness = Freshness::kNoLease;
    return s;
  }
  const Lease& l = it->second;
  switch (l.state) {
    case State::kFresh:
      s.freshness = Freshness::kFresh;
      break;
    case State::kStale:
      s.freshness = Freshness::kStale;
      s.stale_for = std::max(absl::ZeroDuration(), now - l.lapsed);
      break;
    case State::kHoldingDown:
      s.freshness = Freshness::kHoldingDown;
      s.stale_for = std::max(absl::ZeroDuration(), now - l.lapsed);
      s.hold_down_left = std::max(absl::ZeroDuration(), l.recovering + HoldDownOf(c->second) - now);
      break;
  }
  return s;
}

}  // namespace causeway::partition
