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

void NeighborTable::SetWanted(const std::vector<NeighborWant>& wants, uint64_t now_ms) {
  std::vector<Entry> next;
  next.reserve(wants.size());
  for (const NeighborWant& w : wants) {
    const auto key = std::make_pair(w.address, w.ipv6);
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key, ByAddress);
    Entry e;
    if (it != entries_.end() && it->want.address == w.address && it->want.ipv6 == w.ipv6) {
      e = *it;
    } else {
      e.next_probe_ms = now_ms;
      e.backoff_ms = timings_.retry_first_ms;
    }
    e.want = w;  // the source may have changed
    next.push_back(e);
  }
  entries_ = std::move(next);
}

NeighborTable::Entry* NeighborTable::Find(const net::IpAddress& address) {
  const auto key = std::make_pair(address.bytes(), !address.is_v4());
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, ByAddress);
  if (it == entries_.end() || it->want.address != key.first || it->want.ipv6 != key.second) return nullptr;
  return &*it;
}

bool NeighborTable::Learn(const net::IpAddress& address, const rte_ether_addr& mac, uint64_t now_ms, bool* ignored,
                          bool* replaced) {
  Entry* e = Find(address);
  if (ignored != nullptr) *ignored = e == nullptr;
  if (e == nullptr) return false;
  const bool other_mac = e->has_mac && !rte_is_same_ether_addr(&e->mac, &mac);
  if (replaced != nullptr) *replaced = other_mac;
  const bool changed = !e->has_mac || other_mac;
  e->has_mac = true;
  e->mac = mac;
  e->confirmed_ms = now_ms;
  e->probes = 0;
  e->backoff_ms = timings_.retry_first_ms;
  e->next_probe_ms = now_ms + timings_.reachable_ms;
  return changed;
}

std::vector<NeighborTable::Probe> NeighborTable::Due(uint64_t now_ms, uint32_t* forgotten) {
  std::vector<Probe> due;
  for (Entry& e : entries_) {
    if (e.has_mac && now_ms - e.confirmed_ms >= timings_.forget_ms) {
      e.has_mac = false;
      ++*forgotten;
    }
    if (now_ms < e.next_probe_ms || !e.want.has_source) continue;
    Probe p{e.want, std::nullopt};
    if (e.has_mac && e.probes < timings_.unicast_probes) {
      p.unicast = e.mac;
      e.next_probe_ms = now_ms + timings_.probe_interval_ms;
    } else {
      e.next_probe_ms = now_ms + e.backoff_ms;
      e.backoff_ms = std::min(e.backoff_ms * 2, timings_.retry_max_ms);
    }
    e.probes++;
    due.push_back(p);
  }
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
