// `vars:` and --set → the pipeline's resolved variables; the environment they may refer to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/interpolate.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/plugin/params.hpp"

namespace lockstep::config {

// The process environment, as ${env.NAME} sees it.
StringMap process_environment();

// Resolves each var in written order: its --set value if given, else its value with ${env.*}
// and earlier ${vars.*} replaced. A null value must be given with --set. `node` may be null.
// What substitutions add is taken from `budget` (see Scope::budget). `from_outside` receives
// each var whose value the pipeline does not spell out, and where it comes from: "--set
// vars.NAME", "${env.HOME}", or that of a var it refers to.
StringMap resolve_vars(const YamlNode* node,
                       const std::vector<std::pair<std::string, std::string>>& set_vars,
                       const StringMap& env, SubstitutionBudget& budget, StringMap& from_outside,
                       Diagnostics& diagnostics);

// Where the value of a scalar written as `text` comes from when the pipeline does not spell it
// out: "${env.HOME}", "--set vars.dir" (through `vars_from_outside`); "" when it does.
std::string outside_source(std::string_view text, const StringMap& vars_from_outside);

}  // namespace lockstep::config
