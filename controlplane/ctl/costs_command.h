// `causewayctl costs`: cross-zone traffic and what it costs, top talkers first.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_COSTS_COMMAND_H_
#define CAUSEWAY_CONTROLPLANE_CTL_COSTS_COMMAND_H_

#include <iosfwd>

#include "causeway/v1/api.pb.h"
#include "controlplane/ctl/command.h"

namespace causeway::ctl {

Command AddCostsCommand(CLI::App& app, const ClientOptions& client);

// The table form (exposed for tests).
void PrintCosts(const v1::CostsResponse& costs, std::ostream& out);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_COSTS_COMMAND_H_
