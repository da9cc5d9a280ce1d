// What a run reports beyond counts: each stage's bulkhead usage, and the JSON report.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <stdexcept>

#include <lockstep/pipeline/report.hpp>
#include <lockstep/pipeline/trace.hpp>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;
using namespace std::chrono_literals;

namespace {

// The JSON report of a run of `p` that must succeed.
nlohmann::json report_of_successful_run(const Pipeline& p) {
  JsonReport report;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&report}});
  REQUIRE(runner.run().exit_code() == 0);
  std::ostringstream out;
  report.write(out);
  return nlohmann::json::parse(out.str());
}

}  // namespace

TEST_CASE("a stage reports the bulkheads its jobs used, in pipeline order") {
  ProbeTypes types;
  auto p = pipeline({stage("both", {job(types.probe(), "b", range(0, 40), "second"),
                                    job(types.probe(), "a", range(0, 60), "first")}),
                     stage("one", {job(types.probe(), "c", range(0, 5), "second")})},
                    {{"first", 2, 4}, {"second", 1, 0}, {"unused", 1, 1}});
  const auto result = run(p);
  REQUIRE(result.stages.size() == 2);

  const auto& both = result.stages[0].bulkheads;
  REQUIRE(both.size() == 2);
  CHECK(both[0].name == "first");
  CHECK(both[1].name == "second");
  CHECK(both[0].workers == 2);
  CHECK(both[0].queue == 4);
  CHECK(both[1].queue == 0);
  for (const auto& usage : both) {
    CAPTURE(usage.name);
    CHECK(usage.admitted >= 1);
    CHECK(usage.admitted <= 60);  // short jobs may share a place, never take two
    CHECK(usage.peak_running >= 1);
    CHECK(usage.peak_running <= usage.workers);
    CHECK(usage.peak_queued <= usage.queue);
    CHECK(usage.queue_wait_p50 <= usage.queue_wait_p95);
    CHECK(usage.queue_wait_p95 <= usage.queue_wait_p99);
    CHECK(usage.queue_wait_p99 <= usage.queue_wait_max);
    CHECK(usage.rejected == 0);
    CHECK(usage.utilisation >= 0);
    CHECK(usage.utilisation <= 1);
  }
  // Per stage: the second stage's figures are its own, not the first's added up.
  const auto& one = result.stages[1].bulkheads;
  REQUIRE(one.size() == 1);
  CHECK(one[0].name == "second");
  CHECK(one[0].admitted <= 5);
}

TEST_CASE("the JSON report lists failures up to its cap and counts the others") {
  ProbeTypes types;
  types.behave([](JobContext& context) {
    if (context.id().find("bad") != std::string::npos) throw std::runtime_error("bad on purpose");
  });
  auto bad = stage(
      "s", {job(types.probe(), "good", range(0, 30)), job(types.probe(), "bad", range(0, 25))});
  bad.on_failure = OnFailure::continue_;
  auto p = pipeline({bad, stage("t", {job(types.probe(), "bad", range(0, 5))}),
                     stage("u", {job(types.probe(), "never", range(0, 3))})});

  JsonReport report({.max_failures = 10});
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&report}});
  const auto result = runner.run();
  std::ostringstream out;
  report.write(out);
  const auto json = nlohmann::json::parse(out.str());

  CHECK(json["schema_version"] == JsonReport::kSchemaVersion);
  CHECK(json["pipeline"]["name"] == "test");
  CHECK(json["status"] == "failed");
  CHECK(json["exit_code"] == result.exit_code());
  CHECK(json["instances"] == 63);
  std::size_t sum = 0;
  for (const auto& [state, count] : json["totals"].items()) sum += count.get<std::size_t>();
  CHECK(sum == 63);
  CHECK(json["totals"].size() == kJobStateCount);

  const auto& stages = json["stages"];
  REQUIRE(stages.size() == 3);
  CHECK(stages[0]["failures"].size() == 10);  // the cap is for the whole run
  CHECK(stages[0]["failures_not_listed"] == 15);
  CHECK(stages[1]["failures"].size() == 0);
  CHECK(stages[1]["failures_not_listed"] == 5);
  CHECK(stages[2]["status"] == "skipped");
  CHECK(stages[2]["failures_not_listed"] == 3);  // skipped: counted, never listed
  for (const auto& failure : stages[0]["failures"]) {
    CHECK(failure["job"] == "bad");
    CHECK(failure["state"] == "failed");
    CHECK(failure["attempts"] == 1);
    CHECK(failure["messages"] == nlohmann::json::array({"bad on purpose"}));
    CHECK(failure["params"]["n"] == 0);
  }
  REQUIRE(stages[0]["bulkheads"].size() == 1);
  CHECK(stages[0]["bulkheads"][0]["name"] == "pool");
}

