// `secrets:` of a pipeline → the values of the environment variables it names, each registered
// for masking (lockstep/pipeline/output_text.hpp) before anything can show it.
#pragma once

#include "config/yaml_source.hpp"
#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/plugin/params.hpp"

namespace lockstep::config {

// NAME -> value for each name of the list `node` (null: none). An unset variable, a value
// shorter than kMinSecretLength, a name that is no variable name or given twice is an error at
// the name.
StringMap read_secrets(const YamlNode* node, const StringMap& env, Diagnostics& diagnostics);

}  // namespace lockstep::config
