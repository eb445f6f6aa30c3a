// `causewayctl maglev`: sizes a Maglev table for an operator, offline (no gateway needed).
#ifndef CAUSEWAY_CONTROLPLANE_CTL_MAGLEV_COMMAND_H_
#define CAUSEWAY_CONTROLPLANE_CTL_MAGLEV_COMMAND_H_

#include <cstdint>
#include <iosfwd>
#include <string>

#include "controlplane/ctl/command.h"

namespace causeway::ctl {

struct MaglevAnalysisOptions {
  uint32_t endpoints = 0;
  // 0: the automatic size for `endpoints` (the paper's 100·N rule).
  uint64_t table_size = 0;
  std::string output = "table";  // table | json
};

// Builds the table for `endpoints` equal-weight endpoints and reports the build time, the balance
// (max/mean) and the share of slots that move when one endpoint is removed. Returns the exit code.
int RunMaglevAnalysis(const MaglevAnalysisOptions& options, std::ostream& out, std::ostream& err);

Command AddMaglevCommand(CLI::App& app);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_MAGLEV_COMMAND_H_