TEST_CASE("an instance's duration in the report is the sum of its attempts, retries included") {
  // "twice" sleeps 300ms per attempt and fails its first: at least 600ms in all. Were only its
  // last attempt counted it would say about 300ms. Sleeps only ever overshoot, so a loaded
  // machine cannot make the lower bound fail.
  ProbeTypes types;
  types.behave([](JobContext& context) {
    context.sleep_for(300ms);
    if (context.attempt() == 1) throw std::runtime_error("first attempt fails");
  });
  auto retried = job(types.probe(), "twice");
  retried.retry.attempts = 2;
  auto p = pipeline({stage("s", {retried})});

  const auto json = report_of_successful_run(p);

  const auto& slowest = json["stages"][0]["slowest"];
  REQUIRE(slowest.size() == 1);
  CHECK(slowest[0]["id"] == "s/twice");
  CHECK(slowest[0]["attempts"] == 2);
  CHECK(slowest[0]["state"] == "succeeded");
  CHECK(slowest[0]["item"] == "");  // no fan-out
  CHECK(slowest[0]["duration_seconds"].get<double>() >= 0.6);
  const auto& durations = json["stages"][0]["durations"];
  REQUIRE(durations.size() == 1);
  CHECK(durations[0]["job"] == "twice");
  CHECK(durations[0]["count"] == 1);
  CHECK(durations[0]["max_seconds"] == slowest[0]["duration_seconds"]);
}

TEST_CASE("the JSON report counts short instances timed by chunk, and names only instances timed alone") {
  // 20,000 instant instances run many to a chunk: each is counted in its job's histogram at its
  // chunk's mean, none can be named as slow. Three that sleep 60 ms each run alone in theirs:
  // they are the slowest, each with its item, timed exactly.
  ProbeTypes types;
  types.behave([](JobContext& context) {
    if (context.id().starts_with("s/slow")) context.sleep_for(60ms);
  });
  auto p = pipeline({stage("s", {job(types.probe(), "quick", range(0, 20000)),
                                 job(types.probe(), "slow", range(10, 13))})});
  const auto json = report_of_successful_run(p);

  const auto& durations = json["stages"][0]["durations"];
  REQUIRE(durations.size() == 2);
  CHECK(durations[0]["count"] == 20000);
  CHECK(durations[1]["count"] == 3);
  CHECK(durations[1]["p50_seconds"].get<double>() >= 0.045);  // a bucket's middle: within 25 %
  const auto& slowest = json["stages"][0]["slowest"];
  REQUIRE(slowest.size() >= 3);
  for (int i = 0; i < 3; ++i) {
    INFO(slowest[i].dump());
    CHECK(slowest[i]["job"] == "slow");
    CHECK(slowest[i]["attempts"] == 1);
    CHECK(slowest[i]["duration_seconds"].get<double>() >= 0.06);
    const auto id = slowest[i]["id"].get<std::string>();
    const auto item = slowest[i]["item"].get<std::string>();
    CHECK(id == "s/slow[" + std::to_string(std::stoi(item) - 10) + "]");  // item 10 is index 0
  }
  for (std::size_t i = 3; i < slowest.size(); ++i) CHECK(slowest[i]["job"] == "quick");
}

TEST_CASE("reused instances (--resume) did not run: not in the report's durations nor the trace") {
  ProbeTypes types;
  types.behave([](JobContext&) {});
  Reuse reuse;
  reuse.add("s", 1, "j", {.ranges = {{0, 7}}});  // 7 of the 10 reused: 3 run
  auto p = pipeline({stage("s", {job(types.probe(), "j", range(0, 10))})});
  JsonReport report;
  ChromeTrace trace;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&report, &trace}, .reuse = &reuse});
  REQUIRE(runner.run().exit_code() == 0);
  std::ostringstream report_text, trace_text;
  report.write(report_text);
  trace.write(trace_text);

  const auto json = nlohmann::json::parse(report_text.str());
  CHECK(json["stages"][0]["counts"]["succeeded"] == 10);
  CHECK(json["stages"][0]["durations"][0]["count"] == 3);
  std::uint64_t shown = 0;  // instances on the trace's worker tracks
  const auto events = nlohmann::json::parse(trace_text.str())["traceEvents"];
  for (const auto& event : events) {
    if (event.value("cat", "") == "attempt") shown += event["args"].value("instances", 1);
  }
  CHECK(shown == 3);
}
