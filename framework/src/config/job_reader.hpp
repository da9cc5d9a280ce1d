// One entry of a stage's `jobs:` → a JobSpec, its inherited settings resolved.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "config/load_context.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::config {

// `place` names the job before its id is known: "job 2 of stage 'scan'". `stage_bulkhead` is the
// stage's own bulkhead, when it named one that exists.
// Returns the job even when some of it was wrong (its id is needed to find duplicates), nullopt
// when it has no usable id.
std::optional<JobSpec> read_job(const YamlNode& node, const std::string& place,
                                const std::optional<std::string>& stage_bulkhead,
                                LoadContext& context);

// `retry:` read over `inherited`: the fields it gives replace the inherited ones.
RetryPolicy read_retry(const YamlNode& node, std::string_view owner, RetryPolicy inherited,
                       Diagnostics& diagnostics);

}  // namespace lockstep::config
