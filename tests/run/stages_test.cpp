// Stages in order with a barrier between them; every instance ends once; fan-out is lazy.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;
using Clock = std::chrono::steady_clock;

TEST_CASE("no instance of a stage starts before every instance of the previous one ended") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    // Uneven durations, so that a missing barrier would show.
    ctx.sleep_for(std::chrono::microseconds(ctx.index() % 7 * 100));
  });
  auto p = pipeline({stage("a", {job(types.probe(), "x", range(0, 60))}),
                     stage("b", {job(types.probe(), "y", range(0, 60))}),
                     stage("c", {job(types.probe(), "z", range(0, 60))})});
  Recorder recorder;
  const auto result = run(p, &recorder);
  REQUIRE(result.exit_code() == 0);
  const std::vector<std::string> order{"a", "b", "c"};
  for (std::size_t s = 0; s + 1 < order.size(); ++s) {
    auto before = recorder.attempts_of(order[s]);
    auto after = recorder.attempts_of(order[s + 1]);
    REQUIRE(before.size() == 60);
    REQUIRE(after.size() == 60);
    Clock::time_point last_end{};
    for (auto& a : before) last_end = std::max(last_end, a.end);
    for (auto& a : after) CHECK(a.start >= last_end);
  }
}

TEST_CASE("every instance ends exactly once and the counts add up") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.index() % 10 == 3) throw std::runtime_error("every tenth fails");
  });
  auto flaky = job(types.probe(), "flaky", range(0, 1000));
  flaky.continue_on_error = true;
  Recorder recorder;
  const auto result = run(pipeline({stage("s", {flaky})}), &recorder);
  CHECK(result.exit_code() == 0);  // allowed by continue_on_error
  REQUIRE(result.stages.size() == 1);
  CHECK(result.stages[0].status == StageStatus::succeeded);
  CHECK(result.totals[JobState::succeeded] == 900);
  CHECK(result.totals[JobState::failed] == 100);
  CHECK(result.totals.sum() == 1000);
  const auto ends = recorder.instance_ends();
  CHECK(ends.size() == 1000);
  for (const auto& [id, times] : ends) CHECK(times == 1);
  CHECK(recorder.state_of("s/flaky[13]") == JobState::failed);
  CHECK(recorder.messages_of("s/flaky[13]") == std::vector<std::string>{"every tenth fails"});
}

TEST_CASE("a short-job fan-out of 200000 instances runs every one of them once") {
  ProbeTypes types;
  std::vector<std::atomic<int>> runs(200000);
  types.behave([&](JobContext& ctx) { runs[ctx.index()].fetch_add(1); });
  const auto result = run(pipeline({stage("s", {job(types.probe(), "tiny", range(0, 200000))})}));
  CHECK(result.totals[JobState::succeeded] == 200000);
  int wrong = 0;
  for (auto& n : runs) wrong += n.load() != 1 ? 1 : 0;
  CHECK(wrong == 0);
}

TEST_CASE("instances are made lazily: no more job objects exist than the bulkhead runs") {
  ProbeTypes types;
  std::atomic<int> live{0}, peak{0};
  types.behave([&](JobContext&) {
    const int now = live.fetch_add(1) + 1;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    live.fetch_sub(1);
  });
  const auto result =
      run(pipeline({stage("s", {job(types.probe(), "j", range(0, 2000))})}, {{"pool", 3, 5}}));
  CHECK(result.totals[JobState::succeeded] == 2000);
  CHECK(peak.load() <= 3);
  CHECK(peak.load() >= 1);
}

TEST_CASE("a range fans out over from <= i < to by step, in index order") {
  ProbeTypes types;
  std::mutex mutex;
  std::map<std::string, std::string> items;
  types.behave([&](JobContext& ctx) {
    std::lock_guard lock(mutex);
    items[ctx.id()] = ctx.item().value;
  });
  run(pipeline({stage(
      "s", {job(types.probe(), "up", range(3, 12, 4)), job(types.probe(), "down", range(5, 0, -2)),
            job(types.probe(), "none", range(4, 4))})}));
  const std::map<std::string, std::string> expected{{"s/up[0]", "3"},   {"s/up[1]", "7"},
                                                    {"s/up[2]", "11"},  {"s/down[0]", "5"},
                                                    {"s/down[1]", "3"}, {"s/down[2]", "1"}};
  CHECK(items == expected);
}

