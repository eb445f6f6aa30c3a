#include "controlplane/ctl/maglev_command.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <ostream>
#include <vector>

#include "absl/strings/str_format.h"
#include "controlplane/maglev/maglev_table.h"
#include "controlplane/maglev/table_stats.h"

namespace causeway::ctl {
namespace {

std::vector<maglev::WeightedEndpoint> SyntheticEndpoints(uint32_t n) {
  std::vector<maglev::WeightedEndpoint> v;
  v.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    // 10.244.0.0/16 pod addresses, as an island cluster would have them.
    v.push_back({{"cluster", net::IpAddress::V4((10u << 24) | (244u << 16) | (i + 1)), 8080}, 1});
  }
  return v;
}

}  // namespace

int RunMaglevAnalysis(const MaglevAnalysisOptions& options, std::ostream& out, std::ostream& err) {
  if (options.endpoints == 0 || options.endpoints > maglev::kMaxEndpoints) {
    err << "causewayctl maglev: --endpoints must be 1.." << maglev::kMaxEndpoints << "\n";
    return 2;
  }
  const uint64_t m = options.table_size != 0 ? options.table_size
                                              : maglev::AutomaticTableSize(options.endpoints);
  if (absl::Status s = maglev::ValidateTableSize(m); !s.ok()) {
    err << "causewayctl maglev: " << s.message() << "\n";
    return 2;
  }
  const auto endpoints = SyntheticEndpoints(options.endpoints);

  // Best of a few builds: the first one pays for page faults.
  double best_ms = 1e300;
  absl::StatusOr<maglev::MaglevTable> table;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    table = maglev::BuildMaglevTable(endpoints, static_cast<uint32_t>(m));
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    best_ms = std::min(best_ms, took.count());
  }
  if (!table.ok()) {
    err << "causewayctl maglev: " << table.status().message() << "\n";
    return 2;
  }
  auto fewer = endpoints;
  fewer.erase(fewer.begin() + static_cast<ptrdiff_t>(fewer.size() / 2));
  const auto after = maglev::BuildMaglevTable(fewer, static_cast<uint32_t>(m));
  if (!after.ok()) {
    err << "causewayctl maglev: " << after.status().message() << "\n";
    return 2;
  }
  const double max_over_mean = maglev::MaxOverMean(*table);
  const double moved = maglev::MovedFraction(*table, *after);
  const double floor = 1.0 / options.endpoints;

  if (options.output == "json") {
    out << absl::StrFormat(
        "{\"endpoints\":%u,\"table_size\":%u,\"build_ms\":%.4f,\"max_over_mean\":%.6f,"
        "\"moved_fraction\":%.6f,\"moved_floor\":%.6f,\"table_bytes\":%u}\n",
        options.endpoints, m, best_ms, max_over_mean, moved, floor,
        m * sizeof(maglev::SlotIndex));
    return 0;
  }
  out << absl::StrFormat("endpoints        %u (equal weights)\n", options.endpoints);
  out << absl::StrFormat("table size       %u slots (%u KiB per table)\n", m,
                         m * sizeof(maglev::SlotIndex) / 1024);
  out << absl::StrFormat("build time       %.3f ms\n", best_ms);
  out << absl::StrFormat("max/mean         %.5f  (slots of the fullest endpoint over the mean)\n",
                         max_over_mean);
  out << absl::StrFormat("moved on removal %.3f%%  (one endpoint removed; the floor is %.3f%%)\n",
                         100 * moved, 100 * floor);
  return 0;
}

Command AddMaglevCommand(CLI::App& app) {
  auto o = std::make_shared<MaglevAnalysisOptions>();
  CLI::App* cmd = app.add_subcommand(
      "maglev", "size a Maglev table: build time, balance and disruption (offline)");
  cmd->add_option("--endpoints,-n", o->endpoints, "number of equal-weight endpoints")->required();
  cmd->add_option("--table-size,-m", o->table_size,
                  "table size, a prime (default: smallest listed prime >= 100 x endpoints)");
  cmd->add_option("--output,-o", o->output, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  return {cmd, [o](std::ostream& out, std::ostream& err) { return RunMaglevAnalysis(*o, out, err); }};
}

}  // namespace causeway::ctl
