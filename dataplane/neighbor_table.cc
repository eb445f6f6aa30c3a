#include "dataplane/neighbor_table.h"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace causeway::dataplane {

namespace {

bool ByAddress(const NeighborTable::Entry& e, const std::pair<std::array<uint8_t, 16>, bool>& key) {
  return std::tie(e.want.address, e.want.ipv6) < std::tie(key.first, key.second);
}

}  // namespace

net::IpAddress WantAddress(const NeighborWant& w) {
  if (w.ipv6) return net::IpAddress::V6(w.address);
  uint32_t be;
  std::memcpy(&be, w.address.data(), 4);
  return net::IpAddress::V4(__builtin_bswap32(be));
}

bool NeighborTable::SetWanted(const std::vector<NeighborWant>& wants, uint64_t now_ms) {
  std::vector<Entry> next;
  next.reserve(wants.size());
  size_t kept_with_mac = 0;
  for (const NeighborWant& w : wants) {
    const auto key = std::make_pair(w.address, w.ipv6);
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key, ByAddress);
    Entry e;
    if (it != entries_.end() && it->want.address == w.address && it->want.ipv6 == w.ipv6) {
      e = *it;
      kept_with_mac += e.has_mac ? 1 : 0;
    } else {
      e.next_probe_ms = now_ms;
      e.backoff_ms = timings_.retry_first_ms;
    }
    e.want = w;  // the source may have changed
    next.push_back(e);
  }
  const size_t had_mac = static_cast<size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.has_mac; }));
  entries_ = std::move(next);
  if (cursor_ >= entries_.size()) cursor_ = 0;
  return kept_with_mac < had_mac;
}

NeighborTable::Entry* NeighborTable::Find(const net::IpAddress& address) {
  const auto key = std::make_pair(address.bytes(), !address.is_v4());
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, ByAddress);
  if (it == entries_.end() || it->want.address != key.first || it->want.ipv6 != key.second) return nullptr;
  return &*it;
}

uint64_t NeighborTable::Jitter(uint32_t base_ms, uint32_t pct) {
  if (pct == 0 || base_ms == 0) return base_ms;
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const uint64_t spread = uint64_t{base_ms} * pct / 100;  // base ± spread
  return base_ms - spread + rng_ % (2 * spread + 1);
}

NeighborTable::Outcome NeighborTable::Confirm(const net::IpAddress& address, const rte_ether_addr& mac,
                                              uint64_t now_ms) {
  Entry* e = Find(address);
  if (e == nullptr || !e->has_mac || !rte_is_same_ether_addr(&e->mac, &mac)) return Outcome::kIgnored;
  e->confirmed_ms = now_ms;
  e->probes = 0;
  e->backoff_ms = timings_.retry_first_ms;
  e->next_probe_ms = now_ms + Jitter(timings_.reachable_ms, timings_.reachable_jitter_pct);
  return Outcome::kConfirmed;
}

NeighborTable::Outcome NeighborTable::Learn(const net::IpAddress& address, const rte_ether_addr& mac,
                                            uint64_t now_ms) {
  Entry* e = Find(address);
  if (e == nullptr) return Outcome::kIgnored;
  if (e->has_mac && rte_is_same_ether_addr(&e->mac, &mac)) return Confirm(address, mac, now_ms);
  if (e->has_mac && now_ms - e->updated_ms < timings_.locktime_ms) return Outcome::kLocked;
  const Outcome outcome = e->has_mac ? Outcome::kReplaced : Outcome::kLearned;
  e->has_mac = true;
  e->mac = mac;
  e->updated_ms = now_ms;
  Confirm(address, mac, now_ms);
  return outcome;
}

uint32_t NeighborTable::Age(uint64_t now_ms) {
  uint32_t forgotten = 0;
  for (Entry& e : entries_) {
    if (e.has_mac && now_ms - e.confirmed_ms >= timings_.forget_ms) {
      e.has_mac = false;
      ++forgotten;
    }
  }
  return forgotten;
}

std::vector<NeighborTable::Probe> NeighborTable::Due(uint64_t now_ms, size_t budget) {
  std::vector<Probe> due;
  const size_t n = entries_.size();
  size_t scanned = 0;
  for (; scanned < n && due.size() < budget; ++scanned) {
    Entry& e = entries_[(cursor_ + scanned) % n];
    if (now_ms < e.next_probe_ms || !e.want.has_source) continue;
    Probe p{e.want, std::nullopt};
    if (e.has_mac && e.probes < timings_.unicast_probes) {
      p.unicast = e.mac;
      e.next_probe_ms = now_ms + timings_.probe_interval_ms;
    } else {
      e.next_probe_ms = now_ms + Jitter(e.backoff_ms, timings_.backoff_jitter_pct);
      e.backoff_ms = std::min(e.backoff_ms * 2, timings_.retry_max_ms);
    }
    e.probes++;
    due.push_back(p);
  }
  if (n > 0) cursor_ = (cursor_ + scanned) % n;
  return due;
}

std::vector<std::pair<net::IpAddress, rte_ether_addr>> NeighborTable::Learned() const {
  std::vector<std::pair<net::IpAddress, rte_ether_addr>> out;
  for (const Entry& e : entries_) {
    if (e.has_mac) out.emplace_back(WantAddress(e.want), e.mac);
  }
  return out;
}

}  // namespace causeway::dataplane
