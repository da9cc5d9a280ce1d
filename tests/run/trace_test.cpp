// The Chrome trace's slices of successes, fed events as the runner sends them: which runs of
// successes merge into one slice, and which stay slices of their own. No job runs: the times are
// made up, so that each case says exactly how far apart two runs are.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <lockstep/pipeline/trace.hpp>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// A trace of a pipeline of one stage `s` with a job `j` of 1,000,000 instances (and `k`, another
// job), fed by hand.
class FedTrace {
 public:
  FedTrace() {
    ProbeTypes types;
    pipeline_ = pipeline(
        {stage("s", {job(types.probe(), "j", range(0, 1'000'000)), job(types.probe(), "k")})});
    trace_.run_started(pipeline_);
  }

  const JobSpec& j() const { return pipeline_.stages[0].jobs[0]; }
  const JobSpec& k() const { return pipeline_.stages[0].jobs[1]; }

  // Instances [from, to) of `job` succeeded on worker place `slot`, from `start` (microseconds
  // after t0) for `took`.
  void succeeded(const JobSpec& job, std::uint64_t from, std::uint64_t to, int slot,
                 std::chrono::nanoseconds start, std::chrono::nanoseconds took,
                 const Item* item = nullptr) {
    SucceededRange range{&pipeline_.stages[0], &job, 1, from, to, slot, t0 + start,
                         t0 + start + took};
    range.item = item;
    trace_.instances_succeeded(range);
  }

  void failed(std::uint64_t index, int slot, std::chrono::nanoseconds start,
              std::chrono::nanoseconds took) {
    AttemptEvent attempt{&pipeline_.stages[0],
                         &j(),
                         "s/j[" + std::to_string(index) + "]",
                         index,
                         1,
                         1,
                         slot,
                         t0 + start,
                         t0 + start + took,
                         JobState::failed,
                         "no"};
    trace_.attempt_ended(attempt);
  }

  // The attempt slices written, in the order written.
  std::vector<nlohmann::json> slices() const {
    std::ostringstream out;
    trace_.write(out);
    const auto trace =
        nlohmann::json::parse(out.str());  // named: a loop over its part would dangle
    std::vector<nlohmann::json> found;
    for (const auto& event : trace["traceEvents"]) {
      if (event.value("cat", "") == "attempt") found.push_back(event);
    }
    return found;
  }

  ChromeTrace& trace() { return trace_; }

  const Clock::time_point t0 = Clock::now() + 1s;

 private:
  Pipeline pipeline_;
  ChromeTrace trace_;
};

}  // namespace

TEST_CASE("back-to-back chunks of short instances on one worker are one slice") {
  FedTrace fed;
  // Three chunks of 1,000 instances of 6 ns, each 0.5 us after the one before.
  fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
  fed.succeeded(fed.j(), 1000, 2000, 0, 6500ns, 6us);
  fed.succeeded(fed.j(), 2000, 3000, 0, 13us, 6us);
  const auto slices = fed.slices();
  REQUIRE(slices.size() == 1);
  const auto& slice = slices[0];
  CHECK(slice["name"] == "s/j[0] .. [2999]");
  CHECK(slice["tid"] == 0);
  CHECK(slice["dur"].get<double>() == 19.0);  // from the first's start to the last's end
  CHECK(slice["args"]["instances"] == 3000);
  CHECK(slice["args"]["first"] == 0);
  CHECK(slice["args"]["last"] == 2999);
  CHECK(slice["args"]["state"] == "succeeded");
  CHECK_FALSE(slice["args"].contains("item"));
}

TEST_CASE("runs of successes stay apart when something lies between them") {
  FedTrace fed;
  SECTION("another worker place") {
    fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
    fed.succeeded(fed.j(), 1000, 2000, 1, 7us, 6us);
  }
  SECTION("another job") {
    fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
    fed.succeeded(fed.k(), 0, 1, 0, 7us, 1us);
  }
  SECTION("the worker idled more than 10 us between them") {
    fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
    fed.succeeded(fed.j(), 1000, 2000, 0, 16001ns, 6us);
  }
  SECTION("instances of 10 us or more (a long one runs alone in its chunk)") {
    const Item first{"0"}, second{"1"};
    fed.succeeded(fed.j(), 0, 1, 0, 0us, 10us, &first);
    fed.succeeded(fed.j(), 1, 2, 0, 10us, 60us, &second);
  }
  SECTION("an attempt that did not succeed, on the same thread") {
    fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
    fed.failed(5000, 0, 6us, 1us);  // another index: its slice lies between the two
    fed.succeeded(fed.j(), 1000, 2000, 0, 7us, 6us);
  }
  std::uint64_t instances = 0;
  std::size_t successes = 0;
  for (const auto& slice : fed.slices()) {
    if (slice["args"]["state"] != "succeeded") continue;
    ++successes;
    instances += slice["args"].value("instances", 1);
  }
  CHECK(successes == 2);
  CHECK(instances >= 2);
}

