// RunOptions::cluster without MPI: a Cluster of this process as rank 0 beside phantom ranks that
// take every other chunk, so that the runner's part (claims, stage ends, summed counts, outputs
// and stops across ranks) runs in every preset, the sanitizers' included. `ctest -L mpi` runs
// the real backend under mpirun.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include <lockstep/pipeline/cluster.hpp>
#include <lockstep/pipeline/exit_codes.hpp>

#include "run/cluster_outputs.hpp"
#include "run/lost_ranks.hpp"
#include "run/stage_messages.hpp"
#include "run_support.hpp"

namespace lockstep::test {

namespace {

// What a phantom instance publishes: instance `index` of claim range `range`.
using PhantomOutputs =
    std::function<std::vector<run::SharedOutput>(std::uint64_t range, std::uint64_t index)>;

// How a phantom rank's instance of rank 0's kind ends (an instance sent with Cluster::send),
// called on the instance's own thread.
using PhantomEnds = std::function<JobState(std::uint64_t index)>;

// Rank 0 of `size`: the other ranks are phantoms that take every other chunk claimed and count
// its instances as succeeded when the stage's counts are summed. What they publish (`outputs`)
// is rank 1's text when the stage's outputs are gathered. An instance rank 0's stage kind sends
// a phantom runs on a thread of its own (noted in `log` as it starts and ends) and ends as
// `ends_as` says, reported back on Channel::stage as a real rank would.
class PhantomCluster final : public Cluster {
 public:
  explicit PhantomCluster(int size, PhantomOutputs outputs = {})
      : size_(size), outputs_(std::move(outputs)) {}
  ~PhantomCluster() override {
    std::vector<std::jthread> runs;
    {
      std::lock_guard lock(mutex_);
      runs = std::move(runs_);
    }
  }
  void ends_as(PhantomEnds ends) { ends_ = std::move(ends); }
  // Where phantom instances note their start ("+rank:index") and end ("-rank:index").
  void log_to(std::function<void(std::string)> log) { log_ = std::move(log); }

  int rank() const noexcept override { return 0; }
  int size() const noexcept override { return size_; }
  std::vector<std::string> gather(const std::string& mine) override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> texts(static_cast<std::size_t>(size_));
    texts[0] = mine;
    gathered_ = mine;
    texts[1] = run::encode_outputs(published_);
    published_.clear();
    return texts;
  }
  std::string broadcast(const std::string& text) override { return text; }
  void sum(std::span<std::uint64_t> values) override {
    std::lock_guard lock(mutex_);
    // A stage's end (StageRun::join_ranks): the counts, a failure, repeat.until, the size of the
    // outputs to share (the phantoms' too), an interrupt, and the reused.
    if (values.size() == kJobStateCount + 5) {
      values[kJobStateCount + 2] += published_.size();
      unsummed_ += std::exchange(split_elsewhere_, 0);
    }
    values[static_cast<std::size_t>(JobState::succeeded)] += unsummed_;
    unsummed_ = 0;
    if (values.size() == kJobStateCount + 5) {
      for (std::size_t s = 0; s < kJobStateCount; ++s) values[s] += std::exchange(ran_[s], 0);
    }
    ++sums_;
  }
  void barrier(std::uint64_t ranges_done) override {
    std::lock_guard lock(mutex_);
    // The phantoms died: the barrier is given up, as the backend does after an interrupt.
    if (lost_) throw RanksLost("phantoms lost");
    ++barriers_;
    ranges_done_ = ranges_done;
  }
  Chunk claim(std::uint64_t range, std::uint64_t start, std::uint64_t end, int workers) override {
    std::lock_guard lock(mutex_);
    REQUIRE(range >= ranges_done_);  // never a range of a stage that ended
    for (;;) {
      auto& next = next_.try_emplace(range, start).first->second;
      if (next >= end) return {end, end};
      const auto share = guided_chunk_size(end - next, size_, workers);
      const Chunk chunk{next, next + share};
      next = chunk.to;
      sizes_.push_back(share);
      if (claims_++ % 2 == 0) return chunk;
      phantom_claims_.push_back({range, chunk});
      for (auto i = chunk.from; i < chunk.to; ++i) {
        phantom_.insert(i);
        phantom_by_range_[range].insert(i);
        if (!outputs_) continue;
        for (auto& output : outputs_(range, i)) published_.push_back(std::move(output));
      }
      unsummed_ += share;
    }
  }

