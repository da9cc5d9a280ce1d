// What every stage of one run shares: the engine, outputs, logs, observers and the interrupt.
#pragma once

#include <atomic>
#include <cstdint>
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
#include "run/worker_process.hpp"

namespace lockstep::run {

class StageRun;
class EventForwarder;

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
