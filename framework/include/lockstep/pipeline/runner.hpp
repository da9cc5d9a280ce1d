// lockstep/pipeline/runner.hpp — runs a checked Pipeline: each stage once the stages it needs have
// ended (a barrier per edge), stages whose needs have ended side by side.
//
//   auto pipeline = lockstep::load_pipeline("pipe.yaml", {}, loader, diags);
//   lockstep::Runner runner(*pipeline, {.threads = 8});
//   lockstep::RunResult result = runner.run();
//   for (const auto& stage : result.stages)
//     std::cout << stage.name << ": " << stage.counts[lockstep::JobState::failed] << " failed\n";
//   return result.exit_code();  // 0, or 1 when a failure was not allowed
//
// Each stage's instances are made lazily, in index order, as their bulkheads admit them, so a
// stage of ten million jobs holds only about `workers + queue` instances per bulkhead. Each
// instance ends in exactly one terminal state, counted once. Retries wait for their backoff
// outside the bulkhead (holding no worker); an attempt that outlives its timeout is cancelled and
// ends as timed_out. When a stage fails and its on_failure is `stop`, its queued instances end as
// cancelled, running ones finish, and every stage that needs it, directly or not, is skipped
// (each instance counted); stages running beside it finish, and stages that do not need it
// still run.
//
// Short jobs are dispatched in chunks: once a stage's jobs are seen to take only microseconds,
// consecutive instances share one bulkhead place and run one after another on its worker. Each
// still has its own job object, context, attempts and terminal state.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/engine/job_state.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/reuse.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

class Cluster;

enum class StageStatus : unsigned char {
  succeeded,    // every instance succeeded, or failed as continue_on_error allows
  failed,       // an instance failed, and on_failure is continue
  stopped,      // an instance failed and on_failure is stop: the stages needing it were skipped
  interrupted,  // the run was interrupted while this stage ran
  skipped,      // its `if:` is false, a stage it needs (directly or not) stopped, or the run
                // ended before it
};
LOCKSTEP_API std::string_view to_string(StageStatus status) noexcept;

// How one bulkhead was used during one stage (all its iterations). Queue waits are the times
// admitted places waited for a worker, sampled as BulkheadStats describes; utilisation is the
// time its workers spent running jobs over workers x the stage's wall time, from 0 to 1.
struct BulkheadUsage {
  std::string name{};
  int workers = 0;
  int queue = 0;                 // the queue bound
  std::uint64_t admitted = 0;    // places taken (a chunk of short jobs takes one)
  int peak_running = 0;          // at most workers
  std::int64_t peak_queued = 0;  // at most queue
  std::chrono::nanoseconds queue_wait_p50{}, queue_wait_p95{}, queue_wait_p99{}, queue_wait_max{};
  std::uint64_t rejected = 0;  // instances that found no room within max_wait
  double utilisation = 0;
};

struct StageSummary {
  std::string name{};
  StageStatus status = StageStatus::succeeded;
  int iterations = 0;    // iterations that ran (1 without repeat)
  StateCounts counts{};  // instances of every iteration, by terminal state
  std::uint64_t reused = 0;  // of the succeeded, those RunOptions::reuse spared from running
  std::chrono::nanoseconds start{};  // since the run started (0 for a stage that never started)
  std::chrono::nanoseconds wall{};   // from its start to its end: all its iterations
  std::string note{};  // e.g. "stopped after 100 iterations: no job published 'converged'"
  // What deserves a look though nothing failed, e.g. "job 'hash': foreach files 'in/*.txt'
  // matched nothing (0 instances)"; each once, however many iterations said it.
  std::vector<std::string> warnings{};
  // The bulkheads its jobs used, in pipeline order. At stage_ended of an iteration that is not
  // the last, up to 50 ms old: a round of short jobs would otherwise pay for them every time.
  std::vector<BulkheadUsage> bulkheads{};
};

// A snapshot of the stage running now, for progress displays: cheap enough to take ten times a
// second during a stage of millions of instances.
struct StageProgress {
  std::string name{};
  int iteration = 0;          // of a repeated stage, from 1; 0 when the stage does not repeat
  std::uint64_t total = 0;    // instances of this iteration
  StateCounts ended{};        // by terminal state, this iteration
  std::uint64_t running = 0;  // attempts running now
  std::uint64_t queued = 0;   // dispatched, not running and not ended (waiting retries included)
  std::chrono::nanoseconds elapsed{};  // since the iteration started
  // How long the attempts running now have been at it: summed, and the longest. Lower bounds
  // (measured from the first snapshot that saw each attempt), to keep the clock off the jobs.
  std::chrono::nanoseconds running_for{};
  std::chrono::nanoseconds longest_running{};
  // Attempts on threads (isolation: thread) still running `grace` after their timeout: they
  // ignore cancellation, and nothing can stop a thread.
  std::uint64_t overdue = 0;
};

