// Under a cluster, a stage kind other than `parallel` runs on rank 0 only, and the instances it
// dispatches run on any rank. These are the texts that carry that: from rank 0 to a rank
// (Cluster::send: run this instance, run the rest of the stream, cancel, the kind is done) and
// back (Cluster::post on Channel::stage: an instance ended, the rest ended here). Each names its
// stage iteration by its key (StageRun::stop_key), so that a text is never taken for another's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lockstep/engine/job_state.hpp"
#include "lockstep/export.hpp"

namespace lockstep::run {

struct StageMessage {
  enum class Kind : char {
    // rank 0 to a rank
    dispatch = 'd',  // run instance `index` of plan `plan`, tracked: its end goes back as `ended`
    rest = 'r',      // dispatch the stream from `plan`/`index` on (claims), then `rest_ended`
    cancel = 'c',    // the kind cancelled the stage
    done = 'e',      // the kind returned and every instance it dispatched ended
    // a rank to rank 0
    ended = 'E',       // a dispatched instance ended: state, attempts, message
    rest_ended = 'R',  // this rank's part of the rest ended: counts
  };
  Kind kind = Kind::done;
  std::uint64_t key = 0;
  std::uint32_t plan = 0;
  std::uint64_t index = 0;
  bool owns_failures = false;  // dispatch, rest: the kind owns failures (StageContext)
  JobState state = JobState::succeeded;
  int attempts = 0;
  bool failed = false;  // rest_ended: a failure that counts happened on the rank
  StateCounts counts{};
  std::string message{};  // ended: the last attempt's
};

LOCKSTEP_INTERNAL_API std::string encode_stage_message(const StageMessage& message);
// Nothing for a text encode_stage_message() did not write.
LOCKSTEP_INTERNAL_API std::optional<StageMessage> decode_stage_message(std::string_view text);

}  // namespace lockstep::run
