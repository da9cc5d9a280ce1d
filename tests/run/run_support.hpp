// Helpers of the runner's tests: pipelines built in C++ (as an embedder would), a job type whose
// behaviour each test chooses, and an observer that records every attempt with its times.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <lockstep/pipeline/pipeline.hpp>
#include <lockstep/plugin/registry.hpp>
#include <lockstep/plugin/stage.hpp>
#include <lockstep/pipeline/runner.hpp>

namespace lockstep::test {

using Behaviour = std::function<void(JobContext&)>;

// "app.probe": runs the behaviour given to the fixture; parameter `n` (integer, default 0) is
// there for template tests.
class ProbeTypes {
 public:
  ProbeTypes() {
    registry_.add_job_type(
        {"probe", "runs the test's behaviour", {ParamSpec::integer("n").default_value(0)}},
        [this](const Params&) -> std::unique_ptr<Job> { return std::make_unique<Probe>(*this); });
  }
  void behave(Behaviour behaviour) { behaviour_ = std::move(behaviour); }
  const RegisteredJobType* probe() const { return registry_.lookup_job_type("app.probe").job_type; }

 private:
  class Probe final : public Job {
   public:
    explicit Probe(ProbeTypes& types) : types_(types) {}
    void run(JobContext& context) override {
      if (types_.behaviour_) types_.behaviour_(context);
    }

   private:
    ProbeTypes& types_;
  };
  Registry registry_;
  Behaviour behaviour_;
};

inline FanOut range(std::int64_t from, std::int64_t to, std::int64_t step = 1) {
  FanOut fan_out;
  fan_out.kind = FanOut::Kind::range;
  fan_out.from = from;
  fan_out.to = to;
  fan_out.step = step;
  return fan_out;
}

inline JobSpec job(const RegisteredJobType* type, std::string id, FanOut fan_out = {},
                   std::string bulkhead = "pool") {
  JobSpec spec;
  spec.id = std::move(id);
  spec.type = type;
  spec.bulkhead = std::move(bulkhead);
  spec.params.set("n", std::int64_t{0});
  spec.foreach = std::move(fan_out);
  return spec;
}

inline StageSpec stage(std::string name, std::vector<JobSpec> jobs) {
  StageSpec spec;
  spec.name = std::move(name);
  spec.jobs = std::move(jobs);
  return spec;
}

inline Pipeline pipeline(std::vector<StageSpec> stages,
                         std::vector<BulkheadSpec> bulkheads = {{"pool", 2, 4}}) {
  Pipeline p;
  p.file = "test.yaml";
  p.name = "test";
  p.bulkheads = std::move(bulkheads);
  p.stages = std::move(stages);
  return p;
}

// Every attempt and every instance, as the runner reported them.
class Recorder final : public RunObserver {
 public:
  struct Attempt {
    std::string stage, job, id;
    std::uint64_t index;
    int iteration, attempt;
    std::chrono::steady_clock::time_point start, end;
    JobState state;
    std::string message;
  };
  void attempt_ended(const AttemptEvent& e) override {
    std::lock_guard lock(mutex_);
    attempts_.push_back({e.stage->name, e.job->id, e.id, e.index, e.iteration, e.attempt, e.start,
                         e.end, e.state, e.message});
  }
  void instance_ended(const InstanceEvent& e) override {
    std::lock_guard lock(mutex_);
    ++instances_[e.id];
    states_[e.id] = e.state;
    messages_[e.id] = e.messages;
  }
  std::vector<Attempt> attempts() const {
    std::lock_guard lock(mutex_);
    return attempts_;
  }
  std::vector<Attempt> attempts_of(const std::string& stage) const {
    std::vector<Attempt> found;
    for (auto& a : attempts()) {
      if (a.stage == stage) found.push_back(a);
    }
    return found;
  }
  // How often each instance id ended (must be once).
  std::map<std::string, int> instance_ends() const {
    std::lock_guard lock(mutex_);
    return instances_;
  }
  JobState state_of(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return states_.at(id);
  }
  std::vector<std::string> messages_of(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return messages_.at(id);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Attempt> attempts_;
  std::map<std::string, int> instances_;
  std::map<std::string, JobState> states_;
  std::map<std::string, std::vector<std::string>> messages_;
};

// Job logs are dropped: the tests look at states and outputs.
class QuietLog final : public LogSink {
 public:
  void write(std::string_view, Logger::Level, std::string_view) override {}
};

inline RunResult run(const Pipeline& p, Recorder* recorder = nullptr) {
  static QuietLog quiet;
  RunOptions options;
  options.log = &quiet;
  if (recorder) options.observers.push_back(recorder);
  Runner runner(p, options);
  return runner.run();
}

// A stage kind whose run() is the test's lambda, registered as "app.test".
using KindBody = std::function<void(StageContext&)>;

class LambdaKind final : public StageKind {
 public:
  explicit LambdaKind(KindBody body) : body_(std::move(body)) {}
  void run(StageContext& stage) override { body_(stage); }

 private:
  KindBody body_;
};

inline RegisteredStageKind lambda_kind(KindBody body) {
  return {"app.test",
          "app",
          {"test", "a test's kind"},
          [body = std::move(body)](const Params&) -> std::unique_ptr<StageKind> {
            return std::make_unique<LambdaKind>(body);
          }};
}

}  // namespace lockstep::test
