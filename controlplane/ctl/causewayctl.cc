// causewayctl: the operator's command line for causeway.
#include <iostream>

#include <CLI/CLI.hpp>

#include "controlplane/ctl/maglev_command.h"

int main(int argc, char** argv) {
  CLI::App app{"causewayctl: drive and inspect a causeway gateway"};
  app.require_subcommand(1);

  causeway::ctl::MaglevAnalysisOptions maglev;
  CLI::App* maglev_cmd =
      app.add_subcommand("maglev", "size a Maglev table: build time, balance and disruption (offline)");
  maglev_cmd->add_option("--endpoints,-n", maglev.endpoints, "number of equal-weight endpoints")->required();
  maglev_cmd->add_option("--table-size,-m", maglev.table_size,
                         "table size, a prime (default: smallest listed prime >= 100 x endpoints)");
  maglev_cmd->add_option("--output,-o", maglev.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}));

  CLI11_PARSE(app, argc, argv);

  if (maglev_cmd->parsed()) return causeway::ctl::RunMaglevAnalysis(maglev, std::cout, std::cerr);
  return 2;
}