  void post(Channel channel, const std::string& text) override {
    std::lock_guard lock(mutex_);
    if (auto& receiver = receivers_[static_cast<std::size_t>(channel)]) receiver(0, text);
  }
  void receive(Channel channel, Receiver receiver) override {
    std::lock_guard lock(mutex_);
    receivers_[static_cast<std::size_t>(channel)] = std::move(receiver);
  }
  void stop(std::uint64_t key) override {
    std::lock_guard lock(mutex_);
    stops_.push_back(key);
    if (stopper_) stopper_(key);
  }
  void send(int to, const std::string& text) override {
    const auto message = run::decode_stage_message(text);
    REQUIRE(message);
    REQUIRE(to > 0);
    REQUIRE(to < size_);
    std::lock_guard lock(mutex_);
    sent_.emplace_back(to, *message);
    if (message->kind == run::StageMessage::Kind::rest) {
      // Its share of the rest is what it claims (counted with the chunks): nothing more.
      auto ended = *message;
      ended.kind = run::StageMessage::Kind::rest_ended;
      reply(to, ended, false);
    } else if (message->kind == run::StageMessage::Kind::dispatch) {
      auto ended = *message;
      ended.kind = run::StageMessage::Kind::ended;
      ended.attempts = 1;
      reply(to, ended, !message->owns_failures);
    }
  }
  void on_message(Messenger /*messenger*/) override {}  // rank 0 gets none

  void on_stop(Stopper stopper) override {
    std::lock_guard lock(mutex_);
    stopper_ = std::move(stopper);
  }
  // Rank 1 took what the phantoms claimed; the others claimed nothing.
  std::vector<Claimed> claimed_by(int rank) const override {
    std::lock_guard lock(mutex_);
    return rank == 1 ? phantom_claims_ : std::vector<Claimed>{};
  }

  // From now on the phantom ranks are dead: the stage's barrier throws RanksLost.
  void lose_phantoms() {
    std::lock_guard lock(mutex_);
    lost_ = true;
  }

  // The phantoms' instances of jobs split by index (no more instances than ranks, never
  // claimed), counted as succeeded at the next stage's end.
  void split_elsewhere(std::uint64_t instances) {
    std::lock_guard lock(mutex_);
    split_elsewhere_ += instances;
  }

  // Another rank stopped `key`: what the backend would tell this one.
  void stop_elsewhere(std::uint64_t key) {
    std::lock_guard lock(mutex_);
    if (stopper_) stopper_(key);
  }

  std::set<std::uint64_t> phantom() const { return phantom_; }
  std::set<std::uint64_t> phantom(std::uint64_t range) {
    std::lock_guard lock(mutex_);
    return phantom_by_range_[range];
  }
  std::vector<std::uint64_t> stops() {
    std::lock_guard lock(mutex_);
    return stops_;
  }
  std::vector<std::uint64_t> sizes() const { return sizes_; }
  // What rank 0 sent the phantoms, to whom.
  std::vector<std::pair<int, run::StageMessage>> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  // The text rank 0 gave to the last gather.
  std::string gathered() {
    std::lock_guard lock(mutex_);
    return gathered_;
  }
  int barriers() const { return barriers_; }
  int sums() const { return sums_; }

 private:
  // On a thread of its own, as another rank's instance: starts, ends, and its end goes back.
  // `stops`: a failure stops the stage on every rank, as the phantom's StageRun would.
  void reply(int from, run::StageMessage ended, bool stops) {
    runs_.emplace_back([this, from, ended, stops]() mutable {
      const auto what = std::to_string(from) + ":" + std::to_string(ended.index);
      if (ended.kind == run::StageMessage::Kind::ended) {
        if (log_) log_("+" + what);
        ended.state = ends_ ? ends_(ended.index) : JobState::succeeded;
        if (ended.state != JobState::succeeded) {
          ended.message = "phantom " + std::string(to_string(ended.state));
        }
        {
          std::lock_guard lock(mutex_);
          ++ran_[static_cast<std::size_t>(ended.state)];
        }
        if (log_) log_("-" + what);
        if (stops && is_failure(ended.state)) stop(ended.key);
      }
      Receiver receiver;
      {
        std::lock_guard lock(mutex_);
        receiver = receivers_[static_cast<std::size_t>(Channel::stage)];
      }
      if (receiver) receiver(from, run::encode_stage_message(ended));
    });
  }

