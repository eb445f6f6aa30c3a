#include "controlplane/ctl/costs_command.h"

#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controlplane/ctl/exit_codes.h"
#include "controlplane/ctl/output.h"

namespace causeway::ctl {
namespace {

std::string Money(double amount) { return absl::StrFormat("%.4f", amount); }

std::string PriceClass(v1::CostsResponse::PriceClass pc) {
  switch (pc) {
    case v1::CostsResponse::SAME_ZONE:
      return "same zone";
    case v1::CostsResponse::INTER_ZONE:
      return "inter-zone";
    case v1::CostsResponse::INTER_REGION:
      return "inter-region";
    default:
      return "?";
  }
}

void PrintAggregates(const char* what, const google::protobuf::RepeatedPtrField<v1::CostsResponse::Aggregate>& rows,
                     const std::string& currency, std::ostream& out) {
  Table table({what, "PACKETS", "BYTES", "COST " + currency, "MONTHLY " + currency});
  for (const v1::CostsResponse::Aggregate& a : rows) {
    table.AddRow({absl::StrCat(a.from(), " -> ", a.to()), absl::StrCat(a.traffic().packets()),
                  absl::StrCat(a.traffic().bytes()), Money(a.traffic().cost()), Money(a.traffic().monthly_cost())});
  }
  table.Print(out);
}

}  // namespace

void PrintCosts(const v1::CostsResponse& c, std::ostream& out) {
  out << absl::StrFormat("prices: inter-zone %g %s/GB, inter-region %g %s/GB, each direction; same zone free\n",
                         c.inter_zone_per_gb(), c.currency(), c.inter_region_per_gb(), c.currency());
  out << absl::StrFormat("clients: cluster %s, region %s; counted for %.0f s\n", c.gateway_cluster(),
                         c.gateway_region().empty() ? "(none)" : c.gateway_region(), c.seconds());
  if (!c.dataplane()) out << "no dataplane: causewayd runs without one, nothing is counted\n";
  out << "\n";
  Table zones({"CLIENT ZONE", "BACKEND ZONE", "CLUSTER", "REGION", "PRICE", "PACKETS", "BYTES", "TO BACKEND",
               "TO CLIENT", "COST " + c.currency(), "MONTHLY " + c.currency()});
  for (const v1::CostsResponse::ZoneRow& r : c.zones()) {
    const v1::CostLine& t = r.traffic();
    zones.AddRow({r.client_zone(), r.backend_zone(), r.backend_cluster(), r.backend_region(), PriceClass(r.price_class()),
                  absl::StrCat(t.packets()), absl::StrCat(t.bytes()), absl::StrCat(t.bytes_to_backend()),
                  absl::StrCat(t.bytes_to_client()), Money(t.cost()), Money(t.monthly_cost())});
  }
  zones.Print(out);
  out << "\n";
  PrintAggregates("CLUSTERS", c.clusters(), c.currency(), out);
  out << "\n";
  PrintAggregates("REGIONS", c.regions(), c.currency(), out);
  out << "\n";
  out << absl::StrFormat("total: %d packets, %d bytes, cost so far %s %s, estimated %s %s/month\n", c.total().packets(),
                         c.total().bytes(), Money(c.total().cost()), c.currency(), Money(c.total().monthly_cost()),
                         c.currency());
  out << "estimate: " << c.estimate() << "\n";
}

Command AddCostsCommand(CLI::App& app, const ClientOptions& client) {
  auto format = std::make_shared<Format>(Format::kTable);
  auto top = std::make_shared<uint32_t>(0);
  CLI::App* cmd = app.add_subcommand(
      "costs", "cross-zone traffic by client zone -> backend zone, cluster and region, priced, with a monthly estimate");
  AddOutputOption(*cmd, *format);
  cmd->add_option("--top", *top, "show only this many zone rows, the top talkers (default: all)");
  return {cmd, [format, top, &client](std::ostream& out, std::ostream& err) {
            return WithClient(client, err, [&](Client& c) {
              v1::CostsRequest request;
              request.set_top(*top);
              v1::CostsResponse response;
              const grpc::Status status = c.stub().GetCosts(c.UnaryContext().get(), request, &response);
              if (!status.ok()) return c.ReportFailure(status, "costs", err);
              PrintAs(response, *format, out, &PrintCosts);
              return kExitOk;
            });
          }};
}

}  // namespace causeway::ctl
