#include "controlplane/ctl/explain_command.h"

#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "causeway/v1/api.pb.h"
#include "controlplane/ctl/exit_codes.h"
#include "controlplane/ctl/output.h"

namespace causeway::ctl {
namespace {

struct ExplainOptions {
  std::string service;
  std::string zone;
  Format format = Format::kTable;
};

// causewayd formats the explanation itself (ExplainResponse.text, the weighting's own layout); this
// table is for a server that leaves it empty.
void PrintExplanation(const v1::ExplainResponse& r, std::ostream& out) {
  if (!r.text().empty()) {
    out << r.text();
    if (r.text().back() != '\n') out << "\n";
    return;
  }
  out << "service " << r.service() << ", client zone " << (r.zone().empty() ? "(gateway's)" : r.zone())
      << "\n";
  for (int i = 0; i < r.tiers_size(); ++i) out << "tier " << i << ": " << r.tiers(i) << "\n";
  Table table({"ENDPOINT", "ZONE", "TIER", "SHARE", "WHY"});
  for (const auto& e : r.endpoints()) {
    table.AddRow({e.endpoint(), e.zone().empty() ? "-" : e.zone(),
                  e.tier() < 0 ? "-" : absl::StrCat(e.tier()),
                  absl::StrFormat("%.2f%%", 100 * e.share()), e.why()});
  }
  table.Print(out);
  if (!r.summary().empty()) out << r.summary() << "\n";
}

int RunExplain(const ExplainOptions& o, const ClientOptions& client_options, std::ostream& out,
               std::ostream& err) {
  return WithClient(client_options, err, [&](Client& client) {
    v1::ExplainRequest request;
    request.set_service(o.service);
    request.set_zone(o.zone);
    v1::ExplainResponse response;
    const grpc::Status status =
        client.stub().Explain(client.UnaryContext().get(), request, &response);
    if (!status.ok()) return client.ReportFailure(status, absl::StrCat("explain ", o.service), err);
    PrintAs(response, o.format, out, &PrintExplanation);
    return kExitOk;
  });
}

}  // namespace

Command AddExplainCommand(CLI::App& app, const ClientOptions& client) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "each endpoint's tier, share of new flows and why, for one service");
  cmd->add_option("service", o->service, "namespace/name")->required();
  cmd->add_option("--zone", o->zone, "the client zone (default: the gateway's own)");
  AddOutputOption(*cmd, o->format);
  return {cmd, [o, &client](std::ostream& out, std::ostream& err) {
            return RunExplain(*o, client, out, err);
          }};
}

}  // namespace causeway::ctl
