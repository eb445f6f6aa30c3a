// `causewayctl explain SERVICE [--zone Z]`: why each endpoint of a service gets its share of new flows.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_EXPLAIN_COMMAND_H_
#define CAUSEWAY_CONTROLPLANE_CTL_EXPLAIN_COMMAND_H_

#include "controlplane/ctl/command.h"

namespace causeway::ctl {

Command AddExplainCommand(CLI::App& app, const ClientOptions& client);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_EXPLAIN_COMMAND_H_
