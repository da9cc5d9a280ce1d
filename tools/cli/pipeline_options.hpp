// tools/cli/pipeline_options.hpp — what `run`, `validate` and `graph` share: the PIPELINE
// argument, --set vars.NAME=VALUE, --plugin-path, and loading the pipeline they name.
//
//   auto options = std::make_shared<PipelineCommandOptions>();
//   add_pipeline_options(*command, *options);        // lockstep <command> PIPELINE [--set ...]...
//   ...after parsing:
//   auto loaded = load_checked_pipeline(*options, std::cerr);   // prints every diagnostic
//   if (!loaded) return lockstep::kExitError;                   // nothing ran
//   use(loaded->pipeline);
#pragma once

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/pipeline_loader.hpp"
#include "lockstep/pipeline/plugin_loader.hpp"
#include "lockstep/plugin/registry.hpp"
#include "plugin_options.hpp"

namespace CLI {
class App;
}

namespace lockstep::cli {

struct PipelineCommandOptions {
  std::string pipeline{};          // the YAML file
  std::vector<std::string> set{};  // --set vars.NAME=VALUE, checked by the parser
  PluginOptions search{};          // --plugin-path

  // --set as the loader takes it: {NAME, VALUE}, in the order given.
  PipelineOptions loader_options() const;
};

// Adds PIPELINE (required), --set (repeatable; anything but vars.NAME=VALUE is a usage error)
// and --plugin-path.
void add_pipeline_options(CLI::App& command, PipelineCommandOptions& options);

// A checked pipeline with what it points into: its job types live in `registry`, whose plugins
// `loader` loaded. Not movable, hence always on the heap.
struct LoadedPipeline {
  explicit LoadedPipeline(std::vector<std::filesystem::path> search_dirs)
      : loader(registry, std::move(search_dirs)) {}

  Registry registry;
  PluginLoader loader;
  Pipeline pipeline{};
};

// Loads and checks the pipeline; every diagnostic (warnings too) goes to `diagnostics_out`.
// Null when there was an error.
std::unique_ptr<LoadedPipeline> load_checked_pipeline(const PipelineCommandOptions& options,
                                                      std::ostream& diagnostics_out);

}  // namespace lockstep::cli
