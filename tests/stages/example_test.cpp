// configs/examples/stages/pipeline.yaml, the example of docs/stages.md, run as `lockstep run`
// runs it: what each of its stages did, from the files its jobs wrote and what the run recorded.
#include <sstream>

#include "../support/temp_dir.hpp"
#include "stages_harness.hpp"

namespace lockstep::stages_test {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("the example pipeline of the stage kinds runs each kind as the doc says") {
  test::TempDir work;
  PipelineRun run(load_file(LOCKSTEP_STAGES_EXAMPLE, {{"work", work.path().string()}}));
  INFO(run.log().all());
  REQUIRE(run.result().exit_code() == 0);
  const auto& recorder = run.recorder();

  // fetch: the mirror won; the two that were down were cancelled.
  CHECK(run.output("fetch.stage.winner") == "fetch/mirror");
  CHECK(test::read_file(work.path() / "release.txt") == "release 1.2\n");
  CHECK(recorder.state_of("fetch/down[0]") == JobState::cancelled);
  CHECK(recorder.state_of("fetch/down[1]") == JobState::cancelled);

  // migrate: shard 0 first, then the others.
  const auto shards = recorder.attempts("migrate", "shard");
  REQUIRE(shards.size() == 4);
  for (std::size_t i = 1; i < shards.size(); ++i) CHECK(shards[i].start >= shards[0].end);
  CHECK(test::read_file(work.path() / "shard-3.txt") == "migrated\n");

  // restart: waves a b | c d | e, so the file holds each wave's nodes before the next wave's.
  auto restarted = lines_of(test::read_file(work.path() / "restarted.txt"));
  REQUIRE(restarted.size() == 5);
  std::ranges::sort(restarted.begin(), restarted.begin() + 2);
  std::ranges::sort(restarted.begin() + 2, restarted.begin() + 4);
  CHECK(restarted == std::vector<std::string>{"a", "b", "c", "d", "e"});

  // notify: 10 a second, so the third post came 200ms in or later.
  CHECK(run.log().has("[notify/post[2]] told qa"));
  const auto posts = recorder.attempts("notify", "post");
  REQUIRE(posts.size() == 3);
  CHECK(posts[2].start >= recorder.stage_start("notify") + std::chrono::milliseconds(200));

  // close: in order; the race's winner reached it.
  CHECK(recorder.attempt("close/announce[0]").start >= recorder.attempt("close/tag").end);
  CHECK(run.log().has("[close/announce[0]] released from fetch/mirror"));
  CHECK(run.result().totals[JobState::succeeded] == 1 + 4 + 5 + 3 + 2);
  CHECK(run.result().totals[JobState::cancelled] == 2);
}

}  // namespace
}  // namespace lockstep::stages_test