TEST_CASE("a full bulkhead does not hold back the jobs of another bulkhead in the same stage") {
  ProbeTypes types;
  std::mutex mutex;
  std::condition_variable changed;
  int fast_done = 0;
  bool slow_saw_all_fast = false;
  types.behave([&](JobContext& ctx) {
    std::unique_lock lock(mutex);
    if (ctx.id().find("slow") != std::string::npos) {
      // The first slow job waits for every fast one; the slow bulkhead is full meanwhile.
      if (ctx.index() == 0) {
        slow_saw_all_fast =
            changed.wait_for(lock, std::chrono::seconds(20), [&] { return fast_done == 50; });
      }
    } else {
      ++fast_done;
      changed.notify_all();
    }
  });
  auto p = pipeline({stage("s", {job(types.probe(), "slow", range(0, 5), "narrow"),
                                 job(types.probe(), "fast", range(0, 50), "wide")})},
                    {{"narrow", 1, 0}, {"wide", 2, 2}});
  const auto result = run(p);
  CHECK(slow_saw_all_fast);
  CHECK(result.totals[JobState::succeeded] == 55);
}

namespace {

// Job types registered with add_job<J>(), as plugins do: made in place when small, by the
// factory when not. Each counts its objects, and each attempt checks that its object is new.
struct Objects {
  static inline std::atomic<int> made{0}, destroyed{0}, reused{0};
  static void reset() { made = destroyed = reused = 0; }
};

template <std::size_t Bytes>
class Counted final : public Job {
 public:
  static JobType type() {
    return {"counted" + std::to_string(Bytes),
            "counts its objects",
            {ParamSpec::integer("n").default_value(0)}};
  }
  explicit Counted(const Params&) { ++Objects::made; }
  ~Counted() override {
    fresh_ = false;
    ++Objects::destroyed;
  }
  void run(JobContext& ctx) override {
    if (!fresh_) ++Objects::reused;  // an object run twice, or not made for this attempt
    fresh_ = false;
    padding_[ctx.index() % Bytes] = 1;
    if (ctx.index() % 9 == 4 && ctx.attempt() == 1) throw std::runtime_error("fails once");
  }

 private:
  bool fresh_ = true;
  char padding_[Bytes]{};
};

class Refused final : public Job {
 public:
  static JobType type() { return {"refused", "its constructor throws"}; }
  explicit Refused(const Params&) { throw std::invalid_argument("no such thing"); }
  void run(JobContext&) override {}
};

}  // namespace

TEST_CASE("each attempt runs a job object of its own, made for it and destroyed after it") {
  Registry registry;
  registry.add_job<Counted<16>>();
  registry.add_job<Counted<4096>>();  // larger than what is made in place
  registry.add_job<Refused>();
  const auto* small = registry.lookup_job_type("counted16").job_type;
  const auto* large = registry.lookup_job_type("counted4096").job_type;
  REQUIRE(small->placement.make != nullptr);
  CHECK(small->placement.size == sizeof(Counted<16>));
  CHECK(small->placement.align == alignof(Counted<16>));

  for (const auto* type : {small, large}) {
    Objects::reset();
    auto j = job(type, "j", range(0, 3000));
    j.retry.attempts = 2;
    const auto p = pipeline({stage("s", {j})});
    const auto result = run(p);
    CHECK(result.totals[JobState::succeeded] == 3000);
    const int retried = 3000 / 9 + (3000 % 9 > 4 ? 1 : 0);
    CHECK(Objects::made == 3000 + retried);
    CHECK(Objects::destroyed == Objects::made.load());
    CHECK(Objects::reused == 0);
  }

  auto refused = job(registry.lookup_job_type("refused").job_type, "r", range(0, 50));
  refused.params = Params{};
  auto s = stage("s", {refused});
  s.on_failure = OnFailure::continue_;
  const auto p = pipeline({s});
  Recorder recorder;
  const auto result = run(p, &recorder);
  CHECK(result.totals[JobState::failed] == 50);
  CHECK(recorder.messages_of("s/r[7]") == std::vector<std::string>{"no such thing"});
}
