// The process-wide oneTBB worker budget. oneTBB has one worker pool for all arenas; every engine
// adds the threads its bulkheads need, and the budget keeps one tbb::global_control sized to the
// total, so that every bulkhead of every engine always has threads of its own.
#pragma once

#include <tbb/global_control.h>

#include <mutex>
#include <optional>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI::detail {

class ThreadBudget {
 public:
  static ThreadBudget& instance();

  // Changes the number of worker threads requested by all engines by `delta`.
  void adjust(int delta);
  int total() const;

 private:
  ThreadBudget() = default;

  mutable std::mutex mutex_;
  int total_ = 0;
  std::optional<tbb::global_control> control_;
};

}  // namespace lockstep::detail