TEST_CASE("chunks a worker took turns at with another merge too, and the slice lists its runs") {
  FedTrace fed;
  fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
  fed.succeeded(fed.j(), 2000, 3000, 0, 6us, 6us);  // the other worker ran 1000 .. 1999
  fed.succeeded(fed.j(), 3000, 4000, 0, 12us, 6us);
  fed.succeeded(fed.j(), 5000, 6000, 0, 18us, 6us);
  const auto slices = fed.slices();
  REQUIRE(slices.size() == 1);
  CHECK(slices[0]["name"] == "s/j[0] .. [5999], 4000 in 3 runs");
  CHECK(slices[0]["args"]["instances"] == 4000);
  CHECK(slices[0]["args"]["first"] == 0);
  CHECK(slices[0]["args"]["last"] == 5999);
  CHECK(slices[0]["args"]["runs"] ==
        nlohmann::json::parse("[[0, 999], [2000, 3999], [5000, 5999]]"));
}

TEST_CASE("a run on a worker place that another thread's run followed starts a new slice") {
  // Threads may take turns at a worker place: the slice of one must not span the other's.
  FedTrace fed;
  fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
  std::thread([&] { fed.succeeded(fed.j(), 1000, 2000, 0, 6us, 2us); }).join();
  fed.succeeded(fed.j(), 2000, 3000, 0, 8us, 6us);
  CHECK(fed.slices().size() == 3);
}

TEST_CASE("another thread's failed attempt on the worker place starts a new slice") {
  FedTrace fed;
  fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
  std::thread([&] { fed.failed(1000, 0, 6us, 1us); }).join();
  fed.succeeded(fed.j(), 1001, 2000, 0, 7us, 6us);
  const auto slices = fed.slices();
  REQUIRE(slices.size() == 3);
  CHECK(slices[1]["args"]["state"] == "failed");
}

TEST_CASE("a long instance alone in its chunk is a slice of its own, named with its item") {
  FedTrace fed;
  const Item item{"42"};
  fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
  fed.succeeded(fed.j(), 1000, 1001, 0, 6us, 50us, &item);  // the next index, right after
  const auto slices = fed.slices();
  REQUIRE(slices.size() == 2);
  CHECK(slices[1]["name"] == "s/j[1000] 42");
  CHECK(slices[1]["args"]["item"] == "42");
  CHECK(slices[1]["dur"].get<double>() == 50.0);
  CHECK_FALSE(slices[1]["args"].contains("instances"));
}

TEST_CASE("a short instance alone in its chunk merges, and its item is no longer named") {
  FedTrace fed;
  const Item item{"1000"};
  fed.succeeded(fed.j(), 0, 1000, 0, 0us, 6us);
  fed.succeeded(fed.j(), 1000, 1001, 0, 6us, 100ns, &item);
  const auto slices = fed.slices();
  REQUIRE(slices.size() == 1);
  CHECK(slices[0]["name"] == "s/j[0] .. [1000]");
  CHECK(slices[0]["args"]["instances"] == 1001);
  CHECK_FALSE(slices[0]["args"].contains("item"));
}

TEST_CASE("a retried instance's success is its own slice, with its attempt number") {
  FedTrace fed;
  fed.succeeded(fed.j(), 0, 7, 0, 0us, 1us);
  fed.failed(7, 0, 1us, 1us);
  fed.succeeded(fed.j(), 8, 20, 0, 2us, 1us);
  fed.succeeded(fed.j(), 7, 8, 1, 5us, 100ns);  // the retry, on the other worker
  fed.succeeded(fed.j(), 20, 30, 1, 5100ns, 1us);
  const auto slices = fed.slices();
  std::vector<std::string> names;
  for (const auto& slice : slices) {
    names.push_back(slice["name"].get<std::string>() + " #" +
                    std::to_string(slice["args"]["attempt"].get<int>()));
  }
  CHECK(names == std::vector<std::string>{"s/j[0] .. [6] #1", "s/j[7] #1", "s/j[8] .. [19] #1",
                                          "s/j[7] #2", "s/j[20] .. [29] #1"});
}

