// HtmlReport: the page holds every attempt of the run on a row of the bulkhead that ran it (as a
// bar up to max_bars attempts, in columns always), each stage's spans and counts, the failures in
// a stable order with the end of their logs, and no text of a job that could end its data
// element. The data is read back from the page as its script reads it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "../run/run_support.hpp"
#include "../support/temp_dir.hpp"
#include "lockstep/pipeline/html_report.hpp"
#include "lockstep/pipeline/run_dir.hpp"

using namespace lockstep;
using namespace lockstep::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr std::string_view kDataStart = "<script id=\"run-data\" type=\"application/json\">";

// The JSON of the page's data element.
json page_data(const std::string& page) {
  const auto start = page.find(kDataStart);
  REQUIRE(start != std::string::npos);
  const auto from = start + kDataStart.size();
  const auto end = page.find("</script>", from);
  REQUIRE(end != std::string::npos);
  return json::parse(page.substr(from, end - from));
}

std::string page_of(const HtmlReport& report) {
  std::ostringstream out;
  report.write(out);
  return out.str();
}

std::size_t bars_in(const json& timeline) {
  std::size_t bars = 0;
  for (const auto& row : timeline["rows"]) bars += row["bars"]["start"].size();
  return bars;
}

std::int64_t sum(const json& numbers) {
  std::int64_t total = 0;
  for (const auto& n : numbers) total += n.get<std::int64_t>();
  return total;
}

// `probe` jobs named "bad..." fail with the message "<bad>" on every attempt; "flaky" fails its
// first attempt.
void behave_badly(ProbeTypes& types) {
  types.behave([](JobContext& context) {
    if (context.id().find("bad") != std::string::npos) throw std::runtime_error("</script><b>x");
    if (context.id().find("flaky") != std::string::npos && context.attempt() == 1)
      throw std::runtime_error("not yet");
    context.sleep_for(1ms);
  });
}

}  // namespace

TEST_CASE("the page holds every attempt on a worker row of its bulkhead") {
  ProbeTypes types;
  behave_badly(types);
  auto templated = job(types.probe(), "sized", range(0, 6), "wide");
  templated.templates.push_back({"n", RawValue::scalar("${index}")});
  auto flaky = job(types.probe(), "flaky", {}, "one");
  flaky.retry.attempts = 2;
  auto bad = job(types.probe(), "bad", range(0, 2), "one");
  bad.retry.attempts = 2;
  auto first = stage("first", {templated, flaky, bad});
  first.on_failure = OnFailure::continue_;
  auto again = stage("again", {job(types.probe(), "step", range(0, 3), "wide")});
  again.repeat = Repeat{.times = 2};
  const auto p = pipeline({first, again}, {{"wide", 3, 6}, {"one", 1, 2}});

  HtmlReport report;
  Recorder recorder;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&report, &recorder}});
  const auto result = runner.run();
  const auto page = page_of(report);
  const auto data = page_data(page);

  CHECK(data["status"] == "failed");
  CHECK(data["exit_code"] == result.exit_code());
  CHECK(data["instances"] == result.totals.sum());
  CHECK(data["totals"]["failed"] == 2);
  const auto& timeline = data["timeline"];
  const auto attempts = recorder.attempts().size();
  CHECK(attempts == 6 + 2 + 4 + 6);
  CHECK(timeline["attempts"] == attempts);
  CHECK(timeline["aggregated"] == false);
  CHECK(bars_in(timeline) == attempts);

  // A row per worker of each bulkhead, in the pipeline's order; each bar on a row of its job's.
  REQUIRE(timeline["rows"].size() == 4);
  const auto& bulkheads = data["bulkheads"];
  for (const auto& row : timeline["rows"]) {
    const auto& bulkhead = bulkheads[row["bulkhead"].get<std::size_t>()];
    CAPTURE(bulkhead["name"], row["slot"]);
    CHECK(row["slot"] >= 0);
    CHECK(row["slot"] < bulkhead["workers"]);
    const auto& bars = row["bars"];
    std::int64_t ran = 0;
    for (std::size_t i = 0; i < bars["start"].size(); ++i) {
      const auto& job = data["jobs"][bars["job"][i].get<std::size_t>()];
      CHECK(job["bulkhead"] == row["bulkhead"]);
      if (i > 0) CHECK(bars["start"][i] >= bars["start"][i - 1]);  // sorted by start
      ran += bars["dur"][i].get<std::int64_t>();
    }
    // The columns hold the same run times as the bars, to the nanosecond.
    std::int64_t columns = 0;
    for (const auto& state : row["busy"]) columns += sum(state);
    CHECK(columns == ran);
    CHECK(sum(row["attempts"]) == static_cast<std::int64_t>(bars["start"].size()));
  }

  // The templated job's bars show each instance's own parameters; the others share their job's.
  std::map<std::int64_t, std::string> sized_params;
  for (const auto& row : timeline["rows"]) {
    const auto& bars = row["bars"];
    for (std::size_t i = 0; i < bars["start"].size(); ++i) {
      const auto& job = data["jobs"][bars["job"][i].get<std::size_t>()];
      REQUIRE(bars["params"][i] >= 0);
      if (job["id"] == "sized") {
        sized_params[bars["index"][i]] = data["params"][bars["params"][i].get<std::size_t>()];
      }
    }
  }
  REQUIRE(sized_params.size() == 6);
  for (const auto& [index, params] : sized_params) {
    CAPTURE(index);
    CHECK(json::parse(params)["n"] == index);
  }

  // Stages: their iterations as spans, in order, within the run.
  REQUIRE(data["stages"].size() == 2);
  const auto& spans = data["stages"][1]["spans"];
  REQUIRE(spans.size() == 2);
  CHECK(spans[0][0] == 1);
  CHECK(spans[1][0] == 2);
  CHECK(spans[0][2] <= spans[1][1]);
  CHECK(data["stages"][1]["repeats"] == true);
  CHECK(data["stages"][1]["needs"] == json::array({0}));
  CHECK(data["stages"][0]["durations"]["count"] == 6 + 1 + 2);

  // Failures: by job then index, whichever ended first; their text never ends the element.
  REQUIRE(data["failures"].size() == 2);
  CHECK(data["failures"][0]["id"] == "first/bad[0]");
  CHECK(data["failures"][1]["id"] == "first/bad[1]");
  CHECK(data["failures"][0]["messages"] == json::array({"</script><b>x", "</script><b>x"}));
  CHECK(page.find("</script><b>") == std::string::npos);
  CHECK(std::ranges::count(data["messages"], "</script><b>x") == 1);  // kept once
}

