#include "lockstep/pipeline/runner.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <thread>

#include "lockstep/pipeline/cluster.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/plugin_loader.hpp"

#include "run/bulkhead_usage.hpp"
#include "run/condition_check.hpp"
#include "run/rank_events.hpp"
#include "run/run_services.hpp"
#include "run/stage_graph.hpp"
#include "run/stage_run.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

std::string_view to_string(StageStatus status) noexcept {
  switch (status) {
    case StageStatus::succeeded:
      return "succeeded";
    case StageStatus::failed:
      return "failed";
    case StageStatus::stopped:
      return "stopped";
    case StageStatus::interrupted:
      return "interrupted";
    case StageStatus::skipped:
      return "skipped";
  }
  return "unknown";
}

int RunResult::exit_code() const noexcept {
  if (!error.empty()) return kExitError;
  if (interrupted) return kExitInterrupted;
  for (const auto& stage : stages) {
    if (stage.status == StageStatus::failed || stage.status == StageStatus::stopped) {
      return kExitFailures;
    }
  }
  return kExitOk;
}

RunObserver::~RunObserver() = default;

namespace {

// The most stages that run side by side. Each holds a thread of its own (its kind's) and a feeder
// thread per busy bulkhead; more ready stages wait, in pipeline order, for one to end.
constexpr std::size_t kMaxStagesAtOnce = 16;

RunObserver::Interest most_interest(const std::vector<RunObserver*>& observers) {
  auto most = RunObserver::Interest::stages;
  for (const auto* observer : observers) most = std::max(most, observer->interest());
  return most;
}

// The worker program of process isolation: as given, else LOCKSTEP_WORKER, else the one in
// lib/lockstep/ next to liblockstep.
std::filesystem::path worker_program(const RunOptions& options) {
  if (!options.worker_program.empty()) return options.worker_program;
  if (const char* given = std::getenv("LOCKSTEP_WORKER"); given != nullptr && *given != '\0') {
    return given;
  }
  return PluginLoader::bundled_dir() / "lockstep-worker";
}

// The plugin files of the job types that run on `bulkhead`: what its worker processes load.
std::vector<std::string> plugin_files(const Pipeline& pipeline, std::string_view bulkhead) {
  std::vector<std::string> files;
  for (const auto& stage : pipeline.stages) {
    for (const auto& job : stage.jobs) {
      if (job.bulkhead != bulkhead || job.type == nullptr || job.type->file.empty()) continue;
      auto file = job.type->file.string();
      if (std::ranges::find(files, file) == files.end()) files.push_back(std::move(file));
    }
  }
  return files;
}

void start_worker_pools(const Pipeline& pipeline, const RunOptions& options,
                        run::RunServices& shared) {
  for (const auto& spec : pipeline.bulkheads) {
    if (spec.isolation.value_or(options.isolation) != Isolation::process) continue;
    run::WorkerSetup setup{worker_program(options), plugin_files(pipeline, spec.name), spec.memory,
                           spec.cpu_time};
    shared.worker_pools.emplace(spec.name,
                                std::make_unique<run::WorkerPool>(spec.workers, std::move(setup)));
  }
}

// Why this run cannot be spread over a cluster's ranks, else "".
std::string refused_on_cluster(const Pipeline& pipeline, const RunOptions& /*options*/) {
  std::string why;
  for (const auto& line : unsupported_on_cluster(pipeline)) why += (why.empty() ? "" : "; ") + line;
  return why;
}

}  // namespace

struct Runner::Impl {
  Impl(const Pipeline& p, RunOptions o) : pipeline(p), options(std::move(o)) {}

  const Pipeline& pipeline;
  RunOptions options;
  Outputs outputs;
  std::mutex mutex;  // guards engine, shared, running, ran, and options until run() starts
  Engine* engine = nullptr;
  run::RunServices* shared = nullptr;
  std::vector<const run::StageRun*> running;  // the iterations running now, by start
  bool interrupt_requested = false;
  bool ran = false;
  std::chrono::steady_clock::time_point run_start{};

