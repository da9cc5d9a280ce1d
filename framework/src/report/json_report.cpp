#include "lockstep/pipeline/report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <tuple>
#include <vector>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/version.hpp"
#include "report/attempt_times.hpp"
#include "report/report_fields.hpp"
#include "report/stage_timings.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

using json = nlohmann::ordered_json;

namespace {

// An instance that did not succeed, as the report lists it. Its parameters are turned into JSON
// at once: the event's Params live only as long as the event.
struct Unsuccessful {
  std::size_t job = 0;  // index in its stage, for a stable order
  int iteration = 1;
  std::uint64_t index = 0;
  json entry;
};

template <class T>
std::size_t index_in(const std::vector<T>& items, const T* item) {
  if (item == nullptr || items.empty() || item < items.data() ||
      item >= items.data() + items.size())
    return items.size();
  return static_cast<std::size_t>(item - items.data());
}

json failure_json(const InstanceEvent& instance) {
  json entry = {
      {"id", instance.id},
      {"stage", instance.stage != nullptr ? instance.stage->name : std::string()},
      {"job", instance.job != nullptr ? instance.job->id : std::string()},
      {"iteration", instance.iteration},
      {"index", instance.index},
      {"state", std::string(to_string(instance.state))},
      {"attempts", instance.attempts},
      {"messages", instance.messages},
      {"params",
       instance.params != nullptr ? report::params_json(*instance.params) : json::object()},
  };
  // Under MPI, which rank ran it: only when not rank 0, so that a run in one process (and its
  // report rebuilt from the journal) reads as before.
  if (instance.rank != 0) entry["rank"] = instance.rank;
  return entry;
}

json slowest_json(const std::vector<report::SlowInstance>& slowest) {
  json list = json::array();
  for (const auto& instance : slowest) {
    list.push_back({
        {"id", instance.id},
        {"job", instance.job},
        {"item", instance.item},
        {"duration_seconds", report::seconds(instance.ran)},
        {"attempts", instance.attempts},
        {"state", std::string(to_string(instance.state))},
    });
  }
  return list;
}

json job_durations_json(const StageSpec& stage, const report::StageTimings& timings) {
  json list = json::array();
  for (std::size_t job = 0; job < timings.jobs(); ++job) {
    const auto& times = timings.job(job);
    const auto histogram = times.histogram();
    const auto max = times.max();
    // A percentile is the middle of its bucket: never let it read above the exact maximum.
    auto percentile = [&](double q) {
      return report::seconds(std::min(max, histogram.percentile(q)));
    };
    list.push_back({
        {"job", stage.jobs[job].id},
        {"count", histogram.count()},
        {"p50_seconds", percentile(0.50)},
        {"p95_seconds", percentile(0.95)},
        {"p99_seconds", percentile(0.99)},
        {"max_seconds", report::seconds(max)},
    });
  }
  return list;
}

}  // namespace

struct JsonReport::Impl {
  JsonReportOptions options;
  mutable std::mutex mutex;  // guards everything below: instances end on worker threads
  const Pipeline* pipeline = nullptr;
  std::string name, file;
  std::map<std::size_t, std::vector<Unsuccessful>> failures;  // by stage index
  std::size_t listed = 0;
  std::optional<RunResult> result;
  // Not guarded by the mutex: made by run_started, before any instance runs, then only added to
  // (each is thread-safe on its own).
  report::AttemptTimes attempt_times;
  std::vector<std::unique_ptr<report::StageTimings>> timings;  // by stage index

  void time(const InstanceEvent& instance);

  json stage_json(std::size_t index, const StageSummary& stage) const;
  json to_json() const;
};

JsonReport::JsonReport(JsonReportOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}

JsonReport::~JsonReport() = default;

void JsonReport::run_started(const Pipeline& pipeline) {
  std::lock_guard lock(impl_->mutex);
  impl_->pipeline = &pipeline;
  impl_->name = pipeline.name;
  impl_->file = pipeline.file;
  impl_->timings.clear();
  for (const auto& stage : pipeline.stages) {
    impl_->timings.push_back(
        std::make_unique<report::StageTimings>(stage.jobs.size(), impl_->options.slowest));
  }
}

void JsonReport::attempt_ended(const AttemptEvent& attempt) {
  impl_->attempt_times.attempt_ended(attempt);
}

void JsonReport::Impl::time(const InstanceEvent& instance) {
  const auto ran = attempt_times.take(instance);
  if (pipeline == nullptr || instance.stage == nullptr) return;
  const auto stage = index_in(pipeline->stages, instance.stage);
  if (stage >= timings.size()) return;  // not a stage of this pipeline
  timings[stage]->add(index_in(instance.stage->jobs, instance.job), ran, [&] {
    return report::SlowInstance{ran,
                                instance.id,
                                instance.job != nullptr ? instance.job->id : std::string(),
                                instance.item != nullptr ? item_text(*instance.item) : "",
                                instance.attempts,
                                instance.state};
  });
}

