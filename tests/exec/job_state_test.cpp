// Terminal states: their names and the counting helpers every report relies on.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "lockstep/engine/batch.hpp"
#include "lockstep/engine/job_state.hpp"

using lockstep::JobState;

TEST_CASE("every terminal state has its documented name", "[job_state]") {
  CHECK(lockstep::to_string(JobState::succeeded) == "succeeded");
  CHECK(lockstep::to_string(JobState::failed) == "failed");
  CHECK(lockstep::to_string(JobState::timed_out) == "timed_out");
  CHECK(lockstep::to_string(JobState::cancelled) == "cancelled");
  CHECK(lockstep::to_string(JobState::rejected) == "rejected");
  CHECK(lockstep::to_string(JobState::skipped) == "skipped");
}

TEST_CASE("the list of all states covers each state once with a distinct name", "[job_state]") {
  std::set<std::string> names;
  std::set<int> values;
  for (JobState s : lockstep::kAllJobStates) {
    names.emplace(lockstep::to_string(s));
    values.insert(static_cast<int>(s));
  }
  CHECK(names.size() == lockstep::kJobStateCount);
  CHECK(values.size() == lockstep::kJobStateCount);
  for (int v : values) CHECK(v < static_cast<int>(lockstep::kJobStateCount));
}

TEST_CASE("state counts add up and a result is ok only when everything succeeded", "[job_state]") {
  lockstep::BatchResult result;
  CHECK(result.total() == 0);
  CHECK(result.ok());

  result.counts[JobState::succeeded] = 5;
  CHECK(result.ok());
  result.counts[JobState::failed] = 2;
  result.counts[JobState::rejected] = 1;
  CHECK(result.total() == 8);
  CHECK(result.counts.sum() == 8);
  CHECK(result.count(JobState::failed) == 2);
  CHECK(result.count(JobState::cancelled) == 0);
  CHECK_FALSE(result.ok());
}

TEST_CASE("failed, timed_out and rejected count as failures; the other states do not",
          "[job_state]") {
  CHECK_FALSE(lockstep::is_failure(JobState::succeeded));
  CHECK(lockstep::is_failure(JobState::failed));
  CHECK(lockstep::is_failure(JobState::timed_out));
  CHECK_FALSE(lockstep::is_failure(JobState::cancelled));
  CHECK(lockstep::is_failure(JobState::rejected));
  CHECK_FALSE(lockstep::is_failure(JobState::skipped));

  std::size_t failures = 0;
  for (JobState s : lockstep::kAllJobStates) failures += lockstep::is_failure(s) ? 1 : 0;
  CHECK(failures == 3);
}
