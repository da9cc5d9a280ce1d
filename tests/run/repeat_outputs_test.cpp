// repeat (times, until, max), outputs between stages, from_outputs, templates.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;

TEST_CASE("repeat times: the stage runs that many iterations, a barrier between them") {
  ProbeTypes types;
  types.behave([](JobContext&) {});
  auto s = stage("loop", {job(types.probe(), "step", range(0, 8))});
  s.repeat = Repeat{.times = 5};
  Recorder recorder;
  const auto result = run(pipeline({s}), &recorder);
  CHECK(result.stages[0].iterations == 5);
  CHECK(result.stages[0].counts[JobState::succeeded] == 40);
  // Iteration k+1 starts after every attempt of iteration k ended.
  auto attempts = recorder.attempts();
  for (auto& later : attempts) {
    for (auto& earlier : attempts) {
      if (earlier.iteration < later.iteration) CHECK(earlier.end <= later.start);
    }
  }
  CHECK(recorder.instance_ends().count("loop@5/step[7]") == 1);
}

TEST_CASE("repeat until: stops after the iteration in which a job published a truthy output") {
  ProbeTypes types;
  std::atomic<int> runs{0};
  types.behave([&](JobContext& ctx) {
    ++runs;
    if (ctx.index() == 1)
      ctx.output("converged",
                 ctx.params().get<std::int64_t>("n") == 0 && runs.load() >= 7 ? "yes" : "false");
  });
  auto s = stage("solve", {job(types.probe(), "relax", range(0, 3))});
  s.repeat = Repeat{.max = 100, .until = "converged"};
  const auto result = run(pipeline({s}));
  // 3 jobs per iteration; runs reaches 7 in iteration 3.
  CHECK(result.stages[0].iterations == 3);
  CHECK(result.stages[0].note.empty());
}

TEST_CASE("repeat max: a loop that never converges stops at max, and says so") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) { ctx.output("converged", "no"); });
  auto s = stage("solve", {job(types.probe(), "relax")});
  s.repeat = Repeat{.max = 4, .until = "converged"};
  const auto result = run(pipeline({s}));
  CHECK(result.stages[0].iterations == 4);
  CHECK(result.stages[0].note == "stopped after 4 iterations: no job published 'converged'");
  CHECK(result.exit_code() == 0);
}

TEST_CASE("outputs of a stage are read by later ones: from_outputs and input()") {
  ProbeTypes types;
  std::mutex mutex;
  std::map<std::uint64_t, std::string> seen;
  std::string total;
  types.behave([&](JobContext& ctx) {
    if (ctx.id().rfind("make/", 0) == 0) {
      ctx.output("word", "w" + std::to_string(ctx.index() * 10));
      ctx.output("count", "3");
    } else if (ctx.id().rfind("use/", 0) == 0) {
      std::lock_guard lock(mutex);
      seen[ctx.index()] = ctx.item().value;
      total = ctx.input("make.words.count").value_or("none");
    }
  });
  FanOut over;
  over.kind = FanOut::Kind::from_outputs;
  over.reference = "make.words.word";
  const auto result = run(pipeline({stage("make", {job(types.probe(), "words", range(0, 4))}),
                                    stage("use", {job(types.probe(), "each", over)})}));
  CHECK(result.stages[1].counts[JobState::succeeded] == 4);
  const std::map<std::uint64_t, std::string> expected{
      {0, "w0"}, {1, "w10"}, {2, "w20"}, {3, "w30"}};
  CHECK(seen == expected);
  CHECK(total == "3");
}

TEST_CASE("templates: ${item}, ${index} and ${iteration} are filled in and checked per instance") {
  ProbeTypes types;
  std::mutex mutex;
  std::map<std::string, std::int64_t> n_of;
  types.behave([&](JobContext& ctx) {
    std::lock_guard lock(mutex);
    n_of[ctx.id()] = ctx.params().get<std::int64_t>("n");
  });
  auto j = job(types.probe(), "t", range(10, 13));
  j.templates.push_back({"n", RawValue::scalar("${item}${index}${iteration}")});
  auto s = stage("s", {j});
  s.repeat = Repeat{.times = 2};
  auto bad = job(types.probe(), "bad", range(0, 2));
  FanOut words;
  words.kind = FanOut::Kind::items;
  words.items = {{"7", {}}, {"seven", {}}};
  bad.foreach = words;
  bad.templates.push_back({"n", RawValue::scalar("${item}")});
  auto t = stage("t", {bad});
  t.on_failure = OnFailure::continue_;
  Recorder recorder;
  const auto result = run(pipeline({s, t}), &recorder);
  CHECK(n_of["s@1/t[0]"] == 1001);
  CHECK(n_of["s@2/t[2]"] == 1222);
  CHECK(n_of["t/bad[0]"] == 7);
  CHECK(result.stages[1].counts[JobState::failed] == 1);
  const auto messages = recorder.messages_of("t/bad[1]");
  REQUIRE(messages.size() == 1);
  CHECK_THAT(messages[0], Catch::Contains("seven"));
}
