// lockstep/pipeline/pipeline_loader.hpp — YAML in, a checked Pipeline (or every mistake) out.
//
//   lockstep::Registry registry;
//   lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
//   lockstep::Diagnostics diags;
//   lockstep::PipelineOptions options{.set_vars = {{"input", "data"}}};
//   auto pipeline = lockstep::load_pipeline("pipe.yaml", options, loader, diags);
//   for (const auto& d : diags.all()) std::cerr << lockstep::format(d) << '\n';
//   if (!pipeline) return lockstep::kExitError;   // pipe.yaml:12:5: error: unknown key 'worker'
//
// Loading reads the whole file, loads the core plugin and the plugins it names, and checks
// everything a run would use — keys, types, durations, ranges, names, bulkheads, job types,
// every job's parameters against its type's specs, ${...} references — collecting every error
// with its position. It returns a Pipeline only when there was no error; nothing has run.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/export.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/plugin_loader.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// The largest pipeline file (and text) lockstep reads: 8 MiB. A larger one is an error, read no
// further than this.
inline constexpr std::size_t kMaxPipelineBytes = std::size_t{8} << 20;

struct PipelineOptions {
  std::vector<std::pair<std::string, std::string>> set_vars{};  // --set vars.NAME=VALUE
  // Where `vars` of ${env.NAME} come from; the process environment when empty.
  std::optional<StringMap> environment{};
};

// Reads and checks `file`, which must be a regular file of at most kMaxPipelineBytes (a
// directory, a device, a FIFO are errors). Relative plugin paths in it are relative to the file's
// directory.
LOCKSTEP_API std::optional<Pipeline> load_pipeline(const std::filesystem::path& file,
                                                   const PipelineOptions& options,
                                                   PluginLoader& loader, Diagnostics& diagnostics);

// The same for text already in memory; `file` names it in diagnostics.
LOCKSTEP_API std::optional<Pipeline> parse_pipeline(std::string_view text, const std::string& file,
                                                    const PipelineOptions& options,
                                                    PluginLoader& loader, Diagnostics& diagnostics);

}  // namespace lockstep
