// Under a cluster, rank 0's reports, traces and pages show the whole run: every other rank
// forwards the instance events rank 0's observers want (EventForwarder, an observer of its own
// run), in batches on Cluster::Channel::events, and rank 0 hands them to those observers as if
// its own runner had made them (EventReplay), with the rank that ran them.
//
// What is forwarded is decided the same on every rank: rank 0 broadcasts what its observers
// that see other ranks (RunObserver::sees_other_ranks()) want before the run (WantedEvents).
// Times travel as nanoseconds since the sending rank's run start (steady clocks of two machines
// have nothing in common) and are replayed as rank 0's run start plus that. Stages and jobs
// travel as their positions in the pipeline, the same on every rank; an item as its text and
// fields; an instance's params are rebuilt on rank 0 from its job, item, index and iteration.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/cluster.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::run {

// What rank 0's observers want of the other ranks' instance events.
struct WantedEvents {
  RunObserver::Interest interest = RunObserver::Interest::stages;
  bool ranges = false;  // instances_succeeded()
  // None: the other ranks forward nothing.
  bool any() const noexcept { return ranges || interest != RunObserver::Interest::stages; }
};

// The most that `observers` which see other ranks want.
LOCKSTEP_INTERNAL_API WantedEvents wanted_of_ranks(const std::vector<RunObserver*>& observers);
LOCKSTEP_INTERNAL_API std::string encode_wanted(WantedEvents wanted);
// Nothing wanted for a text encode_wanted() did not write.
LOCKSTEP_INTERNAL_API WantedEvents decode_wanted(std::string_view text);

// A rank other than 0: writes the events rank 0 wants into a batch, posted (`post`) when it
// holds kBatchBytes, and by flush(), which the runner calls before each stage's barrier, so
// that rank 0 has every event of a stage before it ends the stage for its observers.
class LOCKSTEP_INTERNAL_API EventForwarder final : public RunObserver {
 public:
  using Post = std::function<void(const std::string& text)>;
  static constexpr std::size_t kBatchBytes = 64 * 1024;

  EventForwarder(const Pipeline& pipeline, WantedEvents wanted,
                 std::chrono::steady_clock::time_point run_start, Post post);

  Interest interest() const override { return wanted_.interest; }
  bool wants_succeeded_ranges() const override { return wanted_.ranges; }
  void attempt_started(const AttemptEvent& attempt) override;
  void attempt_ended(const AttemptEvent& attempt) override;
  void instance_ended(const InstanceEvent& instance) override;
  void instances_succeeded(const SucceededRange& range) override;

  // Posts what the batch holds, if anything.
  void flush();

 private:
  void append(const std::string& record);

  const Pipeline& pipeline_;
  const WantedEvents wanted_;
  const std::chrono::steady_clock::time_point run_start_;
  const Post post_;
  std::mutex mutex_;  // guards batch_; held while posting, so that batches keep their order
  std::string batch_;
};

// Rank 0: the other ranks' batches, decoded and handed to `observers` (those that see other
// ranks), each event with its rank. An observer that throws is `failed(what)`, as
// RunServices::notify does for the runner's own events.
class LOCKSTEP_INTERNAL_API EventReplay {
 public:
  EventReplay(const Pipeline& pipeline, const Outputs& outputs, std::vector<RunObserver*> observers,
              std::chrono::steady_clock::time_point run_start,
              std::function<void(const char* what)> failed);

  // Throws std::runtime_error on a text no EventForwarder wrote (what was decoded before is
  // handed on).
  void received(int rank, std::string_view text);

 private:
  template <class Event>
  void notify(const Event& event) noexcept;

  const Pipeline& pipeline_;
  const Outputs& outputs_;
  const std::vector<RunObserver*> observers_;
  const std::chrono::steady_clock::time_point run_start_;
  const std::function<void(const char*)> failed_;
};

}  // namespace lockstep::run
