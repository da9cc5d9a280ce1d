// tools/cli/plugin_options.hpp — what every command that loads plugins shares: --plugin-path.
//
//   PluginOptions options;
//   add_plugin_path_option(*command, options);           // lockstep <command> --plugin-path DIR...
//   ...after parsing:
//   lockstep::Registry registry;
//   lockstep::PluginLoader loader(registry, options.search_dirs());
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace lockstep::cli {

struct PluginOptions {
  std::vector<std::string> plugin_path{};  // --plugin-path, in the order given

  // --plugin-path, then LOCKSTEP_PLUGIN_PATH, then lib/lockstep/ beside liblockstep.
  std::vector<std::filesystem::path> search_dirs() const;
};

// Adds `--plugin-path DIR` (repeatable; each DIR must be an existing directory).
void add_plugin_path_option(CLI::App& command, PluginOptions& options);

}  // namespace lockstep::cli