  StageSummary run_stage(const StageSpec& stage, run::RunServices& shared);
  // Every stage, each once its needs have ended, side by side when several are ready; the
  // summaries in pipeline order.
  std::vector<StageSummary> run_graph(run::StageGraph& graph, run::RunServices& shared,
                                      bool skip_all);
  // A stage's progress; under a cluster, on rank 0, with the other ranks'. Under `mutex`.
  StageProgress progress_of(const run::StageRun& stage) const;
  // `from_cluster`: another rank's interrupt, which this rank need not pass on.
  void interrupt(bool from_cluster = false) noexcept;
};

Runner::Runner(const Pipeline& pipeline, RunOptions options)
    : impl_(std::make_unique<Impl>(pipeline, std::move(options))) {}

Runner::~Runner() = default;

Runner& Runner::observe(RunObserver& observer) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->ran) {
    throw std::logic_error("lockstep::Runner::observe() called after run() started");
  }
  auto& observers = impl_->options.observers;
  if (std::ranges::find(observers, &observer) == observers.end()) observers.push_back(&observer);
  return *this;
}

Runner& Runner::log_to(LogSink& sink) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->ran) throw std::logic_error("lockstep::Runner::log_to() called after run() started");
  impl_->options.log = &sink;
  return *this;
}

const Outputs& Runner::outputs() const noexcept { return impl_->outputs; }

void Runner::interrupt() noexcept { impl_->interrupt(); }

std::optional<StageProgress> Runner::progress() const {
  std::lock_guard lock(impl_->mutex);
  if (impl_->running.empty()) return std::nullopt;
  return impl_->progress_of(*impl_->running.front());
}

std::vector<StageProgress> Runner::progress_of_stages() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<StageProgress> stages;
  stages.reserve(impl_->running.size());
  for (const auto* stage : impl_->running) stages.push_back(impl_->progress_of(*stage));
  return stages;
}

StageProgress Runner::Impl::progress_of(const run::StageRun& stage) const {
  auto progress = stage.progress();
  // Under a cluster, rank 0 shows every rank's: what each last posted of this stage iteration.
  if (shared != nullptr && shared->cluster != nullptr && shared->cluster->rank() == 0) {
    std::lock_guard lock(shared->rank_progress_mutex);
    for (const auto& [rank, posted] : shared->rank_progress) {
      if (posted.key == stage.stop_key()) run::add_progress(progress, posted.values);
    }
  }
  return progress;
}

void Runner::Impl::interrupt(bool from_cluster) noexcept {
  std::lock_guard lock(mutex);
  interrupt_requested = true;
  if (shared == nullptr) return;
  shared->interrupted.store(true);
  shared->interrupt.cancel();
  engine->cancel();  // wakes dispatchers waiting for room; queued jobs end without running
  if (auto* cluster = shared->cluster) {
    // mpirun interrupts every rank when one dies, and kills them a second later: a rank that died
    // never comes to the stage's end, so the others wait for it only this long.
    cluster->give_up_waits_at(std::chrono::steady_clock::now() + run::kRankPatience);
    // An interrupt of this process alone (not through mpirun) reaches every rank.
    if (!from_cluster) cluster->stop(Cluster::kInterruptKey);
  }
}

namespace {

enum class Again { yes, no, no_max_reached };

// Whether a stage runs another iteration after `iteration` ended with `status`.
Again repeats_after(const StageSpec& stage, int iteration, StageStatus status, bool until_reached) {
  if (status != StageStatus::succeeded || !stage.repeat) return Again::no;
  const auto& repeat = *stage.repeat;
  if (!repeat.until.empty() && until_reached) return Again::no;
  if (repeat.times && iteration >= *repeat.times) return Again::no;
  if (repeat.max && iteration >= *repeat.max) return Again::no_max_reached;
  return Again::yes;
}

}  // namespace

