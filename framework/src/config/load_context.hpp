// What the readers of a pipeline's parts share while one file is loaded.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/interpolate.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/plugin/params.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/plugin/registry.hpp"

namespace lockstep::config {

// `defaults:` of the pipeline: what a job inherits when it does not say.
struct JobDefaults {
  std::optional<std::string> bulkhead{};  // only when it names a declared bulkhead (or default)
  std::optional<Duration> timeout{};
  std::optional<Duration> grace{};
  RetryPolicy retry{};
  bool continue_on_error = false;
  bool allow_empty = true;  // of every foreach that does not say
};

// In LoadContext::failed_plugins: a plugin whose name a bad reference hid.
inline constexpr std::string_view kAnyPlugin = "*";

struct LoadContext {
  Diagnostics& diagnostics;
  const Registry& registry;
  std::filesystem::path base_dir{};  // relative paths in the file are relative to this
  StringMap env{};
  StringMap secrets{};  // `secrets:`, by name (their values registered for masking)
  StringMap vars{};                      // resolved
  // Vars the pipeline does not spell out, and where each comes from ("--set vars.dir").
  StringMap vars_from_outside{};
  std::vector<std::string> bulkheads{};  // declared names, and "default"
  // Names (or file stems) of plugins that did not load; kAnyPlugin for one that has no name.
  std::vector<std::string> failed_plugins{};
  std::vector<std::string> stage_names{};  // of every stage, in order: for from_outputs
  JobDefaults defaults{};
  SubstitutionBudget substitution_budget{};  // Scope::budget of every load-time scope
};

// The bulkhead named by `node` when it exists; otherwise an error with a did-you-mean.
std::optional<std::string> read_bulkhead_name(const YamlNode& node, std::string_view what,
                                              LoadContext& context);

}  // namespace lockstep::config
