// Rank 0's reports of a run across ranks: with a Cluster of this process as rank 0 beside one
// phantom rank, which "runs" every other chunk claimed and tells it through an EventForwarder of
// its own (as a real rank's runner does), posting its batches as rank 1 on Channel::events
// before the stage's barrier. Rank 0's JsonReport and ChromeTrace must show both ranks' instances.
#include <catch2/catch.hpp>

#include <array>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include <lockstep/pipeline/cluster.hpp>
#include <lockstep/pipeline/html_report.hpp>
#include <lockstep/pipeline/report.hpp>
#include <lockstep/pipeline/trace.hpp>

#include "run/rank_events.hpp"
#include "run_support.hpp"

namespace lockstep::test {

namespace {

using Clock = std::chrono::steady_clock;

// Rank 0 of 2. Rank 1 takes every other chunk: each of its instances succeeds but those
// `fails` says, each failed after one attempt.
class ForwardingCluster final : public Cluster {
 public:
  ForwardingCluster(const Pipeline& pipeline, std::function<bool(std::uint64_t)> fails)
      : pipeline_(pipeline), fails_(std::move(fails)) {}

  int rank() const noexcept override { return 0; }
  int size() const noexcept override { return 2; }
  std::vector<std::string> gather(const std::string& mine) override { return {mine, ""}; }
  std::string broadcast(const std::string& text) override {
    // What rank 0 wants of the others: rank 1 starts its run, and its forwarder, now.
    std::lock_guard lock(mutex_);
    forwarder_.emplace(pipeline_, run::decode_wanted(text), Clock::now(),
                       [this](const std::string& batch) { deliver(batch); });
    wanted_ = text;
    return text;
  }
  void sum(std::span<std::uint64_t> values) override {
    std::lock_guard lock(mutex_);
    if (values.size() != kJobStateCount + 5) return;  // not a stage's end
    for (std::size_t s = 0; s < kJobStateCount; ++s) values[s] += unsummed_.by_state[s];
    values[kJobStateCount] += unsummed_[JobState::failed] > 0 ? 1 : 0;
    unsummed_ = {};
  }
  void barrier(std::uint64_t) override {
    // Rank 1 reached the barrier: it flushed first (StageRun::join_ranks). Its forwarder was
    // made by broadcast(), on this thread.
    if (forwarder_) forwarder_->flush();
  }
  Chunk claim(std::uint64_t range, std::uint64_t start, std::uint64_t end, int workers) override {
    for (;;) {
      Chunk chunk;
      {
        std::lock_guard lock(mutex_);
        auto& next = next_.try_emplace(range, start).first->second;
        if (next >= end) return {end, end};
        chunk = {next, next + guided_chunk_size(end - next, 2, workers)};
        next = chunk.to;
        // A rank that stops takes the rest (workers 0) itself.
        if (claims_++ % 2 == 0 || workers == 0) return chunk;
      }
      run_elsewhere(chunk);
    }
  }
  void post(Channel channel, const std::string& text) override {
    Receiver receiver;
    {
      std::lock_guard lock(mutex_);
      receiver = receivers_[static_cast<std::size_t>(channel)];
    }
    if (receiver) receiver(0, text);
  }
  void receive(Channel channel, Receiver receiver) override {
    std::lock_guard lock(mutex_);
    receivers_[static_cast<std::size_t>(channel)] = std::move(receiver);
  }
  void stop(std::uint64_t) override {}
  void on_stop(Stopper) override {}
  void send(int, const std::string&) override {}
  void on_message(Messenger) override {}

  std::set<std::uint64_t> ran() {
    std::lock_guard lock(mutex_);
    return ran_;
  }
  std::set<std::uint64_t> failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }
  std::string wanted() {
    std::lock_guard lock(mutex_);
    return wanted_;
  }

 private:
  // Rank 1's batch reaches rank 0's receiver of run events, as rank 1's.
  void deliver(const std::string& batch) {
    Receiver receiver;
    {
      std::lock_guard lock(mutex_);
      receiver = receivers_[static_cast<std::size_t>(Channel::events)];
    }
    if (receiver) receiver(1, batch);
  }

