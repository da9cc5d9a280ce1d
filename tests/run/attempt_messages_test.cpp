// The messages of an instance's attempts stay bounded however often it is retried (the first and
// last few, and how many are left out), and an interrupt during a retry loop leaves its failure a
// failure: listed, with its attempts, not turned into a cancellation.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>

#include "run/attempt_messages.hpp"
#include "run_support.hpp"

namespace lockstep::test {
namespace {

using run::add_attempt_message;
using run::kKeptAttemptMessages;

std::vector<std::string> messages_of_attempts(std::uint64_t attempts) {
  std::vector<std::string> messages;
  for (std::uint64_t a = 1; a <= attempts; ++a) {
    add_attempt_message(messages, a, "attempt " + std::to_string(a));
  }
  return messages;
}

TEST_CASE("attempt messages keep the first and last few, and count the rest") {
  CHECK(messages_of_attempts(3) == std::vector<std::string>{"attempt 1", "attempt 2", "attempt 3"});
  CHECK(messages_of_attempts(11).size() == 11);  // all of them, as long as that is no longer
  CHECK(messages_of_attempts(12) ==
        std::vector<std::string>{"attempt 1", "attempt 2", "attempt 3", "attempt 4", "attempt 5",
                                 "\u2026 2 attempts not shown \u2026", "attempt 8", "attempt 9",
                                 "attempt 10", "attempt 11", "attempt 12"});
  const auto many = messages_of_attempts(100'000);
  REQUIRE(many.size() == 2 * kKeptAttemptMessages + 1);
  CHECK(many.front() == "attempt 1");
  CHECK(many[kKeptAttemptMessages] == "\u2026 99990 attempts not shown \u2026");
  CHECK(many.back() == "attempt 100000");
  CHECK(many[kKeptAttemptMessages + 1] == "attempt 99996");
}

TEST_CASE("a long message is cut at a character, saying how much is left out") {
  std::vector<std::string> messages;
  add_attempt_message(messages, 1, std::string(5000, 'x'));
  add_attempt_message(messages, 2, std::string(4095, 'y') + "\xc3\xa9" + std::string(10, 'z'));
  CHECK(messages[0] == std::string(4096, 'x') + "\u2026 (904 bytes more)");
  CHECK(messages[1] == std::string(4095, 'y') + "\u2026 (12 bytes more)");  // not half an é
}

TEST_CASE("an instance retried a thousand times reports eleven messages") {
  ProbeTypes types;
  types.behave(
      [](JobContext& ctx) { throw std::runtime_error("no " + std::to_string(ctx.attempt())); });
  auto flaky = job(types.probe(), "flaky");
  flaky.retry.attempts = 1000;
  Recorder recorder;
  const auto result = run(pipeline({stage("s", {flaky})}), &recorder);
  CHECK(result.stages[0].counts[JobState::failed] == 1);
  const auto messages = recorder.messages_of("s/flaky");
  REQUIRE(messages.size() == 11);
  CHECK(messages[4] == "no 5");
  CHECK(messages[5] == "\u2026 990 attempts not shown \u2026");
  CHECK(messages[10] == "no 1000");
}

TEST_CASE("an interrupt during a retry loop ends the instance as its last attempt did") {
  ProbeTypes types;
  Recorder recorder;
  Runner* current = nullptr;
  std::atomic<bool> gave_up{false};
  types.behave([&](JobContext& ctx) {
    if (ctx.id() == "s/flaky") throw std::runtime_error("down");
    // The watcher: once flaky's first attempt has ended and left its worker, flaky waits an hour
    // for its second; the interrupt comes then. (Bounded: 10 s at most.)
    for (int i = 0; i < 10'000; ++i) {
      const auto progress = current->progress();
      if (recorder.attempts_of("s").size() == 1 && progress && progress->running == 1) {
        current->interrupt();
        return;
      }
      ctx.sleep_for(std::chrono::milliseconds(1));
    }
    gave_up = true;
  });
  auto flaky = job(types.probe(), "flaky");
  flaky.retry.attempts = 2;
  flaky.retry.backoff = std::chrono::hours(1);
  QuietLog quiet;
  const auto p = pipeline({stage("s", {flaky, job(types.probe(), "watcher")})});
  Runner runner(p, {.log = &quiet, .observers = {&recorder}});  // it keeps a reference to p
  current = &runner;
  const auto result = runner.run();
  CHECK_FALSE(gave_up.load());
  CHECK(result.interrupted);
  CHECK(result.exit_code() == 130);
  CHECK(result.stages[0].counts[JobState::failed] == 1);  // not cancelled: it did fail
  CHECK(result.stages[0].counts.sum() == 2);
  CHECK(recorder.state_of("s/flaky") == JobState::failed);
  CHECK(recorder.messages_of("s/flaky") == std::vector<std::string>{"down"});
}

}  // namespace
}  // namespace lockstep::test
