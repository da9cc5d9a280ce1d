// Accounting: every dispatched job ends in exactly one terminal state, and the batch results,
// the admissions and the bulkhead's counters all add up to the number of jobs dispatched.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::Admission;
using lockstep::JobState;
using namespace lockstep::test;

TEST_CASE("every dispatched job ends in exactly one terminal state", "[accounting]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "mixed", .workers = 2, .queue = 2});
  lockstep::Batch batch;

  std::size_t dispatched = 0;
  std::size_t admitted = 0;
  lockstep::StateCounts from_results;
  std::size_t failures_listed = 0;
  std::atomic<int> bodies_finished{0};
  auto count_admission = [&](Admission a) {
    ++dispatched;
    if (a == Admission::admitted) ++admitted;
    return a;
  };
  auto collect = [&](const lockstep::BatchResult& r) {
    for (JobState s : lockstep::kAllJobStates) from_results[s] += r.count(s);
    failures_listed += r.failures.size();
    CHECK(r.failures.size() == r.total() - r.count(JobState::succeeded));
  };

  // Round 1: succeed, throw, throw Cancelled, blocking dispatch.
  for (int i = 0; i < 300; ++i) {
    count_admission(pool.dispatch(batch, [i, &bodies_finished] {
      switch (i % 4) {
        case 0:
          throw std::runtime_error("failed " + std::to_string(i));
        case 1:
          throw lockstep::Cancelled();
        default:
          bodies_finished.fetch_add(1);
      }
    }));
  }
  auto r = batch.wait();
  CHECK(r.count(JobState::succeeded) == 150);
  CHECK(r.count(JobState::failed) == 75);
  CHECK(r.count(JobState::cancelled) == 75);
  collect(r);

  // Round 2: try_dispatch against held jobs: a known number admitted, the rest rejected.
  Gate gate;
  std::size_t rejected_by_admission = 0;
  for (int i = 0; i < 50; ++i) {
    const auto a = count_admission(pool.try_dispatch(batch, [&] { gate.wait_for(); }));
    if (a == Admission::rejected) ++rejected_by_admission;
  }
  CHECK(rejected_by_admission == 46);  // workers + queue = 4 places
  gate.open();
  r = batch.wait();
  CHECK(r.count(JobState::rejected) == rejected_by_admission);
  CHECK(r.count(JobState::succeeded) == 4);
  collect(r);

  // Round 3: racing try_dispatch of short jobs: whatever the split, it adds up.
  std::size_t round3_rejected = 0;
  for (int i = 0; i < 300; ++i) {
    const auto a =
        count_admission(pool.try_dispatch(batch, [] { std::this_thread::sleep_for(10us); }));
    if (a == Admission::rejected) ++round3_rejected;
  }
  r = batch.wait();
  CHECK(r.count(JobState::rejected) == round3_rejected);
  CHECK(r.count(JobState::succeeded) == 300 - round3_rejected);
  collect(r);

  // Round 4: running and queued jobs, then the batch is cancelled; later dispatches too.
  std::atomic<int> started{0};
  for (int i = 0; i < 4; ++i) {
    count_admission(pool.dispatch(batch, [&](const lockstep::CancelToken& token) {
      started.fetch_add(1);
      token.sleep_for(30s);
    }));
  }
  REQUIRE(eventually([&] { return started.load() == 2; }));
  batch.cancel();
  for (int i = 0; i < 3; ++i)
    CHECK(count_admission(pool.dispatch(batch, [] {})) == Admission::cancelled);
  r = batch.wait();
  CHECK(started.load() == 2);
  CHECK(r.total() == 7);
  CHECK(r.count(JobState::cancelled) >= 5);  // 2 queued + 3 late; the 2 woken ones returned
  collect(r);

  // Round 5: the bulkhead itself is cancelled.
  pool.cancel();
  for (int i = 0; i < 5; ++i)
    CHECK(count_admission(pool.dispatch(batch, [] {})) == Admission::cancelled);
  r = batch.wait();
  CHECK(r.count(JobState::cancelled) == 5);
  collect(r);

  const auto stats = pool.stats();
  CHECK(from_results.sum() == dispatched);
  CHECK(stats.ended.sum() == dispatched);
  for (JobState s : lockstep::kAllJobStates) {
    INFO("state " << lockstep::to_string(s));
    CHECK(stats.ended[s] == from_results[s]);
  }
  CHECK(stats.admitted == admitted);
  CHECK(failures_listed == dispatched - from_results[JobState::succeeded]);
  CHECK(from_results[JobState::skipped] == 0);
  CHECK(from_results[JobState::timed_out] == 0);
  CHECK(stats.running == 0);
  CHECK(stats.queued == 0);
  CHECK(bodies_finished.load() == 150);
}

