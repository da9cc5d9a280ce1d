// RunOptions::cluster without MPI: a Cluster of this process as rank 0 beside phantom ranks that
// take every other chunk, so that the runner's part (claims, stage ends, summed counts) runs in
// every preset, the sanitizers' included. `ctest -L mpi` runs the real backend under mpirun.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <lockstep/pipeline/cluster.hpp>

#include "run_support.hpp"

namespace lockstep::test {

namespace {

// Rank 0 of `size`: the other ranks are phantoms that take every other chunk claimed and count
// its instances as succeeded when the stage's counts are summed.
class PhantomCluster final : public Cluster {
 public:
  explicit PhantomCluster(int size) : size_(size) {}

  int rank() const noexcept override { return 0; }
  int size() const noexcept override { return size_; }
  std::vector<std::string> gather(const std::string& mine) override {
    return std::vector<std::string>(static_cast<std::size_t>(size_), mine);
  }
  std::string broadcast(const std::string& text) override { return text; }
  void sum(std::span<std::uint64_t> values) override {
    std::lock_guard lock(mutex_);
    values[static_cast<std::size_t>(JobState::succeeded)] += unsummed_;
    unsummed_ = 0;
    ++sums_;
  }
  void barrier(std::uint64_t ranges_done) override {
    std::lock_guard lock(mutex_);
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
      for (auto i = chunk.from; i < chunk.to; ++i) phantom_.insert(i);
      unsummed_ += share;
    }
  }

  std::set<std::uint64_t> phantom() const { return phantom_; }
  std::vector<std::uint64_t> sizes() const { return sizes_; }
  int barriers() const { return barriers_; }
  int sums() const { return sums_; }

 private:
  int size_;
  std::mutex mutex_;
  std::map<std::uint64_t, std::uint64_t> next_;
  std::uint64_t claims_ = 0;
  std::uint64_t unsummed_ = 0;
  std::uint64_t ranges_done_ = 0;
  std::set<std::uint64_t> phantom_;
  std::vector<std::uint64_t> sizes_;
  int barriers_ = 0;
  int sums_ = 0;
};

RunResult run_on(const Pipeline& p, Cluster& cluster) {
  static QuietLog quiet;
  Runner runner(p, {.log = &quiet, .cluster = &cluster});
  return runner.run();
}

}  // namespace

TEST_CASE("cluster: each instance runs once on one rank; the totals count every rank's") {
  ProbeTypes types;
  std::mutex mutex;
  std::multiset<std::uint64_t> ran;
  types.behave([&](JobContext& context) {
    std::lock_guard lock(mutex);
    ran.insert(context.index());
  });
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
  CHECK(result.stages.at(0).counts[JobState::succeeded] == 2);  // the phantoms add none of theirs
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

TEST_CASE("cluster: what does not cross ranks yet is refused before any job runs") {
  ProbeTypes types;
  int runs = 0;
  types.behave([&](JobContext&) { ++runs; });
  auto first = stage("first", {job(types.probe(), "work", range(0, 5))});
  auto second = stage("second", {job(types.probe(), "each")});
  second.kind = "sequential";
  second.where = {"test.yaml", 7, 5};
  second.jobs[0].foreach.kind = FanOut::Kind::from_outputs;
  second.jobs[0].foreach.reference = "first.work.out";
  second.jobs[0].foreach.where = {"test.yaml", 9, 9};
  const auto p = pipeline({first, second});
  const auto refused = unsupported_on_cluster(p);
  REQUIRE(refused.size() == 2);
  CHECK(refused[0] ==
        "test.yaml:7:5: stage 'second': kind 'sequential' is not supported under MPI yet");
  CHECK(refused[1] ==
        "test.yaml:9:9: job 'each': foreach from_outputs is not supported under MPI yet");
  PhantomCluster cluster(2);
  const auto result = run_on(p, cluster);
  CHECK(result.exit_code() == 2);
  CHECK(result.error.find("kind 'sequential' is not supported under MPI yet") != std::string::npos);
  CHECK(runs == 0);
  CHECK(unsupported_on_cluster(pipeline({first})).empty());
}

}  // namespace lockstep::test