struct LOCKSTEP_API RunResult {
  std::vector<StageSummary> stages{};
  StateCounts totals{};
  std::uint64_t reused = 0;  // of the succeeded, those RunOptions::reuse spared from running
  std::chrono::nanoseconds wall{};
  bool interrupted = false;
  std::vector<std::string> warnings{};  // e.g. a thread cap below the bulkheads' workers
  // Why the run could not start (this machine cannot start the threads the bulkheads need):
  // then no job ran and every instance counts as skipped.
  std::string error{};
  // Under a cluster: ranks lost after an interrupt (dead, or their jobs did not end), and the
  // instances they held, which count as failed; "" when none. RunOptions::cluster.
  std::string ranks_lost{};
  // 2 with an error, else 0 when no failure counts against the run, 1 when one does, 130 when
  // interrupted.
  int exit_code() const noexcept;
};

// One attempt of one instance, as observers see it. `id` is "stage/job[index]" (with the
// iteration, "stage@2/job[index]", in a repeated stage); `slot` is which of its bulkhead's
// worker places ran it, from 0.
struct AttemptEvent {
  const StageSpec* stage = nullptr;
  const JobSpec* job = nullptr;
  std::string id{};
  std::uint64_t index = 0;
  int iteration = 1;
  int attempt = 1;
  int slot = 0;
  std::chrono::steady_clock::time_point start{}, end{};  // end is unset in attempt_started
  JobState state = JobState::succeeded;                  // in attempt_ended
  std::string message{};                                 // why it did not succeed
  const Item* item = nullptr;  // the fan-out item, when observers see every instance; else null
  // Under a cluster, the rank that ran it, as rank 0's observers that see other ranks
  // (RunObserver::sees_other_ranks()) are told; 0 for the events of this process's own runner.
  int rank = 0;
};

// Instances [from, to) of one job that succeeded one after another on one worker place: what
// RunObserver::instances_succeeded() receives. The times are read once per run of successes
// (about once per chunk of short jobs), never per instance: `start` is the first one's start,
// `end` the last one's end.
struct SucceededRange {
  const StageSpec* stage = nullptr;
  const JobSpec* job = nullptr;
  int iteration = 1;
  std::uint64_t from = 0, to = 0;
  int slot = 0;  // the worker place that ran them; -1 outside any
  std::chrono::steady_clock::time_point start{}, end{};
  // The fan-out item of a range of one instance (a job whose instances take about 50 us or more
  // runs one per chunk); null for a longer range, or a job without fan-out.
  const Item* item = nullptr;
  bool reused = false;  // they succeeded without running (RunOptions::reuse): no time, no worker
  int rank = 0;         // as in AttemptEvent
};

// An instance reached its terminal state (after its last attempt, or without running).
struct InstanceEvent {
  const StageSpec* stage = nullptr;
  const JobSpec* job = nullptr;
  std::string id{};
  std::uint64_t index = 0;
  int iteration = 1;
  int attempts = 0;  // 0 when it never ran (cancelled, rejected or skipped before running)
  JobState state = JobState::succeeded;
  std::vector<std::string> messages{};  // one per attempt that did not succeed
  const Params* params = nullptr;       // the instance's parameters, templates filled in
  const Item* item = nullptr;           // the fan-out item, when it ran with one; null otherwise
  bool reused = false;  // succeeded without running: RunOptions::reuse (attempts is 0)
  int rank = 0;         // as in AttemptEvent
};

// Receives run events, from the thread that runs the pipeline and from workers; implementations
// must be thread-safe and quick. Observers are how progress, reports and traces plug in.
class LOCKSTEP_API RunObserver {
 public:
  // How much an observer wants to see. Events cost time per instance (an id to format, a clock
  // to read), so the runner makes only those that some observer asked for.
  enum class Interest : unsigned char {
    stages,    // run and stage events only
    // Also instance_ended for instances that did not succeed, and attempt_ended for attempts
    // that did not succeed. Those attempts are timed without a clock read per attempt: in a
    // chunk of short jobs, an attempt that follows successes shares the time since the chunk's
    // last reading evenly with them (its start is an estimate, off by at most the chunk's
    // length, about 50 us); else its start and end are exact.
    failures,
    all,       // also instance_ended for every instance, and every attempt
  };
  virtual ~RunObserver();
  virtual Interest interest() const { return Interest::all; }
  virtual void run_started(const Pipeline& /*pipeline*/) {}
  virtual void stage_started(const StageSpec& /*stage*/, int /*iteration*/) {}
  virtual void attempt_started(const AttemptEvent& /*attempt*/) {}
  virtual void attempt_ended(const AttemptEvent& /*attempt*/) {}
  virtual void instance_ended(const InstanceEvent& /*instance*/) {}
  virtual void stage_ended(const StageSpec& /*stage*/, int /*iteration*/,
                           const StageSummary& /*so_far*/) {}
  virtual void run_ended(const RunResult& /*result*/) {}
  // Under a cluster, on rank 0, before stage_ended: these ranks were lost in the stage (they died
  // after an interrupt; RunResult::ranks_lost). Every instance they held counts as failed, though
  // some of their successes may have been seen already: what publishes nothing (their outputs
  // never came) should not be kept as a success.
  virtual void ranks_lost(const std::vector<int>& /*ranks*/) {}

