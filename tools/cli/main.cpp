// The `lockstep` command: parses the command line and runs one command (one file each, see
// command.hpp). Exit status as in lockstep/pipeline/exit_codes.hpp: 0 ok, 1 failures, 2 usage,
// configuration or plugin error (nothing ran), 130 interrupted.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

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

// A reader that goes away (`lockstep run ... | head`) or a closed stderr ends the printing, never
// the run: write(2) then fails with EPIPE or EBADF instead of killing us. A closed 0, 1 or 2 is
// given /dev/null, so that no file we open later takes its number and receives what we print.
void keep_running_without_readers() {
  ::signal(SIGPIPE, SIG_IGN);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (::fcntl(fd, F_GETFD) < 0) {
      const int null = ::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
      if (null >= 0 && null != fd) {
        ::dup2(null, fd);
        ::close(null);
      }
    }
  }
}

int main(int argc, char** argv) {
  keep_running_without_readers();
  CLI::App app{"Runs YAML pipelines of plugin jobs, stage by stage, on bounded bulkheads.",
               "lockstep"};
  lockstep::cli::configure_app(app);
  const std::vector<lockstep::cli::Command> commands = {
      lockstep::cli::add_run_command(app),
      lockstep::cli::add_validate_command(app),
      lockstep::cli::add_graph_command(app),
      lockstep::cli::add_plugins_command(app),
      lockstep::cli::add_runs_command(app),
      lockstep::cli::add_show_command(app),
      lockstep::cli::add_report_command(app),
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
