// driver.cpp — runs pipeline.yaml, whose first stage is of the kind replicas.quorum, as
// `lockstep run` would, and checks what the kind promised. Exits non-zero on any wrong result.
#include <lockstep/pipeline.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "WRONG", what.c_str());
  if (!ok) ++failures;
}

const lockstep::StageSummary* stage_of(const lockstep::RunResult& result, const std::string& name) {
  for (const auto& stage : result.stages) {
    if (stage.name == name) return &stage;
  }
  return nullptr;
}

}  // namespace

int main() {
  // The pipeline names the plugin; it is found in the directory it was built in (what
  // --plugin-path does), core next to the liblockstep this program runs with.
  lockstep::Registry registry;
  const std::vector<std::filesystem::path> plugin_path{PLUGIN_DIR};
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs(plugin_path));
  lockstep::Diagnostics diags;
  auto pipeline = lockstep::load_pipeline(PIPELINE, {}, loader, diags);
  if (!pipeline) {
    std::cerr << diags.to_string();
    return 2;
  }
  const auto* quorum = registry.lookup_stage_kind("quorum").kind;
  expect(quorum != nullptr && quorum->qualified_name == "replicas.quorum",
         "'quorum' is replicas.quorum");

  lockstep::Runner runner(*pipeline);
  const auto result = runner.run();
  const auto* write = stage_of(result, "write");
  expect(result.exit_code() == 0, "the run succeeded");
  expect(write && write->counts[lockstep::JobState::succeeded] == 3 &&
             write->counts[lockstep::JobState::cancelled] == 2,
         "3 replicas succeeded, the 2 hanging ones were cancelled");
  expect(runner.outputs().get("write.stage.acks") == "3", "write.stage.acks is 3");
  expect(runner.outputs().get("report.say.message") == "written to 3 replicas",
         "the next stage read the kind's output");

  // `with:` is checked against the kind's spec before anything runs.
  lockstep::Diagnostics invalid;
  const std::string zero = R"(
version: 1
plugins: [replicas]
stages:
  - { name: w, kind: quorum, with: { need: 0 }, jobs: [{ id: r, type: noop }] }
)";
  lockstep::parse_pipeline(zero, "zero.yaml", {}, loader, invalid);
  expect(
      invalid.to_string().find("zero.yaml:5:44: error: stage 'w' (replicas.quorum): "
                               "parameter 'need' must be at least 1, got 0") != std::string::npos,
      "need: 0 is refused before anything runs, at its position");

  // Too few successes: the kind throws, which fails its stage with the kind's message.
  lockstep::Diagnostics unused;
  const std::string too_many = R"(
version: 1
plugins: [replicas]
stages:
  - name: w
    kind: replicas.quorum
    with: { need: 3 }
    on_failure: continue
    jobs: [{ id: r, type: noop, foreach: { range: { from: 0, to: 2 } } }]
)";
  auto short_of = lockstep::parse_pipeline(too_many, "short.yaml", {}, loader, unused);
  if (!short_of) {
    std::cerr << unused.to_string();
    return 2;
  }
  const auto failed = lockstep::Runner(*short_of).run();
  const auto* w = stage_of(failed, "w");
  expect(w && w->status == lockstep::StageStatus::failed &&
             w->note.find("no quorum: 2 of 2 replicas succeeded, 3 needed") != std::string::npos,
         "without a quorum the stage fails with the kind's message: " + (w ? w->note : ""));
  return failures == 0 ? 0 : 1;
}