  int size_;
  PhantomOutputs outputs_;
  PhantomEnds ends_;
  std::function<void(std::string)> log_;
  std::vector<std::pair<int, run::StageMessage>> sent_;
  std::array<std::uint64_t, kJobStateCount> ran_{};
  std::string gathered_;
  std::vector<std::jthread> runs_;
  std::vector<run::SharedOutput> published_;  // by phantoms, since the last gather
  std::map<std::uint64_t, std::set<std::uint64_t>> phantom_by_range_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::uint64_t> next_;
  std::vector<Claimed> phantom_claims_;
  bool lost_ = false;
  std::uint64_t claims_ = 0;
  std::uint64_t unsummed_ = 0;
  std::uint64_t split_elsewhere_ = 0;
  std::uint64_t ranges_done_ = 0;
  std::set<std::uint64_t> phantom_;
  std::vector<std::uint64_t> sizes_;
  int barriers_ = 0;
  int sums_ = 0;
  std::array<Receiver, kChannels> receivers_{};
  Stopper stopper_;
  std::vector<std::uint64_t> stops_;
};

// The indices of the instances this rank ran, each as often as it ran (types' probe records them).
struct RanIndices {
  std::mutex mutex;
  std::multiset<std::uint64_t> ran;
};
std::shared_ptr<RanIndices> record_indices(ProbeTypes& types) {
  auto indices = std::make_shared<RanIndices>();
  types.behave([indices](JobContext& context) {
    std::lock_guard lock(indices->mutex);
    indices->ran.insert(context.index());
  });
  return indices;
}

RunResult run_on(const Pipeline& p, Cluster& cluster) {
  static QuietLog quiet;
  Runner runner(p, {.log = &quiet, .cluster = &cluster});
  return runner.run();
}

}  // namespace

