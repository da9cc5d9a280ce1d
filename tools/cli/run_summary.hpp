// tools/cli/run_summary.hpp — what `lockstep run` tells about a run: why instances failed, as
// they end, and the table it ends with: a row per stage, then totals.
//
//   FailureReport failures(std::cerr);
//   lockstep::Runner runner(pipeline);
//   runner.observe(failures);
//   const auto result = runner.run();            // lockstep: build/test[3] failed: exit status 1
//   failures.print_not_shown(std::cerr);         // lockstep: build/test failed: exit status 1
//                                                //   (300 instances)
//   print_run_summary(std::cerr, pipeline, result);
//
//   stage   status     wall   instances
//   fetch   succeeded  12ms   3 succeeded
//   build   stopped    5.1ms  1 succeeded, 1 failed
//   deploy  skipped    0ms    4 skipped
//   total   failed     18ms   4 succeeded, 1 failed, 4 skipped
//
// An "iterations" column appears when the pipeline repeats a stage; only states that some
// instances ended in are named. Then each stage's note ("solve: stopped after 100 iterations:
// ...") and the run's warnings, one per line.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <map>
#include <mutex>
#include <string>

#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::cli {

// Prints a line for each instance that ended as a failure (is_failure: failed, timed_out or
// rejected), with the reason of its last attempt: the first `limit` of them, so that a stage of a
// million failing jobs does not bury the summary; the rest are only counted. A failure that repeats
// (the same job, state and reason) is printed once as it happens, and once more at the end with its
// count.
//
// Under MPI, rank 0's report also takes the other ranks' failures: theirs forward each failure
// (`forward`, Cluster::post) instead of printing it, and rank 0 hands what it receives to
// received(). Counted, limited and repeated as if they had ended on rank 0.
class FailureReport final : public RunObserver {
 public:
  using Forward = std::function<void(const std::string& text)>;
  explicit FailureReport(std::ostream& out, std::size_t limit = 20, Forward forward = {})
      : out_(out), limit_(limit), forward_(std::move(forward)) {}

  Interest interest() const override { return Interest::failures; }  // succeeded ones cost nothing
  void instance_ended(const InstanceEvent& instance) override;
  // A failure another report forwarded (its text, as it was given to `forward`).
  void received(const std::string& text);
  // "lockstep: build/test failed: exit status 1 (300 instances)" for each repeated failure, then
  // "lockstep: 90 more failures not shown", when there were more than `limit` different ones.
  void print_not_shown(std::ostream& out) const;

 private:
  // Prints `line` (within the limit) unless the same job, state and reason ended before.
  void add(const std::string& job, const std::string& why, const std::string& line);

  struct Repeated {
    std::string what;  // "build/test failed: exit status 1"
    std::size_t count = 0;
  };
  std::ostream& out_;
  const std::size_t limit_;
  const Forward forward_;
  mutable std::mutex mutex_;                              // instances end on many workers at once
  std::size_t seen_ = 0;                                  // different failures
  std::map<std::string, Repeated, std::less<>> repeats_;  // by job, state and reason
};

void print_run_summary(std::ostream& out, const Pipeline& pipeline, const RunResult& result);

// A wall time to read at a glance: 0.4ms, 12ms, 1.25s, 2m05s, 1h02m.
std::string format_wall_time(std::chrono::nanoseconds wall);

}  // namespace lockstep::cli
