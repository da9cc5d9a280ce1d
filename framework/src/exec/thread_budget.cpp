#include "exec/thread_budget.hpp"

#include "exec/assert.hpp"

namespace lockstep::inline LOCKSTEP_ABI::detail {

ThreadBudget& ThreadBudget::instance() {
  static ThreadBudget budget;
  return budget;
}

void ThreadBudget::adjust(int delta) {
  std::lock_guard lock(mutex_);
  total_ += delta;
  LOCKSTEP_ASSERT(total_ >= 0, "engines give back no more threads than they asked for");
  control_.reset();
  if (total_ > 0) {
    // max_allowed_parallelism counts one external thread besides the workers. Jobs run on
    // workers only (the threads that dispatch never join the arenas), so ask for total_ + 1.
    control_.emplace(tbb::global_control::max_allowed_parallelism,
                     static_cast<std::size_t>(total_) + 1);
  }
}

int ThreadBudget::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace lockstep::detail
