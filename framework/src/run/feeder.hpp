// Feeds one bulkhead with the instances a stage's kind sends to it, lazily and in index order, and
// waits until every one of them has ended. A stage has one feeder per bulkhead it uses; when a
// kind dispatches the rest of a stage, each feeder runs on its own thread, so a full bulkhead
// never holds back another's jobs of the same stage.
//
// Each instance ends exactly once: when an attempt succeeds, when its last attempt does not,
// when the engine could not admit it (rejected, cancelled), or without being dispatched (the
// stage stopped, the run was interrupted). `pending_` counts dispatched instances that have not
// ended (a retry waiting for its backoff included). Instances dispatched one by one are
// "tracked": their ends are reported to the stage (StageContext::next_ended).
//
// Retries are dispatched by a thread of the feeder's own, started with the first retry: a retry
// may wait for room in this bulkhead, and only this bulkhead. Dispatching them from the thread
// that feeds the stage (or the kind's thread) would make a retry on a free bulkhead wait while
// that thread is blocked on a full one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "lockstep/engine/batch.hpp"
#include "lockstep/engine/bulkhead.hpp"
#include "run/crash_note.hpp"
#include "run/job_plan.hpp"
#include "run/running_attempts.hpp"
#include "run/stage_run.hpp"

namespace lockstep::run {

class AttemptContext;

class Feeder {
 public:
  Feeder(StageRun& stage, Bulkhead& bulkhead)
      : stage_(stage),
        bulkhead_(bulkhead),
        workers_(stage.services().worker_pool(bulkhead.name())),
        running_(bulkhead.workers()),
        // A worker process's batch costs a message round trip (tens of µs): until the chunks are
        // sized from what they took, batches start at several instances.
        chunk_(workers_ != nullptr ? kFirstBatch : 1),
        window_start_(Clock::now()) {}
  ~Feeder() { stop_retry_dispatcher(); }
  Feeder(const Feeder&) = delete;
  Feeder& operator=(const Feeder&) = delete;

  Bulkhead& bulkhead() noexcept { return bulkhead_; }
  void add(JobPlan& plan) { plans_.push_back(&plan); }

  // Dispatches instances [start, end) of the plan in chunks; those left when the stage stops end
  // as cancelled without running.
  void dispatch_range(JobPlan& plan, std::uint64_t start, std::uint64_t end);
  // Dispatches one tracked instance; false when the engine did not admit it (it ended then). A
  // reused one ends succeeded at once, without being dispatched.
  bool dispatch_one(JobPlan& plan, std::uint64_t index);
  // Waits until every dispatched instance has ended (retries included); returns early when the
  // run is interrupted (what the engine dropped is settled by settle()). Waits as the engine's
  // barrier does: runs queued chunks on this thread while a worker place is free, spins briefly,
  // and only then sleeps (a stage round of short jobs would otherwise pay for a wake-up).
  void wait_for_pending();
  // The engine's barrier: no task of this feeder runs after it.
  void barrier() { batch_.wait(); }
  // Retries that will not happen end now, as `state` (or as their last attempt, if none).
  void end_retries(std::optional<JobState> state);
  // After the barrier: what the engine dropped (an interrupt) is counted as cancelled.
  void settle();
  // Instances dispatched and not ended yet (a retry waiting for its backoff included).
  std::uint64_t outstanding() const noexcept { return pending_.load(std::memory_order_relaxed); }
  // How long the attempts running now have been at it (for the progress ETA).
  RunningAttempts::Spent running_spent() const noexcept {
    return running_.spent(RunningAttempts::Clock::now());
  }

 private:
  using Clock = std::chrono::steady_clock;

  // An instance waiting for its next attempt.
  struct Retry {
    Clock::time_point due;
    JobPlan* plan;
    std::uint64_t index;
    int attempt;
    JobState last_state;
    std::vector<std::string> messages;
    bool tracked;
  };

  // Times on one worker without a clock read per attempt (RunObserver::Interest::failures):
  // read when a chunk starts, after an attempt that did not succeed, and when a run of
  // successes is reported.
  struct WorkerClock {
    Clock::time_point since{};  // the start of the current run of successes
    // The index that run began at: the successes before the attempt now running are the ones
    // from here to its index (no count kept per instance, which cost observed runs ~2 %).
    std::uint64_t from = 0;
    // Set by an attempt that did not succeed: where the successes before it end (its start),
    // and that it did.
    Clock::time_point split{};
    bool cut = false;
  };

