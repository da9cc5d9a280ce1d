// A retry keeps the bulkhead promise: it waits for room in its own bulkhead only. A full bulkhead
// beside it, in the same stage, never delays it, whoever dispatched the instances.
//
// The "nap" jobs hold the one place of the `slow` bulkhead (queue 0) until they see the retry of
// "flaky" start on `fast`, or for 20 s. Had the retry waited for `slow` to have room, it would
// start only after the first nap gave up: the recorded times tell which happened.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;
using namespace std::chrono_literals;

namespace {

// Naps wake when the retry started; flaky fails its first attempt.
class RetryWatch {
 public:
  void behave(ProbeTypes& types) {
    types.behave([this](JobContext& ctx) {
      if (ctx.id().find("flaky") != std::string::npos) {
        if (ctx.attempt() == 1) throw std::runtime_error("first attempt fails");
        std::lock_guard lock(mutex_);
        retried_ = true;
        retry_seen_.notify_all();
        return;
      }
      std::unique_lock lock(mutex_);
      retry_seen_.wait_for(lock, 20s, [this] { return retried_; });
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable retry_seen_;
  bool retried_ = false;
};

const Recorder::Attempt& attempt_of(const std::vector<Recorder::Attempt>& attempts,
                                    const std::string& id, int attempt) {
  for (const auto& a : attempts) {
    if (a.id == id && a.attempt == attempt) return a;
  }
  FAIL("no attempt " << attempt << " of " << id);
  return attempts.front();
}

// The reproduction: nap x2 on slow {workers 1, queue 0}, flaky on fast {workers 2} with
// retry {attempts 3, backoff 50ms}.
Pipeline nap_and_flaky(const ProbeTypes& types, StageSpec (*shape)(StageSpec)) {
  auto nap = job(types.probe(), "nap", range(0, 2), "slow");
  auto flaky = job(types.probe(), "flaky", {}, "fast");
  flaky.retry = {.attempts = 3, .backoff = 50ms};
  return pipeline({shape(stage("s", {nap, flaky}))}, {{"slow", 1, 0}, {"fast", 2, 4}});
}

void check_retry_ran_beside_the_nap(const Recorder& recorder) {
  const auto attempts = recorder.attempts();
  REQUIRE(attempts.size() == 4);  // nap[0], nap[1], flaky twice
  const auto& failed = attempt_of(attempts, "s/flaky", 1);
  const auto& retried = attempt_of(attempts, "s/flaky", 2);
  const auto* first_nap = &attempt_of(attempts, "s/nap[0]", 1);
  const auto* second_nap = &attempt_of(attempts, "s/nap[1]", 1);
  if (second_nap->start < first_nap->start) std::swap(first_nap, second_nap);
  CHECK(failed.state == JobState::failed);
  CHECK(retried.state == JobState::succeeded);
  // The retry started while the first nap still held `slow`, before the second could start.
  CHECK(retried.start < first_nap->end);
  CHECK(retried.start < second_nap->start);
  CHECK(retried.start - failed.end >= 50ms);  // its backoff, outside any bulkhead
  for (const auto& [id, count] : recorder.instance_ends()) {
    INFO(id);
    CHECK(count == 1);
  }
}

StageSpec as_is(StageSpec spec) { return spec; }

}  // namespace

TEST_CASE("a retry is never held back by another bulkhead that is full") {
  ProbeTypes types;
  RetryWatch watch;
  watch.behave(types);
  Recorder recorder;
  const auto result = run(nap_and_flaky(types, as_is), &recorder);
  CHECK(result.exit_code() == 0);
  CHECK(result.totals[JobState::succeeded] == 3);
  check_retry_ran_beside_the_nap(recorder);
}

TEST_CASE("a retry of an instance a stage kind dispatched is not held back by the kind's thread") {
  // The kind's thread blocks in dispatch() on the full `slow` bulkhead; the retry of flaky, which
  // it dispatched first, must not wait for it.
  static const RegisteredStageKind one_by_one{"app.one_by_one",
                                              "app",
                                              {"one_by_one", "dispatches flaky, then each nap"},
                                              [](const Params&) -> std::unique_ptr<StageKind> {
                                                struct Kind final : StageKind {
                                                  void run(StageContext& stage) override {
                                                    std::vector<StageInstance> instances;
                                                    while (auto instance = stage.next())
                                                      instances.push_back(*instance);
                                                    std::ranges::reverse(instances);  // flaky first
                                                    for (const auto& instance : instances)
                                                      stage.dispatch(instance);
                                                    stage.wait();
                                                  }
                                                };
                                                return std::make_unique<Kind>();
                                              }};
  ProbeTypes types;
  RetryWatch watch;
  watch.behave(types);
  Recorder recorder;
  const auto result = run(nap_and_flaky(types,
                                        [](StageSpec spec) {
                                          spec.kind = one_by_one.qualified_name;
                                          spec.kind_type = &one_by_one;
                                          return spec;
                                        }),
                          &recorder);
  CHECK(result.exit_code() == 0);
  CHECK(result.totals[JobState::succeeded] == 3);
  check_retry_ran_beside_the_nap(recorder);
}
