#include "controlplane/server/costs.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_format.h"

namespace causeway::server {
namespace {

void Add(v1::CostLine& line, const snapshot::DataplaneStats::ZonePair& p, double price_per_gb) {
  line.set_packets(line.packets() + p.count.packets);
  line.set_bytes(line.bytes() + p.count.bytes);
  if (p.to_backend) {
    line.set_bytes_to_backend(line.bytes_to_backend() + p.count.bytes);
  } else {
    line.set_bytes_to_client(line.bytes_to_client() + p.count.bytes);
  }
  line.set_cost(line.cost() + static_cast<double>(p.count.bytes) / 1e9 * price_per_gb);
}

void SetMonthly(v1::CostLine& line, double seconds) {
  line.set_monthly_cost(seconds > 0 ? line.cost() / seconds * kSecondsPerMonth : 0);
}

// Most bytes first; ties by key, so the order is the same on every call.
template <typename Row, typename Key>
void SortTopFirst(google::protobuf::RepeatedPtrField<Row>& rows, Key key) {
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (a.traffic().bytes() != b.traffic().bytes()) return a.traffic().bytes() > b.traffic().bytes();
    return key(a) < key(b);
  });
}

}  // namespace

v1::CostsResponse::PriceClass PriceClassOf(const std::string& client_zone, const std::string& backend_zone,
                                           const std::string& backend_region, const std::string& gateway_region) {
  if (!backend_region.empty() && backend_region != gateway_region) return v1::CostsResponse::INTER_REGION;
  if (client_zone.empty() || backend_zone.empty() || client_zone != backend_zone) return v1::CostsResponse::INTER_ZONE;
  return v1::CostsResponse::SAME_ZONE;
}

v1::CostsResponse ComputeCosts(const std::vector<snapshot::DataplaneStats::ZonePair>& pairs, const CostInputs& in) {
  v1::CostsResponse out;
  const v1::CostModel& p = in.prices;
  out.set_currency(p.currency().empty() ? kDefaultCurrency : p.currency());
  out.set_inter_zone_per_gb(p.has_inter_zone_per_gb() ? p.inter_zone_per_gb() : kDefaultInterZonePerGb);
  out.set_inter_region_per_gb(p.has_inter_region_per_gb() ? p.inter_region_per_gb() : kDefaultInterRegionPerGb);
  out.set_gateway_cluster(in.gateway_cluster);
  out.set_gateway_region(in.gateway_region);
  out.set_seconds(in.seconds);

  using ZoneKey = std::tuple<std::string, std::string, std::string, std::string>;  // client zone, zone, cluster, region
  std::map<ZoneKey, v1::CostsResponse::ZoneRow> zones;
  std::map<std::string, v1::CostLine> clusters;
  std::map<std::string, v1::CostLine> regions;
  v1::CostLine total;
  for (const snapshot::DataplaneStats::ZonePair& pair : pairs) {
    const std::string region = pair.backend_region.empty() ? in.gateway_region : pair.backend_region;
    const v1::CostsResponse::PriceClass pc = PriceClassOf(pair.client_zone, pair.backend_zone, region, in.gateway_region);
    const double price = pc == v1::CostsResponse::SAME_ZONE    ? 0
                         : pc == v1::CostsResponse::INTER_ZONE ? out.inter_zone_per_gb()
                                                               : out.inter_region_per_gb();
    v1::CostsResponse::ZoneRow& row = zones[{pair.client_zone, pair.backend_zone, pair.backend_cluster, region}];
    row.set_client_zone(pair.client_zone);
    row.set_backend_zone(pair.backend_zone);
    row.set_backend_cluster(pair.backend_cluster);
    row.set_backend_region(region);
    row.set_price_class(pc);
    Add(*row.mutable_traffic(), pair, price);
    Add(clusters[pair.backend_cluster], pair, price);
    Add(regions[region], pair, price);
    Add(total, pair, price);
  }
  for (auto& [key, row] : zones) {
    SetMonthly(*row.mutable_traffic(), in.seconds);
    *out.add_zones() = std::move(row);
  }
  SortTopFirst(*out.mutable_zones(), [](const v1::CostsResponse::ZoneRow& r) {
    return std::tie(r.client_zone(), r.backend_zone(), r.backend_cluster(), r.backend_region());
  });
  if (in.top > 0 && static_cast<uint32_t>(out.zones_size()) > in.top) {
    out.mutable_zones()->DeleteSubrange(static_cast<int>(in.top), out.zones_size() - static_cast<int>(in.top));
  }
  auto aggregates = [&](std::map<std::string, v1::CostLine>& by, const std::string& from,
                        google::protobuf::RepeatedPtrField<v1::CostsResponse::Aggregate>* rows) {
    for (auto& [to, line] : by) {
      v1::CostsResponse::Aggregate* a = rows->Add();
      a->set_from(from);
      a->set_to(to);
      SetMonthly(line, in.seconds);
      *a->mutable_traffic() = std::move(line);
    }
    SortTopFirst(*rows, [](const v1::CostsResponse::Aggregate& a) { return a.to(); });
  };
  aggregates(clusters, in.gateway_cluster, out.mutable_clusters());
  aggregates(regions, in.gateway_region, out.mutable_regions());
  SetMonthly(total, in.seconds);
  *out.mutable_total() = std::move(total);
  out.set_estimate(absl::StrFormat(
      "monthly = cost counted since causewayd started / %.0f s counted x 30 days (%.0f s): the average rate so "
      "far, assumed to continue; prices per GB (1e9 bytes) in each direction",
      in.seconds, kSecondsPerMonth));
  return out;
}

}  // namespace causeway::server
