#include "dataplane/neighbor_resolver.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dataplane/neighbor_frames.h"
#include "dataplane/neighbor_report.h"

namespace causeway::dataplane {
namespace {

constexpr unsigned kReportRingSize = 1024;  // reports between two ticks; more are counted lost
constexpr unsigned kTxRingSize = 512;       // requests between two rounds of the draining worker
constexpr unsigned kPoolSize = 1023;
constexpr uint16_t kFrameRoom = 128;        // an NS is 86 bytes, an ARP request 60

std::string FormatMac(const rte_ether_addr& mac) {
  char text[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(text, sizeof text, &mac);
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NeighborResolver>> NeighborResolver::Create(SnapshotStore* store,
                                                                           std::vector<Port> ports,
                                                                           NeighborTimings timings) {
  static std::atomic<uint32_t> next{0};
  const std::string suffix = std::to_string(next.fetch_add(1));
  std::unique_ptr<NeighborResolver> r(new NeighborResolver(store, std::move(ports), timings, rte_rand()));
  r->reports_ = rte_ring_create_elem(("cw_nbr_rep_" + suffix).c_str(), sizeof(NeighborReport), kReportRingSize,
                                     SOCKET_ID_ANY, RING_F_SC_DEQ);
  r->tx_ = rte_ring_create(("cw_nbr_tx_" + suffix).c_str(), kTxRingSize, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  r->pool_ = rte_pktmbuf_pool_create(("cw_nbr_mb_" + suffix).c_str(), kPoolSize, 0, 0,
                                     RTE_PKTMBUF_HEADROOM + kFrameRoom, SOCKET_ID_ANY);
  if (r->reports_ == nullptr || r->tx_ == nullptr || r->pool_ == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("neighbour resolver rings/pool: ", rte_strerror(rte_errno)));
  }
  return r;
}

NeighborResolver::~NeighborResolver() {
  if (tx_ != nullptr) {
    void* m;
    while (rte_ring_dequeue(tx_, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(tx_);
  }
  if (reports_ != nullptr) rte_ring_free(reports_);
  if (pool_ != nullptr) rte_mempool_free(pool_);
}

void NeighborResolver::Tick(uint64_t now_ms) {
  std::vector<NeighborTable::Probe> due;
  std::vector<std::pair<net::IpAddress, rte_ether_addr>> learned;
  bool dropped_mac = false, republish = false;
  const size_t budget = ProbeBudget();
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<NeighborWant> wants;
    if (store_->NeighborWants(&wants_generation_, &wants)) dropped_mac = table_.SetWanted(wants, now_ms);

    NeighborReport reports[64];
    for (int round = 0; round < 16; ++round) {
      const unsigned n = rte_ring_sc_dequeue_burst_elem(reports_, reports, sizeof(NeighborReport), 64, nullptr);
      for (unsigned i = 0; i < n; ++i) {
        NeighborWant w;
        w.address = reports[i].address;
        w.ipv6 = reports[i].ipv6 != 0;
        const net::IpAddress address = WantAddress(w);
        const bool confirm_only = reports[i].confirm_only != 0;
        const NeighborTable::Outcome outcome = confirm_only ? table_.Confirm(address, reports[i].mac, now_ms)
                                                            : table_.Learn(address, reports[i].mac, now_ms);
        switch (outcome) {
          case NeighborTable::Outcome::kIgnored:
            counters_.reports_ignored.fetch_add(1, std::memory_order_relaxed);
            continue;
          case NeighborTable::Outcome::kLocked:
            counters_.changes_locked.fetch_add(1, std::memory_order_relaxed);
            continue;
          case NeighborTable::Outcome::kConfirmed:
            if (confirm_only) counters_.confirmations.fetch_add(1, std::memory_order_relaxed);
            break;
          case NeighborTable::Outcome::kLearned:
            republish_due_ = republish_urgent_ = true;
            break;
          case NeighborTable::Outcome::kReplaced:
            counters_.macs_changed.fetch_add(1, std::memory_order_relaxed);
            republish_due_ = true;
            break;
        }
        counters_.replies_learned.fetch_add(1, std::memory_order_relaxed);
      }
      if (n < 64) break;
    }

    const uint32_t forgotten = table_.Age(now_ms);
    counters_.forgotten.fetch_add(forgotten, std::memory_order_relaxed);
    republish_due_ |= forgotten > 0;
    due = table_.Due(now_ms, budget);
    // Each republish compiles the whole tables: a next hop waiting for its first MAC gets it at
    // once, other changes (a MAC replaced or forgotten) wait for the interval, failures back off.
    const bool interval_over = !republished_once_ || now_ms - last_republish_ms_ >= kRepublishIntervalMs;
    republish = republish_due_ && now_ms >= retry_at_ms_ && (republish_urgent_ || interval_over);
    if (republish || dropped_mac) learned = table_.Learned();
  }
  for (const NeighborTable::Probe& p : due) Send(p);
  if (republish) {
    // Compiling the tables again takes a while: not under mu_ (telemetry waits on it).
    const bool ok = store_->SetLearnedNeighbors(std::move(learned)).ok();
    last_republish_ms_ = now_ms;
    republished_once_ = true;
    if (ok) {
      republish_due_ = republish_urgent_ = false;
      retry_backoff_ms_ = kRepublishIntervalMs;
    } else {
      counters_.republish_failed.fetch_add(1, std::memory_order_relaxed);
      retry_at_ms_ = now_ms + retry_backoff_ms_;
      retry_backoff_ms_ = std::min<uint64_t>(retry_backoff_ms_ * 2, kRepublishRetryMaxMs);
    }
  } else if (dropped_mac) {
    // A next hop left the tables with its MAC: the store must forget that MAC too, or the next hop
    // would come back with it (an address reused) while the table here says unresolved.
    if (!store_->ForgetLearnedNeighbors(std::move(learned), wants_generation_).ok()) republish_due_ = true;
  }
}

size_t NeighborResolver::ProbeBudget() const {
  if (ports_.empty()) return SIZE_MAX;
  const size_t room = std::min<size_t>(rte_ring_free_count(tx_), rte_mempool_avail_count(pool_));
  return room / ports_.size();
}

void NeighborResolver::Send(const NeighborTable::Probe& probe) {
  const rte_ether_addr* unicast = probe.unicast ? &*probe.unicast : nullptr;
  for (const Port& port : ports_) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    const bool built = m != nullptr && (probe.want.ipv6 ? BuildNeighborSolicit(m, port.mac, probe.want.source.data(),
                                                                               probe.want.address.data(), unicast)
                                                        : BuildArpRequest(m, port.mac, probe.want.source.data(),
                                                                          probe.want.address.data(), unicast));
    if (built) m->port = port.id;
    if (!built || rte_ring_sp_enqueue(tx_, m) != 0) {
      rte_pktmbuf_free(m);  // null-safe
      counters_.requests_lost.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    counters_.requests_sent.fetch_add(1, std::memory_order_relaxed);
  }
}

NeighborStats NeighborResolver::stats() const {
  NeighborStats s;
#define CAUSEWAY_NEIGHBOR_STAT_LOAD(name, meaning) s.name = counters_.name.load(std::memory_order_relaxed);
  CAUSEWAY_NEIGHBOR_STATS(CAUSEWAY_NEIGHBOR_STAT_LOAD)
#undef CAUSEWAY_NEIGHBOR_STAT_LOAD
  return s;
}

std::vector<NeighborView> NeighborResolver::View(uint64_t now_ms) const {
  std::vector<NeighborView> out;
  for (const auto& [address, mac] : store_->settings().neighbors) {
    out.push_back({address.ToString(), FormatMac(mac), "static", -1});
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const NeighborTable::Entry& e : table_.entries()) {
    NeighborView v{WantAddress(e.want).ToString(), "", "unresolved", -1};
    if (e.has_mac) {
      v.mac = FormatMac(e.mac);
      v.state = e.probes == 0 ? "reachable" : "probing";
      v.confirmed_ago_ms = static_cast<int64_t>(now_ms - e.confirmed_ms);
    } else if (!e.want.has_source) {
      v.state = "unresolved (no gateway address of its family)";
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace causeway::dataplane
