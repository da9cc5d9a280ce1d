#include "run/running_attempts.hpp"

#include <algorithm>

namespace lockstep::run {
namespace {

// A stamp is never kIdle or kUnseen.
std::int64_t stamp_of(RunningAttempts::Clock::time_point now) {
  return std::max<std::int64_t>(1, now.time_since_epoch().count());
}

}  // namespace

RunningAttempts::RunningAttempts(int slots)
    : slots_(std::make_unique<Slot[]>(static_cast<std::size_t>(std::max(slots, 0)))),
      count_(std::max(slots, 0)) {}

RunningAttempts::Spent RunningAttempts::spent(Clock::time_point now) const noexcept {
  Spent spent;
  const auto now_stamp = stamp_of(now);
  for (int i = 0; i < count_; ++i) {
    auto& state = slots_[static_cast<std::size_t>(i)].state;
    auto value = state.load(std::memory_order_relaxed);
    // Fails when the attempt ended meanwhile (or another snapshot stamped it): value is reloaded.
    if (value == kUnseen &&
        state.compare_exchange_strong(value, now_stamp, std::memory_order_relaxed)) {
      value = now_stamp;
    }
    if (value == kIdle || value == kUnseen) continue;
    const auto so_far = std::chrono::nanoseconds(std::max<std::int64_t>(0, now_stamp - value));
    ++spent.running;
    spent.total += so_far;
    spent.longest = std::max(spent.longest, so_far);
  }
  return spent;
}

}  // namespace lockstep::run
