// RUN_DIR/journal: every end of a real run is in it (successes as ranges, the rest one record
// each), and a record cut or corrupted by a crash ends what is read, never what is before it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../run/run_support.hpp"
#include "../support/temp_dir.hpp"
#include "lockstep/pipeline/journal.hpp"
#include "lockstep/pipeline/resume.hpp"

using namespace lockstep;
using namespace lockstep::test;
using Json = nlohmann::json;

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Runs `p` with a journal written to `file`; what the run ended with.
RunResult run_with_journal(const Pipeline& p, const std::filesystem::path& file) {
  QuietLog quiet;
  RunOptions options;
  options.log = &quiet;
  Runner runner(p, options);
  RunJournal journal(file, {.pipeline = &p, .run_id = "test-run"}, &runner.outputs());
  REQUIRE(journal.error().empty());
  runner.observe(journal);
  auto result = runner.run();
  CHECK(journal.error().empty());
  return result;
}

// Runs stage "a" (job x, 2,000 instances, 7 and 1500 fail, each publishes "n") and stage "b",
// on a bulkhead of `workers` workers.
std::filesystem::path journal_of_a_run(const TempDir& temp, int workers = 2) {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.id() == "a/x[7]" || ctx.id() == "a/x[1500]") throw std::runtime_error("boom");
    if (ctx.id() == "a/x[3]") ctx.output("n", "three");
  });
  auto x = job(types.probe(), "x", range(0, 2000));
  x.continue_on_error = true;  // the stage goes on: every instance runs
  const auto p =
      pipeline({stage("a", {x}), stage("b", {job(types.probe(), "y")})}, {{"pool", workers, 4}});
  const auto file = temp.path() / "journal";
  run_with_journal(p, file);
  return file;
}

}  // namespace

TEST_CASE("the journal holds every end of a run: successes as ranges, failures one by one") {
  TempDir temp;
  const auto read = read_journal(journal_of_a_run(temp));
  REQUIRE(read.error.empty());
  CHECK_FALSE(read.torn);
  std::multiset<std::uint64_t> succeeded;
  std::set<std::string> failed;
  std::vector<std::string> kinds;
  Json outputs;
  for (const auto& text : read.records) {
    const auto record = Json::parse(text);
    kinds.push_back(record["t"]);
    if (record["t"] == "ok" && record["job"] == "x") {
      for (auto i = record["from"].get<std::uint64_t>(); i < record["to"]; ++i) succeeded.insert(i);
    }
    if (record["t"] == "end") {
      CHECK(record["state"] == "failed");
      CHECK(record["message"] == "boom");
      failed.insert(record["id"]);
    }
    if (record["t"] == "outputs") outputs = record;
  }
  CHECK(kinds.front() == "run");
  CHECK(kinds.back() == "run_end");
  // Each success once, every instance but the two that failed.
  CHECK(succeeded.size() == 1998);
  CHECK(std::set<std::uint64_t>(succeeded.begin(), succeeded.end()).size() == 1998);
  CHECK(succeeded.count(7) == 0);
  CHECK(succeeded.count(1500) == 0);
  CHECK(failed == std::set<std::string>{"a/x[7]", "a/x[1500]"});
  CHECK(outputs["ref"] == "a.x.n");
  CHECK(outputs["values"] == Json::array({"three"}));
}

TEST_CASE("consecutive successes on one worker place share one record, however small the chunks") {
  // One worker place: every chunk runs there, in order, so x's successes are three runs (split
  // by the failures of 7 and 1500) whatever size the runner gave its chunks. With two places the
  // count would depend on which place ran which chunk, and on the chunk sizes, which the runner
  // sets from measured times (a sanitizer's slowness made them small: 1,135 records once).
  TempDir temp;
  const auto read = read_journal(journal_of_a_run(temp, 1));
  REQUIRE(read.error.empty());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> x_runs;
  for (const auto& text : read.records) {
    const auto record = Json::parse(text);
    if (record["t"] == "ok" && record["job"] == "x")
      x_runs.emplace_back(record["from"], record["to"]);
  }
  using Runs = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  CHECK(x_runs == Runs{{0, 7}, {8, 1500}, {1501, 2000}});
}

TEST_CASE("a cut or corrupt record ends the journal; what is before it is read") {
  TempDir temp;
  const auto file = journal_of_a_run(temp);
  const auto whole = read_journal(file);
  REQUIRE_FALSE(whole.torn);
  REQUIRE(whole.records.size() > 3);
  const auto text = read_file(file);

  SECTION("the last record cut short (kill -9 during a write)") {
    write_file(file, text.substr(0, text.size() - 5));
    const auto cut = read_journal(file);
    CHECK(cut.torn);
    CHECK(cut.records == std::vector<std::string>(whole.records.begin(), whole.records.end() - 1));
  }
  SECTION("a byte changed in the second record") {
    auto changed = text;
    const auto second = changed.find('\n') + 1;
    changed[changed.find('{', second) + 2] ^= 1;
    write_file(file, changed);
    const auto corrupt = read_journal(file);
    CHECK(corrupt.torn);
    CHECK(corrupt.records == std::vector<std::string>{whole.records.front()});
  }
  SECTION("nothing but a header") {
    write_file(file, "0000abcd 12 ");
    const auto header = read_journal(file);
    CHECK(header.torn);
    CHECK(header.records.empty());
  }
}

