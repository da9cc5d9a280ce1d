// dispatcher_hello — the origin's API, improved: a bounded pool, dispatch, a reusable barrier.
//
// Dispatcher(n) is a pool of n workers. dispatch() blocks while n jobs run and 2 x n more wait,
// and returns once the job is admitted. wait() is a barrier for everything dispatched so far that
// leaves the pool ready for the next round; finalize() waits once more, then shuts the pool down.
#include <lockstep/engine.hpp>

#include <atomic>
#include <cstdio>
#include <stdexcept>

int main() {
  lockstep::Dispatcher pool(2);  // 2 workers, a queue of 4,094
  std::atomic<long> sum{0};

  for (long i = 1; i <= 100; ++i) pool.dispatch([&sum, i] { sum += i * i; });
  lockstep::BatchResult squares = pool.wait();  // barrier: all 100 jobs have ended
  std::printf("round 1: %zu jobs, sum of squares = %ld\n", squares.total(), sum.load());
  const bool squares_ok = squares.ok() && squares.total() == 100 && sum == 338'350;

  sum = 0;  // the same pool again: the origin needed a new dispatcher for every batch
  for (long i = 1; i <= 100; ++i) pool.dispatch([&sum, i] { sum += i * i * i; });
  lockstep::BatchResult cubes = pool.wait();
  std::printf("round 2: %zu jobs, sum of cubes = %ld\n", cubes.total(), sum.load());
  const bool cubes_ok = cubes.ok() && cubes.total() == 100 && sum == 25'502'500;

  lockstep::BulkheadStats stats = pool.stats();
  std::printf("peak running %d of 2 workers, %zu jobs succeeded\n", stats.peak_running,
              stats.ended[lockstep::JobState::succeeded]);
  pool.finalize();  // nothing left to wait for: shuts the pool down for good

  bool refused = false;
  try {
    pool.dispatch([] {});
  } catch (const std::logic_error& e) {  // a clear error, never a crash
    refused = true;
    std::printf("dispatch after finalize: %s\n", e.what());
  }

  const bool ok = squares_ok && cubes_ok && stats.peak_running <= 2 && refused;
  std::puts(ok ? "dispatcher_hello: ok" : "dispatcher_hello: WRONG RESULT");
  return ok ? 0 : 1;
}
