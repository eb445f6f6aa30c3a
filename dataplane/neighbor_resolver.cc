#include "dataplane/neighbor_resolver.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
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
  std::unique_ptr<NeighborResolver> r(new NeighborResolver(store, std::move(ports), timings));
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
  bool changed = false;
  std::vector<NeighborTable::Probe> due;
  std::vector<std::pair<net::IpAddress, rte_ether_addr>> learned;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<NeighborWant> wants;
    if (store_->NeighborWants(&wants_generation_, &wants)) table_.SetWanted(wants, now_ms);

    NeighborReport reports[64];
    for (int round = 0; round < 16; ++round) {
      const unsigned n = rte_ring_sc_dequeue_burst_elem(reports_, reports, sizeof(NeighborReport), 64, nullptr);
      for (unsigned i = 0; i < n; ++i) {
        NeighborWant w;
        w.address = reports[i].address;
        w.ipv6 = reports[i].ipv6 != 0;
        bool ignored = false, replaced = false;
        changed |= table_.Learn(WantAddress(w), reports[i].mac, now_ms, &ignored, &replaced);
        (ignored ? counters_.reports_ignored : counters_.replies_learned).fetch_add(1, std::memory_order_relaxed);
        if (replaced) counters_.macs_changed.fetch_add(1, std::memory_order_relaxed);
      }
      if (n < 64) break;
    }

    uint32_t forgotten = 0;
    due = table_.Due(now_ms, &forgotten);
    counters_.forgotten.fetch_add(forgotten, std::memory_order_relaxed);
    // A republish that failed (memory for the tables) is tried again every round.
    republish_due_ |= changed || forgotten > 0;
    if (republish_due_) learned = table_.Learned();
  }
  for (const NeighborTable::Probe& p : due) Send(p);
  if (!republish_due_) return;
  // Compiling the tables again takes a while: not under mu_ (telemetry waits on it).
  republish_due_ = !store_->SetLearnedNeighbors(std::move(learned)).ok();
  if (republish_due_) counters_.republish_failed.fetch_add(1, std::memory_order_relaxed);
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
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return NeighborStats{get(counters_.requests_sent),   get(counters_.requests_lost), get(counters_.replies_learned),
                       get(counters_.macs_changed),    get(counters_.forgotten),     get(counters_.reports_ignored),
                       get(counters_.republish_failed)};
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
