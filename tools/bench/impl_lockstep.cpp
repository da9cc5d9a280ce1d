// impl_lockstep.cpp — the library under test: Engine + Bulkhead + Batch, and Dispatcher.
#include <cstddef>
#include <stdexcept>
#include <string>

#include <lockstep/engine.hpp>

#include "impls.hpp"
#include "watchdog.hpp"
#include "work.hpp"

namespace lockstep_bench {
namespace {

std::string describe(const lockstep::BulkheadStats& s) {
  std::string out =
      "admitted=" + std::to_string(s.admitted) + " running=" + std::to_string(s.running) +
      " peak_running=" + std::to_string(s.peak_running) + " queued=" + std::to_string(s.queued) +
      " peak_queued=" + std::to_string(s.peak_queued) + " ended:";
  for (auto state : lockstep::kAllJobStates) {
    out += ' ';
    out += lockstep::to_string(state);
    out += '=';
    out += std::to_string(s.ended[state]);
  }
  return out;
}

// Every job of the round must have succeeded: a benchmark of lost or failed jobs is no figure.
void check(const lockstep::BatchResult& result, std::size_t expected, const char* who) {
  if (result.ok() && result.total() == expected) return;
  std::string msg = std::string(who) + ": wait() reported " + std::to_string(result.total()) +
                    " ended jobs, " + std::to_string(result.count(lockstep::JobState::succeeded)) +
                    " succeeded, expected " + std::to_string(expected);
  if (!result.failures.empty())
    msg +=
        "; first failure: " + result.failures.front().job + ": " + result.failures.front().message;
  throw std::runtime_error(msg);
}

void check(lockstep::Admission admission, const char* who) {
  if (admission != lockstep::Admission::admitted)
    throw std::runtime_error(std::string(who) + ": dispatch() did not admit a job");
}

}  // namespace

int lockstep_default_queue(int workers) { return lockstep::default_queue(workers); }

double lockstep_jobs(const JobsSpec& spec, std::optional<int> queue) {
  lockstep::Engine engine;
  auto& bulkhead = engine.add_bulkhead({.name = "bench", .workers = spec.workers, .queue = queue});
  lockstep::Batch batch;
  WatchdogDetail detail([&] {
    return describe(bulkhead.stats()) + " batch.outstanding=" + std::to_string(batch.outstanding());
  });
  const std::uint32_t iters = spec.iters;
  auto run = [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      check(bulkhead.dispatch(batch, [iters, i] { job_body(iters, i); }), "lockstep");
    check(batch.wait(), n, "lockstep");
  };
  run(spec.warmup);
  const auto start = Clock::now();
  run(spec.jobs);
  return elapsed_ns(start, Clock::now());
}

double lockstep_rounds(const RoundsSpec& spec) {
  lockstep::Engine engine;
  auto& bulkhead = engine.add_bulkhead({.name = "bench", .workers = spec.workers});
  lockstep::Batch batch;
  WatchdogDetail detail([&] {
    return describe(bulkhead.stats()) + " batch.outstanding=" + std::to_string(batch.outstanding());
  });
  auto round = [&] {
    for (std::size_t j = 0; j < spec.jobs_per_round; ++j)
      check(bulkhead.dispatch(batch, [] { job_body(0, 0); }), "lockstep");
    check(batch.wait(), spec.jobs_per_round, "lockstep");
  };
  for (std::size_t r = 0; r < spec.warmup; ++r) round();
  const auto start = Clock::now();
  for (std::size_t r = 0; r < spec.rounds; ++r) round();
  return elapsed_ns(start, Clock::now());
}

double dispatcher_jobs(const JobsSpec& spec) {
  lockstep::Dispatcher pool(spec.workers);
  WatchdogDetail detail([&] { return describe(pool.stats()); });
  const std::uint32_t iters = spec.iters;
  auto run = [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      check(pool.dispatch([iters, i] { job_body(iters, i); }), "dispatcher");
    check(pool.wait(), n, "dispatcher");
  };
  run(spec.warmup);
  const auto start = Clock::now();
  run(spec.jobs);
  const double ns = elapsed_ns(start, Clock::now());
  check(pool.finalize(), 0, "dispatcher finalize");
  return ns;
}

double dispatcher_rounds(const RoundsSpec& spec) {
  lockstep::Dispatcher pool(spec.workers);
  WatchdogDetail detail([&] { return describe(pool.stats()); });
  auto round = [&] {
    for (std::size_t j = 0; j < spec.jobs_per_round; ++j)
      check(pool.dispatch([] { job_body(0, 0); }), "dispatcher");
    check(pool.wait(), spec.jobs_per_round, "dispatcher");
  };
  for (std::size_t r = 0; r < spec.warmup; ++r) round();
  const auto start = Clock::now();
  for (std::size_t r = 0; r < spec.rounds; ++r) round();
  const double ns = elapsed_ns(start, Clock::now());
  check(pool.finalize(), 0, "dispatcher finalize");
  return ns;
}

}  // namespace lockstep_bench
