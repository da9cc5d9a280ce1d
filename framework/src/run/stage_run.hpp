// One iteration of one stage: its stage kind decides when each instance is dispatched (through
// the StageContext this class implements); the feeders, one per bulkhead, dispatch, retry and
// time out instances; and whatever the kind did, run() ends at the stage barrier with every
// instance in exactly one terminal state: those the kind never dispatched end as skipped.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lockstep/engine/job_state.hpp"
#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/plugin/stage.hpp"
#include "run/cluster_outputs.hpp"
#include "run/run_services.hpp"
#include "run/stage_messages.hpp"

namespace lockstep::run {

class Feeder;
struct JobPlan;

struct StageOutcome {
  StateCounts counts{};
  std::uint64_t reused = 0;    // of the succeeded, those that did not run (RunOptions::reuse)
  bool failed = false;         // a failure that counts, or the kind threw
  bool until_reached = false;  // a job or the kind published a truthy `repeat.until` output
  std::string note{};          // why the kind failed, or what it left undispatched
  std::vector<std::string> warnings{};  // fan-outs that found nothing, as allowed
};

class StageRun final : public StageContext {
 public:
  StageRun(const StageSpec& stage, RunServices& shared);
  ~StageRun() override;
  StageRun(const StageRun&) = delete;
  StageRun& operator=(const StageRun&) = delete;

  // Readies iteration `iteration` (from 1): the first, or the next once run() has returned. The
  // plans and feeders of the stage's jobs are kept from one iteration to the next, so that a
  // round of short jobs does not pay for making them again. Not while progress() may be called.
  void begin(int iteration);
  StageOutcome run();
  // Thread-safe: how far this iteration got.
  StageProgress progress() const;

  // ---- StageContext (the kind's thread) ----
  const StageSpec& stage() const noexcept { return stage_; }
  // An attempt on a thread went on `grace` past its timeout (+1), or at last returned (-1).
  void note_overdue(bool overdue) noexcept {
    if (overdue) overdue_.fetch_add(1, std::memory_order_relaxed);
    else overdue_.fetch_sub(1, std::memory_order_relaxed);
  }
  const std::string& name() const noexcept override { return stage_.name; }
  int iteration() const noexcept override { return iteration_; }
  std::optional<StageInstance> next() override;
  std::uint64_t size() const noexcept override { return total_; }
  std::string id(const StageInstance& instance) const override;
  bool dispatch(const StageInstance& instance) override;
  void dispatch_rest() override;
  StateCounts wait() override;
  std::optional<EndedInstance> next_ended(bool block) override;
  void cancel() override;
  void own_failures() override { owns_failures_.store(true); }
  bool stopping() const noexcept override;
  bool stops_on_failure() const noexcept override {
    return stage_.on_failure == OnFailure::stop && !owns_failures_.load();
  }
  bool failed() const noexcept override { return failed_.load(std::memory_order_relaxed); }
  std::optional<std::string> input(std::string_view reference) const override;
  void output(std::string key, std::string value) override;
  Logger& log() override { return logger_; }

