#include "lockstep/report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <tuple>
#include <vector>

#include "lockstep/version.hpp"
#include "report/report_json.hpp"

namespace lockstep {

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
  return {
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
}

void JsonReport::instance_ended(const InstanceEvent& instance) {
  // Other observers may ask for every instance: the successful ones are not this report's.
  if (instance.state == JobState::succeeded) return;
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
  return {
      {"name", stage.name},
      {"status", std::string(to_string(stage.status))},
      {"iterations", stage.iterations},
      {"wall_seconds", report::seconds(stage.wall)},
      {"instances", stage.counts.sum()},
      {"counts", report::counts_json(stage.counts)},
      {"note", stage.note},
      {"bulkheads", std::move(bulkheads)},
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
  report["warnings"] = result->warnings;
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
  out << report.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
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
