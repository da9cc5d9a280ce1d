// `bulkheads:` → BulkheadSpecs, and how jobs name them.
#pragma once

#include <thread>
#include <vector>

#include "config/load_context.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::config {

std::vector<BulkheadSpec> read_bulkheads(const YamlNode& node, Diagnostics& diagnostics);

// The `default` bulkhead when the pipeline does not declare one: one worker per hardware thread.
BulkheadSpec implicit_default_bulkhead();

}  // namespace lockstep::config
