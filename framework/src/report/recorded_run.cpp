// RecordedRun: a journal read back (recorded_read.cpp) and written as the JSON report of
// --report, the Chrome trace of --trace and the page of --html, with what the journal holds;
// docs/report.md says which fields it cannot know and what they hold then.
#include "lockstep/pipeline/recorded_run.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "lockstep/pipeline/report.hpp"
#include "lockstep/version.hpp"
#include "report/html_page.hpp"
#include "report/log_tail.hpp"
#include "report/page_data.hpp"
#include "report/recorded_model.hpp"
#include "report/replace_file.hpp"
#include "report/report_fields.hpp"
#include "report/stage_timings.hpp"
#include "report/timeline_row.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

std::uint64_t reused_in(const report::RecordedStage& stage) {
  std::uint64_t reused = 0;
  for (const auto& iteration : stage.iterations) reused += iteration.reused;
  return reused;
}

using json = nlohmann::ordered_json;
using report::RecordedData;
using report::RecordedTime;

double seconds_of_us(std::int64_t us) { return static_cast<double>(us) / 1e6; }

std::string dumped(const json& value, int indent) {
  return mask_secrets(value.dump(indent, ' ', false, json::error_handler_t::replace));
}

const char* status_of(const RecordedData& data) {
  if (!data.finished) return "interrupted";
  switch (data.exit_code) {
    case kExitOk:
      return "succeeded";
    case kExitInterrupted:
      return "interrupted";
    case kExitError:
      return "error";
    default:
      return "failed";
  }
}

json counts_json(const StateCounts& counts, std::uint64_t interrupted) {
  auto object = report::counts_json(counts);
  object["interrupted"] = interrupted;
  return object;
}

// Per job, the run times of its instances: each one's own when the journal has it (instances
// that did not succeed, and successes recorded alone), else a range's mean for each of its
// instances.
struct JobTimes {
  DurationHistogram histogram;
  std::chrono::nanoseconds max{};
  void add(std::chrono::nanoseconds ran, std::uint64_t count = 1) {
    histogram.add(ran, count);
    max = std::max(max, ran);
  }
};

// Messages kept once each, referred to by position by the page's bars.
class Messages {
 public:
  std::uint32_t add(const std::string& text) {
    auto [at, added] = positions_.try_emplace(text, static_cast<std::uint32_t>(texts_.size()));
    if (added) texts_.push_back(text);
    return at->second;
  }
  const std::vector<std::string>& texts() const noexcept { return texts_; }

 private:
  std::vector<std::string> texts_;
  std::map<std::string, std::uint32_t> positions_;
};

std::chrono::nanoseconds nanos_of_us(std::int64_t us) { return std::chrono::microseconds(us); }

struct Timings {
  std::vector<JobTimes> jobs;
  std::vector<std::vector<report::SlowInstance>> slowest;  // per stage, unsorted
};

Timings timings_of(const RecordedData& data) {
  Timings timings;
  timings.jobs.resize(data.jobs.size());
  timings.slowest.resize(data.stages.size());
  auto id_of = [&](std::uint32_t job, int iteration, std::uint64_t index) {
    const auto& spec = data.jobs[job];
    const auto& stage = data.stages[spec.stage];
    return to_string(InstanceId{stage.name, stage.repeats ? iteration : 0, spec.id,
                                spec.fans_out ? std::optional(index) : std::nullopt});
  };
  std::map<std::tuple<std::uint32_t, int, std::uint64_t>, std::int64_t> retried_us;
  for (const auto& retry : data.retries)
    retried_us[{retry.job, retry.iteration, retry.index}] += retry.time.duration_us;
  for (const auto& range : data.ranges) {
    const auto count = range.to - range.from;
    if (count == 0) continue;
    if (count == 1) {
      const auto found = retried_us.find({range.job, range.iteration, range.from});
      const auto us =
          range.time.duration_us + (found != retried_us.end() ? found->second : 0);
      timings.jobs[range.job].add(nanos_of_us(us));
      timings.slowest[data.jobs[range.job].stage].push_back(
          {nanos_of_us(us), id_of(range.job, range.iteration, range.from), data.jobs[range.job].id,
           "", 1, JobState::succeeded});
    } else {
      timings.jobs[range.job].add(
          nanos_of_us(range.time.duration_us / static_cast<std::int64_t>(count)), count);
    }
  }
  for (const auto& end : data.ends) {
    if (end.attempts == 0 || end.times.empty()) continue;
    std::int64_t us = 0;
    for (const auto& time : end.times) us += time.duration_us;
    timings.jobs[end.job].add(nanos_of_us(us));
    timings.slowest[data.jobs[end.job].stage].push_back(
        {nanos_of_us(us), end.id, data.jobs[end.job].id, "", end.attempts, end.state});
  }
  return timings;
}

}  // namespace