  // What rank 1's runner tells its observers of a chunk: runs of successes between failures.
  void run_elsewhere(Chunk chunk) {
    const auto& stage = pipeline_.stages.at(0);
    const auto& job = stage.jobs.at(0);
    auto& forwarder = *forwarder_;  // made by broadcast(), before any claim
    auto from = chunk.from;
    const auto succeeded = [&](std::uint64_t to) {
      if (from >= to) return;
      const auto now = Clock::now();
      forwarder.instances_succeeded({&stage, &job, 1, from, to, 0, now, now});
    };
    StateCounts counts;
    for (auto i = chunk.from; i < chunk.to; ++i) {
      if (!fails_(i)) {
        ++counts[JobState::succeeded];
        continue;
      }
      succeeded(i);
      from = i + 1;
      ++counts[JobState::failed];
      const auto id = "s/work[" + std::to_string(i) + "]";
      const auto now = Clock::now();
      forwarder.attempt_ended(
          {&stage, &job, id, i, 1, 1, 1, now, now, JobState::failed, "broken on rank 1"});
      forwarder.instance_ended(
          {&stage, &job, id, i, 1, 1, JobState::failed, {"broken on rank 1"}, &job.params});
    }
    succeeded(chunk.to);
    std::lock_guard lock(mutex_);
    for (auto i = chunk.from; i < chunk.to; ++i) (fails_(i) ? failed_ : ran_).insert(i);
    for (auto s : kAllJobStates) unsummed_[s] += counts[s];
  }

  const Pipeline& pipeline_;
  const std::function<bool(std::uint64_t)> fails_;
  std::mutex mutex_;
  std::optional<run::EventForwarder> forwarder_;
  std::string wanted_;
  std::map<std::uint64_t, std::uint64_t> next_;
  std::uint64_t claims_ = 0;
  StateCounts unsummed_{};
  std::set<std::uint64_t> ran_, failed_;
  std::array<Receiver, kChannels> receivers_{};
};

}  // namespace

TEST_CASE("cluster events: rank 0's report and trace show every rank's instances") {
  ProbeTypes types;
  types.behave([](JobContext& context) {
    if (context.index() % 101 == 3) throw std::runtime_error("broken on rank 0");
  });
  auto failing = stage("s", {job(types.probe(), "work", range(0, 3000))});
  failing.on_failure = OnFailure::continue_;  // every instance runs, on either rank
  const auto p = pipeline({failing});
  ForwardingCluster cluster(p, [](std::uint64_t index) { return index % 101 == 3; });
  JsonReport report;
  ChromeTrace trace;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .cluster = &cluster});
  runner.observe(report).observe(trace);
  const auto result = runner.run();
  REQUIRE(result.error.empty());
  CHECK(cluster.wanted() == run::encode_wanted({RunObserver::Interest::failures, true}));
  const auto elsewhere = cluster.ran().size() + cluster.failed().size();
  REQUIRE(elsewhere > 0);
  REQUIRE(elsewhere < 3000);
  REQUIRE_FALSE(cluster.failed().empty());
  CHECK(result.totals[JobState::failed] == 30);  // 3, 104, ..., 2932: either rank's
  CHECK(result.totals.sum() == 3000);

  // The report: a duration for every instance, each failure listed, rank 1's too.
  std::ostringstream report_text;
  report.write(report_text);
  const auto json = nlohmann::json::parse(report_text.str());
  const auto& stage = json.at("stages").at(0);
  CHECK(stage.at("durations").at(0).at("count") == 3000);
  std::map<std::uint64_t, int> listed;  // index: rank
  for (const auto& failure : stage.at("failures"))
    listed[failure.at("index")] = failure.value("rank", 0);
  CHECK(listed.size() == 30);
  for (const auto index : cluster.failed()) {
    CHECK(listed.count(index) == 1);
    CHECK(listed[index] == 1);
  }
  for (const auto& [index, rank] : listed) {
    if (!cluster.failed().contains(index)) CHECK(rank == 0);
  }

  // The trace: a process per rank and bulkhead; each instance in exactly one slice, rank 1's
  // in rank 1's process.
  std::ostringstream trace_text;
  trace.write(trace_text);
  const auto events = nlohmann::json::parse(trace_text.str()).at("traceEvents");
  std::map<int, std::string> processes;
  for (const auto& event : events) {
    if (event.at("name") == "process_name")
      processes[event.at("pid")] = event.at("args").at("name");
  }
  int rank0 = -1, rank1 = -1;
  for (const auto& [pid, name] : processes) {
    if (name == "rank 0 \u00b7 pool") rank0 = pid;
    if (name == "rank 1 \u00b7 pool") rank1 = pid;
  }
  REQUIRE(rank0 >= 0);
  REQUIRE(rank1 >= 0);
  std::map<int, std::uint64_t> instances_of;  // by process
  std::multiset<std::uint64_t> seen;
  for (const auto& event : events) {
    if (event.value("cat", "") != "attempt") continue;
    const auto& args = event.at("args");
    const auto count = args.value("instances", std::uint64_t{1});
    instances_of[event.at("pid")] += count;
    if (args.contains("runs")) {
      for (const auto& run : args.at("runs")) {
        for (auto i = run.at(0).get<std::uint64_t>(); i <= run.at(1).get<std::uint64_t>(); ++i)
          seen.insert(i);
      }
    } else if (count > 1) {
      for (auto i = args.at("first").get<std::uint64_t>(); i <= args.at("last"); ++i)
        seen.insert(i);
    } else {
      const std::string name = event.at("name");
      seen.insert(std::stoull(name.substr(name.find('[') + 1)));
    }
  }
  CHECK(instances_of[rank1] == elsewhere);
  CHECK(instances_of[rank0] == 3000 - elsewhere);
  CHECK(seen.size() == 3000);
  CHECK(std::set<std::uint64_t>(seen.begin(), seen.end()).size() == 3000);
}

