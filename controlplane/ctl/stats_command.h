// `causewayctl stats`: causewayd's counters.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_STATS_COMMAND_H_
#define CAUSEWAY_CONTROLPLANE_CTL_STATS_COMMAND_H_

#include "controlplane/ctl/command.h"

namespace causeway::ctl {

Command AddStatsCommand(CLI::App& app, const ClientOptions& client);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_STATS_COMMAND_H_
