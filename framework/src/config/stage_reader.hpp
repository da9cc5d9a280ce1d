// `stages:` → StageSpecs: names, kinds and their `with`, repeat, failure policy, and the jobs.
#pragma once

#include <vector>

#include "config/load_context.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::config {

std::vector<StageSpec> read_stages(const YamlNode& node, LoadContext& context);

}  // namespace lockstep::config
