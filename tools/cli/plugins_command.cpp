// `lockstep plugins [NAME_OR_PATH]... [--plugin-path DIR]... [--json]`: loads core, every plugin
// in the search directories and the ones named, then lists their job types and parameter specs.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "diagnostics_output.hpp"
#include "lockstep/diagnostics.hpp"
#include "lockstep/exit_codes.hpp"
#include "lockstep/plugin_loader.hpp"
#include "lockstep/registry.hpp"
#include "plugin_options.hpp"
#include "plugin_render.hpp"

namespace lockstep::cli {

namespace {

struct PluginsOptions {
  std::vector<std::string> plugins{};  // names or paths, beyond what the search finds
  PluginOptions search{};
  bool json = false;
};

int list_plugins(const PluginsOptions& options) {
  Registry registry;
  PluginLoader loader(registry, options.search.search_dirs());
  Diagnostics diagnostics;
  loader.load_core(diagnostics);
  // A problem with a plugin found in the search path is reported against its file; one with a
  // plugin named on the command line, against the command.
  for (const auto& path : loader.available()) {
    loader.load(path.string(), {path.string()}, diagnostics);
  }
  for (const auto& name : options.plugins) loader.load(name, {}, diagnostics);

  if (!diagnostics.all().empty()) print_diagnostics(std::cerr, diagnostics);
  if (diagnostics.has_errors()) return kExitError;

  if (options.json) {
    write_plugins_json(std::cout, registry, loader.dirs());
  } else {
    write_plugins_text(std::cout, registry);
  }
  if (!std::cout.flush()) {
    std::cerr << "lockstep plugins: error: cannot write the listing to stdout\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

Command add_plugins_command(CLI::App& app) {
  auto options = std::make_shared<PluginsOptions>();
  CLI::App* command = app.add_subcommand(
      "plugins", "List the loaded plugins, their job types and the parameters of each");
  command->footer(
      "Loads the core plugin, every lockstep-<name>.so in the search path and the plugins named,\n"
      "then lists each plugin with its job types and their parameters. The search path is: each\n"
      "--plugin-path DIR, then the directories in LOCKSTEP_PLUGIN_PATH (colon-separated), then\n"
      "lib/lockstep/ beside liblockstep. On a plugin error, every error is shown on stderr and\n"
      "nothing is listed (exit status 2).");
  command->add_option("NAME_OR_PATH", options->plugins,
                      "Also load these: a plugin's name, or the path to its .so");
  add_plugin_path_option(*command, options->search);
  command->add_flag("--json", options->json, "Print one JSON document instead of text");
  return {command, [options] { return list_plugins(*options); }};
}

}  // namespace lockstep::cli