TEST_CASE("each thread's runs merge on their own, and the trace holds all of them once") {
  // Two threads record the same worker place's chunks at once (as two workers of two stages
  // could): neither's runs merge into the other's, and every instance is in one slice.
  FedTrace fed;
  auto record = [&](std::uint64_t first, int slot) {
    for (std::uint64_t chunk = 0; chunk < 1000; ++chunk) {
      const auto from = first + chunk * 100;
      fed.succeeded(fed.j(), from, from + 100, slot, std::chrono::microseconds(chunk), 900ns);
    }
  };
  std::thread other([&] { record(0, 1); });
  record(500'000, 0);
  other.join();
  const auto slices = fed.slices();
  REQUIRE(slices.size() == 2);
  std::uint64_t instances = 0;
  for (const auto& slice : slices) {
    instances += slice["args"]["instances"].get<std::uint64_t>();
    CHECK(slice["args"]["last"].get<std::uint64_t>() -
              slice["args"]["first"].get<std::uint64_t>() ==
          99'999);
  }
  CHECK(instances == 200'000);
}

TEST_CASE("slices beyond max_attempts are counted, not kept; a merge is not a slice more") {
  ProbeTypes types;
  auto p = pipeline({stage("s", {job(types.probe(), "j", range(0, 100))})});
  ChromeTrace trace({.max_attempts = 2});
  trace.run_started(p);
  const auto t0 = Clock::now();
  const auto& s = p.stages[0];
  const auto& j = s.jobs[0];
  trace.instances_succeeded({&s, &j, 1, 0, 10, 0, t0, t0 + 1us});
  trace.instances_succeeded({&s, &j, 1, 20, 30, 0, t0 + 1us, t0 + 2us});    // merges
  trace.instances_succeeded({&s, &j, 1, 30, 40, 0, t0 + 20us, t0 + 21us});  // a second slice
  trace.instances_succeeded({&s, &j, 1, 50, 60, 0, t0 + 40us, t0 + 41us});  // a third: dropped
  trace.instances_succeeded({&s, &j, 1, 60, 70, 1, t0 + 40us, t0 + 41us});  // dropped
  CHECK(trace.dropped() == 2);
  std::ostringstream out;
  trace.write(out);
  const auto json = nlohmann::json::parse(out.str());
  CHECK(json["otherData"]["attempts"] == 2);
  CHECK(json["otherData"]["dropped_attempts"] == 2);
}

TEST_CASE("times are microseconds with the nanoseconds as decimals") {
  FedTrace fed;
  fed.succeeded(fed.k(), 0, 1, 0, 1500ns, 20us);
  fed.succeeded(fed.k(), 0, 1, 1, 2000001ns, 20010ns);
  std::ostringstream out;
  fed.trace().write(out);
  const auto text = out.str();
  // The run started before t0 (its first microseconds are not known here): the decimals are.
  const auto slices = fed.slices();
  REQUIRE(slices.size() == 2);
  CHECK(text.find(R"("dur":20,)") != std::string::npos);
  CHECK(text.find(R"("dur":20.01,)") != std::string::npos);
  const auto gap = slices[1]["ts"].get<double>() - slices[0]["ts"].get<double>();
  CHECK(gap == Approx(1998.501).epsilon(1e-12));
}

TEST_CASE("each instance is in the trace once, also when another observer sees every attempt") {
  // A Recorder asks for every attempt (Interest::all), so the trace is sent the successes'
  // attempts too: it shows them as the runs of successes it also gets, not a second time.
  ProbeTypes types;
  types.behave([](JobContext& context) {
    if (context.attempt() == 1 && context.id() == "s/j[7]") throw std::runtime_error("once");
  });
  auto p = pipeline({stage("s", {job(types.probe(), "j", range(0, 500))})});
  p.stages[0].jobs[0].retry.attempts = 2;
  Recorder recorder;
  ChromeTrace trace;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&recorder, &trace}});
  REQUIRE(runner.run().exit_code() == 0);
  std::ostringstream out;
  trace.write(out);
  const auto json = nlohmann::json::parse(out.str());
  std::uint64_t succeeded = 0, failed = 0;
  for (const auto& event : json["traceEvents"]) {
    if (event.value("cat", "") != "attempt") continue;
    (event["args"]["state"] == "succeeded" ? succeeded : failed) +=
        event["args"].value("instances", 1);
  }
  CHECK(succeeded == 500);
  CHECK(failed == 1);
}