void JsonReport::instances_succeeded(const SucceededRange& range) {
  auto& self = *impl_;
  // Reused instances did not run: they have no duration (as in instance_ended, attempts 0).
  if (range.reused || self.pipeline == nullptr || range.stage == nullptr || range.to <= range.from)
    return;
  const auto stage = index_in(self.pipeline->stages, range.stage);
  if (stage >= self.timings.size()) return;  // not a stage of this pipeline
  const auto job = index_in(range.stage->jobs, range.job);
  const auto took = std::max(std::chrono::nanoseconds{}, range.end - range.start);
  const auto count = range.to - range.from;
  if (count > 1) {
    self.timings[stage]->add_together(job, took / static_cast<std::int64_t>(count), count);
    return;
  }
  // Alone in its chunk: timed exactly, with the attempts that failed before it (a retry).
  const auto earlier = self.attempt_times.take_earlier(range.job, range.iteration, range.from);
  const auto ran = took + earlier.ran;
  self.timings[stage]->add(job, ran, [&] {
    InstanceId id{.stage = range.stage->name,
                  .iteration = range.stage->repeat ? range.iteration : 0,
                  .job = range.job->id};
    if (range.job->foreach.kind != FanOut::Kind::none) id.index = range.from;
    return report::SlowInstance{ran,
                                to_string(id),
                                range.job->id,
                                range.item != nullptr ? item_text(*range.item) : "",
                                1 + earlier.attempts,
                                JobState::succeeded};
  });
}

void JsonReport::instance_ended(const InstanceEvent& instance) {
  if (instance.attempts > 0) impl_->time(instance);
  // The list is of instances that ran or were refused; skipped ones are only counted.
  if (instance.state == JobState::succeeded || instance.state == JobState::skipped) return;
  std::lock_guard lock(impl_->mutex);
  auto& self = *impl_;
  if (self.pipeline == nullptr || instance.stage == nullptr) return;
  if (self.listed >= self.options.max_failures) return;  // counted in the stage's not_listed
  ++self.listed;
  self.failures[index_in(self.pipeline->stages, instance.stage)].push_back(
      {index_in(instance.stage->jobs, instance.job), instance.iteration, instance.index,
       failure_json(instance)});
}

void JsonReport::run_ended(const RunResult& result) {
  std::lock_guard lock(impl_->mutex);
  impl_->result = result;
}

json JsonReport::Impl::stage_json(std::size_t index, const StageSummary& stage) const {
  json bulkheads = json::array();
  for (const auto& usage : stage.bulkheads) bulkheads.push_back(report::bulkhead_usage_json(usage));
  json listed = json::array();
  if (auto found = failures.find(index); found != failures.end()) {
    auto sorted = found->second;  // arrival order depends on the threads: sort it
    std::ranges::sort(sorted, [](const Unsuccessful& a, const Unsuccessful& b) {
      return std::tie(a.iteration, a.job, a.index) < std::tie(b.iteration, b.job, b.index);
    });
    for (auto& failure : sorted) listed.push_back(std::move(failure.entry));
  }
  // Beyond the cap, and those the runner only counts (skipped, or cancelled by an interrupt
  // before they were dispatched): so that listed + not listed + succeeded = instances.
  const auto unsuccessful = stage.counts.sum() - stage.counts[JobState::succeeded];
  const auto not_listed = unsuccessful - std::min<std::size_t>(unsuccessful, listed.size());
  json durations = json::array(), slowest = json::array();
  if (pipeline != nullptr && index < timings.size() && index < pipeline->stages.size()) {
    durations = job_durations_json(pipeline->stages[index], *timings[index]);
    slowest = slowest_json(timings[index]->slowest());
  }
  json needs = json::array();
  if (pipeline != nullptr && index < pipeline->stages.size()) {
    const auto all_needs = stage_needs(*pipeline);  // named: a loop over [index] of it would dangle
    for (const auto need : all_needs[index]) needs.push_back(pipeline->stages[need].name);
  }
  return {
      {"name", stage.name},
      {"status", std::string(to_string(stage.status))},
      {"iterations", stage.iterations},
      {"needs", std::move(needs)},
      {"start_seconds", report::seconds(stage.start)},
      {"wall_seconds", report::seconds(stage.wall)},
      {"instances", stage.counts.sum()},
      {"counts", report::counts_json(stage.counts)},
      {"reused", stage.reused},
      {"note", stage.note},
      {"warnings", stage.warnings},
      {"bulkheads", std::move(bulkheads)},
      {"durations", std::move(durations)},
      {"slowest", std::move(slowest)},
      {"failures", std::move(listed)},
      {"failures_not_listed", not_listed},
  };
}

json JsonReport::Impl::to_json() const {
  json report = {
      {"schema_version", kSchemaVersion},
      {"lockstep_version", kVersionString},
      {"pipeline", {{"name", name}, {"file", file}}},
  };
  if (!result) {
    report["status"] = "running";
    return report;
  }
  json stages = json::array();
  for (std::size_t i = 0; i < result->stages.size(); ++i) {
    stages.push_back(stage_json(i, result->stages[i]));
  }
  report["status"] = report::run_status(*result);
  report["exit_code"] = result->exit_code();
  report["wall_seconds"] = report::seconds(result->wall);
  report["instances"] = result->totals.sum();
  report["totals"] = report::counts_json(result->totals);
  report["reused"] = result->reused;
  report["warnings"] = result->warnings;
  if (!result->error.empty()) report["error"] = result->error;
  report["stages"] = std::move(stages);
  return report;
}

void JsonReport::write(std::ostream& out) const {
  json report;
  {
    std::lock_guard lock(impl_->mutex);
    report = impl_->to_json();
  }
  // Messages carry what jobs printed, which need not be UTF-8: never let that lose the report.
  // Params, items and messages may hold a secret, in its JSON-escaped form too.
  out << mask_secrets(report.dump(2, ' ', false, json::error_handler_t::replace)) << '\n';
}

bool JsonReport::write_file(const std::filesystem::path& path, std::string& error) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) {
    write(out);
    out.close();
  }
  if (!out) {
    error = "cannot write report '" + path.string() + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace lockstep
