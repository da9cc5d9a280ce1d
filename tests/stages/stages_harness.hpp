// What the stage-kind tests share: pipelines written in YAML, loaded with the real core and
// stages plugins (lib/lockstep/lockstep-stages.so, found by name as `lockstep` finds it), run by
// the real Runner, with an observer that records every attempt's start and end and every
// instance's terminal state. The tests then check what a kind promises from those records, on
// the test's thread.
#pragma once

#include <catch2/catch.hpp>
#include <lockstep/pipeline/pipeline_loader.hpp>
#include <lockstep/pipeline/runner.hpp>
#include <lockstep/plugin/stage.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lockstep::stages_test {

using Clock = std::chrono::steady_clock;

// "app.explode": a kind of the test program's own that dispatches its first instance and then
// throws, as a buggy kind would.
class Explode final : public StageKind {
 public:
  static StageKindType type() { return {"explode", "Dispatches one instance, then throws"}; }
  explicit Explode(const Params& /*with*/) {}
  void run(StageContext& stage) override {
    if (auto first = stage.next()) stage.dispatch(*first);
    throw std::runtime_error("the kind blew up");
  }
};

// "app.take_two": takes the first two instances from the stream and returns without dispatching
// anything, as a kind that gives up would.
class TakeTwo final : public StageKind {
 public:
  static StageKindType type() { return {"take_two", "Takes two instances, dispatches none"}; }
  explicit TakeTwo(const Params& /*with*/) {}
  void run(StageContext& stage) override {
    stage.next();
    stage.next();
  }
};

// One registry and loader for every test (plugins stay loaded until the process ends anyway):
// the pipelines name `plugins: [stages]`, which the loader finds in lib/lockstep/.
inline PluginLoader& loader() {
  struct Loaded {
    Registry registry;
    PluginLoader loader{registry, PluginLoader::search_dirs({})};
    Loaded() {
      registry.add_stage_kind<Explode>();
      registry.add_stage_kind<TakeTwo>();
    }
  };
  static Loaded loaded;
  return loaded.loader;
}

// The diagnostics of loading `yaml`, as `lockstep validate` prints them ("" when none).
inline std::string diagnostics_of(std::string_view yaml, const std::string& file = "pipe.yaml") {
  Diagnostics diagnostics;
  parse_pipeline(yaml, file, {}, loader(), diagnostics);
  return diagnostics.to_string();
}

inline Pipeline load(std::string_view yaml) {
  Diagnostics diagnostics;
  auto pipeline = parse_pipeline(yaml, "pipe.yaml", {}, loader(), diagnostics);
  INFO(diagnostics.to_string());
  REQUIRE(pipeline.has_value());
  return std::move(*pipeline);
}

// A pipeline file, with --set vars.NAME=VALUE for each of `vars`.
inline Pipeline load_file(const std::filesystem::path& file,
                          std::vector<std::pair<std::string, std::string>> vars = {}) {
  Diagnostics diagnostics;
  auto pipeline = load_pipeline(file, {.set_vars = std::move(vars)}, loader(), diagnostics);
  INFO(diagnostics.to_string());
  REQUIRE(pipeline.has_value());
  return std::move(*pipeline);
}

// Every attempt with its times, every instance's terminal state, when each stage started.
class Recorder final : public RunObserver {
 public:
  struct Attempt {
    std::string stage, job, id;
    std::uint64_t index = 0;
    Clock::time_point start{}, end{};
    JobState state = JobState::succeeded;
    std::string message{};
  };

  void stage_started(const StageSpec& stage, int /*iteration*/) override {
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    stage_starts_.emplace(stage.name, now);
  }
  void attempt_ended(const AttemptEvent& e) override {
    std::lock_guard lock(mutex_);
    attempts_.push_back(
        {e.stage->name, e.job->id, e.id, e.index, e.start, e.end, e.state, e.message});
  }
  void instance_ended(const InstanceEvent& e) override {
    std::lock_guard lock(mutex_);
    ++ends_[e.id];
    states_[e.id] = e.state;
  }

