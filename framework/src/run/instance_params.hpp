// The parameters of one instance: its job's checked params with the templates (${item},
// ${index}, ${iteration}, ${outputs.*}) filled in and checked against their specs.
#pragma once

#include <cstdint>

#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/params.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::run {

// Throws std::runtime_error describing every value that does not fit its spec (e.g. a
// from_outputs value that is not a duration, an output with no value): the instance fails, and
// retrying cannot help.
Params instantiate_params(const JobSpec& job, const Item& item, std::uint64_t index, int iteration,
                          const Outputs& outputs);

}  // namespace lockstep::run
