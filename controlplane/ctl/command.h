// What every causewayctl subcommand hands to main: its CLI11 node and how to run it once parsed.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_COMMAND_H_
#define CAUSEWAY_CONTROLPLANE_CTL_COMMAND_H_

#include <functional>
#include <iosfwd>

#include <CLI/CLI.hpp>

#include "controlplane/ctl/client.h"

namespace causeway::ctl {

struct Command {
  CLI::App* app = nullptr;
  // Returns the exit code (exit_codes.h).
  std::function<int(std::ostream& out, std::ostream& err)> run;
};

// Connects with `options` (exit 2 with the reason when the flags are wrong) and runs `body`.
int WithClient(const ClientOptions& options, std::ostream& err,
               const std::function<int(Client&)>& body);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_COMMAND_H_
