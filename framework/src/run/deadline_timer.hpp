// Cancels attempts that outlive their timeout: one thread, sleeping until the nearest deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "lockstep/engine/cancel_token.hpp"

namespace lockstep::run {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  // The deadline and a serial number: disarming one that already fired finds nothing.
  using Handle = std::pair<Clock::time_point, std::uint64_t>;

  DeadlineTimer() = default;
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // `source` is cancelled at `deadline` unless disarmed first. The thread starts on first use.
  Handle arm(Clock::time_point deadline, CancelSource& source);
  // `action` is called (on the timer's thread) at `deadline` unless disarmed first.
  Handle arm(Clock::time_point deadline, std::function<void()> action);
  // After this returns the timer no longer touches the source.
  void disarm(Handle handle);

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<Handle, std::function<void()>> deadlines_;
  std::uint64_t serial_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace lockstep::run