  // The attempts of a stage's job (of every job when `job` is empty), in index order.
  std::vector<Attempt> attempts(std::string_view stage, std::string_view job = {}) const {
    std::lock_guard lock(mutex_);
    std::vector<Attempt> found;
    for (const auto& a : attempts_) {
      if (a.stage == stage && (job.empty() || a.job == job)) found.push_back(a);
    }
    std::ranges::sort(found, [](const auto& a, const auto& b) { return a.index < b.index; });
    return found;
  }
  // The one attempt of instance `id`.
  Attempt attempt(std::string_view id) const {
    std::lock_guard lock(mutex_);
    std::vector<Attempt> found;
    for (const auto& a : attempts_) {
      if (a.id == id) found.push_back(a);
    }
    INFO(id);
    REQUIRE(found.size() == 1);
    return found.front();
  }
  bool ran(std::string_view id) const {
    std::lock_guard lock(mutex_);
    return std::ranges::any_of(attempts_, [&](const auto& a) { return a.id == id; });
  }
  // The terminal state of instance `id`; fails the test unless it ended exactly once.
  JobState state_of(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto found = ends_.find(id);
    INFO(id << " ended " << (found == ends_.end() ? 0 : found->second) << " times");
    REQUIRE(found != ends_.end());
    REQUIRE(found->second == 1);
    return states_.at(id);
  }
  Clock::time_point stage_start(const std::string& stage) const {
    std::lock_guard lock(mutex_);
    INFO(stage);
    REQUIRE(stage_starts_.contains(stage));
    return stage_starts_.at(stage);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Attempt> attempts_;
  std::map<std::string, int> ends_;
  std::map<std::string, JobState> states_;
  std::map<std::string, Clock::time_point> stage_starts_;
};

// Log lines as "[id] line", kept for the tests that check what a kind said.
class LogLines final : public LogSink {
 public:
  void write(std::string_view id, Logger::Level, std::string_view line) override {
    std::lock_guard lock(mutex_);
    lines_.push_back("[" + std::string(id) + "] " + std::string(line));
  }
  bool has(std::string_view text) const {
    std::lock_guard lock(mutex_);
    return std::ranges::any_of(lines_,
                               [&](const auto& line) { return line.find(text) != line.npos; });
  }
  std::string all() const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto& line : lines_) text += line + "\n";
    return text;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// A pipeline loaded from YAML and run to its end by the real Runner.
class PipelineRun {
 public:
  explicit PipelineRun(std::string_view yaml) : PipelineRun(load(yaml)) {}
  explicit PipelineRun(Pipeline pipeline)
      : pipeline_(std::move(pipeline)),
        runner_(pipeline_, {.log = &log_, .observers = {&recorder_}}) {
    result_ = runner_.run();
  }

  const RunResult& result() const { return result_; }
  const StageSummary& stage(std::string_view name) const {
    auto found = std::ranges::find(result_.stages, name, &StageSummary::name);
    INFO(name);
    REQUIRE(found != result_.stages.end());
    return *found;
  }
  std::size_t count(std::string_view stage_name, JobState state) const {
    return stage(stage_name).counts[state];
  }
  std::optional<std::string> output(std::string_view reference) const {
    return runner_.outputs().get(reference);
  }
  const Recorder& recorder() const { return recorder_; }
  const LogLines& log() const { return log_; }

 private:
  Recorder recorder_;
  LogLines log_;
  Pipeline pipeline_;
  Runner runner_;
  RunResult result_;
};

// Whether two attempts ran at the same time for a while.
inline bool overlap(const Recorder::Attempt& a, const Recorder::Attempt& b) {
  return a.start < b.end && b.start < a.end;
}

// The most attempts that ran at once (one ending at the instant another starts does not count).
inline int peak_concurrency(const std::vector<Recorder::Attempt>& attempts) {
  std::vector<std::pair<Clock::time_point, int>> events;
  for (const auto& a : attempts) {
    events.emplace_back(a.start, +1);
    events.emplace_back(a.end, -1);
  }
  std::ranges::sort(events);  // at equal times, -1 sorts before +1
  int running = 0;
  int peak = 0;
  for (const auto& [time, delta] : events) peak = std::max(peak, running += delta);
  return peak;
}

}  // namespace lockstep::stages_test
