// What every stage of one run shares: the engine, outputs, logs, observers and the interrupt.
#pragma once

#include <atomic>
#include <filesystem>
#include <vector>

#include "lockstep/cancel_token.hpp"
#include "lockstep/engine.hpp"
#include "lockstep/job_instance.hpp"
#include "lockstep/runner.hpp"
#include "run/deadline_timer.hpp"

namespace lockstep::run {

struct RunShared {
  Engine& engine;
  Outputs& outputs;
  LogSink& log;
  const std::vector<RunObserver*>& observers;
  RunObserver::Detail detail;  // the most any observer wants
  DeadlineTimer& timer;
  CancelSource interrupt{};  // cancels every running attempt
  std::atomic<bool> interrupted{false};
};

}  // namespace lockstep::run
