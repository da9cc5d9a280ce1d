// on_failure: stop and continue; continue_on_error; skipped stages are counted.
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;
using namespace std::chrono_literals;

TEST_CASE(
    "on_failure stop: queued instances are cancelled, running ones finish, later stages "
    "are skipped") {
  ProbeTypes types;
  std::mutex mutex;
  std::condition_variable changed;
  bool long_started = false, failure_recorded = false, long_was_cancelled = true;
  types.behave([&](JobContext& ctx) {
    std::unique_lock lock(mutex);
    if (ctx.id() == "s/long") {
      long_started = true;
      changed.notify_all();
      // Still running when the failure is recorded: it must be left to finish.
      changed.wait_for(lock, 20s, [&] { return failure_recorded; });
      long_was_cancelled = ctx.cancelled();
    } else if (ctx.id() == "s/bad") {
      changed.wait_for(lock, 20s, [&] { return long_started; });
      throw std::runtime_error("bad");
    }
  });
  struct Watch final : RunObserver {
    std::function<void(const InstanceEvent&)> on_end;
    void instance_ended(const InstanceEvent& e) override { on_end(e); }
  } watch;
  watch.on_end = [&](const InstanceEvent& e) {
    if (e.id == "s/bad") {
      std::lock_guard lock(mutex);
      failure_recorded = true;
      changed.notify_all();
    }
  };
  auto p = pipeline({stage("s", {job(types.probe(), "long"), job(types.probe(), "bad"),
                                 job(types.probe(), "queued", range(0, 100))}),
                     stage("later", {job(types.probe(), "never", range(0, 7))})},
                    {{"pool", 2, 2}});
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&watch}});
  const auto result = runner.run();
  CHECK(result.exit_code() == 1);
  REQUIRE(result.stages.size() == 2);
  CHECK(result.stages[0].status == StageStatus::stopped);
  CHECK(result.stages[0].counts[JobState::failed] == 1);
  CHECK(result.stages[0].counts[JobState::succeeded] == 1);  // long finished
  CHECK_FALSE(long_was_cancelled);
  CHECK(result.stages[0].counts[JobState::cancelled] == 100);
  CHECK(result.stages[0].counts.sum() == 102);
  CHECK(result.stages[1].status == StageStatus::skipped);
  CHECK(result.stages[1].counts[JobState::skipped] == 7);
  CHECK(result.totals.sum() == 109);
}

TEST_CASE("on_failure continue: later stages run and the run still exits 1") {
  ProbeTypes types;
  std::atomic<int> later_runs{0};
  types.behave([&](JobContext& ctx) {
    if (ctx.id() == "s/bad") throw std::runtime_error("bad");
    if (ctx.id().rfind("later/", 0) == 0) ++later_runs;
  });
  auto first = stage("s", {job(types.probe(), "bad"), job(types.probe(), "ok", range(0, 10))});
  first.on_failure = OnFailure::continue_;
  const auto result =
      run(pipeline({first, stage("later", {job(types.probe(), "after", range(0, 5))})}));
  CHECK(result.exit_code() == 1);
  CHECK(result.stages[0].status == StageStatus::failed);
  CHECK(result.stages[0].counts[JobState::succeeded] == 10);
  CHECK(result.stages[1].status == StageStatus::succeeded);
  CHECK(later_runs.load() == 5);
}

TEST_CASE("continue_on_error: the failure is recorded and does not fail the stage") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.id() == "s/tolerated") throw std::runtime_error("meh");
  });
  auto tolerated = job(types.probe(), "tolerated");
  tolerated.continue_on_error = true;
  const auto result =
      run(pipeline({stage("s", {tolerated}), stage("t", {job(types.probe(), "x")})}));
  CHECK(result.exit_code() == 0);
  CHECK(result.stages[0].status == StageStatus::succeeded);
  CHECK(result.stages[0].counts[JobState::failed] == 1);
  CHECK(result.stages[1].counts[JobState::succeeded] == 1);
}

TEST_CASE(
    "interrupt: running attempts are cancelled, nothing more is admitted, the counts add "
    "up and the run exits 130") {
  ProbeTypes types;
  std::atomic<int> started{0};
  Runner* current = nullptr;
  types.behave([&](JobContext& ctx) {
    if (++started == 2) current->interrupt();
    if (!ctx.sleep_for(30s)) throw Cancelled{};
  });
  auto p = pipeline({stage("s", {job(types.probe(), "sleepy", range(0, 1000))}),
                     stage("t", {job(types.probe(), "never", range(0, 3))})});
  QuietLog quiet;
  Runner runner(p, {.log = &quiet});
  current = &runner;
  const auto begun = std::chrono::steady_clock::now();
  const auto result = runner.run();
  CHECK(std::chrono::steady_clock::now() - begun < 20s);  // not the 30 s sleeps
  CHECK(result.interrupted);
  CHECK(result.exit_code() == 130);
  CHECK(result.stages[0].status == StageStatus::interrupted);
  CHECK(result.stages[0].counts[JobState::cancelled] ==
        1000 - result.stages[0].counts[JobState::succeeded]);
  CHECK(result.stages[0].counts.sum() == 1000);
  CHECK(result.stages[1].counts[JobState::skipped] == 3);
  CHECK(started.load() <= 2 + 2);  // at most the workers' next picks slipped through
}

TEST_CASE("on_failure stop: an instance waiting for a retry ends as its last attempt did") {
  ProbeTypes types;
  std::atomic<bool> patient_failed{false};
  types.behave([&](JobContext& ctx) {
    if (ctx.id() == "s/fatal") {
      while (!patient_failed.load()) std::this_thread::yield();
      throw std::runtime_error("fatal");
    }
    // "patient" fails its first attempt; its retry is due long after "fatal" stopped the stage.
    patient_failed = true;
    throw std::runtime_error("not yet");
  });
  auto patient = job(types.probe(), "patient");
  patient.retry = {.attempts = 2, .backoff = 30s};
  auto fatal = job(types.probe(), "fatal");
  Recorder recorder;
  const auto begun = std::chrono::steady_clock::now();
  const auto result = run(pipeline({stage("s", {patient, fatal})}), &recorder);
  CHECK(std::chrono::steady_clock::now() - begun < 20s);  // did not wait for the backoff
  CHECK(result.stages[0].status == StageStatus::stopped);
  CHECK(result.totals[JobState::failed] == 2);
  CHECK(recorder.messages_of("s/patient") == std::vector<std::string>{"not yet"});
}