struct RecordedRun::Impl {
  RecordedRunOptions options;
  std::optional<RecordedData> data;
  std::string error;

  json report_json() const;
  json stage_json(std::uint32_t s, const Timings& timings, std::size_t& listed) const;
  void write_trace(std::ostream& out) const;
  report::PageData page_data() const;
};

RecordedRun::RecordedRun(const std::filesystem::path& journal, RecordedRunOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.run_dir.empty()) impl_->options.run_dir = journal.parent_path();
  impl_->data = report::read_recorded(journal, impl_->options.pipeline, impl_->error);
}

RecordedRun::~RecordedRun() = default;

const std::string& RecordedRun::error() const noexcept { return impl_->error; }
bool RecordedRun::torn() const noexcept { return impl_->data && impl_->data->torn; }
bool RecordedRun::finished() const noexcept { return impl_->data && impl_->data->finished; }

json RecordedRun::Impl::stage_json(std::uint32_t s, const Timings& timings,
                                   std::size_t& listed) const {
  const auto& stage = data->stages[s];
  StateCounts counts;
  std::uint64_t interrupted = 0;
  std::int64_t first = -1, last = -1;
  const char* status = "not_run";
  for (const auto& it : stage.iterations) {
    for (const auto state : kAllJobStates) counts[state] += it.counts[state];
    interrupted += it.interrupted;
    if (it.first_us >= 0) first = first < 0 ? it.first_us : std::min(first, it.first_us);
    last = std::max(last, it.last_us);
  }
  if (!stage.iterations.empty()) {
    const auto& latest = stage.iterations.back();
    status = latest.ended ? to_string(latest.status).data() : "interrupted";
    for (const auto& it : stage.iterations) {
      if (!it.ended) status = "interrupted";
    }
  }
  json durations = json::array();
  for (const auto j : stage.jobs) {
    const auto& times = timings.jobs[j];
    auto percentile = [&](double q) {
      return report::seconds(std::min(times.max, times.histogram.percentile(q)));
    };
    durations.push_back({{"job", data->jobs[j].id},
                         {"count", times.histogram.count()},
                         {"p50_seconds", percentile(0.50)},
                         {"p95_seconds", percentile(0.95)},
                         {"p99_seconds", percentile(0.99)},
                         {"max_seconds", report::seconds(times.max)}});
  }
  auto slow = timings.slowest[s];
  std::ranges::sort(slow, [](const auto& a, const auto& b) { return a.ran > b.ran; });
  if (slow.size() > options.slowest) slow.resize(options.slowest);
  json slowest = json::array();
  for (const auto& instance : slow) {
    slowest.push_back({{"id", instance.id},
                       {"job", instance.job},
                       {"item", instance.item},
                       {"duration_seconds", report::seconds(instance.ran)},
                       {"attempts", instance.attempts},
                       {"state", std::string(to_string(instance.state))}});
  }
  json failures = json::array();
  for (const auto& end : data->ends) {
    if (data->jobs[end.job].stage != s || end.state == JobState::skipped) continue;
    if (listed >= options.max_failures) break;
    ++listed;
    failures.push_back({{"id", end.id},
                        {"stage", stage.name},
                        {"job", data->jobs[end.job].id},
                        {"iteration", end.iteration},
                        {"index", end.index},
                        {"state", std::string(to_string(end.state))},
                        {"attempts", end.attempts},
                        {"messages", end.messages},
                        {"params", json::object()}});  // the journal keeps their hash only
  }
  const auto instances = counts.sum() + interrupted;
  const auto unsuccessful = instances - counts[JobState::succeeded];
  const auto not_listed = unsuccessful - std::min<std::size_t>(unsuccessful, failures.size());
  return {{"name", stage.name},
          {"status", status},
          {"iterations", stage.iterations.size()},
          {"wall_seconds", first >= 0 ? seconds_of_us(last - first) : 0.0},
          {"instances", instances},
          {"counts", counts_json(counts, interrupted)},
          {"reused", reused_in(stage)},
          {"note", ""},
          {"warnings", json::array()},
          {"bulkheads", json::array()},
          {"durations", std::move(durations)},
          {"slowest", std::move(slowest)},
          {"failures", std::move(failures)},
          {"failures_not_listed", not_listed}};
}