TEST_CASE("cluster events: rank 0's page has rows of the other rank's workers, and its failures") {
  ProbeTypes types;
  auto failing = stage("s", {job(types.probe(), "work", range(0, 600))});
  failing.on_failure = OnFailure::continue_;
  const auto p = pipeline({failing});
  ForwardingCluster cluster(p, [](std::uint64_t index) { return index % 50 == 7; });
  HtmlReport page;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .cluster = &cluster});
  runner.observe(page);
  const auto result = runner.run();
  REQUIRE(result.error.empty());
  CHECK(cluster.wanted() == run::encode_wanted({RunObserver::Interest::all, false}));
  REQUIRE_FALSE(cluster.failed().empty());
  std::ostringstream text;
  page.write(text);
  CHECK(text.str().find(R"("rank":1)") != std::string::npos);
  for (const auto index : cluster.failed()) {
    CHECK(text.str().find("s/work[" + std::to_string(index) + "]") != std::string::npos);
  }
}

TEST_CASE("cluster events: the instances a stopped rank claims and never runs are listed") {
  ProbeTypes types;
  types.behave([](JobContext& context) {
    if (context.index() == 0) throw std::runtime_error("stops the stage");
  });
  // Fewer than the 1,000 failures the report lists.
  const auto p = pipeline({stage("s", {job(types.probe(), "work", range(0, 600))})});
  ForwardingCluster cluster(p, [](std::uint64_t) { return false; });
  JsonReport report;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .cluster = &cluster});
  runner.observe(report);
  const auto result = runner.run();
  REQUIRE(result.error.empty());
  REQUIRE(result.stages.at(0).status == StageStatus::stopped);
  const auto& counts = result.stages.at(0).counts;
  REQUIRE(counts[JobState::cancelled] > 0);
  std::ostringstream text;
  report.write(text);
  const auto stage = nlohmann::json::parse(text.str()).at("stages").at(0);
  // As in one process: every instance that did not succeed is listed, or counted as not listed.
  CHECK(stage.at("failures_not_listed") == 0);
  CHECK(stage.at("failures").size() == counts[JobState::failed] + counts[JobState::cancelled]);
}

// Rank 1 of 2, alone: it claims every chunk, and keeps what it posts on Channel::events.
class RankOneCluster final : public Cluster {
 public:
  explicit RankOneCluster(std::string wanted) : wanted_(std::move(wanted)) {}

  int rank() const noexcept override { return 1; }
  int size() const noexcept override { return 2; }
  std::vector<std::string> gather(const std::string&) override { return {}; }
  std::string broadcast(const std::string&) override { return wanted_; }  // rank 0's
  void sum(std::span<std::uint64_t>) override {}
  void barrier(std::uint64_t) override {
    std::lock_guard lock(mutex_);
    posted_at_barrier_.push_back(posted_.size());
  }
  Chunk claim(std::uint64_t range, std::uint64_t start, std::uint64_t end, int) override {
    std::lock_guard lock(mutex_);
    auto& next = next_.try_emplace(range, start).first->second;
    const Chunk chunk{next, std::min(end, next + 7)};
    next = chunk.to;
    return chunk;
  }
  void post(Channel channel, const std::string& text) override {
    std::lock_guard lock(mutex_);
    if (channel == Channel::events) posted_.push_back(text);
  }
  void receive(Channel, Receiver) override {}
  void stop(std::uint64_t) override {}
  void on_stop(Stopper) override {}
  void send(int, const std::string&) override {}
  void on_message(Messenger) override {}

