// Checks of the stage graph, once every stage is read: what each `needs` names (did-you-mean), a
// stage needing itself, cycles (each edge with its position), and that a from_outputs fan-out
// reads a stage its own stage needs, directly or not (else it could run before that one ended), and
// that the ${outputs.*} of an `if:` and of a job's params do too (a fan-out's with [N] or [*]).
#pragma once

#include <span>
#include <string>

#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/plugin/diagnostics.hpp"

namespace lockstep::config {

// `stages` are those read without error; `all_names` every stage name written, so that a need of
// a stage refused for another mistake is not reported again.
void check_stage_graph(std::span<const StageSpec> stages, std::span<const std::string> all_names,
                       Diagnostics& diagnostics);

}  // namespace lockstep::config
