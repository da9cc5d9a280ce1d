// Key functions of the job interfaces: defined here, so that liblockstep holds the one vtable and
// type_info of each, whatever visibility plugins are built with.
#include "lockstep/job.hpp"

namespace lockstep {

Logger::~Logger() = default;
JobContext::~JobContext() = default;
Job::~Job() = default;

Params validate_job_params(const JobType& type, std::span<const RawEntry> given,
                           const SourceLocation& where, std::string_view context,
                           Diagnostics& diagnostics) {
  auto errors_before = diagnostics.error_count();
  auto params = validate_params(type.params, given, where, context, diagnostics);
  // Cross-parameter rules only make sense once every single parameter is well-formed.
  if (type.check && diagnostics.error_count() == errors_before) {
    if (auto problem = type.check(params); !problem.empty()) {
      diagnostics.error(where, std::string(context) + problem);
    }
  }
  return params;
}

}  // namespace lockstep