  // The cheap way to see every success: a run of consecutive succeeded instances of one job on
  // one worker place at a time (about one call per chunk of short jobs), without an id, an item
  // or a clock read per instance. Called for every observer once any observer's
  // wants_succeeded_ranges() is true; those that also see instance_ended for successes
  // (Interest::all) see each success both ways.
  virtual bool wants_succeeded_ranges() const { return false; }
  virtual void instances_succeeded(const SucceededRange& /*range*/) {}

  // Under a cluster (RunOptions::cluster), on rank 0: true to also see the instance events of
  // every other rank (attempts, instance ends, runs of successes, as interest() and
  // wants_succeeded_ranges() ask), each with its `rank`, before the stage_ended() of their
  // stage; their times are rank 0's run start plus their time since their own rank's run start.
  // False (the default) for what belongs to this process alone, such as its log files. Reports,
  // traces and pages of the whole run say true.
  virtual bool sees_other_ranks() const { return false; }
};

struct RunOptions {
  std::optional<int> threads{};  // overrides the pipeline's `threads`
  LogSink* log = nullptr;        // job log lines; stderr_log_sink() when null
  // Not owned; must outlive run(). Runner::observe() attaches more; they all see every event.
  std::vector<RunObserver*> observers{};
  // Instances not to run again (`--resume`): each ends succeeded at once, its outputs published,
  // counted in `reused`; observers see it as a success (InstanceEvent::reused). Not owned.
  const Reuse* reuse = nullptr;
  // Where the jobs of bulkheads that do not say `isolation:` run (thread: lockstep's own).
  Isolation isolation = Isolation::thread;
  // The worker program of process isolation; empty: LOCKSTEP_WORKER, else lockstep-worker in
  // lib/lockstep/ next to liblockstep (where the build and an install put it).
  std::filesystem::path worker_program{};
  // Several processes ("ranks") run this pipeline together, each its share of every stage
  // (<lockstep/pipeline/cluster.hpp>); not owned. Null: this process alone, and nothing of it
  // costs anything. Under a cluster, stages run one at a time, and every rank's RunResult holds
  // the counts of all ranks; a pipeline unsupported_on_cluster() refuses is an error of the run.
  Cluster* cluster = nullptr;
};

// For programs that run pipelines with jobs on their own threads (isolation: thread): a job that
// crashes the process (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) still ends it, but first writes
// "lockstep: crashed (SIGSEGV) while running: scan/hash[17]" to stderr, then hands the signal on
// to the handler installed before. Once per process; `lockstep run` calls it.
LOCKSTEP_API void install_crash_note() noexcept;

// What a bulkhead's `memory:` uses on this machine: "cgroup v2 (PATH)" or "cgroup v1 (PATH)" (a
// cgroup per worker process, made in PATH: the cgroup lockstep runs in, or LOCKSTEP_CGROUP), else
// "RLIMIT_AS (no writable memory cgroup)". `lockstep --version` prints it.
LOCKSTEP_API std::string memory_limit_mechanism();

class LOCKSTEP_API Runner {
 public:
  Runner(const Pipeline& pipeline, RunOptions options = {});
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Attaches an observer (not owned; it must outlive run()): any number of them, in any order,
  // before run(); each sees every event once (attaching one twice changes nothing). Throws
  // std::logic_error once run() has started.
  Runner& observe(RunObserver& observer);
  // Where job log lines go (not owned; it must outlive run()), instead of RunOptions::log. Same
  // rules as observe(): before run() only.
  Runner& log_to(LogSink& sink);

  // Runs every stage; returns when the last one ended (or the run was interrupted). Once.
  RunResult run();
  // From any thread (not a signal handler): admit nothing more, cancel running attempts; every
  // instance that did not end is counted as cancelled and run() returns soon after.
  void interrupt() noexcept;
  // From any thread: the stage running now (of several side by side, the one that started
  // first), or nothing between stages and outside run().
  std::optional<StageProgress> progress() const;
  // From any thread: every stage running now, side by side (needs), in the order they started.
  std::vector<StageProgress> progress_of_stages() const;
  // Outputs published so far ("stage.job.key").
  const Outputs& outputs() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep
