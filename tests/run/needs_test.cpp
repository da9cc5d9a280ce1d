// `needs`: a stage starts when every stage it needs has ended; stages whose needs have ended run
// side by side; a stop skips exactly the stages that need the stopped one. Orderings are read
// from the attempts' recorded times.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "run_support.hpp"

namespace lockstep::test {

namespace {

using Clock = std::chrono::steady_clock;

StageSpec stage_needing(std::string name, std::vector<JobSpec> jobs,
                        std::vector<std::string> needs) {
  auto spec = stage(std::move(name), std::move(jobs));
  spec.needs.emplace();
  for (auto& need : needs) spec.needs->push_back({std::move(need), {}});
  return spec;
}

JobSpec marked(const RegisteredJobType* type, std::string id, std::int64_t mark,
               std::string bulkhead = "pool") {
  auto spec = job(type, std::move(id), {}, std::move(bulkhead));
  spec.params.set("n", mark);
  return spec;
}

// Jobs marked 1 each wait until `parties` of them have arrived: they can only all succeed when
// they run at the same time. A bound on the wait turns a missing overlap into a failure, not a
// hang.
class Rendezvous {
 public:
  explicit Rendezvous(int parties) : parties_(parties) {}
  void arrive() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    wake_.notify_all();
    if (!wake_.wait_for(lock, std::chrono::seconds(20), [&] { return arrived_ >= parties_; })) {
      throw std::runtime_error("the others never came");
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  int parties_;
  int arrived_ = 0;
};

Clock::time_point first_start(const std::vector<Recorder::Attempt>& attempts) {
  auto first = Clock::time_point::max();
  for (const auto& a : attempts) first = std::min(first, a.start);
  return first;
}

Clock::time_point last_end(const std::vector<Recorder::Attempt>& attempts) {
  Clock::time_point last{};
  for (const auto& a : attempts) last = std::max(last, a.end);
  return last;
}

}  // namespace

TEST_CASE("a diamond: b and c run side by side after a, d after both") {
  ProbeTypes types;
  Rendezvous meet(2);
  types.behave([&](JobContext& ctx) {
    if (ctx.params().get<std::int64_t>("n") == 1) meet.arrive();
  });
  auto p = pipeline({stage("a", {job(types.probe(), "x", range(0, 4))}),
                     stage_needing("b", {marked(types.probe(), "y", 1)}, {"a"}),
                     stage_needing("c", {marked(types.probe(), "z", 1)}, {"a"}),
                     stage_needing("d", {job(types.probe(), "w", range(0, 4))}, {"b", "c"})});
  Recorder recorder;
  const auto result = run(p, &recorder);
  REQUIRE(result.exit_code() == 0);
  const auto a = recorder.attempts_of("a"), b = recorder.attempts_of("b"),
             c = recorder.attempts_of("c"), d = recorder.attempts_of("d");
  REQUIRE(a.size() == 4);
  REQUIRE(b.size() == 1);
  REQUIRE(c.size() == 1);
  REQUIRE(d.size() == 4);
  CHECK(first_start(b) >= last_end(a));
  CHECK(first_start(c) >= last_end(a));
  CHECK(first_start(b) < last_end(c));  // overlap
  CHECK(first_start(c) < last_end(b));
  CHECK(first_start(d) >= std::max(last_end(b), last_end(c)));
  // The summaries, in pipeline order, say when each stage started.
  REQUIRE(result.stages.size() == 4);
  CHECK(result.stages[3].start >= result.stages[1].start + result.stages[1].wall);
  CHECK(result.stages[3].start >= result.stages[2].start + result.stages[2].wall);
}

TEST_CASE("needs: [] starts at once, beside the first stage") {
  ProbeTypes types;
  Rendezvous meet(2);
  types.behave([&](JobContext& ctx) {
    if (ctx.params().get<std::int64_t>("n") == 1) meet.arrive();
  });
  auto p = pipeline({stage("first", {marked(types.probe(), "x", 1)}),
                     stage("second", {job(types.probe(), "y")}),
                     stage_needing("alone", {marked(types.probe(), "z", 1)}, {})});
  Recorder recorder;
  const auto result = run(p, &recorder);
  REQUIRE(result.exit_code() == 0);
  CHECK(first_start(recorder.attempts_of("second")) >= last_end(recorder.attempts_of("first")));
}

TEST_CASE("a stage may need one written after it") {
  ProbeTypes types;
  auto p = pipeline({stage_needing("late", {job(types.probe(), "x", range(0, 3))}, {"early"}),
                     stage_needing("early", {job(types.probe(), "y", range(0, 3))}, {})});
  Recorder recorder;
  const auto result = run(p, &recorder);
  REQUIRE(result.exit_code() == 0);
  CHECK(first_start(recorder.attempts_of("late")) >= last_end(recorder.attempts_of("early")));
}

TEST_CASE("a stop skips exactly the stages that need the stopped one, directly or not") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.params().get<std::int64_t>("n") == 2) throw std::runtime_error("broken");
  });
  auto p = pipeline({stage("build", {marked(types.probe(), "compile", 2)}),
                     stage("test", {job(types.probe(), "unit", range(0, 3))}),
                     stage_needing("ship", {job(types.probe(), "upload")}, {"test"}),
                     stage_needing("docs", {job(types.probe(), "render", range(0, 2))}, {}),
                     stage_needing("lint", {job(types.probe(), "check")}, {"docs"})});
  Recorder recorder;
  const auto result = run(p, &recorder);
  CHECK(result.exit_code() == 1);
  REQUIRE(result.stages.size() == 5);
  CHECK(result.stages[0].status == StageStatus::stopped);
  CHECK(result.stages[1].status == StageStatus::skipped);
  CHECK(result.stages[1].counts[JobState::skipped] == 3);
  CHECK(result.stages[2].status == StageStatus::skipped);
  CHECK(result.stages[2].counts[JobState::skipped] == 1);
  CHECK(result.stages[3].status == StageStatus::succeeded);
  CHECK(result.stages[4].status == StageStatus::succeeded);
  CHECK(recorder.attempts_of("test").empty());
  CHECK(recorder.attempts_of("ship").empty());
  CHECK(recorder.attempts_of("lint").size() == 1);
  // Every instance counted once: 1 failed, 3 succeeded, 4 skipped.
  CHECK(result.totals.sum() == 8);
  CHECK(result.totals[JobState::skipped] == 4);
}

TEST_CASE("stages side by side on one bulkhead share its bound") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) { ctx.sleep_for(std::chrono::microseconds(200)); });
  auto p = pipeline({stage_needing("left", {job(types.probe(), "x", range(0, 20), "one")}, {}),
                     stage_needing("right", {job(types.probe(), "y", range(0, 20), "one")}, {})},
                    {{"one", 1, 2}});
  Recorder recorder;
  const auto result = run(p, &recorder);
  REQUIRE(result.exit_code() == 0);
  auto attempts = recorder.attempts();
  REQUIRE(attempts.size() == 40);
  std::ranges::sort(attempts, {}, &Recorder::Attempt::start);
  for (std::size_t i = 1; i < attempts.size(); ++i) {
    CHECK(attempts[i].start >= attempts[i - 1].end);  // one worker: never two at a time
  }
}

}  // namespace lockstep::test