TEST_CASE("beyond max_bars attempts the timeline keeps columns and the unsuccessful bars") {
  ProbeTypes types;
  behave_badly(types);
  auto bad = job(types.probe(), "bad", range(0, 3));
  auto mixed = stage("mixed", {job(types.probe(), "good", range(0, 40)), bad});
  mixed.on_failure = OnFailure::continue_;
  const auto p = pipeline({mixed});

  HtmlReport report({.max_bars = 10});
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&report}});
  runner.run();
  const auto data = page_data(page_of(report));
  const auto& timeline = data["timeline"];
  CHECK(timeline["attempts"] == 43);
  CHECK(timeline["max_bars"] == 10);
  CHECK(timeline["aggregated"] == true);
  CHECK(bars_in(timeline) == 3);  // the failed ones only
  std::int64_t started = 0;
  for (const auto& row : timeline["rows"]) {
    started += sum(row["attempts"]);
    for (const auto& state : row["bars"]["state"]) CHECK(state != 0);  // none succeeded
  }
  CHECK(started == 43);
}

TEST_CASE("the failures show the end of their logs from the run directory") {
  ProbeTypes types;
  types.behave([](JobContext& context) {
    for (int i = 1; i <= 30; ++i) context.log().info("step " + std::to_string(i));
    throw std::runtime_error("gave up");
  });
  TempDir temp;
  auto failing = stage("s", {job(types.probe(), "j", range(0, 2))});
  failing.on_failure = OnFailure::continue_;  // both run, whichever fails first
  const auto p = pipeline({failing});
  // Wherever the run directory keeps an instance's lines: its own file from the start (one of
  // the first of its job), its own file written as it failed (the log watches the run), or only
  // its job's file (a log that does not watch, past the first).
  const auto where = GENERATE(as<std::string>{}, "own file", "failure's file", "job's file");
  INFO(where);
  RunDirLog log(temp.path() / "run", {.instance_files = where == "own file" ? 100u : 0u});
  HtmlReport report({.run_dir = temp.path() / "run", .log_tail_lines = 3});
  RunOptions options{.log = &log, .observers = {&report}};
  if (where == "failure's file") options.observers.push_back(&log);
  Runner runner(p, options);
  runner.run();
  CHECK(std::filesystem::exists(temp.path() / "run/jobs/s/j.0.log") == (where != "job's file"));
  const auto data = page_data(page_of(report));
  REQUIRE(data["failures"].size() == 2);
  CHECK(data["failures"][0]["id"] == "s/j[0]");
  CHECK(data["failures"][0]["log_tail"] == "step 28\nstep 29\nstep 30\n");
  CHECK(data["failures"][1]["log_tail"] == "step 28\nstep 29\nstep 30\n");
}

TEST_CASE("a page is written whole, or the file is left as it was") {
  ProbeTypes types;
  const auto p = pipeline({stage("s", {job(types.probe(), "j", range(0, 3))})});
  HtmlReport report;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&report}});
  runner.run();
  TempDir temp;
  std::string error;
  const auto page = temp.path() / "page.html";
  CHECK(HtmlReport::check_writable(page).empty());
  REQUIRE(report.write_file(page, error));
  const auto text = read_file(page);
  CHECK(text.rfind("<!doctype html>", 0) == 0);
  CHECK(page_data(text)["instances"] == 3);

  const auto missing = temp.path() / "missing" / "page.html";
  CHECK(HtmlReport::check_writable(missing) ==
        "cannot write page '" + missing.string() + "': No such file or directory");
  CHECK_FALSE(report.write_file(missing, error));
  CHECK(error == "cannot write page '" + missing.string() + "': No such file or directory");
}

TEST_CASE("a page written before the run ends says it is running") {
  HtmlReport report;
  const auto data = page_data(page_of(report));
  CHECK(data["status"] == "running");
  CHECK(data["timeline"]["attempts"] == 0);
  CHECK(data["stages"].empty());
}
