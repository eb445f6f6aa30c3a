#include "controlplane/ctl/stats_command.h"

#include <map>
#include <memory>
#include <string>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "causeway/v1/api.pb.h"
#include "controlplane/ctl/exit_codes.h"
#include "controlplane/ctl/output.h"

namespace causeway::ctl {
namespace {

void PrintStats(const v1::StatsResponse& s, std::ostream& out) {
  Table table({"COUNTER", "VALUE"});
  table.AddRow({"version", absl::StrCat(s.version())});
  table.AddRow({"pushes accepted", absl::StrCat(s.pushes_accepted())});
  table.AddRow({"pushes rejected", absl::StrCat(s.pushes_rejected())});
  table.AddRow({"clusters", absl::StrCat(s.clusters())});
  table.AddRow({"services", absl::StrCat(s.services())});
  table.AddRow({"endpoints", absl::StrCat(s.endpoints())});
  table.AddRow({"maglev tables", absl::StrCat(s.tables())});
  table.AddRow({"last compile", absl::StrFormat("%.3f ms", s.last_compile_ms())});
  table.AddRow({"last compiled services", absl::StrCat(s.last_compiled_services())});
  table.AddRow({"maglev tables built", absl::StrCat(s.maglev_tables_built())});
  table.AddRow({"maglev tables copied", absl::StrCat(s.maglev_tables_copied())});
  // Sorted by name (a proto map has no order).
  std::map<std::string, uint64_t> dataplane(s.dataplane_counters().begin(), s.dataplane_counters().end());
  for (const auto& [name, value] : dataplane) table.AddRow({"dataplane " + name, absl::StrCat(value)});
  table.Print(out);
}

}  // namespace

Command AddStatsCommand(CLI::App& app, const ClientOptions& client) {
  auto format = std::make_shared<Format>(Format::kTable);
  CLI::App* cmd = app.add_subcommand("stats", "causewayd's counters: versions, pushes, compile time");
  AddOutputOption(*cmd, *format);
  return {cmd, [format, &client](std::ostream& out, std::ostream& err) {
            return WithClient(client, err, [&](Client& c) {
              v1::StatsResponse response;
              const grpc::Status status =
                  c.stub().GetStats(c.UnaryContext().get(), v1::StatsRequest(), &response);
              if (!status.ok()) return c.ReportFailure(status, "stats", err);
              PrintAs(response, *format, out, &PrintStats);
              return kExitOk;
            });
          }};
}

}  // namespace causeway::ctl
