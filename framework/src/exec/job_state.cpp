#include "lockstep/engine/job_state.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

std::string_view to_string(JobState state) noexcept {
  switch (state) {
    case JobState::succeeded:
      return "succeeded";
    case JobState::failed:
      return "failed";
    case JobState::timed_out:
      return "timed_out";
    case JobState::cancelled:
      return "cancelled";
    case JobState::rejected:
      return "rejected";
    case JobState::skipped:
      return "skipped";
  }
  return "unknown";
}

}  // namespace lockstep
