// tools/cli/command.hpp — how a subcommand of `lockstep` plugs into main().
//
// Each command lives in its own <name>_command.cpp and exposes one function that declares the
// subcommand (its options bound to state the function owns) and returns how to run it:
//
//   Command add_validate_command(CLI::App& app) {
//     auto options = std::make_shared<ValidateOptions>();
//     CLI::App* command = app.add_subcommand("validate", "Checks a pipeline; runs nothing");
//     command->add_option("PIPELINE", options->pipeline)->required();
//     return {command, [options] { return validate(*options); }};
//   }
//
// main() parses the command line, then runs the command that was chosen; the returned int is the
// exit status (lockstep/pipeline/exit_codes.hpp). A command reports user mistakes as diagnostics on stderr
// and returns kExitError; anything it throws is printed by main() and also ends with kExitError.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace lockstep::cli {

struct Command {
  CLI::App* app = nullptr;     // the subcommand, owned by the main App
  std::function<int()> run{};  // called after a successful parse when `app` was chosen
};

// One per command, in the order `lockstep --help` lists them.
Command add_run_command(CLI::App& app);
Command add_validate_command(CLI::App& app);
Command add_graph_command(CLI::App& app);
Command add_plugins_command(CLI::App& app);
Command add_runs_command(CLI::App& app);
Command add_show_command(CLI::App& app);
Command add_report_command(CLI::App& app);

}  // namespace lockstep::cli
