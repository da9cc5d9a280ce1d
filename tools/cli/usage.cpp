#include "usage.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/runner.hpp"
#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/plugin/manifest.hpp"
#include "lockstep/version.hpp"
#include "mpi_ranks.hpp"

namespace lockstep::cli {

namespace {

// "lockstep" or "lockstep plugins": how the user calls `command`.
std::string command_path(const CLI::App& command) {
  std::string path = command.get_name();
  for (const CLI::App* parent = command.get_parent(); parent; parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const auto& name : option->get_lnames()) names.push_back("--" + name);
    for (const auto& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

std::vector<std::string> subcommand_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* sub : command.get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

// What to tell about an argument nobody expected: a did-you-mean when one is close.
std::string hint_for(const CLI::App& app, const CLI::App& command, const std::string& argument) {
  if (argument.starts_with('-')) {
    const std::string flag = argument.substr(0, argument.find('='));
    auto hint = did_you_mean(flag, option_names(command));
    if (hint.empty() && &command == &app) {
      // An option of a command, given before (or without) the command.
      for (const CLI::App* sub : app.get_subcommands({})) {
        for (const auto& name : option_names(*sub)) {
          if (name == flag || !did_you_mean(flag, std::span(&name, 1)).empty()) {
            hint = "options of '" + command_path(*sub) + "' go after it, as in '" +
                   command_path(*sub) + " " + name + "'";
            break;
          }
        }
        if (!hint.empty()) break;
      }
    }
    return "'" + flag + "' is not an option of '" + command_path(command) + "'" +
           (hint.empty() ? "" : " (" + hint + ")");
  }
  if (&command == &app) {
    const auto names = subcommand_names(app);
    auto hint = did_you_mean(argument, names);
    if (hint.empty() && argument == "help") hint = "for help, run 'lockstep --help'";
    if (hint.empty()) {
      hint = "the commands are:";
      for (const auto& name : names) hint += " " + name;
    }
    return "'" + argument + "' is not a command (" + hint + ")";
  }
  return {};
}

std::string exit_codes_text() {
  std::string text = "Exit codes:\n";
  for (const auto& code : kExitCodes) {
    std::string number = std::to_string(code.code);
    text += "  " + number + std::string(5 - number.size(), ' ') + code.meaning + "\n";
  }
  return text;
}

}  // namespace

std::string version_text() {
  return std::string("lockstep ") + kVersionString + " (plugin ABI " +
         std::to_string(kPluginAbiVersion) + ")";
}

void configure_app(CLI::App& app) {
  // A function: what it looks up (this process's cgroup) is read only when asked.
  app.set_version_flag(
      "--version",
      [] {
        return version_text() + "\nmemory limits of worker processes: " + memory_limit_mechanism() +
               "\n" + mpi_version_line();
      },
      "Print the version, the plugin ABI and what this machine offers");
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.require_subcommand(0, 1);
  app.get_formatter()->label("SUBCOMMAND", "COMMAND");  // commands are in the group "Commands"
  app.get_formatter()->column_width(24);
  app.footer(exit_codes_text() + "\nRun 'lockstep COMMAND --help' for the options of a command.");
}

int report_parse_error(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app.exit(error, std::cout, std::cerr);  // --help or --version, on stdout
  }
  // The commands the parse went through, and the words each found unexpected.
  std::vector<const CLI::App*> chain{&app};
  for (auto chosen = app.get_subcommands(); !chosen.empty();
       chosen = chain.back()->get_subcommands()) {
    chain.push_back(chosen.front());
  }
  const CLI::App* reporter = nullptr;  // the first command with an unexpected word
  std::vector<std::string> hints;
  for (const CLI::App* command : chain) {
    for (const auto& argument : command->remaining()) {
      if (!reporter) reporter = command;
      if (auto hint = hint_for(app, *command, argument); !hint.empty()) {
        hints.push_back(command_path(*command) + ": " + hint);
      }
    }
  }
  std::cerr << command_path(reporter ? *reporter : *chain.back()) << ": error: " << error.what()
            << '\n';
  for (const auto& hint : hints) std::cerr << hint << '\n';
  std::cerr << "Run '" << command_path(*chain.back()) << " --help' for more information.\n";
  return kExitError;
}

}  // namespace lockstep::cli
