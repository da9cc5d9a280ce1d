// engine — the usage examples of the engine's headers (<lockstep/engine/*.hpp>), each quoted
// verbatim from its header's leading comment (ctest example.header_usage_compiled checks that) in
// a function that runs it and checks that it did what the comment says. The program includes only
// <lockstep/engine.hpp> and exits non-zero when any example's result is wrong.
// The quoted lines sit between clang-format off and on: laid out as the header shows them.
#include <lockstep/engine.hpp>
#include <lockstep/version.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>

// export.hpp: the names are lockstep::abi_vN::..., which code spells lockstep::...
// clang-format off
namespace lockstep::inline LOCKSTEP_ABI {  // every public declaration lives here, e.g.
// class LOCKSTEP_API Cancelled : public std::exception { ... };
}
static_assert(std::is_same_v<lockstep::Cancelled, lockstep::LOCKSTEP_ABI::Cancelled>);
// clang-format on

namespace {

// What the examples call: small jobs that leave a trace, so that each check sees they ran.
std::atomic<long> relaxed{0};
std::atomic<long> worked{0};
std::atomic<long> more_worked{0};
std::atomic<int> downloaded{0};
std::atomic<int> compressed{0};
std::atomic<int> computed{0};
std::mutex fetched_mutex;
std::set<std::string> fetched;

void relax(int /*cell*/) { ++relaxed; }
void log(const std::string& job, const std::string& message) {
  std::cerr << job << ": " << message << "\n";
}
void fetch(const char* what) {
  const std::scoped_lock lock(fetched_mutex);
  fetched.insert(what);
}
void fetch(int id, const lockstep::CancelToken& cancel) {
  cancel.throw_if_cancelled();
  fetch(id == 42 ? "42" : "other");
}
void work(int /*i*/) { ++worked; }
void more(int /*i*/) { ++more_worked; }
void download() { ++downloaded; }
void compress() { ++compressed; }
void compute() { ++computed; }
void run_some_jobs(lockstep::Bulkhead& bulkhead) {
  lockstep::Batch batch;
  for (int i = 0; i < 100; ++i) bulkhead.dispatch(batch, [] {});
  batch.wait();
}

bool batch_hpp() {
  // clang-format off
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "cpu", .workers = 4});
  lockstep::Batch round;
  for (int step = 0; step < 100; ++step) {
    for (int i = 0; i < 64; ++i) pool.dispatch(round, [&, i] { relax(i); });
    auto result = round.wait();          // barrier: every job of this round has ended
    if (!result.ok()) { for (auto& f : result.failures) log(f.job, f.message); break; }
  }
  // clang-format on
  return relaxed == 100 * 64;
}

bool bulkhead_hpp() {
  // clang-format off
  lockstep::Engine engine;
  auto& net = engine.add_bulkhead({.name = "net", .workers = 2, .queue = 4,
                                    .max_wait = std::chrono::seconds(5)});
  lockstep::Batch batch;
  net.dispatch(batch, {"get-a", [] { fetch("a"); }});   // blocks while 2 run and 4 wait
  if (net.try_dispatch(batch, [] { fetch("b"); }) != lockstep::Admission::admitted)
    std::puts("net is full: the job ended as rejected");  // try_dispatch() never blocks
  batch.wait();
  // clang-format on
  // Room for both: both ran.
  return fetched.count("a") == 1 && fetched.count("b") == 1 &&
         net.stats().ended[lockstep::JobState::succeeded] == 2;
}

bool cancel_token_hpp() {
  lockstep::Engine engine;
  auto& bulkhead = engine.add_bulkhead({.name = "slow"});
  lockstep::Batch batch;
  // clang-format off
  bulkhead.dispatch(batch, [](const lockstep::CancelToken& cancel) {
    for (int step = 0; step < 100; ++step) {
      cancel.throw_if_cancelled();          // ends the job as cancelled
      if (!cancel.sleep_for(std::chrono::milliseconds(10))) return;  // woke early: cancelled
    }
  });
  // clang-format on
  batch.cancel();
  // Cancelled before it ran (cancelled), in a sleep (returned: succeeded) or between two steps
  // (threw: cancelled); never failed.
  const auto result = batch.wait();
  return result.total() == 1 && result.count(lockstep::JobState::failed) == 0;
}