json RecordedRun::Impl::report_json() const {
  const auto timings = timings_of(*data);
  json stages = json::array();
  std::size_t listed = 0;
  for (std::uint32_t s = 0; s < data->stages.size(); ++s)
    stages.push_back(stage_json(s, timings, listed));
  return {{"schema_version", JsonReport::kSchemaVersion},
          {"lockstep_version", kVersionString},
          {"pipeline", {{"name", data->pipeline_name}, {"file", data->pipeline_file}}},
          {"status", status_of(*data)},
          {"exit_code", data->finished ? json(data->exit_code) : json()},
          {"wall_seconds", seconds_of_us(data->wall_ms * 1000)},
          {"instances", data->totals.sum() + data->totals_interrupted},
          {"totals", counts_json(data->totals, data->totals_interrupted)},
          {"reused", data->reused},
          {"warnings", json::array()},
          {"stages", std::move(stages)},
          {"rebuilt",
           {{"journal", data->journal.string()},
            {"run", data->run_id},
            {"finished", data->finished},
            {"torn", data->torn}}}};
}

bool RecordedRun::write_report(const std::filesystem::path& path, std::string& error) const {
  if (!impl_->data) {
    error = impl_->error;
    return false;
  }
  const auto text = dumped(impl_->report_json(), 2);
  std::string why;
  if (report::replace_file(path, [&](std::ostream& out) { out << text << '\n'; }, why)) return true;
  error = "cannot write report '" + path.string() + "': " + why;
  return false;
}

// ---- the trace: the format of ChromeTrace (lockstep/pipeline/trace.hpp) ------------------------

