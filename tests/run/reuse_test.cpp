// RunOptions::reuse (what --resume does): reused instances end succeeded without running, are
// counted as reused, their outputs are published for later stages and repeat.until, and they
// stay reused whatever the stage kind or a stop does.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;

namespace {

// Which instance ids ran (each attempt once).
struct Ran {
  std::mutex mutex;
  std::multiset<std::string> ids;
  void add(const std::string& id) {
    std::lock_guard lock(mutex);
    ids.insert(id);
  }
};

RunResult run_reusing(const Pipeline& p, const Reuse& reuse, Recorder& recorder) {
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&recorder}, .reuse = &reuse});
  return runner.run();
}

}  // namespace

TEST_CASE("reused instances end succeeded without running, and are counted as reused") {
  ProbeTypes types;
  Ran ran;
  types.behave([&](JobContext& ctx) { ran.add(ctx.id()); });
  Reuse reuse;
  reuse.add("s", 1, "j", {.ranges = {{2, 5}, {8, 9}, {20, 30}}});  // 20.. is past the job's end
  Recorder recorder;
  const auto result = run_reusing(pipeline({stage("s", {job(types.probe(), "j", range(0, 10))})}),
                                  reuse, recorder);
  CHECK(result.exit_code() == 0);
  CHECK(result.stages[0].counts[JobState::succeeded] == 10);
  CHECK(result.stages[0].reused == 4);
  CHECK(result.reused == 4);
  const std::multiset<std::string> expected{"s/j[0]", "s/j[1]", "s/j[5]", "s/j[6]", "s/j[7]",
                                            "s/j[9]"};
  CHECK(ran.ids == expected);
  // Each instance ended once, reused ones included.
  const auto ends = recorder.instance_ends();
  CHECK(ends.size() == 10);
  for (const auto& [id, count] : ends) CHECK(count == 1);
}

TEST_CASE("a reused instance's outputs reach a later stage's from_outputs and input()") {
  ProbeTypes types;
  std::mutex mutex;
  std::map<std::uint64_t, std::string> seen;
  Ran ran;
  types.behave([&](JobContext& ctx) {
    ran.add(ctx.id());
    if (ctx.id().rfind("make/", 0) == 0) {
      ctx.output("word", "new" + std::to_string(ctx.index()));
    } else {
      std::lock_guard lock(mutex);
      seen[ctx.index()] = ctx.item().value;
    }
  });
  Reuse reuse;
  reuse.add("make", 1, "words",
            {.ranges = {{0, 2}},
             .outputs = {{.index = 0, .key = "word", .value = "old0"},
                         {.index = 1, .key = "word", .value = "old1"}}});
  FanOut over;
  over.kind = FanOut::Kind::from_outputs;
  over.reference = "make.words.word";
  Recorder recorder;
  const auto result =
      run_reusing(pipeline({stage("make", {job(types.probe(), "words", range(0, 3))}),
                            stage("use", {job(types.probe(), "each", over)})}),
                  reuse, recorder);
  CHECK(result.exit_code() == 0);
  CHECK(ran.ids.count("make/words[0]") == 0);
  CHECK(ran.ids.count("make/words[2]") == 1);
  const std::map<std::uint64_t, std::string> expected{{0, "old0"}, {1, "old1"}, {2, "new2"}};
  CHECK(seen == expected);
}

TEST_CASE("a reused instance's output ends a repeat-until loop as if it had run") {
  ProbeTypes types;
  std::atomic<int> runs{0};
  types.behave([&](JobContext&) { ++runs; });
  auto s = stage("solve", {job(types.probe(), "relax", range(0, 2))});
  s.repeat = Repeat{.max = 10, .until = "done"};
  Reuse reuse;
  reuse.add("solve", 1, "relax", {.ranges = {{0, 2}}});
  reuse.add("solve", 2, "relax",
            {.ranges = {{1, 2}}, .outputs = {{.index = 1, .key = "done", .value = "yes"}}});
  Recorder recorder;
  const auto result = run_reusing(pipeline({s}), reuse, recorder);
  CHECK(result.stages[0].iterations == 2);  // without the restored output it would run 10
  CHECK(runs.load() == 1);                  // solve@2/relax[0]
  CHECK(result.reused == 3);
}

TEST_CASE("a stage kind that dispatches one by one sees reused instances end at once") {
  ProbeTypes types;
  Ran ran;
  types.behave([&](JobContext& ctx) { ran.add(ctx.id()); });
  Registry registry;
  const auto* sequential = registry.lookup_stage_kind("sequential").kind;
  REQUIRE(sequential != nullptr);
  auto s = stage("s", {job(types.probe(), "a", range(0, 4))});
  s.kind = sequential->qualified_name;
  s.kind_type = sequential;
  Reuse reuse;
  reuse.add("s", 1, "a", {.ranges = {{1, 3}}});
  Recorder recorder;
  const auto result = run_reusing(pipeline({s}), reuse, recorder);
  CHECK(result.exit_code() == 0);
  CHECK(result.stages[0].counts[JobState::succeeded] == 4);
  CHECK(result.reused == 2);
  const std::multiset<std::string> expected{"s/a[0]", "s/a[3]"};
  CHECK(ran.ids == expected);
}

TEST_CASE("when a stage stops, its reused instances still end reused, the rest cancelled") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.index() == 0) throw std::runtime_error("first fails");
  });
  // One worker and chunks of one: index 0 fails before most of the range is dispatched.
  auto s = stage("s", {job(types.probe(), "j", range(0, 2000))});
  s.on_failure = OnFailure::stop;
  Reuse reuse;
  reuse.add("s", 1, "j", {.ranges = {{1500, 2000}}});
  Recorder recorder;
  const auto result = run_reusing(pipeline({s}, {{"pool", 1, 1}}), reuse, recorder);
  const auto& counts = result.stages[0].counts;
  CHECK(counts.sum() == 2000);
  CHECK(result.stages[0].reused == 500);
  CHECK(counts[JobState::succeeded] >= 500);
  CHECK(counts[JobState::failed] == 1);
}
