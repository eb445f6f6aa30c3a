// `causewayctl apply -f FILE`: pushes a config file to causewayd.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_APPLY_COMMAND_H_
#define CAUSEWAY_CONTROLPLANE_CTL_APPLY_COMMAND_H_

#include <string>

#include "causeway/v1/api.pb.h"
#include "controlplane/ctl/command.h"

namespace causeway::ctl {

inline constexpr char kPushSource[] = "causewayctl";

// kubectl-apply semantics: a delta that upserts everything the file lists (and replaces the gateway
// settings when the file has them), leaving the rest of the state alone. `replace`: the file is the
// whole new state (a snapshot).
v1::PushRequest BuildApplyRequest(const v1::State& state, bool replace,
                                  const std::string& version_info);

Command AddApplyCommand(CLI::App& app, const ClientOptions& client);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_APPLY_COMMAND_H_
