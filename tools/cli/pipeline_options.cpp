#include "pipeline_options.hpp"

#include <CLI/CLI.hpp>

#include <ostream>
#include <string_view>
#include <utility>

#include "diagnostics_output.hpp"
#include "lockstep/plugin/diagnostics.hpp"

namespace lockstep::cli {

namespace {

constexpr std::string_view kVarsPrefix = "vars.";

// What is wrong with one --set value, or "" when it is vars.NAME=VALUE.
std::string check_set(const std::string& text) {
  const auto equals = text.find('=');
  if (!text.starts_with(kVarsPrefix)) {
    const std::string name = text.substr(0, equals);
    const bool plain_name = !name.empty() && name.find('.') == std::string::npos;
    return "'" + text + "' does not set a var: write --set vars." +
           (plain_name ? name : std::string("NAME")) + "=" +
           (plain_name && equals != std::string::npos ? text.substr(equals + 1) : "VALUE");
  }
  if (equals == std::string::npos) {
    return "'" + text + "' has no value: write --set " + text + "=VALUE";
  }
  if (equals == kVarsPrefix.size()) {
    return "'" + text + "' names no var: write --set vars.NAME=VALUE";
  }
  return {};
}

}  // namespace

PipelineOptions PipelineCommandOptions::loader_options() const {
  PipelineOptions options;
  for (const auto& text : set) {
    const auto equals = text.find('=');  // the first: a value may contain '=' itself
    options.set_vars.emplace_back(text.substr(kVarsPrefix.size(), equals - kVarsPrefix.size()),
                                  text.substr(equals + 1));
  }
  return options;
}

void add_pipeline_options(CLI::App& command, PipelineCommandOptions& options) {
  command.add_option("PIPELINE", options.pipeline, "The pipeline's YAML file")
      ->type_name("FILE")
      ->required();
  command.add_option("--set", options.set, "Override a var of the pipeline; repeatable")
      ->type_name("vars.NAME=VALUE")
      ->check(CLI::Validator([](std::string& text) { return check_set(text); }, ""))
      ->allow_extra_args(false);  // one assignment per flag: a later word is the PIPELINE
  add_plugin_path_option(command, options.search);
}

std::unique_ptr<LoadedPipeline> load_checked_pipeline(const PipelineCommandOptions& options,
                                                      std::ostream& diagnostics_out) {
  auto loaded = std::make_unique<LoadedPipeline>(options.search.search_dirs());
  Diagnostics diagnostics;
  auto pipeline =
      load_pipeline(options.pipeline, options.loader_options(), loaded->loader, diagnostics);
  if (!diagnostics.all().empty()) print_diagnostics(diagnostics_out, diagnostics);
  if (!pipeline && !diagnostics.has_errors()) {
    diagnostics_out << "lockstep: error: " << options.pipeline
                    << ": the loader returned no pipeline and no error\n";
  }
  if (!pipeline || diagnostics.has_errors()) return nullptr;
  loaded->pipeline = std::move(*pipeline);
  return loaded;
}

}  // namespace lockstep::cli
