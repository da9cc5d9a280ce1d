// Mistakes with stage kinds: an unknown kind and bad `with:` parameters are errors with their
// positions before anything runs (tests/fixtures/pipelines/stages/bad, each with the lines that
// `lockstep validate` prints); a kind that throws fails its stage with its message, and the run
// goes on as the stage's on_failure says.
#include <filesystem>

#include "../support/temp_dir.hpp"
#include "stages_harness.hpp"

namespace lockstep::stages_test {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = LOCKSTEP_STAGE_FIXTURES;

// As `lockstep validate` loads it: a registry of its own, with nothing but what the file names.
std::string validate(const fs::path& file) {
  Registry registry;
  PluginLoader plugins(registry, PluginLoader::search_dirs({}));
  Diagnostics diagnostics;
  load_pipeline(file, {}, plugins, diagnostics);
  return diagnostics.to_string();
}

TEST_CASE("each bad stage-kind fixture gives exactly its expected diagnostics") {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kFixtures / "bad")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::ranges::sort(files);
  REQUIRE(files.size() >= 3);
  for (const auto& file : files) {
    DYNAMIC_SECTION(file.filename().string()) {
      auto expected = test::read_file(fs::path(file).replace_extension(".expected"));
      test::replace_all(expected, "@FILE@", file.string());
      REQUIRE_FALSE(expected.empty());
      CHECK(validate(file) == expected);
    }
  }
}

TEST_CASE("a kind that throws fails its stage with its message, and the next stage runs") {
  // app.explode dispatches `slow` and throws: slow is cancelled (not waited for), `never` was
  // never dispatched and ends skipped, and on_failure continue lets `later` run.
  PipelineRun run(R"(
version: 1
stages:
  - name: broken
    kind: app.explode
    on_failure: continue
    jobs:
      - { id: slow, type: core.sleep, params: { duration: 60s } }
      - { id: never, type: core.noop, foreach: { range: { from: 0, to: 2 } } }
  - name: later
    jobs: [{ id: x, type: core.noop }]
)");
  const auto& broken = run.stage("broken");
  CHECK(broken.status == StageStatus::failed);
  CHECK(broken.note.find("the kind blew up") != std::string::npos);
  CHECK(run.recorder().state_of("broken/slow") == JobState::cancelled);
  if (run.recorder().ran("broken/slow")) {
    const auto slow = run.recorder().attempt("broken/slow");
    CHECK(slow.end < slow.start + std::chrono::seconds(60));
  }
  CHECK(run.recorder().state_of("broken/never[0]") == JobState::skipped);
  CHECK(run.recorder().state_of("broken/never[1]") == JobState::skipped);
  CHECK(run.stage("later").status == StageStatus::succeeded);
  CHECK(run.result().exit_code() == 1);
}

TEST_CASE("a kind that throws in a stage that stops on failure skips the later stages") {
  PipelineRun run(R"(
version: 1
stages:
  - name: broken
    kind: app.explode
    jobs: [{ id: quick, type: core.noop }]
  - name: later
    jobs: [{ id: x, type: core.noop }]
)");
  CHECK(run.stage("broken").status == StageStatus::stopped);
  CHECK(run.stage("broken").note.find("the kind blew up") != std::string::npos);
  CHECK(run.stage("later").status == StageStatus::skipped);
  CHECK(run.result().exit_code() == 1);
}

TEST_CASE("instances a kind took from the stream but never dispatched end skipped, counted once") {
  PipelineRun run(R"(
version: 1
stages:
  - name: lazy
    kind: app.take_two
    jobs: [{ id: x, type: core.noop, foreach: { range: { from: 0, to: 4 } } }]
)");
  for (int i = 0; i < 4; ++i) {
    const auto id = "lazy/x[" + std::to_string(i) + "]";
    CHECK(run.recorder().state_of(id) == JobState::skipped);
    CHECK_FALSE(run.recorder().ran(id));
  }
  CHECK(run.count("lazy", JobState::skipped) == 4);
  CHECK(run.stage("lazy").counts.sum() == 4);
}

TEST_CASE("a kind's name may leave out its plugin when no other plugin has that name") {
  CHECK(diagnostics_of(R"(
version: 1
plugins: [stages]
stages:
  - { name: a, kind: race, jobs: [{ id: x, type: noop }] }
  - { name: b, kind: stages.batches, with: { size: 1 }, jobs: [{ id: y, type: noop }] }
  - { name: c, kind: explode, jobs: [{ id: z, type: noop }] }
)") == "");
}

}  // namespace
}  // namespace lockstep::stages_test
