// What every stage of one run shares: the engine, outputs, logs, observers and the interrupt.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lockstep/engine/cancel_token.hpp"
#include "lockstep/engine/engine.hpp"
#include "lockstep/pipeline/cluster.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/runner.hpp"
#include "run/deadline_timer.hpp"
#include "run/lost_ranks.hpp"
#include "run/worker_process.hpp"

namespace lockstep::run {

class StageRun;
class EventForwarder;

// Under a cluster, after an interrupt: how long the ranks wait for each other at a stage's end
// before they count the ones that did not come as lost. Cancelled jobs end within it; mpirun
// kills the ranks a second after its interrupt (odls_base_sigkill_timeout), which leaves rank 0
// half a second to print the summary and write its files.
inline constexpr std::chrono::milliseconds kRankPatience{500};
// Under a cluster: how often each rank other than 0 tells rank 0 how its stage is going.
inline constexpr std::chrono::milliseconds kProgressPost{250};

struct RunServices {
  Engine& engine;
  Outputs& outputs;
  LogSink& log;
  const std::vector<RunObserver*>& observers;
  RunObserver::Interest interest;  // the most any observer wants
  DeadlineTimer& timer;
  CancelSource interrupt{};  // cancels every running attempt
  std::atomic<bool> interrupted{false};
  bool succeeded_ranges = false;  // some observer wants instances_succeeded()
  const Reuse* reuse = nullptr;   // instances that succeed without running (--resume)
  // Several ranks run the pipeline (RunOptions::cluster); null: this process alone.
  Cluster* cluster = nullptr;
  // Under a cluster: the next Cluster::claim() range to use. Each iteration of a stage takes one
  // per job, in the same order on every rank (stages run one at a time).
  std::uint64_t next_range = 0;
  // Under a cluster: the stage iteration running now, and the last stop any rank made
  // (Cluster::stop, its key + 1; 0 none), as Cluster's stopper sets it from its own thread.
  std::mutex cluster_mutex{};
  StageRun* cluster_stage = nullptr;
  std::uint64_t cluster_stopped = 0;
  // Under a cluster, rank 0: each rank's counts at the end of an interrupted stage, as posted on
  // Cluster::Channel::ends (run/lost_ranks.hpp), by rank.
  std::mutex rank_ends_mutex{};
  std::map<int, RankCounts> rank_ends{};
  // Rank 0: each rank's progress in the stage running now, as it last posted it
  // (Cluster::Channel::progress, every kProgressPost).
  std::mutex rank_progress_mutex{};
  std::map<int, RankCounts> rank_progress{};
  // Under a cluster: which ranks were lost, and what they held (RunResult::ranks_lost). The
  // runner's thread only.
  std::string ranks_lost{};
  // Under a cluster, a rank other than 0: what rank 0 sent (Cluster::send) for a stage whose kind
  // runs there, in order, until this rank's StageRun serves it (StageRun::serve_rank0). Run-wide,
  // not the stage's: a text may come before this rank has begun the stage.
  std::deque<std::string> inbox{};
  std::condition_variable inbox_wake{};
  // Under a cluster, on a rank other than 0 when rank 0's observers want its events: flushed
  // before each stage's barrier (run/rank_events.hpp).
  EventForwarder* forwarder = nullptr;
  // The worker processes of bulkheads with process isolation, by bulkhead name.
  std::map<std::string, std::unique_ptr<WorkerPool>, std::less<>> worker_pools{};

  WorkerPool* worker_pool(std::string_view bulkhead) const noexcept {
    const auto found = worker_pools.find(bulkhead);
    return found == worker_pools.end() ? nullptr : found->second.get();
  }

  // Calls event(observer) for every observer. An observer that throws is a warning of the run,
  // never an exception on a worker: that would lose the instance's count and hang its stage.
  template <class Event>
  void notify(const Event& event) noexcept {
    for (auto* observer : observers) {
      try {
        event(*observer);
      } catch (const std::exception& e) {
        observer_failed(e.what());
      } catch (...) {
        observer_failed("an unknown exception");
      }
    }
  }
  // "an observer threw: MESSAGE (N times)": what the run's result lists among its warnings.
  std::vector<std::string> observer_warnings() const;
  void observer_failed(const char* what) noexcept;

  // Public only so that the struct stays an aggregate; used by the two functions above.
  mutable std::mutex failures_mutex_{};
  std::string first_failure_{};
  std::uint64_t failures_ = 0;
};

}  // namespace lockstep::run
