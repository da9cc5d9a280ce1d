// lockstep/engine/dispatcher.hpp — the worker-pool dispatcher lockstep grew from, in one class.
//
//   lockstep::Dispatcher pool(4);                // 4 workers, queue of 4,092
//   for (int i = 0; i < 100000; ++i)
//     pool.dispatch([i] { work(i); });           // blocks while 4 run and 4,092 wait
//   auto round1 = pool.wait();                   // barrier; the dispatcher stays usable
//   for (int i = 0; i < 1000; ++i) pool.dispatch([i] { more(i); });
//   auto round2 = pool.finalize();               // barrier, then the pool is shut down
//
// Unlike the origin, wait() is a reusable barrier (no new dispatcher per batch), a throwing job
// is reported by wait() and never kills the process, and a job that dispatches into its own
// full pool runs the new job inline instead of deadlocking.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "lockstep/engine/batch.hpp"
#include "lockstep/engine/bulkhead.hpp"
#include "lockstep/engine/task.hpp"
#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct DispatcherOptions {
  std::optional<int> queue{};                          // default: default_queue(workers)
  std::optional<std::chrono::nanoseconds> max_wait{};  // dispatch gives up after this
};

class LOCKSTEP_API Dispatcher {
 public:
  // Throws std::invalid_argument when workers < 1.
  explicit Dispatcher(int workers, DispatcherOptions options = {});
  ~Dispatcher();  // finalizes if finalize() was not called
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Blocks while the pool is full; returns once the job is admitted. Throws std::logic_error
  // after finalize().
  Admission dispatch(Task task);
  [[nodiscard]] Admission try_dispatch(Task task);

  // Barrier: waits for every job dispatched so far and reports this round.
  BatchResult wait();
  // Waits, then shuts the pool down for good. Calling it again returns an empty result.
  BatchResult finalize();

  // Cancels the current round (see Batch::cancel); after wait() the dispatcher is usable again.
  void cancel() noexcept;
  BulkheadStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lockstep
