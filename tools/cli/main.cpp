// The `lockstep` command: parses the command line and runs one command (one file each, see
// command.hpp). Exit status as in lockstep/pipeline/exit_codes.hpp: 0 ok, 1 failures, 2 usage,
// configuration or plugin error (nothing ran), 130 interrupted.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "command.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "usage.hpp"

namespace {

int run(const lockstep::cli::Command& command) {
  const std::string who = "lockstep " + command.app->get_name();
  try {
    return command.run();
  } catch (const std::exception& e) {
    std::cerr << who << ": error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << who << ": error: unknown exception\n";
  }
  return lockstep::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs YAML pipelines of plugin jobs, stage by stage, on bounded bulkheads.",
               "lockstep"};
  lockstep::cli::configure_app(app);
  const std::vector<lockstep::cli::Command> commands = {
      lockstep::cli::add_run_command(app),
      lockstep::cli::add_validate_command(app),
      lockstep::cli::add_graph_command(app),
      lockstep::cli::add_plugins_command(app),
  };
  for (const auto& command : commands) command.app->group("Commands");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return lockstep::cli::report_parse_error(app, error);
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return run(command);
  }
  std::cerr << app.help() << "lockstep: error: no command given\n";
  return lockstep::kExitError;
}