bool dispatcher_hpp() {
  // clang-format off
  lockstep::Dispatcher pool(4);                // 4 workers, queue of 4,092
  for (int i = 0; i < 100000; ++i)
    pool.dispatch([i] { work(i); });           // blocks while 4 run and 4,092 wait
  auto round1 = pool.wait();                   // barrier; the dispatcher stays usable
  for (int i = 0; i < 1000; ++i) pool.dispatch([i] { more(i); });
  auto round2 = pool.finalize();               // barrier, then the pool is shut down
  // clang-format on
  return round1.ok() && round1.total() == 100000 && worked == 100000 && round2.ok() &&
         round2.total() == 1000 && more_worked == 1000 && lockstep::default_queue(4) == 4092;
}

bool duration_histogram_hpp() {
  lockstep::Engine engine;
  auto& bulkhead = engine.add_bulkhead({.name = "timed", .workers = 2});
  // clang-format off
  auto before = bulkhead.stats().queue_wait_histogram;
  run_some_jobs(bulkhead);
  auto waits = bulkhead.stats().queue_wait_histogram - before;
  std::cout << waits.count() << " waits, p99 " << waits.percentile(0.99).count() << " ns\n";
  // clang-format on
  return waits.count() == 100;
}

bool engine_hpp() {
  // clang-format off
  lockstep::Engine engine({.max_threads = 8});
  auto& io  = engine.add_bulkhead({.name = "io", .workers = 6});
  auto& cpu = engine.add_bulkhead({.name = "cpu", .workers = 2});
  lockstep::Batch batch;
  io.dispatch(batch, [] { download(); });
  cpu.dispatch(batch, [] { compress(); });
  auto result = batch.wait();
  // clang-format on
  return result.ok() && result.total() == 2 && downloaded == 1 && compressed == 1 &&
         engine.warnings().empty();  // 8 threads are enough for 6 + 2 workers
}

bool job_state_hpp() {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "pool"});
  // clang-format off
  lockstep::Batch batch;
  for (int i = 0; i < 3; ++i) pool.dispatch(batch, [] { throw std::runtime_error("no"); });
  auto result = batch.wait();
  std::cout << result.count(lockstep::JobState::failed) << " "
            << lockstep::to_string(lockstep::JobState::failed) << "\n";   // "3 failed"
  // clang-format on
  return result.count(lockstep::JobState::failed) == 3 &&
         lockstep::to_string(lockstep::JobState::failed) == "failed";
}

bool task_hpp() {
  // clang-format off
  lockstep::Task a = [] { compute(); };                                   // id: "<bulkhead>#<n>"
  lockstep::Task b{"fetch-42", [](const lockstep::CancelToken& c) { fetch(42, c); }};
  // clang-format on
  const bool ids = a.id().empty() && b.id() == "fetch-42";
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "tasks"});
  lockstep::Batch batch;
  pool.dispatch(batch, std::move(a));
  pool.dispatch(batch, std::move(b));
  return batch.wait().ok() && ids && computed == 1 && fetched.count("42") == 1;
}

bool version_hpp() {
  // clang-format off
  static_assert(lockstep::kVersionMajor == 0);
  std::printf("built against lockstep %s\n", lockstep::kVersionString);
  // clang-format on
  return std::string(lockstep::kVersionString).starts_with("0.");
}

}  // namespace

int main() {
  struct Example {
    const char* header;
    bool (*run)();
  };
  const Example examples[] = {
      {"engine/batch.hpp", batch_hpp},
      {"engine/bulkhead.hpp", bulkhead_hpp},
      {"engine/cancel_token.hpp", cancel_token_hpp},
      {"engine/dispatcher.hpp", dispatcher_hpp},
      {"engine/duration_histogram.hpp", duration_histogram_hpp},
      {"engine/engine.hpp", engine_hpp},
      {"engine/job_state.hpp", job_state_hpp},
      {"engine/task.hpp", task_hpp},
      {"version.hpp", version_hpp},
  };
  int wrong = 0;
  for (const auto& example : examples) {
    const bool ok = example.run();
    std::printf("lockstep/%s: %s\n", example.header, ok ? "ok" : "WRONG RESULT");
    wrong += ok ? 0 : 1;
  }
  return wrong == 0 ? 0 : 1;
}
