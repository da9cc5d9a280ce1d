#include "run/deadline_timer.hpp"

namespace lockstep::run {

DeadlineTimer::~DeadlineTimer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

DeadlineTimer::Handle DeadlineTimer::arm(Clock::time_point deadline, CancelSource& source) {
  return arm(deadline, [&source] { source.cancel(); });
}

DeadlineTimer::Handle DeadlineTimer::arm(Clock::time_point deadline,
                                         std::function<void()> action) {
  std::lock_guard lock(mutex_);
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  const Handle handle{deadline, ++serial_};
  const bool earliest = deadlines_.empty() || handle < deadlines_.begin()->first;
  deadlines_.emplace(handle, std::move(action));
  if (earliest) wake_.notify_all();
  return handle;
}

void DeadlineTimer::disarm(Handle handle) {
  std::lock_guard lock(mutex_);
  deadlines_.erase(handle);
}

void DeadlineTimer::loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (deadlines_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto first = deadlines_.begin();
    // A copy: wait_until() reads its deadline again after waking, when disarm() may have
    // erased the entry it came from.
    const Clock::time_point due = first->first.first;
    if (Clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    // Called under the lock: disarm() cannot return while the action runs.
    first->second();
    deadlines_.erase(first);
  }
}

}  // namespace lockstep::run