TEST_CASE("counts add up when many threads dispatch into one batch", "[accounting]") {
  lockstep::Engine engine;
  auto& a = engine.add_bulkhead({.name = "a", .workers = 2, .queue = 1});
  auto& b = engine.add_bulkhead({.name = "b", .workers = 1, .queue = 0});
  lockstep::Batch batch;
  std::atomic<int> admitted{0}, rejected{0}, bodies{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        auto& pool = (i + t) % 2 ? a : b;
        const auto admission = i % 3 == 0 ? pool.try_dispatch(batch,
                                                              [&] {
                                                                bodies.fetch_add(1);
                                                                throw std::runtime_error("x");
                                                              })
                                          : pool.dispatch(batch, [&] { bodies.fetch_add(1); });
        (admission == Admission::admitted ? admitted : rejected).fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto r = batch.wait();
  CHECK(r.total() == 1000);
  CHECK(r.count(JobState::rejected) == static_cast<std::size_t>(rejected.load()));
  CHECK(r.count(JobState::succeeded) + r.count(JobState::failed) ==
        static_cast<std::size_t>(admitted.load()));
  CHECK(static_cast<int>(r.count(JobState::succeeded) + r.count(JobState::failed)) ==
        bodies.load());
  CHECK(a.stats().ended.sum() + b.stats().ended.sum() == 1000);
  CHECK(a.stats().admitted + b.stats().admitted == static_cast<std::uint64_t>(admitted.load()));
  CHECK(a.stats().peak_running <= 2);
  CHECK(b.stats().peak_running <= 1);
  CHECK(a.stats().peak_queued <= 1);
  CHECK(b.stats().peak_queued <= 0);
}

TEST_CASE("rounds cut short by cancel while another thread keeps dispatching account for every job",
          "[accounting]") {
  // The race window is narrow, so the scenario runs several times (about 40 ms each).
  for (int attempt = 0; attempt < 8; ++attempt) {
    CAPTURE(attempt);
    lockstep::Engine engine;
    auto& pool = engine.add_bulkhead({.name = "busy", .workers = 2, .queue = 4});
    lockstep::Batch batch;
    const int jobs = 3000;
    std::atomic<int> bodies{0};
    std::atomic<bool> done{false};
    int admitted = 0, cancelled_at_dispatch = 0, other = 0;
    std::thread producer([&] {
      for (int i = 0; i < jobs; ++i) {
        switch (pool.dispatch(batch, [&] { bodies.fetch_add(1); })) {
          case Admission::admitted:
            ++admitted;
            break;
          case Admission::cancelled:
            ++cancelled_at_dispatch;
            break;
          default:
            ++other;
        }
      }
      done = true;
    });

    lockstep::StateCounts totals;
    std::size_t failures_listed = 0;
    int rounds = 0;
    bool sane = true;
    std::string first_insane;
    auto collect = [&](const lockstep::BatchResult& r) {
      ++rounds;
      for (JobState s : lockstep::kAllJobStates) totals[s] += r.count(s);
      failures_listed += r.failures.size();
      // A round never reports more jobs than were dispatched, nor a negative success count.
      if (r.count(JobState::succeeded) > static_cast<std::size_t>(jobs) ||
          r.total() > static_cast<std::size_t>(jobs) ||
          r.failures.size() != r.total() - r.count(JobState::succeeded)) {
        if (sane) {
          std::ostringstream out;
          out << "round " << rounds << ":";
          for (JobState s : lockstep::kAllJobStates)
            out << " " << lockstep::to_string(s) << "=" << r.count(s);
          out << " failures listed=" << r.failures.size();
          first_insane = out.str();
        }
        sane = false;
      }
    };
    while (!done.load()) {
      if (rounds % 3 != 2) batch.cancel();  // most rounds are cancelled, some run to the end
      collect(batch.wait());  // jobs dispatched meanwhile extend the round or start the next
    }
    producer.join();
    collect(batch.wait());

    INFO(rounds << " rounds; " << admitted << " admitted, " << cancelled_at_dispatch
                << " cancelled at dispatch, " << bodies.load() << " ran");
    INFO("first inconsistent round: " << first_insane);
    REQUIRE(sane);
    REQUIRE(other == 0);
    REQUIRE(admitted + cancelled_at_dispatch == jobs);
    REQUIRE(totals.sum() == static_cast<std::size_t>(jobs));
    REQUIRE(totals[JobState::succeeded] == static_cast<std::size_t>(bodies.load()));
    REQUIRE(totals[JobState::cancelled] == static_cast<std::size_t>(jobs - bodies.load()));
    REQUIRE(failures_listed == totals[JobState::cancelled]);
    REQUIRE(pool.stats().ended.sum() == static_cast<std::size_t>(jobs));
    REQUIRE(pool.stats().ended[JobState::succeeded] == static_cast<std::size_t>(bodies.load()));
  }
}
