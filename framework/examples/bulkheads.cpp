// bulkheads — two isolated pools in one engine: jobs that block in "slow" never delay "fast",
// and a job that throws is reported by wait(), with its identity and message.
#include <lockstep/engine.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>

using namespace std::chrono_literals;

static void print_stats(const lockstep::Bulkhead& b) {
  lockstep::BulkheadStats s = b.stats();
  std::printf(
      "%-5s admitted %llu, succeeded %zu, failed %zu, peak running %d/%d, peak queued %lld\n",
      b.name().c_str(), static_cast<unsigned long long>(s.admitted),
      s.ended[lockstep::JobState::succeeded], s.ended[lockstep::JobState::failed], s.peak_running,
      b.workers(), static_cast<long long>(s.peak_queued));
}

int main() {
  lockstep::Engine engine;
  lockstep::Bulkhead& slow = engine.add_bulkhead({.name = "slow", .workers = 1});
  lockstep::Bulkhead& fast = engine.add_bulkhead({.name = "fast", .workers = 2, .queue = 8});
  std::printf("engine: %d threads for 2 bulkheads\n", engine.threads());  // 1 + 2: one per worker

  lockstep::Batch sleepers;  // two jobs that block for 0.6 s each, one after the other
  for (int i = 0; i < 2; ++i)
    slow.dispatch(sleepers, [](const lockstep::CancelToken& cancel) { cancel.sleep_for(600ms); });

  lockstep::Batch work;  // 1,000 short jobs, one of which fails
  std::atomic<int> done{0};
  for (int i = 0; i < 1000; ++i) fast.dispatch(work, [&done] { ++done; });
  fast.dispatch(work, {"parse-13", [] { throw std::runtime_error("bad input in record 13"); }});
  lockstep::BatchResult result = work.wait();

  const bool isolated = sleepers.outstanding() > 0;  // "slow" is still busy: "fast" did not wait
  std::printf("fast finished %d jobs while slow still had %zu to go\n", done.load(),
              sleepers.outstanding());
  for (const lockstep::Failure& f : result.failures)
    std::printf("failure: job %s on %s: %s\n", f.job.c_str(), f.bulkhead.c_str(),
                f.message.c_str());

  const bool slept = sleepers.wait().ok();
  print_stats(slow);
  print_stats(fast);

  const bool ok = isolated && slept && done == 1000 &&
                  result.count(lockstep::JobState::failed) == 1 && result.failures.size() == 1 &&
                  result.failures[0].job == "parse-13";
  std::puts(ok ? "bulkheads: ok" : "bulkheads: WRONG RESULT");
  return ok ? 0 : 1;
}
