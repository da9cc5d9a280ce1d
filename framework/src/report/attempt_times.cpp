#include "report/attempt_times.hpp"

#include <algorithm>
#include <array>
#include <atomic>

namespace lockstep::report {

namespace {

// The last successful attempt a thread ran for one AttemptTimes, until its instance ends (at
// once, as a rule). Owners are numbers, not pointers: a slot may outlive its owner.
struct Slot {
  std::uint64_t owner = 0;  // 0 when empty
  const JobSpec* job = nullptr;
  int iteration = 0;
  std::uint64_t index = 0;
  std::chrono::nanoseconds ran{};
};

// A few, so that a report and a second observer of the same kind both stay lock-free; beyond
// that, a slot is taken over and the instance it held is reported as not timed (0).
thread_local std::array<Slot, 4> last_success{};

std::atomic<std::uint64_t> next_owner{1};

std::chrono::nanoseconds run_time(const AttemptEvent& attempt) {
  return std::max(std::chrono::nanoseconds{}, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  attempt.end - attempt.start));
}

Slot* slot_of(std::uint64_t owner) {
  for (auto& slot : last_success) {
    if (slot.owner == owner) return &slot;
  }
  return nullptr;
}

}  // namespace

AttemptTimes::AttemptTimes() : owner_(next_owner.fetch_add(1, std::memory_order_relaxed)) {}

void AttemptTimes::attempt_ended(const AttemptEvent& attempt) {
  const auto ran = run_time(attempt);
  if (attempt.state != JobState::succeeded) {
    keep({attempt.job, attempt.iteration, attempt.index}, ran);
    return;
  }
  auto* slot = slot_of(owner_);
  if (slot != nullptr) {
    // Not claimed by its instance's end (a runner path that ends it elsewhere): keep it where
    // take() also looks.
    keep({slot->job, slot->iteration, slot->index}, slot->ran);
  } else {
    slot = slot_of(0);
    if (slot == nullptr) slot = &last_success.front();
  }
  *slot = {owner_, attempt.job, attempt.iteration, attempt.index, ran};
}

std::chrono::nanoseconds AttemptTimes::take(const InstanceEvent& instance) {
  std::chrono::nanoseconds ran{};
  if (auto* slot = slot_of(owner_); slot != nullptr && slot->job == instance.job &&
                                    slot->iteration == instance.iteration &&
                                    slot->index == instance.index) {
    ran = slot->ran;
    slot->owner = 0;
    if (instance.attempts == 1) return ran;  // the common case: no lock
  }
  std::lock_guard lock(mutex_);
  if (auto found = unclaimed_.find({instance.job, instance.iteration, instance.index});
      found != unclaimed_.end()) {
    ran += found->second.ran;
    unclaimed_.erase(found);
  }
  return ran;
}

AttemptTimes::Earlier AttemptTimes::take_earlier(const JobSpec* job, int iteration,
                                                 std::uint64_t index) {
  if (!any_unclaimed_.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(mutex_);
  const auto found = unclaimed_.find({job, iteration, index});
  if (found == unclaimed_.end()) return {};
  const auto earlier = found->second;
  unclaimed_.erase(found);
  return earlier;
}

void AttemptTimes::keep(const Key& key, std::chrono::nanoseconds ran) {
  std::lock_guard lock(mutex_);
  auto& earlier = unclaimed_[key];
  earlier.ran += ran;
  ++earlier.attempts;
  any_unclaimed_.store(true, std::memory_order_release);
}

}  // namespace lockstep::report