TEST_CASE("a journal is never appended to, nor written through a symlink") {
  TempDir temp;
  write_file(temp.path() / "target", "mine\n");
  std::filesystem::create_symlink(temp.path() / "target", temp.path() / "journal");
  const Pipeline p;
  RunJournal journal(temp.path() / "journal", {.pipeline = &p}, nullptr);
  CHECK_FALSE(journal.error().empty());
  CHECK(read_file(temp.path() / "target") == "mine\n");
}

TEST_CASE("a repeated stage lists its jobs once; resuming reuses every iteration") {
  TempDir temp;
  ProbeTypes types;
  auto repeated = stage("r", {job(types.probe(), "x", range(0, 3))});
  repeated.repeat = Repeat{.times = 4};
  const auto p = pipeline({repeated});
  const auto file = temp.path() / "journal";
  REQUIRE(run_with_journal(p, file).totals[JobState::succeeded] == 12);
  const auto read = read_journal(file);
  REQUIRE(read.error.empty());
  std::vector<int> listed, referred;
  for (const auto& text : read.records) {
    const auto record = Json::parse(text);
    if (record["t"] != "stage") continue;
    if (record.contains("jobs")) listed.push_back(record["iteration"]);
    if (record.contains("jobs_as_in")) {
      CHECK(record["jobs_as_in"] == 1);
      referred.push_back(record["iteration"]);
    }
  }
  CHECK(listed == std::vector<int>{1});
  CHECK(referred == std::vector<int>{2, 3, 4});
  // Every instance of every iteration is taken over, as if each iteration listed its jobs.
  const auto plan = plan_resume(p, {}, read);
  INFO(plan.note << plan.explain());
  CHECK(plan.note.empty());
  std::uint64_t reused = 0;
  for (const auto& job : plan.jobs) reused += job.reused;
  CHECK(reused == 12);
}

TEST_CASE("resuming a resumed run restores each output once, in instance order") {
  TempDir temp;
  ProbeTypes types;
  types.behave([](JobContext& ctx) { ctx.output("word", "w" + std::to_string(ctx.index())); });
  const auto p = pipeline({stage("a", {job(types.probe(), "x", range(0, 6))})});
  const auto first = temp.path() / "first";
  REQUIRE(run_with_journal(p, first).totals[JobState::succeeded] == 6);
  const auto plan = plan_resume(p, {}, read_journal(first));
  REQUIRE(plan.note.empty());
  // The resumed run lists its reused outputs first, then again as its reused instances end.
  const auto second = temp.path() / "second";
  {
    QuietLog quiet;
    Runner runner(p, {.log = &quiet, .reuse = &plan.reuse});
    RunJournal journal(second, {.pipeline = &p, .run_id = "second", .reuse = &plan.reuse},
                       &runner.outputs());
    REQUIRE(journal.error().empty());
    runner.observe(journal);
    REQUIRE(runner.run().reused == 6);
  }
  const auto again = plan_resume(p, {}, read_journal(second));
  REQUIRE(again.note.empty());
  const auto* reused = again.reuse.find("a", 1, "x");
  REQUIRE(reused != nullptr);
  std::vector<std::string> words;
  for (const auto& output : reused->outputs) {
    words.push_back(std::to_string(output.index) + "=" + output.value);
  }
  CHECK(words == std::vector<std::string>{"0=w0", "1=w1", "2=w2", "3=w3", "4=w4", "5=w5"});
}

TEST_CASE("under MPI, other ranks' successes are written at their stage's end, a lost rank's not") {
  // Rank 0's journal, fed as the events of ranks 1 and 2 reach it: their successes wait for the
  // stage's end (their outputs come then); rank 2 is lost, and what it sent is dropped.
  TempDir temp;
  ProbeTypes types;
  const auto p = pipeline({stage("s", {job(types.probe(), "x", range(0, 30))})});
  const auto& s = p.stages[0];
  Outputs outputs;
  const auto file = temp.path() / "journal";
  {
    RunJournal journal(file, {.pipeline = &p, .run_id = "ranks"}, &outputs);
    REQUIRE(journal.error().empty());
    journal.run_started(p);
    journal.stage_started(s, 1);
    const auto now = std::chrono::steady_clock::now();
    for (const int rank : {0, 1, 2}) {
      SucceededRange range{.stage = &s, .job = &s.jobs[0], .iteration = 1};
      range.from = static_cast<std::uint64_t>(rank) * 10;
      range.to = range.from + 10;
      range.start = range.end = now;
      range.rank = rank;
      journal.instances_succeeded(range);
    }
    journal.ranks_lost({2});
    StageSummary summary{"s"};
    summary.counts[JobState::succeeded] = 20;
    summary.counts[JobState::failed] = 10;
    journal.stage_ended(s, 1, summary);
  }
  const auto read = read_journal(file);
  REQUIRE(read.error.empty());
  std::set<std::uint64_t> succeeded;
  for (const auto& text : read.records) {
    const auto record = Json::parse(text);
    if (record["t"] != "ok") continue;
    for (auto i = record["from"].get<std::uint64_t>(); i < record["to"]; ++i) succeeded.insert(i);
  }
  CHECK(succeeded.size() == 20);
  CHECK(succeeded.count(19) == 1);  // rank 1's, written at the stage's end
  CHECK(succeeded.count(20) == 0);  // rank 2's: lost
}
