#include "plugin_options.hpp"

#include <CLI/CLI.hpp>

#include "lockstep/pipeline/plugin_loader.hpp"

namespace lockstep::cli {

std::vector<std::filesystem::path> PluginOptions::search_dirs() const {
  std::vector<std::filesystem::path> flags(plugin_path.begin(), plugin_path.end());
  return PluginLoader::search_dirs(flags);
}

void add_plugin_path_option(CLI::App& command, PluginOptions& options) {
  command
      .add_option("--plugin-path", options.plugin_path,
                  "Look for plugins (lockstep-<name>.so) in DIR first; repeatable")
      ->type_name("DIR")
      // Without a description, so that the help says "DIR" rather than "DIR:DIR".
      ->check(CLI::Validator(CLI::ExistingDirectory).description(""))
      ->allow_extra_args(false);  // one DIR per flag: later words are plugins
}

}  // namespace lockstep::cli
