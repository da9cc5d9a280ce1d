// Helpers of the config-layer tests: a loader with the core plugin, and parse() of YAML text
// with a fixed environment, so that no test depends on the machine it runs on.
#pragma once

#include <catch2/catch.hpp>
#include <lockstep/pipeline/pipeline_loader.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lockstep::test {

inline const char* const kFile = "pipe.yaml";

// One registry and loader for every test: plugins stay loaded until the process ends anyway.
inline PluginLoader& core_loader() {
  static Registry registry;
  static PluginLoader loader(registry, PluginLoader::search_dirs({}));
  return loader;
}

inline StringMap test_environment() { return {{"HOME", "/home/ann"}, {"USER", "ann"}}; }

struct Parsed {
  std::optional<Pipeline> pipeline;
  Diagnostics diagnostics;

  std::string text() const { return diagnostics.to_string(); }
  bool has(std::string_view line) const {
    return text().find(std::string(line) + "\n") != std::string::npos;
  }
};

inline Parsed parse(std::string_view yaml, PipelineOptions options = {}) {
  if (!options.environment) options.environment = test_environment();
  Parsed parsed;
  parsed.pipeline = parse_pipeline(yaml, kFile, options, core_loader(), parsed.diagnostics);
  return parsed;
}

// A pipeline that must load; shows the diagnostics when it does not.
inline Pipeline parse_good(std::string_view yaml, PipelineOptions options = {}) {
  auto parsed = parse(yaml, std::move(options));
  INFO(parsed.text());
  REQUIRE(parsed.pipeline.has_value());
  REQUIRE(parsed.diagnostics.error_count() == 0);
  return *parsed.pipeline;
}

// The job `id` of stage `stage`; fails the test when there is none.
inline const JobSpec& job_of(const Pipeline& pipeline, std::string_view stage,
                             std::string_view id) {
  for (const auto& s : pipeline.stages) {
    if (s.name != stage) continue;
    for (const auto& job : s.jobs) {
      if (job.id == id) return job;
    }
  }
  FAIL("no job " << stage << "/" << id);
  throw std::logic_error("unreachable");
}

}  // namespace lockstep::test
