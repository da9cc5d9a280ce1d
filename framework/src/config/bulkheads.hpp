// `bulkheads:` → BulkheadSpecs, and how jobs name them.
#pragma once

#include <optional>
#include <thread>
#include <vector>

#include "config/load_context.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::config {

std::vector<BulkheadSpec> read_bulkheads(const YamlNode& node, Diagnostics& diagnostics);

// `threads:`: at least 1, at most thread_limit().
std::optional<int> read_threads(const YamlNode& node, Diagnostics& diagnostics);

// An error at `node` (the bulkheads) when their workers together, capped by `threads`, are more
// threads than thread_limit().
void check_total_workers(const YamlNode& node, const std::vector<BulkheadSpec>& bulkheads,
                         std::optional<int> threads, Diagnostics& diagnostics);

// The `default` bulkhead when the pipeline does not declare one: one worker per hardware thread.
BulkheadSpec implicit_default_bulkhead();

}  // namespace lockstep::config
