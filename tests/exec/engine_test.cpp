// Engine: validating bulkheads, finding them by name, and the thread budget and its warnings.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::Admission;
using lockstep::JobState;
using namespace lockstep::test;

TEST_CASE("add_bulkhead rejects invalid options", "[engine]") {
  lockstep::Engine engine;
  CHECK_THROWS_AS(engine.add_bulkhead({.name = "zero", .workers = 0}), std::invalid_argument);
  CHECK_THROWS_AS(engine.add_bulkhead({.name = "negative", .workers = -3}), std::invalid_argument);
  CHECK_THROWS_AS(engine.add_bulkhead({.name = "q", .workers = 1, .queue = -1}),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      engine.add_bulkhead({.name = "w", .workers = 1, .max_wait = std::chrono::nanoseconds(-1)}),
      std::invalid_argument);
  CHECK_THROWS_AS(engine.add_bulkhead({.name = "", .workers = 1}), std::invalid_argument);

  auto& first = engine.add_bulkhead({.name = "io", .workers = 2});
  CHECK_THROWS_AS(engine.add_bulkhead({.name = "io", .workers = 1}), std::invalid_argument);

  // The failed attempts left nothing behind, and the engine still works.
  CHECK(engine.find("zero") == nullptr);
  CHECK(engine.find("q") == nullptr);
  CHECK(&engine.bulkhead("io") == &first);
  CHECK(first.workers() == 2);
  CHECK(engine.threads() == 2);
  lockstep::Batch batch;
  first.dispatch(batch, [] {});
  CHECK(batch.wait().count(JobState::succeeded) == 1);
}

TEST_CASE("a bulkhead reports its options with the documented defaults", "[engine]") {
  lockstep::Engine engine;
  auto& plain = engine.add_bulkhead({.name = "plain", .workers = 3});
  CHECK(plain.name() == "plain");
  CHECK(plain.workers() == 3);
  CHECK(plain.queue_capacity() == 4096 - 3);  // 4,096 places in all
  CHECK(lockstep::default_queue(3) == 4096 - 3);
  CHECK(lockstep::default_queue(3000) == 6000);  // at least 2 x workers
  CHECK_FALSE(plain.max_wait().has_value());
  CHECK_FALSE(plain.cancelled());

  auto& custom = engine.add_bulkhead(
      {.name = "custom", .workers = 1, .queue = 0, .max_wait = std::chrono::milliseconds(7)});
  CHECK(custom.queue_capacity() == 0);
  REQUIRE(custom.max_wait().has_value());
  CHECK(*custom.max_wait() == 7ms);

  const auto stats = plain.stats();
  CHECK(stats.ended.sum() == 0);
  CHECK(stats.admitted == 0);
  CHECK(stats.running == 0);
  CHECK(stats.peak_running == 0);
  CHECK(stats.queued == 0);
  CHECK(stats.peak_queued == 0);
  CHECK(stats.queue_wait == std::chrono::nanoseconds::zero());
}

TEST_CASE("bulkheads are found by name and unknown names are an error that lists the known ones",
          "[engine]") {
  lockstep::Engine engine;
  auto& io = engine.add_bulkhead({.name = "io", .workers = 1});
  auto& cpu = engine.add_bulkhead({.name = "cpu", .workers = 1});
  CHECK(engine.find("io") == &io);
  CHECK(engine.find("cpu") == &cpu);
  CHECK(&engine.bulkhead("cpu") == &cpu);
  CHECK(engine.find("gpu") == nullptr);
  CHECK(engine.find("") == nullptr);
  try {
    engine.bulkhead("gpu");
    FAIL("bulkhead(\"gpu\") did not throw");
  } catch (const std::out_of_range& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    CHECK(message.find("gpu") != std::string::npos);
    CHECK(message.find("io") != std::string::npos);
    CHECK(message.find("cpu") != std::string::npos);
  }
}

TEST_CASE("the engine asks for as many threads as its bulkheads have workers", "[engine]") {
  lockstep::Engine engine;
  CHECK(engine.threads() == 0);
  engine.add_bulkhead({.name = "a", .workers = 2});
  engine.add_bulkhead({.name = "b", .workers = 3});
  CHECK(engine.threads() == 5);
  CHECK(engine.warnings().empty());
}

TEST_CASE("a thread cap below the sum of workers is honoured with a warning", "[engine]") {
  lockstep::Engine engine({.max_threads = 3});
  engine.add_bulkhead({.name = "a", .workers = 2});
  CHECK(engine.threads() == 2);
  CHECK(engine.warnings().empty());
  auto& b = engine.add_bulkhead({.name = "b", .workers = 2});
  CHECK(engine.threads() == 3);
  const auto warnings = engine.warnings();
  REQUIRE_FALSE(warnings.empty());
  INFO("warning: " << warnings.front());
  CHECK(warnings.front().starts_with("max_threads 3 is below the 4 workers"));

  // It still runs.
  lockstep::Batch batch;
  for (int i = 0; i < 20; ++i) b.dispatch(batch, [] {});
  CHECK(batch.wait().count(JobState::succeeded) == 20);
}

TEST_CASE("the thread-cap warning names the cap as its owner calls it", "[engine]") {
  lockstep::Engine engine({.max_threads = 1, .cap_name = "threads"});
  engine.add_bulkhead({.name = "a", .workers = 2});
  const auto warnings = engine.warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(warnings.front().starts_with("threads 1 is below the 2 workers"));
}

TEST_CASE("an engine's thread cap must be at least one", "[engine]") {
  CHECK_THROWS_AS(lockstep::Engine({.max_threads = 0}), std::invalid_argument);
  CHECK_THROWS_AS(lockstep::Engine({.max_threads = -2}), std::invalid_argument);
  CHECK_NOTHROW(lockstep::Engine({.max_threads = 1}));
}

TEST_CASE("the engine's destructor waits for admitted jobs without cancelling them", "[engine]") {
  std::atomic<int> ended{0};
  std::atomic<int> saw_cancel{0};
  lockstep::Batch batch;  // outlives the engine
  {
    lockstep::Engine engine;
    auto& pool = engine.add_bulkhead({.name = "p", .workers = 2, .queue = 10});
    for (int i = 0; i < 12; ++i)
      pool.dispatch(batch, [&](const lockstep::CancelToken& token) {
        if (!token.sleep_for(2ms)) saw_cancel.fetch_add(1);
        ended.fetch_add(1);
      });
  }
  CHECK(ended.load() == 12);
  CHECK(saw_cancel.load() == 0);
  const auto result = batch.wait();
  CHECK(result.count(JobState::succeeded) == 12);
}

TEST_CASE("engines side by side and one after another", "[engine]") {
  for (int round = 0; round < 20; ++round) {
    lockstep::Engine e1, e2;
    auto& a = e1.add_bulkhead({.name = "x", .workers = 1});
    auto& b = e2.add_bulkhead({.name = "x", .workers = 2});  // names are per engine
    lockstep::Batch batch;                                   // a batch may span engines too
    std::atomic<int> ran{0};
    for (int i = 0; i < 20; ++i) {
      a.dispatch(batch, [&] { ran.fetch_add(1); });
      b.dispatch(batch, [&] { ran.fetch_add(1); });
    }
    const auto result = batch.wait();
    REQUIRE(ran.load() == 40);
    REQUIRE(result.count(JobState::succeeded) == 40);
  }
}
