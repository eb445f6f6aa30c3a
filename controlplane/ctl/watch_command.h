// `causewayctl watch`: every change causewayd accepts, as it happens.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_WATCH_COMMAND_H_
#define CAUSEWAY_CONTROLPLANE_CTL_WATCH_COMMAND_H_

#include <iosfwd>

#include "causeway/v1/api.pb.h"
#include "controlplane/ctl/command.h"
#include "controlplane/ctl/output.h"

namespace causeway::ctl {

// One event: a line for kTable and kJson (JSON lines, so a pipe can read them one by one), a YAML
// document for kYaml.
void PrintWatchEvent(const v1::WatchEvent& event, Format format, std::ostream& out);

Command AddWatchCommand(CLI::App& app, const ClientOptions& client);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_WATCH_COMMAND_H_