  // What one attempt came to.
  struct Attempt {
    JobState state = JobState::succeeded;
    std::string message{};
    bool retryable = true;
    // In a worker process: when the job ran there, as the worker timed it (unset if it died).
    std::optional<std::pair<Clock::time_point, Clock::time_point>> ran{};
  };

  // What ended on one path: counted into the stage, and their pending places given back, when it
  // goes out of scope — an exception's unwinding included — so that no path can lose a count or
  // leave wait_for_pending() waiting. Every end goes through one.
  class Ends {
   public:
    explicit Ends(Feeder& feeder) noexcept : feeder_(feeder) {}
    ~Ends();
    Ends(const Ends&) = delete;
    Ends& operator=(const Ends&) = delete;

    StateCounts tally{};      // by terminal state
    std::uint64_t ended = 0;  // dispatched instances among them: places to give back

   private:
    Feeder& feeder_;
  };

  std::uint64_t next_chunk(std::uint64_t remaining);
  // Under a cluster: instances [start, end) are shared by every rank; this rank claims chunks of
  // them (Cluster::claim) as its workers free up, until none is left. A range of no more
  // instances than ranks is split by index instead, without a message.
  void dispatch_shared_range(Cluster& cluster, JobPlan& plan, std::uint64_t start,
                             std::uint64_t end);
  // Dispatches [start, end) to this bulkhead, reused instances (--resume) ending at once. On a
  // stop, the rest ends without running (end_unrun) and it returns false.
  bool dispatch_here(JobPlan& plan, std::uint64_t start, std::uint64_t end);
  // Instances [from, to) end without running: reused ones reused, the others cancelled.
  void end_unrun(JobPlan& plan, std::uint64_t from, std::uint64_t to);
  void end_cancelled(JobPlan& plan, std::uint64_t from, std::uint64_t to);
  // Returns once fewer than `limit` dispatched instances have not ended (or the stage stops).
  void wait_for_room(std::uint64_t limit);
  bool dispatch_chunk(JobPlan& plan, std::uint64_t start, std::uint64_t count, bool tracked);

  // Retries: scheduled from workers, dispatched by the retry dispatcher when due.
  void schedule_retry(Retry retry);
  void dispatch_retries_when_due(const std::stop_token& stop);
  void dispatch_retry(Retry retry);
  void stop_retry_dispatcher();