  std::vector<std::string> posted() {
    std::lock_guard lock(mutex_);
    return posted_;
  }
  std::vector<std::size_t> posted_at_barrier() {
    std::lock_guard lock(mutex_);
    return posted_at_barrier_;
  }

 private:
  const std::string wanted_;
  std::mutex mutex_;
  std::map<std::uint64_t, std::uint64_t> next_;
  std::vector<std::string> posted_;
  std::vector<std::size_t> posted_at_barrier_;
};

TEST_CASE("cluster events: a rank other than 0 posts its stage's events before its barrier") {
  ProbeTypes types;
  types.behave([](JobContext& context) {
    if (context.id() == "first/work[42]") throw std::runtime_error("broken");
  });
  auto first = stage("first", {job(types.probe(), "work", range(0, 500))});
  first.on_failure = OnFailure::continue_;
  const auto p = pipeline({first, stage("second", {job(types.probe(), "work", range(0, 300))})});
  RankOneCluster cluster(run::encode_wanted({RunObserver::Interest::failures, true}));
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .cluster = &cluster});
  const auto result = runner.run();
  REQUIRE(result.error.empty());
  const auto posted = cluster.posted();
  const auto at_barrier = cluster.posted_at_barrier();
  REQUIRE(at_barrier.size() == 2);
  CHECK(at_barrier[0] >= 1);
  CHECK(at_barrier[1] > at_barrier[0]);  // the second stage's, before its own barrier
  CHECK(at_barrier[1] == posted.size());
  // Replayed on a "rank 0": what rank 1 ran, as its report shows it.
  JsonReport report;
  report.run_started(p);
  Outputs outputs;
  run::EventReplay replay(p, outputs, {&report}, Clock::now(), {});
  for (const auto& text : posted) replay.received(1, text);
  report.run_ended(result);
  std::ostringstream text;
  report.write(text);
  const auto json = nlohmann::json::parse(text.str());
  CHECK(json.at("stages").at(0).at("durations").at(0).at("count") == 500);
  CHECK(json.at("stages").at(1).at("durations").at(0).at("count") == 300);
  REQUIRE(json.at("stages").at(0).at("failures").size() == 1);
  CHECK(json.at("stages").at(0).at("failures").at(0).at("id") == "first/work[42]");
}

TEST_CASE("cluster events: without an observer of the whole run, the other ranks send nothing") {
  ProbeTypes types;
  const auto p = pipeline({stage("s", {job(types.probe(), "work", range(0, 100))})});
  ForwardingCluster cluster(p, [](std::uint64_t) { return false; });
  Recorder recorder;  // this process's own events only (sees_other_ranks() is false)
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .cluster = &cluster});
  runner.observe(recorder);
  const auto result = runner.run();
  REQUIRE(result.error.empty());
  CHECK(cluster.wanted() == run::encode_wanted({}));
  CHECK_FALSE(run::decode_wanted(cluster.wanted()).any());
  CHECK(result.totals[JobState::succeeded] == 100);
}

TEST_CASE("cluster events: a batch no forwarder wrote is refused") {
  ProbeTypes types;
  const auto p = pipeline({stage("s", {job(types.probe(), "work", range(0, 10))})});
  Outputs outputs;
  run::EventReplay replay(p, outputs, {}, Clock::now(), {});
  CHECK_THROWS_AS(replay.received(1, "R0,0,1,0,"), std::runtime_error);
  CHECK_THROWS_AS(replay.received(1, "R7,0,1,0,2,0,0,0,0,0,"), std::runtime_error);  // no stage 7
  CHECK_THROWS_AS(replay.received(1, "?"), std::runtime_error);
  CHECK_NOTHROW(replay.received(1, "R0,0,1,0,2,0,5,9,0,0,"));
}

}  // namespace lockstep::test
