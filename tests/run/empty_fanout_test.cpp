// Fan-outs read when their stage starts (files, from_outputs) that find nothing are never silent:
// a warning in the stage's summary by default, an error that fails the stage with
// allow_empty: false; a from_outputs key nobody published gets a did-you-mean.
#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"
#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;

namespace {

FanOut files(const std::filesystem::path& pattern, bool allow_empty = true) {
  FanOut fan_out;
  fan_out.kind = FanOut::Kind::files;
  fan_out.pattern = pattern.string();
  fan_out.allow_empty = allow_empty;
  fan_out.where = {"pipe.yaml", 7, 18};
  return fan_out;
}

FanOut from_outputs(std::string reference, bool allow_empty = true) {
  FanOut fan_out;
  fan_out.kind = FanOut::Kind::from_outputs;
  fan_out.reference = std::move(reference);
  fan_out.allow_empty = allow_empty;
  fan_out.where = {"pipe.yaml", 12, 18};
  return fan_out;
}

}  // namespace

TEST_CASE("a files glob that matches nothing is a warning naming the job and the pattern") {
  TempDir dir;
  ProbeTypes types;
  types.behave([](JobContext&) {});
  const auto pattern = dir.path() / "*.txt";
  const auto result = run(pipeline(
      {stage("scan", {job(types.probe(), "hash", files(pattern)), job(types.probe(), "other")})}));
  CHECK(result.exit_code() == 0);
  CHECK(result.stages[0].status == StageStatus::succeeded);
  CHECK(result.stages[0].counts[JobState::succeeded] == 1);
  REQUIRE(result.stages[0].warnings.size() == 1);
  CHECK(result.stages[0].warnings[0] == "pipe.yaml:7:18: job 'hash': foreach files '" +
                                            pattern.string() + "' matched no file (0 instances)");
}

TEST_CASE("allow_empty: false makes an empty fan-out an error that fails the stage") {
  TempDir dir;
  ProbeTypes types;
  types.behave([](JobContext&) {});
  auto scan = stage("scan", {job(types.probe(), "hash", files(dir.path() / "*.txt", false))});
  scan.on_failure = OnFailure::continue_;
  const auto result = run(pipeline({scan, stage("after", {job(types.probe(), "next")})}));
  CHECK(result.exit_code() == 1);
  CHECK(result.stages[0].status == StageStatus::failed);
  CHECK(result.stages[0].warnings.empty());
  CHECK_THAT(result.stages[0].note, Catch::Contains("matched no file (0 instances)") &&
                                        Catch::Contains("allow_empty: false"));
  CHECK(result.stages[1].counts[JobState::succeeded] == 1);  // on_failure: continue
}

TEST_CASE("a from_outputs key that no instance published says so, with a did-you-mean") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.id() == "scan/hash") ctx.output("row", "1");
  });
  const auto result =
      run(pipeline({stage("scan", {job(types.probe(), "hash")}),
                    stage("sum", {job(types.probe(), "add", from_outputs("scan.hash.rows")),
                                  job(types.probe(), "count", from_outputs("scan.none.key"))})}));
  CHECK(result.exit_code() == 0);
  REQUIRE(result.stages[1].warnings.size() == 2);
  CHECK(result.stages[1].warnings[0] ==
        "pipe.yaml:12:18: job 'add': foreach from_outputs 'scan.hash.rows': no instance of "
        "'scan.hash' published 'rows' (0 instances) (did you mean 'scan.hash.row'?)");
  CHECK_THAT(result.stages[1].warnings[1], Catch::EndsWith("(published: scan.hash.row)"));
}

TEST_CASE("an empty fan-out in a repeated stage is one warning, not one per iteration") {
  TempDir dir;
  ProbeTypes types;
  types.behave([](JobContext&) {});
  auto loop = stage("loop", {job(types.probe(), "hash", files(dir.path() / "*.none")),
                             job(types.probe(), "step")});
  loop.repeat = Repeat{.times = 3};
  const auto result = run(pipeline({loop}));
  CHECK(result.stages[0].iterations == 3);
  CHECK(result.stages[0].warnings.size() == 1);
}

TEST_CASE("a from_outputs of a stage that published nothing says so") {
  ProbeTypes types;
  types.behave([](JobContext&) {});
  const auto result =
      run(pipeline({stage("scan", {job(types.probe(), "hash")}),
                    stage("sum", {job(types.probe(), "add", from_outputs("scan.hash.rows"))})}));
  REQUIRE(result.stages[1].warnings.size() == 1);
  CHECK_THAT(result.stages[1].warnings[0], Catch::EndsWith("(stage 'scan' published no output)"));
}
