// cancellation — stopping a batch: queued jobs end as cancelled without running, running jobs see
// their token, wake from sleep_for() at once and stop. The batch is usable again afterwards.
#include <lockstep/engine.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

using namespace std::chrono_literals;

int main() {
  lockstep::Engine engine;
  lockstep::Bulkhead& pool = engine.add_bulkhead({.name = "pollers", .workers = 2, .queue = 4});

  lockstep::Batch batch;
  std::atomic<int> started{0};
  for (int i = 0; i < 6; ++i) {  // 2 run, 4 wait in the queue
    pool.dispatch(batch, [&started](const lockstep::CancelToken& cancel) {
      ++started;
      cancel.sleep_for(60s);        // returns early, false, when the batch is cancelled
      cancel.throw_if_cancelled();  // throws lockstep::Cancelled: the job ends as cancelled
    });
  }
  while (started < 2) std::this_thread::sleep_for(1ms);

  const auto t0 = std::chrono::steady_clock::now();
  batch.cancel();
  lockstep::BatchResult result = batch.wait();
  const auto took = std::chrono::steady_clock::now() - t0;
  std::printf(
      "%zu of 6 jobs cancelled (%d had started) in %lld ms\n",
      result.count(lockstep::JobState::cancelled), started.load(),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));

  pool.dispatch(batch, [] {});  // a new round: the cancellation is over
  const bool reused = batch.wait().ok();

  const bool ok =
      result.count(lockstep::JobState::cancelled) == 6 && started == 2 && took < 10s && reused;
  std::puts(ok ? "cancellation: ok" : "cancellation: WRONG RESULT");
  return ok ? 0 : 1;
}