StageSummary Runner::Impl::run_stage(const StageSpec& stage, run::RunServices& shared) {
  StageSummary summary{stage.name};
  const auto start = std::chrono::steady_clock::now();
  summary.start = start - run_start;
  if (auto reason = run::skip_reason(stage.condition, shared.outputs)) {
    // Not started (no iteration): every instance skipped, and the stages needing it still run.
    summary.status = StageStatus::skipped;
    summary.note = std::move(*reason);
    summary.counts[JobState::skipped] = run::count_instances(stage, shared);
    return summary;
  }
  run::BulkheadUsageMeter usage(shared.engine, run::bulkheads_of(pipeline, stage));
  constexpr auto kUsageEvery = std::chrono::milliseconds(50);
  auto usage_read = start - kUsageEvery;  // the first iteration reads it: never empty
  run::StageRun stage_run(stage, shared);
  for (int iteration = 1;; ++iteration) {
    shared.notify([&](RunObserver& observer) { observer.stage_started(stage, iteration); });
    stage_run.begin(iteration);
    {
      std::lock_guard lock(mutex);
      running.push_back(&stage_run);
    }
    const auto outcome = stage_run.run();
    {
      std::lock_guard lock(mutex);
      std::erase(running, &stage_run);
    }
    summary.iterations = iteration;
    for (auto s : kAllJobStates) summary.counts[s] += outcome.counts[s];
    summary.reused += outcome.reused;
    if (outcome.failed) {
      summary.status =
          stage.on_failure == OnFailure::stop ? StageStatus::stopped : StageStatus::failed;
    }
    if (!outcome.note.empty() && summary.note.find(outcome.note) == std::string::npos) {
      summary.note += (summary.note.empty() ? "" : "; ") + outcome.note;  // once, not per iteration
    }
    for (const auto& warning : outcome.warnings) {
      if (std::ranges::find(summary.warnings, warning) == summary.warnings.end()) {
        summary.warnings.push_back(warning);  // once, not per iteration
      }
    }
    if (shared.interrupted.load()) summary.status = StageStatus::interrupted;
    const auto now = std::chrono::steady_clock::now();
    summary.wall = now - start;
    const auto again = repeats_after(stage, iteration, summary.status, outcome.until_reached);
    // So far, for observers: at the last iteration, and between iterations at most every 50 ms
    // (the percentiles of a bulkhead's waits cost a round of two short jobs as much again).
    if (again != Again::yes || now - usage_read >= kUsageEvery) {
      summary.bulkheads = usage.finish(summary.wall);
      usage_read = now;
    }
    shared.notify([&](RunObserver& observer) { observer.stage_ended(stage, iteration, summary); });
    if (again == Again::no_max_reached && !stage.repeat->until.empty()) {
      summary.note = "stopped after " + std::to_string(iteration) +
                     " iterations: no job published '" + stage.repeat->until + "'";
    }
    if (again != Again::yes) break;
  }
  return summary;
}

