// `params:` of a job → its checked Params and its ParamTemplates (the parameters that differ per
// instance), the templates checked against their specs with sample instances.
#pragma once

#include <string>

#include "config/fanout.hpp"
#include "config/load_context.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::config {

// `node` is the params value (null when absent); `label` is "job 'get' (core.command): ".
// Fills job.params and job.templates; job.type must be set.
void read_job_params(const YamlNode* node, const ReadFanOut& fanout, const std::string& label,
                     JobSpec& job, LoadContext& context);

}  // namespace lockstep::config
