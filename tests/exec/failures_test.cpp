// Failures: a throwing job never takes the process down nor affects other jobs, and wait()
// reports every failure with the job's identity and message.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::JobState;
using namespace lockstep::test;

namespace {
struct NotAnException {
  int code;
};
}  // namespace

TEST_CASE("every failure is reported with the job's id and message", "[failures]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "flaky", .workers = 2});
  const int jobs = 600;
  std::atomic<int> succeeded_bodies{0};
  lockstep::Batch batch;
  for (int i = 0; i < jobs; ++i) {
    const std::string id = "job-" + std::to_string(i);
    pool.dispatch(batch, {id, [i, &succeeded_bodies] {
                            switch (i % 5) {
                              case 0:
                                throw std::runtime_error("boom " + std::to_string(i));
                              case 1:
                                throw 42;
                              case 2:
                                throw std::logic_error("logic " + std::to_string(i));
                              case 3:
                                throw NotAnException{i};
                              default:
                                succeeded_bodies.fetch_add(1);
                            }
                          }});
  }
  const auto result = batch.wait();

  const std::size_t failing = jobs / 5 * 4;
  CHECK(succeeded_bodies.load() == jobs / 5);
  CHECK(result.total() == static_cast<std::size_t>(jobs));
  CHECK(result.count(JobState::succeeded) == static_cast<std::size_t>(jobs / 5));
  CHECK(result.count(JobState::failed) == failing);
  REQUIRE(result.failures.size() == failing);

  std::map<std::string, const lockstep::Failure*> by_id;
  for (const auto& f : result.failures) by_id[f.job] = &f;
  CHECK(by_id.size() == failing);  // each failing job exactly once

  int wrong = 0;
  for (int i = 0; i < jobs; ++i) {
    if (i % 5 == 4) continue;
    const std::string id = "job-" + std::to_string(i);
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      if (wrong++ < 5) UNSCOPED_INFO("missing failure of " << id);
      continue;
    }
    const auto& f = *it->second;
    bool good = f.bulkhead == "flaky" && f.state == JobState::failed && !f.message.empty();
    if (i % 5 == 0) good = good && f.message.find("boom " + std::to_string(i)) != std::string::npos;
    if (i % 5 == 2)
      good = good && f.message.find("logic " + std::to_string(i)) != std::string::npos;
    if (!good && wrong++ < 5)
      UNSCOPED_INFO(id << ": bulkhead '" << f.bulkhead << "' state " << lockstep::to_string(f.state)
                       << " message '" << f.message << "'");
  }
  CHECK(wrong == 0);

  const auto stats = pool.stats();
  CHECK(stats.ended[JobState::failed] == failing);
  CHECK(stats.ended[JobState::succeeded] == static_cast<std::size_t>(jobs / 5));
  CHECK(stats.ended.sum() == static_cast<std::size_t>(jobs));
}

TEST_CASE("failures are listed in the order the jobs ended", "[failures]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "serial", .workers = 1});
  std::atomic<int> ticket{0};
  std::map<std::string, int> end_ticket;
  std::mutex mutex;
  lockstep::Batch batch;
  for (int i = 0; i < 50; ++i) {
    const std::string id = "j" + std::to_string(i);
    pool.dispatch(batch, {id, [id, &ticket, &end_ticket, &mutex] {
                            const int t = ticket.fetch_add(1);
                            {
                              std::lock_guard lock(mutex);
                              end_ticket[id] = t;
                            }
                            throw std::runtime_error(id);
                          }});
  }
  const auto result = batch.wait();
  REQUIRE(result.failures.size() == 50);
  int previous = -1;
  bool ordered = true;
  for (const auto& f : result.failures) {
    const int t = end_ticket.at(f.job);
    if (t <= previous) ordered = false;
    previous = t;
  }
  CHECK(ordered);  // one worker: jobs end in the order they ran
}

TEST_CASE("a job without an id is named after its bulkhead", "[failures]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "anon", .workers = 2});
  lockstep::Batch batch;
  for (int i = 0; i < 20; ++i) pool.dispatch(batch, [] { throw std::runtime_error("nope"); });
  const auto result = batch.wait();
  REQUIRE(result.failures.size() == 20);
  std::set<std::string> names;
  for (const auto& f : result.failures) {
    CHECK(f.job.rfind("anon#", 0) == 0);
    CHECK(f.job.size() > 5);
    CHECK(f.message.find("nope") != std::string::npos);
    names.insert(f.job);
  }
  CHECK(names.size() == 20);  // distinct identities
}

TEST_CASE("a failing job does not affect the jobs beside it", "[failures]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 2, .queue = 2});
  lockstep::Batch batch;
  std::atomic<int> fine{0};
  std::atomic<bool> token_was_cancelled{false};
  for (int i = 0; i < 200; ++i) {
    if (i % 2 == 0) {
      pool.dispatch(batch, [] { throw std::runtime_error("bad"); });
    } else {
      pool.dispatch(batch, [&](const lockstep::CancelToken& token) {
        std::this_thread::sleep_for(20us);
        if (token.cancelled()) token_was_cancelled = true;
        fine.fetch_add(1);
      });
    }
  }
  const auto result = batch.wait();
  CHECK(fine.load() == 100);
  CHECK_FALSE(token_was_cancelled.load());
  CHECK(result.count(JobState::succeeded) == 100);
  CHECK(result.count(JobState::failed) == 100);
  CHECK_FALSE(batch.cancelled());

  // The bulkhead and the batch keep working after failures.
  pool.dispatch(batch, [&] { fine.fetch_add(1); });
  CHECK(batch.wait().count(JobState::succeeded) == 1);
  CHECK(fine.load() == 101);
}

TEST_CASE("a dispatcher reports failures from wait and finalize", "[failures]") {
  lockstep::Dispatcher pool(2);
  for (int i = 0; i < 10; ++i)
    pool.dispatch([i] {
      if (i < 3) throw std::runtime_error("first round " + std::to_string(i));
    });
  const auto first = pool.wait();
  CHECK(first.count(JobState::failed) == 3);
  CHECK(first.count(JobState::succeeded) == 7);
  REQUIRE(first.failures.size() == 3);
  for (const auto& f : first.failures) CHECK(f.message.find("first round") != std::string::npos);

  for (int i = 0; i < 4; ++i) pool.dispatch([] { throw 7; });
  const auto last = pool.finalize();
  CHECK(last.count(JobState::failed) == 4);
  CHECK(last.failures.size() == 4);
  CHECK(last.total() == 4);
}