std::vector<StageSummary> Runner::Impl::run_graph(run::StageGraph& graph, run::RunServices& shared,
                                                  bool skip_all) {
  const auto& stages = pipeline.stages;
  std::vector<std::optional<StageSummary>> summaries(stages.size());
  std::deque<std::size_t> ready;
  std::mutex ended_mutex;  // guards ended
  std::condition_variable ended_wake;
  std::deque<std::size_t> ended;  // stages whose thread is done, summaries[s] set
  std::vector<std::thread> threads(stages.size());
  std::size_t running_now = 0;
  auto record_end = [&](std::size_t s) {
    const auto status = summaries[s]->status;
    graph.ended(s, status == StageStatus::stopped || status == StageStatus::interrupted);
  };
  for (;;) {
    const bool starting = !skip_all && !shared.interrupted.load();
    if (starting) graph.take_ready(ready);
    // Under a cluster every rank must reach each stage's collective calls in the same order:
    // one stage at a time, the first ready in pipeline order.
    const bool one_at_a_time = shared.cluster != nullptr && !ready.empty();
    if (starting && running_now == 0 && (ready.size() == 1 || one_at_a_time)) {
      // Alone: on this thread, as a chain of stages always runs.
      const auto s = ready.front();
      ready.pop_front();
      summaries[s] = run_stage(stages[s], shared);
      record_end(s);
      continue;
    }
    while (starting && running_now < kMaxStagesAtOnce && !ready.empty()) {
      const auto s = ready.front();
      ready.pop_front();
      ++running_now;
      threads[s] = std::thread([&, s] {
        auto summary = run_stage(stages[s], shared);
        std::lock_guard lock(ended_mutex);
        summaries[s] = std::move(summary);
        ended.push_back(s);
        ended_wake.notify_one();
      });
    }
    if (running_now == 0) break;
    std::size_t s = 0;
    {
      std::unique_lock lock(ended_mutex);
      ended_wake.wait(lock, [&] { return !ended.empty(); });
      s = ended.front();
      ended.pop_front();
    }
    threads[s].join();
    --running_now;
    record_end(s);
  }
  std::vector<StageSummary> result;
  for (std::size_t s = 0; s < stages.size(); ++s) {
    if (summaries[s]) {
      result.push_back(std::move(*summaries[s]));
      continue;
    }
    // Needs a stage that stopped, or the run stopped (interrupted, or it could not start).
    StageSummary skipped{stages[s].name, StageStatus::skipped};
    skipped.counts[JobState::skipped] = run::count_instances(stages[s], shared);
    result.push_back(std::move(skipped));
  }
  return result;
}

