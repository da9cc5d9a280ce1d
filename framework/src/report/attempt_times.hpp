// AttemptTimes: how long each instance ran, the sum of its attempts' run times (from the attempt
// events' start to end: queue waits and retry backoffs are not in it), for observers that learn
// an instance's attempts and its end from separate events.
//
//   void attempt_ended(const AttemptEvent& attempt) override { times_.attempt_ended(attempt); }
//   void instance_ended(const InstanceEvent& instance) override {
//     const auto ran = times_.take(instance);   // 0 for an instance that never ran
//   }
//
// Why not a map of every instance under a lock: the runner ends a successful instance on the
// thread of its last attempt right after that attempt's event, so a thread-local slot pairs the
// two without a lock (a slot per observer, for a few observers at once). Attempts that did not
// succeed may be retried on another thread: they go to a locked map, which only failures pay for.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include "lockstep/pipeline/runner.hpp"

namespace lockstep::report {

class AttemptTimes {
 public:
  AttemptTimes();
  void attempt_ended(const AttemptEvent& attempt);
  // The run time of the instance's attempts, forgotten once taken.
  std::chrono::nanoseconds take(const InstanceEvent& instance);

  // Attempts kept but not taken: for an observer that sees successes as ranges
  // (RunObserver::instances_succeeded), the attempts before a retried instance's success.
  struct Earlier {
    std::chrono::nanoseconds ran{};
    int attempts = 0;
  };
  Earlier take_earlier(const JobSpec* job, int iteration, std::uint64_t index);

 private:
  using Key = std::tuple<const JobSpec*, int, std::uint64_t>;  // job, iteration, index
  void keep(const Key& key, std::chrono::nanoseconds ran);

  const std::uint64_t owner_;  // tells this object's thread-local slots from others', never reused
  std::mutex mutex_;           // guards unclaimed_
  std::map<Key, Earlier> unclaimed_;
  std::atomic<bool> any_unclaimed_{false};  // a hint: take_earlier() locks only when set
};

}  // namespace lockstep::report
