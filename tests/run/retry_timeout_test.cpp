// Retries with exponential backoff that hold no worker; timeouts per attempt.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;
using namespace std::chrono_literals;

TEST_CASE("a job is retried until an attempt succeeds, each attempt after its backoff") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.attempt() < 3) throw std::runtime_error("attempt " + std::to_string(ctx.attempt()));
  });
  auto flaky = job(types.probe(), "flaky");
  flaky.retry = {.attempts = 4, .backoff = 20ms, .max_backoff = 30ms};
  Recorder recorder;
  const auto result = run(pipeline({stage("s", {flaky})}), &recorder);
  CHECK(result.exit_code() == 0);
  CHECK(result.totals[JobState::succeeded] == 1);
  CHECK(result.totals.sum() == 1);
  auto attempts = recorder.attempts();
  REQUIRE(attempts.size() == 3);
  std::sort(attempts.begin(), attempts.end(),
            [](auto& a, auto& b) { return a.attempt < b.attempt; });
  CHECK(attempts[0].state == JobState::failed);
  CHECK(attempts[1].state == JobState::failed);
  CHECK(attempts[2].state == JobState::succeeded);
  // Backoff 20 ms, then 40 ms capped at 30 ms: lower bounds only.
  CHECK(attempts[1].start - attempts[0].end >= 20ms);
  CHECK(attempts[2].start - attempts[1].end >= 30ms);
  CHECK(recorder.messages_of("s/flaky") == std::vector<std::string>{"attempt 1", "attempt 2"});
}

TEST_CASE("an instance that fails every attempt ends failed once, with every message") {
  ProbeTypes types;
  types.behave(
      [](JobContext& ctx) { throw std::runtime_error("no " + std::to_string(ctx.attempt())); });
  auto doomed = job(types.probe(), "doomed", range(0, 3));
  doomed.retry = {.attempts = 3, .backoff = 1ms};
  // With on_failure: stop, the first instance to fail would end the others' retries.
  auto s = stage("s", {doomed});
  s.on_failure = OnFailure::continue_;
  Recorder recorder;
  const auto result = run(pipeline({s}), &recorder);
  CHECK(result.exit_code() == 1);
  CHECK(result.totals[JobState::failed] == 3);
  CHECK(result.totals.sum() == 3);
  CHECK(recorder.attempts().size() == 9);
  CHECK(recorder.messages_of("s/doomed[1]") == std::vector<std::string>{"no 1", "no 2", "no 3"});
}

TEST_CASE("an instance waiting for its retry holds no worker") {
  ProbeTypes types;
  // One worker. "flaky" fails once and retries after 300 ms; meanwhile the other jobs must run.
  types.behave([](JobContext& ctx) {
    if (ctx.id() == "s/flaky" && ctx.attempt() == 1) throw std::runtime_error("once");
  });
  auto flaky = job(types.probe(), "flaky", {}, "one");
  flaky.retry = {.attempts = 2, .backoff = 300ms};
  Recorder recorder;
  const auto result =
      run(pipeline({stage("s", {flaky, job(types.probe(), "other", range(0, 20), "one")})},
                   {{"one", 1, 1}}),
          &recorder);
  CHECK(result.totals[JobState::succeeded] == 21);
  std::chrono::steady_clock::time_point failed_end{}, retry_start{};
  for (auto& a : recorder.attempts()) {
    if (a.job == "flaky" && a.attempt == 1) failed_end = a.end;
    if (a.job == "flaky" && a.attempt == 2) retry_start = a.start;
  }
  int ran_during_backoff = 0;
  for (auto& a : recorder.attempts()) {
    if (a.job == "other" && a.start >= failed_end && a.end <= retry_start) ++ran_during_backoff;
  }
  CHECK(ran_during_backoff == 20);
}

TEST_CASE("an attempt that outlives its timeout is cancelled and ends as timed_out") {
  ProbeTypes types;
  std::atomic<int> woke_early{0};
  types.behave([&](JobContext& ctx) {
    if (!ctx.sleep_for(30s)) {
      ++woke_early;
      throw Cancelled{};
    }
  });
  auto slow = job(types.probe(), "slow", range(0, 2));
  slow.timeout = 50ms;
  slow.retry = {.attempts = 2, .backoff = 1ms};
  Recorder recorder;
  const auto result = run(pipeline({stage("s", {slow})}), &recorder);
  CHECK(result.exit_code() == 1);
  CHECK(result.totals[JobState::timed_out] == 2);
  CHECK(result.totals.sum() == 2);
  CHECK(woke_early.load() == 4);  // two instances, two attempts each
  auto messages = recorder.messages_of("s/slow[0]");
  REQUIRE(messages.size() == 2);
  CHECK(messages[0] == "timed out after 50ms");
}

TEST_CASE("a timeout that does not fire leaves the attempt alone") {
  ProbeTypes types;
  std::atomic<int> woke_early{0};  // Catch's assertions are not for worker threads
  types.behave([&](JobContext& ctx) {
    if (!ctx.sleep_for(1ms)) ++woke_early;
  });
  auto quick = job(types.probe(), "quick", range(0, 20));
  quick.timeout = 10s;
  const auto result = run(pipeline({stage("s", {quick})}));
  CHECK(result.totals[JobState::succeeded] == 20);
  CHECK(woke_early.load() == 0);
}

TEST_CASE("a job whose bulkhead has no room within max_wait is rejected, and counted") {
  ProbeTypes types;
  std::mutex mutex;
  std::condition_variable rejected_seen;
  bool go = false;
  types.behave([&](JobContext& ctx) {
    if (ctx.index() != 0) return;
    std::unique_lock lock(mutex);  // holds the only place until the others were rejected
    rejected_seen.wait_for(lock, 20s, [&] { return go; });
  });
  struct Release final : RunObserver {
    std::function<void()> on_reject;
    void instance_ended(const InstanceEvent& e) override {
      if (e.state == JobState::rejected) on_reject();
    }
  } release;
  std::atomic<int> rejections{0};
  release.on_reject = [&] {
    if (++rejections == 4) {
      std::lock_guard lock(mutex);
      go = true;
      rejected_seen.notify_all();
    }
  };
  auto s = stage("s", {job(types.probe(), "j", range(0, 5), "tight")});
  s.on_failure = OnFailure::continue_;  // each rejection is a failure; let them all happen
  auto p = pipeline({s}, {{"tight", 1, 0, 5ms}});
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&release}});
  const auto result = runner.run();
  CHECK(result.totals[JobState::succeeded] == 1);
  CHECK(result.totals[JobState::rejected] == 4);
  CHECK(result.exit_code() == 1);
}

TEST_CASE("a job that ignores its timeout and returns late still ends as timed_out") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    // Ignores cancellation: waits for the deadline to pass, then returns normally.
    while (!ctx.cancelled()) std::this_thread::yield();
  });
  auto late = job(types.probe(), "late");
  late.timeout = 20ms;
  Recorder recorder;
  const auto result = run(pipeline({stage("s", {late})}), &recorder);
  CHECK(result.totals[JobState::timed_out] == 1);
  CHECK(recorder.messages_of("s/late") == std::vector<std::string>{"timed out after 20ms"});
}