  // ---- for feeders and the jobs they run ----
  RunServices& services() noexcept { return shared_; }
  const CancelSource& cancel_source() const noexcept { return cancel_; }
  // Why queued instances end without running: the stage stopped, or the kind cancelled them.
  const char* stop_reason() const noexcept;
  // How retries that will not happen end: cancelled, or (nullopt) as their last attempt did.
  std::optional<JobState> retry_end_state() const noexcept;
  void record_failure() noexcept;
  // Called for every output published in the stage (by its jobs or its kind): a truthy value
  // named like the stage's `repeat.until` ends the repeat after this iteration.
  void note_output(std::string_view key, std::string_view value) noexcept;
  void add(const StateCounts& counts) noexcept;
  void add_reused(std::uint64_t count) noexcept {
    reused_.fetch_add(count, std::memory_order_relaxed);
  }
  // An instance the kind dispatched with dispatch() ended: next_ended() reports it.
  void tracked_ended(const JobPlan& plan, std::uint64_t index, JobState state, int attempts,
                     std::string message);
  // Under a cluster: the Cluster::claim() range of the plan's instances in this iteration.
  std::uint64_t shared_range(const JobPlan& plan) const;
  // Under a cluster: this rank claimed instances [from, to) of the plan (their outputs are this
  // rank's to share at the stage's end).
  void claimed(const JobPlan& plan, std::uint64_t from, std::uint64_t to);
  // Under a cluster, rank 0: instance `index` of the plan is `rank`'s by its index (a job of no
  // more instances than ranks), or rank 0's kind sent it there; named should that rank be lost.
  void split_to(const JobPlan& plan, std::uint64_t index, int rank);
  // Under a cluster: this iteration's key for Cluster::stop(), its first claim range.
  std::uint64_t stop_key() const noexcept { return range_base_; }
  // Under a cluster: a rank stopped this iteration (Cluster::stop). The stage stops here too, as
  // on a failure, and the attempts running here are cancelled. From the cluster's thread.
  void stop_by_cluster() noexcept;
  // Under a cluster, when the stage's kind runs on rank 0 only (any kind but `parallel`):
  // rank 0's receiver of Channel::stage hands it what another rank posted (an instance it ran
  // ended, its part of the rest ended), from the cluster's thread.
  void from_rank(int rank, const StageMessage& message);
  // A rank other than 0: rank 0 cancelled the stage (Cluster::send). What can be done at once
  // from the cluster's thread: running attempts see their token cancelled.
  void cancelled_by_rank0() noexcept;
  // "stage/job[3]", or "stage@2/job[3]" in a repeated stage.
  std::string instance_id(const JobPlan& plan, std::uint64_t index) const;
  // The id of the plan's instances, with index 0 when the job fans out (else none).
  InstanceId instance_naming(const JobPlan& plan) const;

 private:
  class StageLogger final : public Logger {
   public:
    explicit StageLogger(StageRun& stage) : stage_(stage) {}
    void write(Level level, std::string_view line) override;

   private:
    StageRun& stage_;
  };

  void plan_instances();
  // Under a cluster: this iteration's Cluster::claim() ranges, one per job (shared_range()).
  void take_claim_ranges();
  // A job whose `if:` is false: its instances end skipped before the kind sees the stream.
  void skip_if_false(JobPlan& plan);
  // Gives the plan what RunServices::reuse spares of it, and publishes their outputs.
  void restore_reused(JobPlan& plan);
  // A from_outputs or files fan-out that found nothing: a warning, or (allow_empty: false) an
  // error that fails the stage.
  void report_empty_fan_outs(StageOutcome& outcome);
  void run_kind(StageOutcome& outcome);
  // Under a cluster, a rank other than 0, for a kind that runs on rank 0: runs what rank 0 sends
  // (instances, the rest, a cancel) until it says the kind is done.
  void serve_rank0();
  void serve_dispatch(const StageMessage& message);
  void serve_rest(const StageMessage& message);
  // Rank 0, for a kind that runs there: hands the instance to a rank with room (round robin,
  // waiting for one while every rank has workers + queue of its bulkhead's instances), itself
  // included.
  bool dispatch_to_rank(std::size_t plan, std::uint64_t index);
  // An instance the kind dispatched while the stage stops: it ends cancelled without running.
  void end_cancelled(const JobPlan& plan, std::uint64_t index);
  // Rank 0: `message` to every other rank.
  void send_to_ranks(const StageMessage& message);
  StageMessage message_of(StageMessage::Kind kind) const;
  void finish(StageOutcome& outcome);
  // Under a cluster, after this rank's barrier: waits for every rank's, and makes the outcome
  // the whole stage's (counts summed over ranks, failed if it failed on any).
  void join_ranks(StageOutcome& outcome);
  // What join_ranks sums: the counts by state, a failure, repeat.until reached, the size of the
  // outputs to share, an interrupt, the instances reused (--resume).
  static constexpr std::size_t kValuesAtEnd = kJobStateCount + 5;
  // Under a cluster, when the stage's barrier was given up after an interrupt (a rank did not
  // come): on rank 0, `values` become the sum of the counts that came (Cluster::Channel::ends)
  // and of the lost ranks' instances, as failed; RunServices::ranks_lost names them.
  void count_lost_ranks(std::vector<std::uint64_t>& values);
  // Under a cluster, at the stage's end: what this rank's instances published (the chunks it
  // claimed); and, given it encoded, all ranks' reach every rank (run/cluster_outputs.hpp).
  std::vector<SharedOutput> outputs_claimed_here();
  void share_outputs(const std::string& mine);
  std::size_t plan_of(const StageInstance& instance) const;
  Feeder& feeder_of(std::size_t plan);
  // Runs fn(feeder) for every feeder, each on a thread of its own but the first.
  template <class Fn>
  void on_every_feeder(Fn fn);