  // The engine's token for a task, also cancelled by an interrupt of the run and by the stage.
  CancelToken run_token(const CancelToken& engine_token) const noexcept;
  void run_chunk(const CancelToken& token, JobPlan& plan, std::uint64_t start, std::uint64_t count,
                 bool tracked);
  // Runs one attempt; returns whether the instance ended (false: a retry is scheduled). `token`
  // is a run_token().
  bool run_instance(const CancelToken& token, JobPlan& plan, std::uint64_t index, int attempt,
                    std::vector<std::string> messages, bool tracked, StateCounts& tally,
                    WorkerClock* clock);
  // What follows an attempt: the instance ends, or (false) a retry is scheduled.
  bool conclude(JobPlan& plan, std::uint64_t index, int attempt, Attempt outcome,
                std::vector<std::string> messages, const Params& params, const Item* item,
                bool tracked, StateCounts& tally);
  Attempt run_attempt(const CancelToken& token, JobPlan& plan, std::uint64_t index, int attempt,
                      const Params& params, const Item* item, WorkerClock* clock);
  // Whether the plan's instances are plain: on a thread, with the job's own params, no timeout,
  // and no observer of every attempt (which would name their items). Most instances are; a
  // chunk makes what their first attempts share once (run_plain_instance).
  bool plain(const JobPlan& plan) const noexcept;
  // The first attempt of a plain instance, in the chunk's `context` (retargeted to `index`);
  // returns whether the instance ended (false: a retry is scheduled).
  bool run_plain_instance(JobPlan& plan, AttemptContext& context, RunningInstance& running,
                          int slot, std::uint64_t index, bool tracked, StateCounts& tally,
                          WorkerClock* clock);
  RunningInstance running_instance(const JobPlan& plan, std::uint64_t index) const;
  // The job itself, on worker place `slot`: made by its type's factory, run and destroyed (or
  // run by a worker process); what it came to, its message masked.
  Attempt run_job(const JobSpec& spec, AttemptContext& context, const RunningInstance& instance,
                  int slot);
  // After an attempt that did not succeed, on a worker that keeps a clock: observers of failures
  // see it (timed from the clock, unless they saw it already: `seen`), and the clock restarts.
  void clock_failure(WorkerClock& clock, const AttemptEvent* seen, const AttemptContext& context,
                     const Attempt& outcome, int slot, const Item* item);
  // Whether a chunk's first attempts go to a worker process as batches (run_batches): on a
  // process-isolated bulkhead, for instances that need nothing of their own (no templates, no
  // timeout). Observers that watch every attempt see each instance of a batch once it returns.
  bool batched(const JobPlan& plan, bool tracked) const noexcept;
  // Instances from `i` to `end` in batches; `i` moves past each instance as its end is counted.
  // Stops early when the stage stops or `token` is cancelled: the caller ends the rest.
  void run_batches(const CancelToken& token, JobPlan& plan, std::uint64_t& i, std::uint64_t end,
                   Ends& ends);
  void end_instance(JobPlan& plan, std::uint64_t index, JobState state, int attempts,
                    std::vector<std::string> messages, const Params* params, bool tracked,
                    StateCounts& tally, const Item* item = nullptr);
  void release(std::uint64_t ended) noexcept;
  // Instances [from, to) are reused: they end succeeded without running.
  void end_reused(JobPlan& plan, std::uint64_t from, std::uint64_t to, bool tracked);
  // Instances [from, to) of a chunk that will not run end as cancelled (observed, when observers
  // or the stage track them).
  void end_unrun(JobPlan& plan, std::uint64_t from, std::uint64_t to, bool tracked, Ends& ends);
  // Under a cluster, instances [from, to) this rank claimed (never pending) and will not run:
  // cancelled, and told to observers that see failures, as StageRun::finish tells them of the
  // instances a stopped stage never dispatched in one process.
  void end_claimed_unrun(JobPlan& plan, std::uint64_t from, std::uint64_t to);
  // Instances [from, to) succeeded (`reused`: without running): RunObserver::instances_succeeded,
  // when an observer wants it.
  void report_succeeded(JobPlan& plan, std::uint64_t from, std::uint64_t to,
                        Clock::time_point start, Clock::time_point end, bool reused = false);
  // Whether observers see failed attempts or ranges of successes: then workers keep a
  // WorkerClock.
  bool timed() const noexcept;

  StageRun& stage_;
  Bulkhead& bulkhead_;
  WorkerPool* workers_;  // set when the bulkhead's jobs run in worker processes
  std::vector<JobPlan*> plans_;
  Batch batch_;
  RunningAttempts running_;

  std::atomic<std::uint64_t> pending_{0};
  std::atomic<std::uint64_t> completed_{0};  // instances of chunks that ran: sizes chunks
  std::atomic<bool> waiting_{false};         // the feeder sleeps until pending_ is zero
  std::atomic<std::uint64_t> room_wanted_{0};      // wait_for_room() sleeps until pending_ is below
  std::atomic<std::int64_t> batch_ns_per_job_{0};  // of the last batch returned; 0: none yet

  std::mutex mutex_;                   // guards retries_ and retry_dispatcher_
  std::condition_variable wake_;       // pending_ reached zero
  std::condition_variable_any retry_;  // a retry was scheduled, or the dispatcher must stop
  std::vector<Retry> retries_;         // a heap, earliest due first
  std::jthread retry_dispatcher_;      // started by the first retry; joined by settle()

  // Chunking: how many consecutive instances share one bulkhead place (see chunk_size()).
  static constexpr std::uint64_t kFirstBatch = 32;
  std::uint64_t chunk_;
  std::uint64_t dispatches_ = 0;
  Clock::time_point window_start_{};  // of the instances completed since the last resize
  std::uint64_t window_done_ = 0;
};

}  // namespace lockstep::run
