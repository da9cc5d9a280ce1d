// Runner::observe(): observers attach by a call, any number, in any order, before run(); each
// sees every event once, whatever the order it was attached in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;

namespace {

// Every event, as a line; sorted when read, since workers report attempts in no fixed order.
class EventLog final : public RunObserver {
 public:
  void run_started(const Pipeline& pipeline) override { add("run_started " + pipeline.name); }
  void stage_started(const StageSpec& stage, int iteration) override {
    add("stage_started " + stage.name + "@" + std::to_string(iteration));
  }
  void attempt_started(const AttemptEvent& attempt) override {
    add("attempt_started " + attempt.id + " #" + std::to_string(attempt.attempt));
  }
  void attempt_ended(const AttemptEvent& attempt) override {
    add("attempt_ended " + attempt.id + " #" + std::to_string(attempt.attempt) + " " +
        std::string(to_string(attempt.state)));
  }
  void instance_ended(const InstanceEvent& instance) override {
    add("instance_ended " + instance.id + " " + std::string(to_string(instance.state)));
  }
  void stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) override {
    add("stage_ended " + stage.name + "@" + std::to_string(iteration) + " " +
        std::to_string(so_far.counts.sum()));
  }
  void run_ended(const RunResult& result) override {
    add("run_ended " + std::to_string(result.totals.sum()));
  }

  std::vector<std::string> sorted() const {
    std::lock_guard lock(mutex_);
    auto events = events_;
    std::ranges::sort(events);
    return events;
  }

 private:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }

  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

struct TwoObservers {
  std::vector<std::string> first, second;
};

// Runs the pipeline with two observers, attached as `attach` does.
template <class Attach>
TwoObservers run_observed(const Pipeline& pipeline, Attach attach) {
  QuietLog quiet;
  Runner runner(pipeline, {.log = &quiet});
  EventLog a;
  EventLog b;
  attach(runner, a, b);
  runner.run();
  return {a.sorted(), b.sorted()};
}

}  // namespace

TEST_CASE("observers attached in either order see the same events") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.index() % 5 == 1) throw std::runtime_error("a failing instance");
  });
  auto s = stage("s", {job(types.probe(), "j", range(0, 20))});
  s.on_failure = OnFailure::continue_;
  const auto p = pipeline({s, stage("after", {job(types.probe(), "k")})});

  const auto a_then_b =
      run_observed(p, [](Runner& r, EventLog& a, EventLog& b) { r.observe(a).observe(b); });
  const auto b_then_a = run_observed(p, [](Runner& r, EventLog& a, EventLog& b) {
    r.observe(b);
    r.observe(a);
  });

  // 21 instances, one attempt each: 2 x 21 attempt events, 21 ends, 2 stages, the run.
  REQUIRE(a_then_b.first.size() == 3 * 21 + 2 * 2 + 2);
  CHECK(std::ranges::count(a_then_b.first, std::string("instance_ended s/j[1] failed")) == 1);
  CHECK(std::ranges::count(a_then_b.first, std::string("run_ended 21")) == 1);
  CHECK(a_then_b.second == a_then_b.first);
  CHECK(b_then_a.first == a_then_b.first);
  CHECK(b_then_a.second == a_then_b.first);
}

TEST_CASE("an observer attached twice, or both by option and by call, sees each event once") {
  ProbeTypes types;
  const auto p = pipeline({stage("s", {job(types.probe(), "j", range(0, 3))})});
  QuietLog quiet;
  EventLog by_option;
  EventLog by_call;
  Runner runner(p, {.log = &quiet, .observers = {&by_option}});
  runner.observe(by_call).observe(by_call).observe(by_option);
  runner.run();
  CHECK(by_call.sorted().size() == 3 * 3 + 2 + 2);
  CHECK(by_option.sorted() == by_call.sorted());
}

TEST_CASE("attaching an observer or a log sink once run() has started is a logic error") {
  ProbeTypes types;
  const auto p = pipeline({stage("s", {job(types.probe(), "j")})});
  QuietLog quiet;
  Runner runner(p, {.log = &quiet});
  runner.run();
  EventLog late;
  CHECK_THROWS_AS(runner.observe(late), std::logic_error);
  CHECK_THROWS_AS(runner.log_to(quiet), std::logic_error);
  CHECK(late.sorted().empty());
}

namespace {

// Failed attempts and instances only, as the report asks for them.
class FailureLog final : public RunObserver {
 public:
  Interest interest() const override { return Interest::failures; }
  void attempt_ended(const AttemptEvent& attempt) override {
    std::lock_guard lock(mutex_);
    attempts.push_back(attempt.id + " #" + std::to_string(attempt.attempt) + " " +
                       std::string(to_string(attempt.state)));
  }
  void instance_ended(const InstanceEvent& instance) override {
    std::lock_guard lock(mutex_);
    instances.push_back(instance.id + " " + std::string(to_string(instance.state)));
  }
  std::mutex mutex_;
  std::vector<std::string> attempts, instances;
};

}  // namespace

TEST_CASE("each attempt of a chunk of instances sees its own index, id and item") {
  // Consecutive instances run in chunks, one context made per chunk: what each attempt sees,
  // and what observers of failures are told, must still be that instance's.
  constexpr int kInstances = 2000;
  struct Seen {
    std::uint64_t index;
    std::string id, item;
    int attempt;
  };
  std::mutex mutex;
  std::vector<Seen> seen;
  ProbeTypes types;
  types.behave([&](JobContext& ctx) {
    {
      std::lock_guard lock(mutex);
      seen.push_back({ctx.index(), ctx.id(), ctx.item().value, ctx.attempt()});
    }
    if (ctx.index() % 11 == 5) throw std::runtime_error("always fails");
    if (ctx.index() % 7 == 3 && ctx.attempt() == 1) throw std::runtime_error("fails once");
  });
  auto j = job(types.probe(), "j", range(0, kInstances));
  j.retry.attempts = 2;
  auto s = stage("s", {j});
  s.on_failure = OnFailure::continue_;
  const auto p = pipeline({s});
  QuietLog quiet;
  FailureLog failures;
  Runner runner(p, {.log = &quiet, .observers = {&failures}});
  const auto result = runner.run();

  std::vector<std::string> expected_attempts, expected_instances;
  std::uint64_t failed = 0, retried = 0;
  for (int i = 0; i < kInstances; ++i) {
    const auto id = "s/j[" + std::to_string(i) + "]";
    if (i % 11 == 5) {
      ++failed;
      expected_attempts.push_back(id + " #1 failed");
      expected_attempts.push_back(id + " #2 failed");
      expected_instances.push_back(id + " failed");
    } else if (i % 7 == 3) {
      ++retried;
      expected_attempts.push_back(id + " #1 failed");
    }
  }
  REQUIRE(seen.size() == kInstances + retried + failed);
  std::vector<int> first_attempts(kInstances, 0);
  for (const auto& s : seen) {
    REQUIRE(s.index < kInstances);
    CHECK(s.id == "s/j[" + std::to_string(s.index) + "]");
    CHECK(s.item == std::to_string(s.index));
    if (s.attempt == 1) ++first_attempts[s.index];
  }
  CHECK(std::ranges::all_of(first_attempts, [](int n) { return n == 1; }));
  std::ranges::sort(expected_attempts);
  std::ranges::sort(expected_instances);
  std::ranges::sort(failures.attempts);
  std::ranges::sort(failures.instances);
  CHECK(failures.attempts == expected_attempts);
  CHECK(failures.instances == expected_instances);
  CHECK(result.totals[JobState::failed] == failed);
  CHECK(result.totals[JobState::succeeded] == kInstances - failed);
}
