// Whether the `if:` of a stage or a job lets it run, decided when its stage starts (the stages it
// reads outputs of have ended by then); when it does not, why, for the report and the summary.
#pragma once

#include <optional>
#include <string>

#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::run {

// nullopt: it runs (no condition, or a true one). Else the reason its instances end skipped:
// "if: ${vars.mode} == 'fast' is false (${vars.mode} is 'slow')".
std::optional<std::string> skip_reason(const std::optional<Condition>& condition,
                                       const Outputs& outputs);

}  // namespace lockstep::run