  const StageSpec& stage_;
  int iteration_ = 0;
  RunServices& shared_;
  StageLogger logger_;
  std::vector<std::unique_ptr<JobPlan>> plans_;
  std::vector<std::uint64_t> plan_start_;         // the stream position of each plan's first
  std::vector<std::size_t> plan_feeder_;          // the feeder of each plan
  std::vector<std::unique_ptr<Feeder>> feeders_;  // one per bulkhead
  std::atomic<bool> started_{false};              // plans_ and feeders_ are complete
  std::uint64_t total_ = 0;                   // instances in the stream
  std::uint64_t range_base_ = 0;              // under a cluster: the first plan's claim range
  std::uint64_t skipped_by_condition_ = 0;    // not in it: their job's `if:` is false
  std::string skipped_jobs_note_{};           // why, for the stage's note
  std::chrono::steady_clock::time_point start_{};

  // The stream: the next instance is plans_[cursor_plan_], index cursor_index_.
  std::size_t cursor_plan_ = 0;
  std::uint64_t cursor_index_ = 0;
  std::uint64_t position_ = 0;
  std::unordered_map<std::uint64_t, StageInstance> taken_;  // by position: taken, not dispatched

  CancelSource cancel_;  // StageContext::cancel(): running attempts see it
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> owns_failures_{false};
  std::atomic<bool> until_reached_{false};
  std::atomic<bool> stop_sent_{false};          // Cluster::stop() called for this iteration
  std::atomic<bool> cluster_cancelled_{false};  // stop_by_cluster() cancelled cancel_
  std::mutex claimed_mutex_;                    // guards claimed_
  std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> claimed_;  // by plan
  struct SplitTo {
    int rank = 0;
    std::size_t plan = 0;
    std::uint64_t index = 0;
  };
  std::vector<SplitTo> split_elsewhere_;  // rank 0: split_to()
  std::array<std::atomic<std::size_t>, kJobStateCount> counts_{};
  std::atomic<std::uint64_t> reused_{0};
  std::atomic<std::uint64_t> overdue_{0};  // see StageProgress::overdue
  StateCounts counts_at_wait_{};

  std::mutex ended_mutex_;  // guards ended_ and tracked_outstanding_
  std::condition_variable ended_wake_;
  std::deque<EndedInstance> ended_;
  std::uint64_t tracked_outstanding_ = 0;

  // Under a cluster, a kind other than `parallel`: its logic runs on rank 0 only, its instances
  // on any rank (docs/stages.md). Rank 0's bookkeeping, guarded by ended_mutex_:
  bool on_rank0_ = false;
  std::vector<std::vector<std::uint64_t>> in_flight_;  // by feeder, by rank: dispatched there
  std::size_t next_rank_ = 0;                          // where round robin looks first
  std::uint64_t rest_pending_ = 0;  // ranks whose part of dispatch_rest() has not ended
  StateCounts remote_counts_{};     // what ended on other ranks, as they reported it (wait())
};

// The number of instances a stage would run now (one iteration): what a skipped stage counts.
std::uint64_t count_instances(const StageSpec& stage, const RunServices& shared);

}  // namespace lockstep::run
