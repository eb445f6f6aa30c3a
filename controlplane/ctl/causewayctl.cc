// causewayctl: the operator's command line for causeway.
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "controlplane/ctl/apply_command.h"
#include "controlplane/ctl/client.h"
#include "controlplane/ctl/costs_command.h"
#include "controlplane/ctl/exit_codes.h"
#include "controlplane/ctl/explain_command.h"
#include "controlplane/ctl/get_command.h"
#include "controlplane/ctl/maglev_command.h"
#include "controlplane/ctl/stats_command.h"
#include "controlplane/ctl/watch_command.h"

int main(int argc, char** argv) {
  using namespace causeway::ctl;

  CLI::App app{"causewayctl: drive and inspect a causeway gateway"};
  app.require_subcommand(1);
  // Global flags may come after the command too: `causewayctl get services --server ...`.
  app.fallthrough();

  ClientOptions client;
  client.server = DefaultServer();
  app.add_option("--server", client.server,
                 "causewayd's address: unix:/path or host:port (default: $CAUSEWAY_SERVER, else " +
                     std::string(kDefaultServer) + ")");
  app.add_option("--ca", client.ca, "CA certificate (PEM) of causewayd's certificate; turns TLS on")
      ->check(CLI::ExistingFile);
  app.add_option("--cert", client.cert, "client certificate (PEM), for mutual TLS")
      ->check(CLI::ExistingFile);
  app.add_option("--key", client.key, "client private key (PEM), for mutual TLS")
      ->check(CLI::ExistingFile);
  app.add_option("--server-name", client.server_name,
                 "name to check causewayd's certificate against (default: the --server host)");
  app.add_option("--timeout", client.timeout_seconds, "seconds to wait for an answer")
      ->check(CLI::PositiveNumber);

  const std::vector<Command> commands = {
      AddApplyCommand(app, client),   AddGetCommand(app, client),  AddExplainCommand(app, client),
      AddStatsCommand(app, client),   AddCostsCommand(app, client), AddWatchCommand(app, client),
      AddMaglevCommand(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a ParseError with exit code 0; everything else is a usage error.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run(std::cout, std::cerr);
  }
  return kExitUsage;
}