RunResult Runner::run() {
  auto& self = *impl_;
  {
    std::lock_guard lock(self.mutex);  // observe() and log_to() may be called from other threads
    if (self.ran) throw std::logic_error("lockstep::Runner::run() called twice");
    self.ran = true;
  }
  const auto start = std::chrono::steady_clock::now();
  self.run_start = start;

  EngineOptions engine_options;
  engine_options.max_threads = self.options.threads ? self.options.threads : self.pipeline.threads;
  engine_options.cap_name = self.options.threads ? "--threads" : "threads";  // as the user set it
  Engine engine(engine_options);
  for (const auto& spec : self.pipeline.bulkheads) {
    engine.add_bulkhead({spec.name, spec.workers, spec.queue, spec.max_wait});
  }
  run::DeadlineTimer timer;
  // Under a cluster, rank 0's reports see every rank's instances: the other ranks forward what
  // rank 0's observers want (run/rank_events.hpp), as rank 0 tells them, so that every rank
  // decides it the same.
  auto* cluster = self.options.cluster;
  std::vector<RunObserver*> observers = self.options.observers;
  run::WantedEvents wanted;
  std::optional<run::EventForwarder> forwarder;
  if (cluster != nullptr) {
    const bool first = cluster->rank() == 0;
    wanted = run::decode_wanted(
        cluster->broadcast(first ? run::encode_wanted(run::wanted_of_ranks(observers)) : ""));
    if (!first && wanted.any()) {
      observers.push_back(&forwarder.emplace(
          self.pipeline, wanted, start,
          [cluster](const std::string& text) { cluster->post(Cluster::Channel::events, text); }));
    }
  }
  run::RunServices shared{engine,
                          self.outputs,
                          self.options.log ? *self.options.log : stderr_log_sink(),
                          observers,
                          most_interest(observers),
                          timer};
  shared.forwarder = forwarder ? &*forwarder : nullptr;
  std::optional<run::EventReplay> replay;
  struct EventsReset {  // before `replay` and `shared` go, however run() ends
    Cluster* cluster;
    ~EventsReset() {
      if (cluster != nullptr) cluster->receive(Cluster::Channel::events, {});
    }
  } events_reset{cluster != nullptr && cluster->rank() == 0 && wanted.any() ? cluster : nullptr};
  if (events_reset.cluster != nullptr) {
    std::vector<RunObserver*> seeing;
    for (auto* observer : observers) {
      if (observer->sees_other_ranks()) seeing.push_back(observer);
    }
    replay.emplace(self.pipeline, self.outputs, std::move(seeing), start,
                   [&shared](const char* what) { shared.observer_failed(what); });
    cluster->receive(Cluster::Channel::events,
                     [&replay, &shared](int rank, const std::string& text) {
                       try {
                         replay->received(rank, text);
                       } catch (const std::exception& e) {
                         shared.observer_failed(e.what());
                       }
                     });
  }
  shared.reuse =
      self.options.reuse != nullptr && !self.options.reuse->empty() ? self.options.reuse : nullptr;
  start_worker_pools(self.pipeline, self.options, shared);
  for (const auto* observer : observers) {
    shared.succeeded_ranges = shared.succeeded_ranges || observer->wants_succeeded_ranges();
  }
  bool interrupted_before = false;  // interrupt() called before the engine existed
  {
    std::lock_guard lock(self.mutex);
    self.engine = &engine;
    self.shared = &shared;
    interrupted_before = self.interrupt_requested;
  }
  if (interrupted_before) self.interrupt();

  RunResult result;
  result.warnings = engine.warnings();
  // Our own threads besides oneTBB's: for each stage that may run at once, its own and a feeder
  // and a retry dispatcher per bulkhead at most; the deadline timer, and the observers'
  // (progress, the command's interrupt watch).
  run::StageGraph graph(stage_needs(self.pipeline));
  const auto at_once = static_cast<int>(std::min(kMaxStagesAtOnce, graph.widest()));
  const int spare = at_once * (2 * static_cast<int>(self.pipeline.bulkheads.size()) + 1) + 8;
  result.error = engine.check_threads(spare);
  // The cluster's stopper (below) reaches into `shared`: gone before it is, however run() ends.
  struct StopperReset {
    Cluster* cluster;
    ~StopperReset() {
      if (cluster == nullptr) return;
      cluster->on_stop({});
      cluster->receive(Cluster::Channel::stage, {});
      cluster->on_message({});
    }
  } stopper_reset{cluster};
  struct EndsReceiverReset {  // the receivers too reach into `shared`
    Cluster* cluster;
    ~EndsReceiverReset() {
      if (cluster == nullptr) return;
      cluster->receive(Cluster::Channel::ends, {});
      cluster->receive(Cluster::Channel::progress, {});
    }
  } ends_receiver_reset{cluster != nullptr && cluster->rank() == 0 ? cluster : nullptr};
  if (cluster != nullptr) {
    shared.cluster = cluster;
    if (result.error.empty()) result.error = refused_on_cluster(self.pipeline, self.options);
    // Set before the sum below: once it returns on rank 0, no other rank is without them (a text
    // rank 0 sends before a rank's messenger is set is dropped).
    // A stop on any rank (on_failure: stop) stops the stage iteration here too; an interrupt on
    // any rank interrupts this one.
    cluster->on_stop([&self, &shared](std::uint64_t key) {
      if (key == Cluster::kInterruptKey) {
        self.interrupt(true);
        return;
      }
      std::lock_guard lock(shared.cluster_mutex);
      shared.cluster_stopped = std::max(shared.cluster_stopped, key + 1);
      auto* stage = shared.cluster_stage;
      if (stage != nullptr && stage->stop_key() + 1 == shared.cluster_stopped) {
        stage->stop_by_cluster();
      }
    });
    // A stage kind other than `parallel` runs on rank 0; the instances it hands to the other
    // ranks end there (run/stage_on_rank0.cpp).
    if (cluster->rank() == 0) {
      cluster->receive(Cluster::Channel::stage, [&shared](int rank, const std::string& text) {
        const auto message = run::decode_stage_message(text);
        if (!message) return;
        run::StageRun* stage = nullptr;
        {
          std::lock_guard lock(shared.cluster_mutex);
          stage = shared.cluster_stage;
        }
        // Not under the lock: a failure it reports may stop the stage (Cluster::stop), whose
        // stopper takes the lock. The stage cannot end before the message's end is counted.
        if (stage != nullptr && stage->stop_key() == message->key) stage->from_rank(rank, *message);
      });
    } else {
      cluster->on_message([&shared](const std::string& text) {
        const auto message = run::decode_stage_message(text);
        std::lock_guard lock(shared.cluster_mutex);
        auto* stage = shared.cluster_stage;
        if (message && message->kind == run::StageMessage::Kind::cancel && stage != nullptr &&
            stage->stop_key() == message->key) {
          stage->cancelled_by_rank0();  // at once: the stage's thread may be busy dispatching
        }
        shared.inbox.push_back(text);
        shared.inbox_wake.notify_all();
      });
    }
    // Every rank starts, or none: a rank that skips every stage would leave the others waiting.
    std::uint64_t failing = result.error.empty() ? 0 : 1;
    cluster->sum({&failing, 1});
    if (failing != 0 && result.error.empty()) {
      result.error = "another rank could not start the run (its error is on its stderr)";
    }
  }
  if (cluster != nullptr && cluster->rank() == 0) {
    cluster->receive(Cluster::Channel::ends, [&shared](int rank, const std::string& text) {
      if (auto end = run::decode_rank_counts(text)) {
        std::lock_guard lock(shared.rank_ends_mutex);
        shared.rank_ends[rank] = std::move(*end);
      }
    });
    cluster->receive(Cluster::Channel::progress, [&shared](int rank, const std::string& text) {
      if (auto progress = run::decode_rank_counts(text)) {
        std::lock_guard lock(shared.rank_progress_mutex);
        shared.rank_progress[rank] = std::move(*progress);
      }
    });
  }
  // The other ranks tell rank 0 how their stage is going, for its progress line: a small message
  // every kProgressPost while a stage runs.
  std::jthread progress_poster;
  if (cluster != nullptr && cluster->rank() != 0) {
    progress_poster = std::jthread([cluster, &shared](std::stop_token stop) {
      std::mutex mutex;
      std::condition_variable_any tick;
      std::unique_lock wait_lock(mutex);
      for (;;) {
        tick.wait_for(wait_lock, stop, run::kProgressPost, [] { return false; });
        if (stop.stop_requested()) return;
        std::optional<run::RankCounts> posted;
        {
          std::lock_guard lock(shared.cluster_mutex);
          if (const auto* stage = shared.cluster_stage) {
            posted = run::RankCounts{stage->stop_key(), run::progress_values(stage->progress())};
          }
        }
        if (posted) cluster->post(Cluster::Channel::progress, run::encode_rank_counts(*posted));
      }
    });
  }
  shared.notify([&](RunObserver& observer) { observer.run_started(self.pipeline); });
  result.stages = self.run_graph(graph, shared, !result.error.empty());
  result.ranks_lost = shared.ranks_lost;
  {
    std::lock_guard lock(self.mutex);
    self.engine = nullptr;
    self.shared = nullptr;
  }
  for (const auto& stage : result.stages) {
    for (auto s : kAllJobStates) result.totals[s] += stage.counts[s];
    result.reused += stage.reused;
  }
  result.interrupted = shared.interrupted.load();
  result.wall = std::chrono::steady_clock::now() - start;
  for (auto& warning : shared.observer_warnings()) result.warnings.push_back(std::move(warning));
  shared.notify([&](RunObserver& observer) { observer.run_ended(result); });
  return result;
}

}  // namespace lockstep::inline LOCKSTEP_ABI
