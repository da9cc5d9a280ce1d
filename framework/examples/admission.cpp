// admission — what dispatch does when a bulkhead is full: dispatch() waits for room (here at most
// the bulkhead's max_wait), dispatch_for() waits as long as you say, try_dispatch() never waits.
// A job that finds no room in time ends as rejected, and wait() reports it like any failure.
#include <lockstep/engine.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using lockstep::Admission;

int main() {
  lockstep::Engine engine;
  lockstep::Bulkhead& db =
      engine.add_bulkhead({.name = "db", .workers = 1, .queue = 1, .max_wait = 20ms});

  lockstep::Batch batch;
  std::atomic<bool> go{false};
  auto hold = [&go] {
    while (!go) std::this_thread::sleep_for(1ms);
  };
  db.dispatch(batch, {"running", hold});  // takes the worker
  db.dispatch(batch, {"queued", hold});   // takes the one queue place: db is full

  const Admission now = db.try_dispatch(batch, {"eager", [] {}});  // rejected at once
  const auto t0 = std::chrono::steady_clock::now();
  const Admission later = db.dispatch_for(batch, {"patient", [] {}}, 100ms);  // after 100 ms
  const auto waited = std::chrono::steady_clock::now() - t0;
  const Admission usual = db.dispatch(batch, {"usual", [] {}});  // after max_wait, 20 ms

  go = true;
  lockstep::BatchResult result = batch.wait();
  for (const lockstep::Failure& f : result.failures)
    std::printf("%-8s %s: %s\n", f.job.c_str(), std::string(to_string(f.state)).c_str(),
                f.message.c_str());
  std::printf("%zu succeeded, %zu rejected\n", result.count(lockstep::JobState::succeeded),
              result.count(lockstep::JobState::rejected));

  const bool ok = now == Admission::rejected && later == Admission::rejected &&
                  usual == Admission::rejected && waited >= 100ms &&
                  result.count(lockstep::JobState::succeeded) == 2 &&
                  result.count(lockstep::JobState::rejected) == 3;
  std::puts(ok ? "admission: ok" : "admission: WRONG RESULT");
  return ok ? 0 : 1;
}
