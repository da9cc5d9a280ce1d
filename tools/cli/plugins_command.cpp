// `lockstep plugins [NAME_OR_PATH | PLUGIN.TYPE]... [--plugin-path DIR]... [--json]`: loads core,
// every plugin in the search directories and the ones named, then lists their job types and
// parameter specs; with PLUGIN.TYPE (core.output, stages.race), shows only the job types and stage
// kinds named.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "diagnostics_output.hpp"
#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/plugin_loader.hpp"
#include "lockstep/plugin/registry.hpp"
#include "plugin_options.hpp"
#include "plugin_render.hpp"

namespace lockstep::cli {

namespace {

struct PluginsOptions {
  std::vector<std::string> plugins{};  // names, paths, or PLUGIN.NAME of a job type or stage kind
  PluginOptions search{};
  bool json = false;
};

// "core.output" names a job type or stage kind; "core", "./x/lockstep-y.so" and "y.so" a plugin.
bool names_a_declaration(const std::string& argument) {
  return argument.find('.') != std::string::npos && argument.find('/') == std::string::npos &&
         !argument.ends_with(".so");
}

// Only the job types and stage kinds named; an unknown name is an error (exit status 2).
int show_declarations(const Registry& registry, const std::vector<std::string>& names, bool json) {
  std::vector<DeclarationLookup> found;
  bool unknown = false;
  for (const auto& name : names) {
    auto lookup = registry.lookup_declaration(name);
    if (lookup.job_type == nullptr && lookup.stage_kind == nullptr) {
      std::cerr << "lockstep plugins: error: " << lookup.error
                << (lookup.hint.empty() ? "" : " (" + lookup.hint + ")") << '\n';
      unknown = true;
    }
    found.push_back(std::move(lookup));
  }
  if (unknown) return kExitError;
  if (json) {
    write_declarations_json(std::cout, found);
  } else {
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (i > 0) std::cout << '\n';
      write_declaration_text(std::cout, registry, found[i]);
    }
  }
  return kExitOk;
}

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
  std::vector<std::string> declarations;
  for (const auto& name : options.plugins) {
    if (names_a_declaration(name)) {
      declarations.push_back(name);
    } else {
      loader.load(name, {}, diagnostics);
    }
  }

  if (!diagnostics.all().empty()) print_diagnostics(std::cerr, diagnostics);
  if (diagnostics.has_errors()) return kExitError;

  if (!declarations.empty()) {
    if (const int status = show_declarations(registry, declarations, options.json); status != 0) {
      return status;
    }
  } else if (options.json) {
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
      "nothing is listed (exit status 2).\n"
      "A name with a dot (core.output, stages.race) shows only that job type or stage kind;\n"
      "an unknown one is an error (exit status 2).");
  command->add_option("NAME_OR_PATH", options->plugins,
                      "Also load these: a plugin's name, or the path to its .so; or show only "
                      "this job type or stage kind: PLUGIN.NAME");
  add_plugin_path_option(*command, options->search);
  command->add_flag("--json", options->json, "Print one JSON document instead of text");
  return {command, [options] { return list_plugins(*options); }};
}

}  // namespace lockstep::cli