TEST_CASE("cluster: each instance runs once on one rank; the totals count every rank's") {
  ProbeTypes types;
  const auto ran_here = record_indices(types);
  const auto& ran = ran_here->ran;
  PhantomCluster cluster(3);
  const auto result =
      run_on(pipeline({stage("split", {job(types.probe(), "work", range(0, 10'000))})}), cluster);
  REQUIRE(result.error.empty());
  CHECK(result.exit_code() == 0);
  CHECK(result.totals[JobState::succeeded] == 10'000);
  CHECK(result.stages.at(0).counts[JobState::succeeded] == 10'000);
  const auto phantom = cluster.phantom();
  REQUIRE_FALSE(phantom.empty());
  REQUIRE_FALSE(ran.empty());
  std::set<std::uint64_t> all(phantom);
  for (const auto index : ran) {
    CHECK(ran.count(index) == 1);      // once here
    CHECK(phantom.count(index) == 0);  // and not on another rank
    all.insert(index);
  }
  CHECK(all.size() == 10'000);
  // Guided chunks: big first, shrinking to single instances as the range drains.
  const auto sizes = cluster.sizes();
  CHECK(sizes.front() == 10'000 / (2 * 3 * 2));
  CHECK(sizes.back() == 1);
  CHECK(std::ranges::is_sorted(sizes, std::greater<>{}));
  CHECK(cluster.barriers() == 1);
  CHECK(cluster.sums() >= 2);  // the start (every rank starts, or none) and the stage's end
}

TEST_CASE("cluster: a job of no more instances than ranks is split by index, without claims") {
  ProbeTypes types;
  std::mutex mutex;
  std::multiset<std::pair<std::string, std::uint64_t>> ran;
  types.behave([&](JobContext& context) {
    std::lock_guard lock(mutex);
    ran.emplace(context.id(), context.index());
  });
  PhantomCluster cluster(3);
  cluster.split_elsewhere(4);  // of the 6 instances, rank 0 runs 2 (below)
  const auto result = run_on(
      pipeline({stage("small", {job(types.probe(), "one"), job(types.probe(), "two", range(0, 2)),
                                job(types.probe(), "three", range(0, 3))})}),
      cluster);
  REQUIRE(result.error.empty());
  CHECK(cluster.sizes().empty());  // no chunk was claimed
  // Ranges 0, 1 and 2 of the run: index i of range r is rank (i + r) % 3's; this is rank 0.
  const std::multiset<std::pair<std::string, std::uint64_t>> mine = {{"small/one", 0},
                                                                     {"small/three[1]", 1}};
  CHECK(ran == mine);
  CHECK(result.stages.at(0).counts[JobState::succeeded] == 6);
}

TEST_CASE("cluster: every iteration of a repeated stage and every stage ends across ranks") {
  ProbeTypes types;
  PhantomCluster cluster(2);
  auto repeated = stage("again", {job(types.probe(), "work", range(0, 50))});
  repeated.repeat = Repeat{.times = 3};
  auto side = stage("side", {job(types.probe(), "work", range(0, 40))});
  side.needs.emplace();  // ready beside `again`: under a cluster, run after it all the same
  const auto result = run_on(pipeline({repeated, side}), cluster);
  REQUIRE(result.error.empty());
  CHECK(result.stages.at(0).counts[JobState::succeeded] == 150);
  CHECK(result.stages.at(1).counts[JobState::succeeded] == 40);
  CHECK(cluster.barriers() == 4);
}

TEST_CASE("cluster: ranks lost at a stage's end are named with what they held, counted failed") {
  ProbeTypes types;
  std::atomic<std::uint64_t> ran{0};
  types.behave([&](JobContext&) { ++ran; });
  PhantomCluster cluster(3);
  cluster.lose_phantoms();
  const auto result = run_on(pipeline({stage("s", {job(types.probe(), "work", range(0, 1000)),
                                                   job(types.probe(), "few", range(0, 3))}),
                                       stage("later", {job(types.probe(), "never")})}),
                             cluster);
  const auto held = cluster.phantom().size();  // rank 1's chunks of s/work
  REQUIRE(held > 0);
  // Of s/few, split by index over 3 ranks (range 1: index i is rank (i + 1) % 3's), rank 0
  // ran index 2; ranks 1 and 2 held 0 and 1.
  CHECK(ran.load() == 1000 - held + 1);
  const auto& counts = result.stages.at(0).counts;
  CHECK(counts[JobState::succeeded] == 1000 - held + 1);
  CHECK(counts[JobState::failed] == held + 2);
  CHECK(counts.sum() == 1003);
  INFO(result.ranks_lost);
  CHECK(result.ranks_lost.find("rank 1 was lost: it did not come to the end of stage 's'") == 0);
  CHECK(result.ranks_lost.find("; the " + std::to_string(held + 1) +
                               " instances it held count as failed: s/few[0], s/work[") !=
        std::string::npos);
  CHECK(result.ranks_lost.find("; rank 2 was lost: ") != std::string::npos);
  CHECK(result.ranks_lost.ends_with("; the 1 instance it held count as failed: s/few[1]"));
  // No rank may go on as if the stage had ended everywhere.
  CHECK(result.interrupted);
  CHECK(result.stages.at(1).status == StageStatus::skipped);
  CHECK(result.exit_code() == kExitInterrupted);
}

TEST_CASE("cluster: a rank's counts at an interrupted stage's end, and what a lost rank held") {
  const run::RankCounts end{.key = 7, .values = {0, 12, 3, 0, 18446744073709551615ULL}};
  CHECK(run::decode_rank_counts(run::encode_rank_counts(end)) == end);
  CHECK_FALSE(run::decode_rank_counts(""));
  CHECK_FALSE(run::decode_rank_counts("7 x"));
  CHECK_FALSE(run::decode_rank_counts("7  3"));
  CHECK_FALSE(run::decode_rank_counts("7 3 "));
  CHECK_FALSE(run::decode_rank_counts("7 18446744073709551616"));  // one past the largest
  // In order of job and index; a single instance without "..", a job without fan-out without
  // an index; past `shown` ranges, only how many instances more.
  CHECK(run::held_text({{"s/b[0]", 9, 12}, {"s/a[0]", 4, 5}, {"s/b[0]", 0, 2}, {"s/one", 0, 1}}) ==
        "s/a[4], s/b[0..1], s/b[9..11], s/one");
  CHECK(run::held_text({{"s/a[0]", 0, 1}, {"s/a[0]", 5, 10}, {"s/a[0]", 20, 23}}, 1) ==
        "s/a[0] and 8 more instances");
}

TEST_CASE("cluster: another rank's progress adds to rank 0's, its total and name left alone") {
  StageProgress mine{.name = "s", .total = 100, .running = 2, .queued = 1};
  mine.ended[JobState::succeeded] = 10;
  mine.longest_running = std::chrono::milliseconds(5);
  StageProgress theirs{.name = "other", .total = 7, .running = 3, .queued = 4, .overdue = 1};
  theirs.ended[JobState::failed] = 2;
  theirs.running_for = std::chrono::milliseconds(9);
  theirs.longest_running = std::chrono::milliseconds(8);
  run::add_progress(mine, run::progress_values(theirs));
  CHECK(mine.name == "s");
  CHECK(mine.total == 100);
  CHECK(mine.ended[JobState::succeeded] == 10);
  CHECK(mine.ended[JobState::failed] == 2);
  CHECK(mine.running == 5);
  CHECK(mine.queued == 5);
  CHECK(mine.running_for == std::chrono::milliseconds(9));
  CHECK(mine.longest_running == std::chrono::milliseconds(8));
  CHECK(mine.overdue == 1);
  run::add_progress(mine, {1, 2, 3});  // not what progress_values() makes: nothing added
  CHECK(mine.running == 5);
}

TEST_CASE("cluster: no pipeline is refused: every stage kind, files and outputs cross ranks") {
  ProbeTypes types;
  auto first = stage("first", {job(types.probe(), "work", range(0, 5))});
  auto second = stage("second", {job(types.probe(), "each")});
  second.kind = "sequential";  // its logic on rank 0, its instances on any rank
  CHECK(unsupported_on_cluster(pipeline({first, second})).empty());
  // Rank 0's files are every rank's.
  auto files = stage("files", {job(types.probe(), "each")});
  files.jobs[0].foreach.kind = FanOut::Kind::files;
  files.jobs[0].foreach.pattern = "*.txt";
  CHECK(unsupported_on_cluster(pipeline({files})).empty());
  // Outputs cross ranks at each stage's end.
  auto reads = stage("reads", {job(types.probe(), "each")});
  reads.jobs[0].foreach.kind = FanOut::Kind::from_outputs;
  reads.jobs[0].foreach.reference = "first.work.out";
  reads.repeat = Repeat{.max = 3, .until = "done"};
  CHECK(unsupported_on_cluster(pipeline({first, reads})).empty());
}

TEST_CASE("cluster: outputs made on any rank reach every rank, in instance order") {
  ProbeTypes types;
  std::mutex mutex;
  std::map<std::uint64_t, std::string> made_here;
  std::map<std::uint64_t, std::string> seen;  // use's instances here: index -> item
  std::set<std::string> last;                 // what input() read in use
  types.behave([&](JobContext& ctx) {
    if (ctx.id().starts_with("make/")) {
      ctx.output("word", "w" + std::to_string(ctx.index()));
      return;
    }
    std::lock_guard lock(mutex);
    seen[ctx.index()] = ctx.item().value;
    last.insert(ctx.input("make.words.word").value_or("none"));
  });
  // The phantoms' instances of `make` (range 0) publish what this rank's would.
  PhantomCluster cluster(3, [](std::uint64_t range, std::uint64_t index) {
    std::vector<run::SharedOutput> outputs;
    if (range == 0) outputs.push_back({"make.words", index, "word", {"w" + std::to_string(index)}});
    return outputs;
  });
  FanOut over;
  over.kind = FanOut::Kind::from_outputs;
  over.reference = "make.words.word";
  const auto result = run_on(pipeline({stage("make", {job(types.probe(), "words", range(0, 40))}),
                                       stage("use", {job(types.probe(), "each", over)})}),
                             cluster);
  REQUIRE(result.error.empty());
  // Half of `make` ran on phantoms: `use` fans out from all 40 words only if theirs arrived.
  REQUIRE_FALSE(cluster.phantom(0).empty());
  CHECK(result.stages.at(1).counts[JobState::succeeded] == 40);
  REQUIRE_FALSE(seen.empty());
  for (const auto& [index, item] : seen) {
    CHECK(item == "w" + std::to_string(index));  // in instance order, whichever rank made it
    CHECK(cluster.phantom(1).count(index) == 0);
  }
  CHECK(seen.size() + cluster.phantom(1).size() == 40);
  CHECK(last == std::set<std::string>{"w39"});  // the last instance's, made here or not
}

TEST_CASE("cluster: repeat.until ends the repeat on every rank when any rank's output says so") {
  ProbeTypes types;
  // Iteration 2 (range 1): every phantom instance publishes done=yes; this rank's, nothing.
  PhantomCluster cluster(2, [](std::uint64_t range, std::uint64_t index) {
    std::vector<run::SharedOutput> outputs;
    if (range == 1) outputs.push_back({"loop.step", index, "done", {"yes"}});
    return outputs;
  });
  auto loop = stage("loop", {job(types.probe(), "step", range(0, 10))});
  loop.repeat = Repeat{.max = 5, .until = "done"};
  const auto result = run_on(pipeline({loop}), cluster);
  REQUIRE(result.error.empty());
  REQUIRE_FALSE(cluster.phantom(1).empty());
  CHECK(result.stages.at(0).iterations == 2);
  CHECK(result.stages.at(0).counts[JobState::succeeded] == 20);
}

TEST_CASE("cluster: a stop on another rank cancels the attempts running here") {
  ProbeTypes types;
  PhantomCluster cluster(2);
  std::atomic<bool> first{true};
  std::atomic<int> started{0};
  std::atomic<int> cancelled{0};
  types.behave([&](JobContext& ctx) {
    ++started;
    // The first instance here: another rank stops the stage (its key: its first claim range).
    if (first.exchange(false)) cluster.stop_elsewhere(0);
    if (!ctx.sleep_for(std::chrono::seconds(60))) {
      ++cancelled;
      throw Cancelled{};
    }
  });
  const auto result =
      run_on(pipeline({stage("long", {job(types.probe(), "wait", range(0, 200))})}), cluster);
  REQUIRE(result.error.empty());
  const auto& counts = result.stages.at(0).counts;
  CHECK(started.load() >= 1);
  CHECK(cancelled.load() == started.load());  // every attempt that started here
  CHECK(counts[JobState::cancelled] >= static_cast<std::uint64_t>(started.load()));
  CHECK(counts[JobState::succeeded] == cluster.phantom(0).size());  // the phantoms' share
  CHECK(counts.sum() == 200);                                       // every instance ended once
  CHECK(cluster.stops().empty());  // no failure here: this rank told no one
}

TEST_CASE("cluster: a failure with on_failure stop here stops every rank") {
  ProbeTypes types;
  PhantomCluster cluster(2);
  std::atomic<bool> first{true};
  std::atomic<int> waited{0};
  std::atomic<int> cancelled{0};
  types.behave([&](JobContext& ctx) {
    if (first.exchange(false)) throw std::runtime_error("fails at once");
    ++waited;
    if (!ctx.sleep_for(std::chrono::seconds(60))) {
      ++cancelled;
      throw Cancelled{};
    }
  });
  const auto result =
      run_on(pipeline({stage("long", {job(types.probe(), "wait", range(0, 200))})}), cluster);
  REQUIRE(result.error.empty());
  CHECK(cluster.stops() == std::vector<std::uint64_t>{0});  // once, the stage's key
  CHECK(cancelled.load() == waited.load());  // under a cluster the stop cancels them here too
  const auto& counts = result.stages.at(0).counts;
  CHECK(counts[JobState::failed] == 1);
  CHECK(counts.sum() == 200);
  CHECK(result.stages.at(0).status == StageStatus::stopped);
  CHECK(result.exit_code() == 1);
}

namespace {

// The built-in kinds, as a pipeline's `kind:` names them.
StageSpec of_kind(StageSpec spec, const char* kind) {
  static const Registry registry;
  spec.kind = kind;
  spec.kind_type = registry.lookup_stage_kind(kind).kind;
  REQUIRE(spec.kind_type != nullptr);
  return spec;
}

// Starts ("+rank:index") and ends ("-rank:index") of instances on every rank, in order.
class Timeline {
 public:
  void note(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // The most instances running at once.
  int widest() {
    int running = 0;
    int most = 0;
    for (const auto& event : events()) {
      running += event.front() == '+' ? 1 : -1;
      most = std::max(most, running);
    }
    return most;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> events_;
};

std::vector<run::StageMessage> sent_of(PhantomCluster& cluster, run::StageMessage::Kind kind) {
  std::vector<run::StageMessage> found;
  for (const auto& [to, message] : cluster.sent()) {
    if (message.kind == kind) found.push_back(message);
  }
  return found;
}

}  // namespace

TEST_CASE("cluster: stage messages between rank 0 and the others read back as written") {
  run::StageMessage message;
  message.kind = run::StageMessage::Kind::ended;
  message.key = 7;
  message.plan = 2;
  message.index = 123'456'789'012ULL;
  message.owns_failures = true;
  message.state = JobState::timed_out;
  message.attempts = 3;
  message.failed = true;
  message.counts[JobState::skipped] = 5;
  message.message = "line one\nline two \x01";
  const auto text = run::encode_stage_message(message);
  const auto back = run::decode_stage_message(text);
  REQUIRE(back);
  CHECK(run::encode_stage_message(*back) == text);
  CHECK(back->kind == message.kind);
  CHECK(back->index == message.index);
  CHECK(back->state == JobState::timed_out);
  CHECK(back->counts[JobState::skipped] == 5);
  CHECK(back->message == message.message);
  CHECK_FALSE(run::decode_stage_message(text.substr(0, 5)));
  CHECK_FALSE(run::decode_stage_message("x 1 2\n"));
  CHECK_FALSE(run::decode_stage_message(""));
}

TEST_CASE("cluster: sequential runs on rank 0, its instances on every rank, one at a time") {
  ProbeTypes types;
  Timeline timeline;
  std::mutex mutex;
  std::multiset<std::uint64_t> ran;
  types.behave([&](JobContext& context) {
    timeline.note("+0:" + std::to_string(context.index()));
    {
      std::lock_guard lock(mutex);
      ran.insert(context.index());
    }
    timeline.note("-0:" + std::to_string(context.index()));
  });
  PhantomCluster cluster(3);
  cluster.log_to([&](std::string event) { timeline.note(std::move(event)); });
  const auto result = run_on(
      pipeline({of_kind(stage("one", {job(types.probe(), "step", range(0, 12))}), "sequential")}),
      cluster);
  REQUIRE(result.error.empty());
  CHECK(result.exit_code() == 0);
  CHECK(result.stages.at(0).counts[JobState::succeeded] == 12);
  CHECK(result.stages.at(0).counts.sum() == 12);
  // Round robin from rank 1: 0 to rank 1, 1 to rank 2, 2 here, ...
  std::set<int> ranks;
  std::multiset<std::uint64_t> all(ran);
  for (const auto& [to, message] : cluster.sent()) {
    if (message.kind != run::StageMessage::Kind::dispatch) continue;
    ranks.insert(to);
    all.insert(message.index);
    CHECK(static_cast<int>(message.index % 3) == to - 1);
  }
  CHECK(ranks == std::set<int>{1, 2});
  CHECK(ran == std::multiset<std::uint64_t>{2, 5, 8, 11});
  CHECK(all.size() == 12);
  CHECK(std::set<std::uint64_t>(all.begin(), all.end()).size() == 12);  // each once
  CHECK(timeline.events().size() == 24);
  CHECK(timeline.widest() == 1);  // never two at once, on any rank
  // The kind returned and every instance ended: each rank was told, once.
  CHECK(sent_of(cluster, run::StageMessage::Kind::done).size() == 2);
  CHECK(cluster.barriers() == 1);
}

TEST_CASE("cluster: a failure on another rank stops a sequential stage on rank 0") {
  ProbeTypes types;
  std::atomic<int> here{0};
  types.behave([&](JobContext&) { ++here; });
  PhantomCluster cluster(3);
  // Index 0 goes to rank 1 (round robin from rank 1) and fails there.
  cluster.ends_as(
      [](std::uint64_t index) { return index == 0 ? JobState::failed : JobState::succeeded; });
  const auto result = run_on(
      pipeline({of_kind(stage("one", {job(types.probe(), "step", range(0, 6))}), "sequential")}),
      cluster);
  REQUIRE(result.error.empty());
  const auto& stage = result.stages.at(0);
  CHECK(stage.status == StageStatus::stopped);
  CHECK(stage.counts[JobState::failed] == 1);
  CHECK(stage.counts[JobState::skipped] == 5);
  CHECK(stage.counts.sum() == 6);
  CHECK(here.load() == 0);
  CHECK(sent_of(cluster, run::StageMessage::Kind::dispatch).size() == 1);
  CHECK(result.exit_code() == 1);
}

TEST_CASE("cluster: a kind's cancel and own_failures reach every rank; its outputs are shared") {
  ProbeTypes types;
  std::atomic<int> cancelled_here{0};
  std::atomic<bool> started_here{false};
  types.behave([&](JobContext& context) {
    started_here.store(true);
    started_here.notify_all();
    if (!context.sleep_for(std::chrono::seconds(60))) {
      ++cancelled_here;
      throw Cancelled{};
    }
  });
  PhantomCluster cluster(3);
  cluster.ends_as([&](std::uint64_t index) {
    if (index != 1) return JobState::failed;
    started_here.wait(false);  // the winner wins once the racer here runs
    return JobState::succeeded;
  });
  std::vector<std::optional<EndedInstance>> seen;
  const auto kind = lambda_kind([&](StageContext& stage) {
    stage.own_failures();
    // 0 to rank 1 (fails, owned), 1 to rank 2 (wins), 2 here (sleeps until cancelled).
    for (int i = 0; i < 3; ++i) CHECK(stage.dispatch(*stage.next()));
    for (;;) {
      auto ended = stage.next_ended();
      REQUIRE(ended);
      if (ended->state == JobState::succeeded) {
        CHECK(ended->id == "race/r[1]");
        break;
      }
      CHECK(ended->message == "phantom failed");
      CHECK_FALSE(stage.failed());
    }
    stage.cancel();
    stage.output("winner", "race/r[1]");
  });
  auto race = stage("race", {job(types.probe(), "r", range(0, 3))});
  race.kind = kind.qualified_name;
  race.kind_type = &kind;
  const auto result = run_on(pipeline({race}), cluster);
  REQUIRE(result.error.empty());
  const auto& counts = result.stages.at(0).counts;
  CHECK(result.stages.at(0).status == StageStatus::succeeded);
  CHECK(counts[JobState::succeeded] == 1);
  CHECK(counts[JobState::failed] == 1);
  CHECK(counts[JobState::cancelled] == 1);
  CHECK(cancelled_here.load() == 1);
  CHECK(cluster.stops().empty());  // the kind owns its failures: no rank stopped
  for (const auto& message : sent_of(cluster, run::StageMessage::Kind::dispatch)) {
    CHECK(message.owns_failures);
  }
  std::set<int> told;
  for (const auto& [to, message] : cluster.sent()) {
    if (message.kind == run::StageMessage::Kind::cancel) told.insert(to);
  }
  CHECK(told == std::set<int>{1, 2});
  // The kind's output (rank 0's alone) went into the gather, for every rank to publish.
  const auto shared = run::decode_outputs(cluster.gathered());
  CHECK(std::ranges::count(shared, run::SharedOutput{"race.stage", 0, "winner", {"race/r[1]"}}) ==
        1);
}

TEST_CASE("cluster: dispatch_rest of rank 0's kind has every rank claim the rest") {
  ProbeTypes types;
  const auto ran_here = record_indices(types);
  const auto& ran = ran_here->ran;
  PhantomCluster cluster(3);
  StateCounts after_rest;
  const auto kind = lambda_kind([&](StageContext& stage) {
    CHECK(stage.dispatch(*stage.next()));  // a canary: to rank 1
    auto ended = stage.next_ended();
    REQUIRE(ended);
    CHECK(ended->state == JobState::succeeded);
    stage.dispatch_rest();
    after_rest = stage.wait();
  });
  auto canary = stage("gate", {job(types.probe(), "g", range(0, 400))});
  canary.kind = kind.qualified_name;
  canary.kind_type = &kind;
  const auto result = run_on(pipeline({canary}), cluster);
  REQUIRE(result.error.empty());
  CHECK(result.stages.at(0).counts[JobState::succeeded] == 400);
  const auto rests = sent_of(cluster, run::StageMessage::Kind::rest);
  REQUIRE(rests.size() == 2);
  for (const auto& rest : rests) {
    CHECK(rest.plan == 0);
    CHECK(rest.index == 1);  // from where the kind's stream stood
  }
  const auto phantom = cluster.phantom(0);
  REQUIRE_FALSE(phantom.empty());
  REQUIRE_FALSE(ran.empty());
  CHECK(ran.count(0) == 0);  // the canary ran on rank 1
  for (const auto index : ran) CHECK(phantom.count(index) == 0);
  CHECK(ran.size() + phantom.size() == 399);
  CHECK(phantom.count(0) == 0);
  // wait() counts what ended since the kind began, the canary on rank 1 too (the phantoms'
  // claims are summed at the stage's end).
  CHECK(after_rest[JobState::succeeded] == ran.size() + 1);
}

}  // namespace lockstep::test
