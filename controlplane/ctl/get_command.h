// `causewayctl get services|endpoints|clusters`: what causewayd holds now.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_GET_COMMAND_H_
#define CAUSEWAY_CONTROLPLANE_CTL_GET_COMMAND_H_

#include <iosfwd>

#include "causeway/v1/api.pb.h"
#include "controlplane/ctl/command.h"

namespace causeway::ctl {

// The tables, one row per item (exposed for tests).
void PrintServicesTable(const v1::ListServicesResponse& response, std::ostream& out);
void PrintEndpointsTable(const v1::ListEndpointsResponse& response, std::ostream& out);
void PrintClustersTable(const v1::ListClustersResponse& response, std::ostream& out);

Command AddGetCommand(CLI::App& app, const ClientOptions& client);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_GET_COMMAND_H_
