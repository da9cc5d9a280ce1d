// `if:` of a stage or a job → a Condition: the expression parsed (a mistake points at its
// column), its ${vars.*} and ${env.*} resolved, its ${outputs.*} collected for the graph check
// (config/stage_graph.hpp), and its value decided when it reads no outputs.
#pragma once

#include <optional>
#include <string>

#include "config/load_context.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::config {

std::optional<Condition> read_condition(const YamlNode& node, const std::string& owner,
                                        LoadContext& context);

}  // namespace lockstep::config