void RecordedRun::Impl::write_trace(std::ostream& out) const {
  bool first = true;
  auto emit = [&](const json& event) {
    out << (first ? "\n" : ",\n") << dumped(event, -1);
    first = false;
  };
  auto pid_of = [&](std::uint32_t job) {
    const auto& name = data->jobs[job].bulkhead;
    for (std::size_t b = 0; b < data->bulkheads.size(); ++b) {
      if (data->bulkheads[b].name == name) return static_cast<int>(b) + 2;
    }
    return 2;  // unknown: the first
  };
  out << "{\"traceEvents\": [";
  emit({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "stages"}}}});
  emit({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", 0}, {"args", {{"name", "stages"}}}});
  for (std::size_t b = 0; b < data->bulkheads.size(); ++b) {
    const int pid = static_cast<int>(b) + 2;
    emit({{"name", "process_name"},
          {"ph", "M"},
          {"pid", pid},
          {"args", {{"name", data->bulkheads[b].name}}}});
    for (int tid = 0; tid < data->bulkheads[b].workers; ++tid) {
      emit({{"name", "thread_name"},
            {"ph", "M"},
            {"pid", pid},
            {"tid", tid},
            {"args", {{"name", "worker " + std::to_string(tid)}}}});
    }
  }
  for (const auto& stage : data->stages) {
    for (const auto& it : stage.iterations) {
      if (it.first_us < 0) continue;
      const auto label = stage_label(stage.name, stage.repeats ? it.iteration : 0);
      const json args = {{"stage", stage.name},
                         {"iteration", it.iteration},
                         {"status", it.ended ? std::string(to_string(it.status)) : "interrupted"}};
      emit({{"name", label}, {"cat", "stage"}, {"ph", "X"}, {"pid", 1}, {"tid", 0},
            {"ts", it.first_us}, {"dur", it.last_us - it.first_us}, {"args", args}});
    }
  }
  auto slice = [&](std::string name, std::uint32_t job, const RecordedTime& time, json args) {
    args["job"] = data->jobs[job].id;
    emit({{"name", std::move(name)}, {"cat", "attempt"}, {"ph", "X"}, {"pid", pid_of(job)},
          {"tid", time.slot}, {"ts", time.start_us}, {"dur", time.duration_us},
          {"args", std::move(args)}});
  };
  auto id_of = [&](std::uint32_t job, int iteration, std::optional<std::uint64_t> index) {
    const auto& spec = data->jobs[job];
    const auto& stage = data->stages[spec.stage];
    return to_string(InstanceId{stage.name, stage.repeats ? iteration : 0, spec.id,
                                spec.fans_out ? index : std::nullopt});
  };
  std::size_t slices = 0;
  for (const auto& range : data->ranges) {
    // One slice per run of successes on one worker place, as the journal records them.
    auto name = id_of(range.job, range.iteration, range.from);
    if (range.to - range.from > 1) name += " .. [" + std::to_string(range.to - 1) + "]";
    slice(std::move(name), range.job, range.time,
          {{"state", "succeeded"},
           {"instances", range.to - range.from},
           {"first", range.from},
           {"last", range.to - 1}});
    ++slices;
  }
  for (const auto& retry : data->retries) {
    slice(id_of(retry.job, retry.iteration, retry.index), retry.job, retry.time,
          {{"attempt", retry.attempt},
           {"state", std::string(to_string(retry.state))},
           {"message", retry.message}});
    ++slices;
  }
  for (const auto& end : data->ends) {
    for (std::size_t a = 0; a < end.times.size(); ++a) {
      json args = {{"attempt", a + 1}, {"state", std::string(to_string(end.state))}};
      if (a < end.messages.size()) args["message"] = end.messages[a];
      slice(end.id, end.job, end.times[a], std::move(args));
      ++slices;
    }
  }
  const json other = {{"pipeline", data->pipeline_name},
                      {"attempts", slices},
                      {"dropped_attempts", 0},
                      {"rebuilt", {{"journal", data->journal.string()}, {"torn", data->torn}}}};
  out << "\n],\n\"displayTimeUnit\": \"ms\",\n\"otherData\": " << dumped(other, -1) << "}\n";
}

bool RecordedRun::write_trace(const std::filesystem::path& path, std::string& error) const {
  if (!impl_->data) {
    error = impl_->error;
    return false;
  }
  std::string why;
  if (report::replace_file(path, [&](std::ostream& out) { impl_->write_trace(out); }, why))
    return true;
  error = "cannot write trace '" + path.string() + "': " + why;
  return false;
}

// ---- the page ----------------------------------------------------------------------------------

report::PageData RecordedRun::Impl::page_data() const {
  using report::PageData;
  PageData page;
  page.pipeline_name = data->pipeline_name;
  page.pipeline_file = data->pipeline_file;
  page.started = std::chrono::system_clock::time_point(std::chrono::milliseconds(data->started_ms));
  page.max_bars = options.max_bars;
  for (const auto& bulkhead : data->bulkheads)
    page.bulkheads.push_back({bulkhead.name, bulkhead.workers, bulkhead.queue});
  auto bulkhead_of = [&](std::uint32_t job) -> std::uint32_t {
    for (std::uint32_t b = 0; b < data->bulkheads.size(); ++b) {
      if (data->bulkheads[b].name == data->jobs[job].bulkhead) return b;
    }
    return 0;
  };
  // Jobs stage by stage, as the page counts them.
  std::vector<std::uint32_t> page_job(data->jobs.size());
  const auto timings = timings_of(*data);
  RunResult result;
  for (std::uint32_t s = 0; s < data->stages.size(); ++s) {
    const auto& stage = data->stages[s];
    PageData::Stage page_stage{stage.name, stage.kind, stage.repeats, {}, {}, {}, {}};
    if (s > 0) page_stage.needs.push_back(s - 1);
    StageSummary summary;
    summary.name = stage.name;
    summary.status = stage.iterations.empty() ? StageStatus::skipped : StageStatus::succeeded;
    summary.iterations = static_cast<int>(stage.iterations.size());
    std::int64_t first = -1, last = -1;
    for (const auto& it : stage.iterations) {
      for (const auto state : kAllJobStates) summary.counts[state] += it.counts[state];
      summary.status = it.ended ? it.status : StageStatus::interrupted;
      if (it.first_us >= 0) {
        page_stage.spans.push_back({it.iteration, it.first_us * 1000, it.last_us * 1000,
                                    it.ended ? it.status : StageStatus::interrupted});
        first = first < 0 ? it.first_us : std::min(first, it.first_us);
        last = std::max(last, it.last_us);
      }
    }
    if (first >= 0) {
      summary.start = nanos_of_us(first);
      summary.wall = nanos_of_us(last - first);
    }
    for (const auto j : stage.jobs) {
      page_job[j] = static_cast<std::uint32_t>(page.jobs.size());
      page.jobs.push_back({s, data->jobs[j].id, data->jobs[j].type, bulkhead_of(j),
                           data->jobs[j].fans_out});
      const auto& times = timings.jobs[j];
      for (std::size_t b = 0; b < times.histogram.counts.size(); ++b)
        page_stage.durations.counts[b] += times.histogram.counts[b];
      page_stage.longest = std::max(page_stage.longest, times.max);
    }
    page.stages.push_back(std::move(page_stage));
    result.stages.push_back(std::move(summary));
  }
  result.totals = data->totals;
  // The journal's times start when it is made, a little before the runner's clock: the page's
  // timeline must reach the last recorded end.
  std::int64_t last_us = data->wall_ms * 1000;
  for (const auto& stage : data->stages) {
    for (const auto& it : stage.iterations) last_us = std::max(last_us, it.last_us);
  }
  result.wall = std::chrono::microseconds(last_us);
  result.interrupted = !data->finished || data->interrupted;
  if (data->finished && data->exit_code == kExitError) result.error = "the run could not start";
  page.result = result;

  // Rows: a row per worker place of each bulkhead, and one for attempts outside any.
  std::vector<std::uint32_t> first_row(1, 0);
  for (const auto& bulkhead : data->bulkheads)
    first_row.push_back(first_row.back() + static_cast<std::uint32_t>(bulkhead.workers) + 1);
  std::vector<report::TimelineRow> rows(first_row.back());
  auto row_of = [&](std::uint32_t job, int slot) -> report::TimelineRow& {
    const auto b = bulkhead_of(job);
    const auto places = first_row[b + 1] - first_row[b] - 1;
    const auto place = slot >= 0 && static_cast<std::uint32_t>(slot) < places
                           ? static_cast<std::uint32_t>(slot)
                           : places;
    return rows[first_row[b] + place];
  };
  std::uint64_t attempts = data->ranges.size() + data->retries.size();
  for (const auto& end : data->ends) attempts += end.times.size();
  page.aggregated = attempts > options.max_bars;
  Messages messages;
  auto add = [&](std::uint32_t job, int iteration, std::uint64_t index, int attempt,
                 const RecordedTime& time, JobState state, const std::string* message) {
    report::Bar bar{time.start_us * 1000,
                    (time.start_us + time.duration_us) * 1000,
                    page_job[job],
                    iteration,
                    index,
                    attempt,
                    state,
                    report::Bar::kNoMessage};
    if (message != nullptr && !message->empty()) bar.message = messages.add(*message);
    row_of(job, time.slot).add(bar, !page.aggregated || state != JobState::succeeded);
  };
  for (const auto& range : data->ranges)
    add(range.job, range.iteration, range.from, 1, range.time, JobState::succeeded, nullptr);
  for (const auto& retry : data->retries)
    add(retry.job, retry.iteration, retry.index, retry.attempt, retry.time, retry.state,
        &retry.message);
  for (const auto& end : data->ends) {
    for (std::size_t a = 0; a < end.times.size(); ++a) {
      add(end.job, end.iteration, end.index, static_cast<int>(a) + 1, end.times[a], end.state,
          a < end.messages.size() ? &end.messages[a] : nullptr);
    }
  }
  page.attempts = attempts;
  std::vector<report::RowSnapshot> snapshots;
  for (const auto& row : rows) {
    snapshots.push_back(row.snapshot());
    page.column_width_ns = std::max(page.column_width_ns, snapshots.back().width_ns);
  }
  for (std::uint32_t b = 0; b < data->bulkheads.size(); ++b) {
    for (auto r = first_row[b]; r < first_row[b + 1]; ++r) {
      auto& snapshot = snapshots[r];
      const int slot = r + 1 < first_row[b + 1] ? static_cast<int>(r - first_row[b]) : -1;
      if (slot < 0 && snapshot.bars.empty()) continue;
      PageData::Row row{b, slot, snapshot.widened_to(page.column_width_ns), {}};
      row.attempts.bars = snapshot.bars;  // widened_to() gives the columns only
      std::ranges::sort(row.attempts.bars, {}, &report::Bar::start_ns);
      row.params.assign(row.attempts.bars.size(), PageData::kUnknown);
      page.rows.push_back(std::move(row));
    }
  }
  page.messages = messages.texts();
  for (const auto& end : data->ends) {
    if (end.state == JobState::skipped) continue;
    if (page.failures.size() >= options.max_failures) break;
    page.failures.push_back({end.id, page_job[end.job], end.iteration, end.index, end.state,
                             end.attempts, end.messages, "{}",
                             report::log_tail(options.run_dir, end.id, {.lines = 20, .bytes = 4096})});
  }
  return page;
}

bool RecordedRun::write_page(const std::filesystem::path& path, std::string& error) const {
  if (!impl_->data) {
    error = impl_->error;
    return false;
  }
  const auto page = impl_->page_data();
  std::string why;
  if (report::replace_file(path, [&](std::ostream& out) { report::write_html_page(page, out); },
                           why))
    return true;
  error = "cannot write page '" + path.string() + "': " + why;
  return false;
}

}  // namespace lockstep

namespace lockstep::inline LOCKSTEP_ABI {

std::string RecordedRun::check_writable(const std::filesystem::path& path) {
  return report::why_not_replaceable(path);
}

}  // namespace lockstep
