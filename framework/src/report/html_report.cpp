// HtmlReport: the events of a run recorded as PageData (page_data.hpp), which html_page.cpp turns
// into the page. Attempts go to the timeline row of the worker place that ran them (a lock only
// that worker takes while the run goes on); instances' run times to per-job histograms, as the
// JSON report keeps them; the rest (stage spans, failures, the texts bars refer to) under one lock
// that only stage events, unsuccessful attempts and the instances of templated jobs take.
#include "lockstep/pipeline/html_report.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <ostream>
#include <tuple>
#include <unordered_map>

#include "report/attempt_times.hpp"
#include "report/html_page.hpp"
#include "report/log_tail.hpp"
#include "report/page_data.hpp"
#include "report/replace_file.hpp"
#include "report/report_fields.hpp"
#include "report/stage_timings.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

using Clock = std::chrono::steady_clock;
using report::PageData;

constexpr std::uint32_t kNone = PageData::kUnknown;

template <class T>
std::uint32_t position_in(const std::vector<T>& items, const T* item) {
  if (item == nullptr || items.empty() || item < items.data() ||
      item >= items.data() + items.size())
    return kNone;
  return static_cast<std::uint32_t>(item - items.data());
}

std::int64_t nanoseconds(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}

// Texts kept once each, referred to by position (a message shared by many failed attempts, the
// parameters of a job without templates shared by all its instances).
class TextTable {
 public:
  std::uint32_t add(std::string text) {
    auto [at, added] = positions_.try_emplace(text, static_cast<std::uint32_t>(texts_.size()));
    if (added) texts_.push_back(std::move(text));
    return at->second;
  }
  const std::vector<std::string>& texts() const noexcept { return texts_; }

 private:
  std::vector<std::string> texts_;
  std::unordered_map<std::string, std::uint32_t> positions_;
};

std::string params_text(const Params& params) {
  return report::params_json(params).dump(-1, ' ', false,
                                          nlohmann::ordered_json::error_handler_t::replace);
}

// An instance of the run: its job (position among all jobs), iteration and index.
using InstanceKey = std::tuple<std::uint32_t, int, std::uint64_t>;

// A worker place's row, and the attempts it counted that the run's count does not hold yet.
struct Row {
  report::TimelineRow timeline;
  alignas(64) std::atomic<std::uint32_t> uncounted{0};
};

// Attempts are added to the run's count by each row in steps of this many: when every worker
// added each of its attempts to one count, they took turns at its cache line, and that was most
// of what the page cost per attempt (measured on a million core.noop jobs).
constexpr std::uint32_t kCountStep = 64;

}  // namespace

struct HtmlReport::Impl {
  explicit Impl(HtmlReportOptions o) : options(std::move(o)) {}

  const HtmlReportOptions options;

  // Made by run_started, before any attempt runs, and only read while the run goes on.
  const Pipeline* pipeline = nullptr;
  Clock::time_point start{};
  PageData skeleton;                       // bulkheads, stages and jobs; no results yet
  std::vector<std::uint32_t> first_job;    // per stage, the position of its first job
  std::vector<std::uint32_t> first_row;    // per bulkhead, its first row; one more at the end
  std::vector<std::uint32_t> job_params;   // per job, its params' text when shared, else kNone
  std::vector<std::unique_ptr<Row>> rows;  // rows do not move
  // Under a cluster, the rows of the other ranks' worker places, by rank and rank 0's row:
  // made as their attempts arrive (from one thread, rank 0's receiving one). Rows do not move.
  mutable std::mutex rank_rows_mutex;
  std::map<std::pair<int, std::uint32_t>, std::unique_ptr<Row>> rank_rows;
  std::vector<std::unique_ptr<report::StageTimings>> timings;  // per stage
  report::AttemptTimes attempt_times;
  // Each on a cache line of its own: `counted` is read by every attempt.
  alignas(64) std::atomic<std::uint64_t> counted{0};  // attempts, less each row's uncounted
  alignas(64) std::atomic<std::uint64_t> unsuccessful_bars{0};
  alignas(64) std::atomic<std::uint64_t> instance_params_kept{0};

  mutable std::mutex mutex;  // guards everything below
  std::map<std::pair<std::uint32_t, int>, Clock::time_point> stage_starts;  // stage, iteration
  TextTable messages, params;
  std::map<InstanceKey, std::uint32_t> params_of;  // instances of jobs with templates
  std::vector<PageData::Failure> failures;
  std::optional<RunResult> result;

  std::uint32_t job_of(const StageSpec* stage, const JobSpec* job) const {
    const auto s = pipeline != nullptr ? position_in(pipeline->stages, stage) : kNone;
    if (s == kNone) return kNone;
    const auto j = position_in(stage->jobs, job);
    return j == kNone ? kNone : first_job[s] + j;
  }
  Row& row_of(std::uint32_t job, int slot) const {
    // Jobs the pipeline does not know (none, in a run of it) count on the last row there is.
    if (job == kNone) return *rows.back();
    const auto bulkhead = skeleton.jobs[job].bulkhead;
    const auto places = first_row[bulkhead + 1] - first_row[bulkhead] - 1;
    const auto place = slot >= 0 && static_cast<std::uint32_t>(slot) < places
                           ? static_cast<std::uint32_t>(slot)
                           : places;  // outside a worker place: the bulkhead's last row
    return *rows[first_row[bulkhead] + place];
  }
  // The row of `slot` of `rank`: rank 0's own rows, the others' made on their first attempt.
  Row& row_of(std::uint32_t job, int slot, int rank) {
    auto& own = row_of(job, slot);
    if (rank <= 0) return own;
    const auto r = static_cast<std::uint32_t>(
        std::ranges::find_if(rows, [&](const auto& row) { return row.get() == &own; }) -
        rows.begin());
    std::lock_guard lock(rank_rows_mutex);
    auto& row = rank_rows[{rank, r}];
    if (!row) row = std::make_unique<Row>();
    return *row;
  }

  void begin(const Pipeline& pipeline);
  void record_failure(std::uint32_t job, const InstanceEvent& instance);
  PageData snapshot() const;
};

HtmlReport::HtmlReport(HtmlReportOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HtmlReport::~HtmlReport() = default;

void HtmlReport::Impl::begin(const Pipeline& run) {
  pipeline = &run;
  skeleton = {};
  skeleton.pipeline_name = run.name;
  skeleton.pipeline_file = run.file;
  skeleton.started = std::chrono::system_clock::now();
  skeleton.max_bars = options.max_bars;
  first_row.assign(1, 0);
  auto bulkhead_named = [&](const std::string& name) {
    for (std::size_t b = 0; b < skeleton.bulkheads.size(); ++b) {
      if (skeleton.bulkheads[b].name == name) return static_cast<std::uint32_t>(b);
    }
    skeleton.bulkheads.push_back({name, 1, 0});  // not declared: one row, and the one outside
    first_row.push_back(first_row.back() + 2);
    return static_cast<std::uint32_t>(skeleton.bulkheads.size() - 1);
  };
  for (const auto& bulkhead : run.bulkheads) {
    const int queue = bulkhead.queue.value_or(2 * bulkhead.workers);
    skeleton.bulkheads.push_back({bulkhead.name, bulkhead.workers, queue});
    // A row per worker place, and one for attempts that ran outside any.
    first_row.push_back(first_row.back() + static_cast<std::uint32_t>(bulkhead.workers) + 1);
  }
  first_job.clear();
  job_params.clear();
  timings.clear();
  const auto needs = stage_needs(run);
  for (std::size_t s = 0; s < run.stages.size(); ++s) {
    const auto& stage = run.stages[s];
    PageData::Stage page_stage{stage.name, stage.kind, stage.repeat.has_value(), {}, {}, {}, {}};
    for (const auto need : needs[s]) page_stage.needs.push_back(static_cast<std::uint32_t>(need));
    skeleton.stages.push_back(std::move(page_stage));
    first_job.push_back(static_cast<std::uint32_t>(skeleton.jobs.size()));
    for (const auto& job : stage.jobs) {
      skeleton.jobs.push_back({static_cast<std::uint32_t>(s), job.id,
                               job.type != nullptr ? job.type->declaration.name : std::string(),
                               bulkhead_named(job.bulkhead),
                               job.foreach.kind != FanOut::Kind::none});
      job_params.push_back(job.templates.empty() ? params.add(params_text(job.params)) : kNone);
    }
    timings.push_back(std::make_unique<report::StageTimings>(stage.jobs.size(), 0));
  }
  rows.clear();
  for (std::uint32_t r = 0; r < std::max<std::uint32_t>(first_row.back(), 1); ++r) {
    rows.push_back(std::make_unique<Row>());
  }
  start = Clock::now();
}

void HtmlReport::run_started(const Pipeline& pipeline) {
  auto& self = *impl_;
  std::lock_guard lock(self.mutex);
  self.stage_starts.clear();
  self.messages = {};
  self.params = {};
  self.params_of.clear();
  self.failures.clear();
  self.result.reset();
  self.counted = 0;
  self.unsuccessful_bars = 0;
  self.instance_params_kept = 0;
  {
    std::lock_guard rows_lock(self.rank_rows_mutex);
    self.rank_rows.clear();
  }
  self.begin(pipeline);
}

void HtmlReport::stage_started(const StageSpec& stage, int iteration) {
  auto& self = *impl_;
  const auto now = Clock::now();
  std::lock_guard lock(self.mutex);
  if (self.pipeline == nullptr) return;
  self.stage_starts[{position_in(self.pipeline->stages, &stage), iteration}] = now;
}

void HtmlReport::stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) {
  auto& self = *impl_;
  const auto now = Clock::now();
  std::lock_guard lock(self.mutex);
  if (self.pipeline == nullptr) return;
  const auto s = position_in(self.pipeline->stages, &stage);
  if (s == kNone) return;
  const auto started = self.stage_starts.find({s, iteration});
  const auto from = started != self.stage_starts.end() ? started->second : now;
  self.skeleton.stages[s].spans.push_back(
      {iteration, nanoseconds(from - self.start), nanoseconds(now - self.start), so_far.status});
}

void HtmlReport::attempt_ended(const AttemptEvent& attempt) {
  auto& self = *impl_;
  if (self.rows.empty()) return;  // before run_started
  self.attempt_times.attempt_ended(attempt);
  const auto job = self.job_of(attempt.stage, attempt.job);
  report::Bar bar{nanoseconds(attempt.start - self.start),
                  nanoseconds(attempt.end - self.start),
                  job,
                  attempt.iteration,
                  attempt.index,
                  attempt.attempt,
                  attempt.state,
                  report::Bar::kNoMessage};
  auto& row = self.row_of(job, attempt.slot, attempt.rank);
  // At most the attempts so far: the run's count, and this row's that it does not hold yet.
  // A step leaves the row before it reaches the count (release, acquire), so that no attempt is
  // seen twice by a thread that shares the row (the one for attempts outside worker places).
  const auto counted = self.counted.load(std::memory_order_acquire);
  const auto uncounted = row.uncounted.fetch_add(1, std::memory_order_relaxed) + 1;
  const auto seen = counted + uncounted;
  if (uncounted == kCountStep) {
    row.uncounted.fetch_sub(kCountStep, std::memory_order_relaxed);
    self.counted.fetch_add(kCountStep, std::memory_order_release);
  }
  // Successful attempts are bars while there are at most max_bars attempts in all (a lower
  // bound of the attempts so far decides: a run of at most max_bars keeps all of them); those
  // that did not succeed stay bars beyond that too (up to max_bars of them), for the aggregated
  // timeline.
  bool keep = seen <= self.options.max_bars;
  if (attempt.state != JobState::succeeded) {
    auto& kept = self.unsuccessful_bars;  // read first: no write once the cap is reached
    keep = kept.load(std::memory_order_relaxed) < self.options.max_bars &&
           kept.fetch_add(1, std::memory_order_relaxed) < self.options.max_bars;
    if (keep && !attempt.message.empty()) {
      std::lock_guard lock(self.mutex);
      bar.message = self.messages.add(attempt.message);
    }
  }
  row.timeline.add(bar, keep);
}

void HtmlReport::instance_ended(const InstanceEvent& instance) {
  auto& self = *impl_;
  if (self.rows.empty()) return;  // before run_started
  const auto job = self.job_of(instance.stage, instance.job);
  if (instance.attempts > 0) {
    const auto ran = self.attempt_times.take(instance);
    if (job != kNone) {
      self.timings[self.skeleton.jobs[job].stage]->add(
          job - self.first_job[self.skeleton.jobs[job].stage], ran,
          [] { return report::SlowInstance{}; });
    }
  }
  const bool failure = instance.state != JobState::succeeded && instance.state != JobState::skipped;
  // The parameters of instances of a job with templates, for the bars that may show them.
  auto& kept = self.instance_params_kept;  // read first: no write once the cap is reached
  const bool own_params = job != kNone && self.job_params[job] == kNone &&
                          instance.params != nullptr && instance.attempts > 0 &&
                          kept.load(std::memory_order_relaxed) < self.options.max_bars &&
                          kept.fetch_add(1, std::memory_order_relaxed) < self.options.max_bars;
  if (!own_params && !failure) return;
  auto text = instance.params != nullptr ? params_text(*instance.params) : std::string("{}");
  std::lock_guard lock(self.mutex);
  if (own_params) self.params_of[{job, instance.iteration, instance.index}] = self.params.add(text);
  if (failure && job != kNone) self.record_failure(job, instance);
}

void HtmlReport::Impl::record_failure(std::uint32_t job, const InstanceEvent& instance) {
  if (failures.size() >= options.max_failures) return;  // the page says how many it left out
  failures.push_back({instance.id,
                      job,
                      instance.iteration,
                      instance.index,
                      instance.state,
                      instance.attempts,
                      instance.messages,
                      instance.params != nullptr ? params_text(*instance.params) : "{}",
                      {}});
}

void HtmlReport::run_ended(const RunResult& result) {
  std::lock_guard lock(impl_->mutex);
  impl_->result = result;
}

PageData HtmlReport::Impl::snapshot() const {
  PageData data;
  {
    std::lock_guard lock(mutex);
    data = skeleton;
    data.result = result;
    data.messages = messages.texts();
    data.params = params.texts();
    data.failures = failures;
  }
  for (std::size_t s = 0; s < data.stages.size() && s < timings.size(); ++s) {
    for (std::size_t j = 0; j < timings[s]->jobs(); ++j) {
      const auto& times = timings[s]->job(j);
      const auto histogram = times.histogram();
      for (std::size_t b = 0; b < histogram.counts.size(); ++b) {
        data.stages[s].durations.counts[b] += histogram.counts[b];
      }
      data.stages[s].longest = std::max(data.stages[s].longest, times.max());
    }
  }
  // Rows, widened to the widest columns any of them reached.
  data.attempts = counted.load(std::memory_order_relaxed);
  std::vector<report::RowSnapshot> snapshots;
  for (const auto& row : rows) {
    snapshots.push_back(row->timeline.snapshot());
    data.attempts += row->uncounted.load(std::memory_order_relaxed);
  }
  // The other ranks' rows after rank 0's, by rank, then as rank 0's are ordered.
  std::vector<std::pair<int, std::uint32_t>> rank_rows_of;  // rank, rank 0's row
  {
    std::lock_guard lock(rank_rows_mutex);
    for (const auto& [key, row] : rank_rows) {
      snapshots.push_back(row->timeline.snapshot());
      data.attempts += row->uncounted.load(std::memory_order_relaxed);
      rank_rows_of.push_back(key);
    }
  }
  data.aggregated = data.attempts > options.max_bars;
  for (const auto& snapshot : snapshots) {
    data.column_width_ns = std::max(data.column_width_ns, snapshot.width_ns);
  }
  // Rank 0's rows of each bulkhead, then each other rank's of it.
  std::vector<std::tuple<std::uint32_t, int, std::uint32_t, std::size_t>> order;  // b, rank, r, s
  for (std::uint32_t b = 0; b < data.bulkheads.size(); ++b) {
    for (auto r = first_row[b]; r < first_row[b + 1]; ++r) order.emplace_back(b, 0, r, r);
  }
  for (std::size_t k = 0; k < rank_rows_of.size(); ++k) {
    const auto [rank, r] = rank_rows_of[k];
    const auto b =
        static_cast<std::uint32_t>(std::ranges::upper_bound(first_row, r) - first_row.begin() - 1);
    order.emplace_back(b, rank, r, rows.size() + k);
  }
  std::ranges::stable_sort(order, {}, [](const auto& o) {
    return std::tuple(std::get<0>(o), std::get<1>(o), std::get<2>(o));
  });
  for (const auto& [b, rank, r, s] : order) {
    {
      auto& snapshot = snapshots[s];
      const int slot = r + 1 < first_row[b + 1] ? static_cast<int>(r - first_row[b]) : -1;
      if (slot < 0 && snapshot.bars.empty() &&
          std::ranges::all_of(snapshot.columns, [](const auto& c) { return c.attempts == 0; }))
        continue;  // no attempt ran outside a worker place: no such row
      PageData::Row row{b, slot, snapshot.widened_to(data.column_width_ns), {}, rank};
      for (const auto& bar : snapshot.bars) {
        if (data.aggregated && bar.state == JobState::succeeded) continue;
        row.attempts.bars.push_back(bar);
      }
      std::ranges::sort(row.attempts.bars, {}, &report::Bar::start_ns);
      {
        std::lock_guard lock(mutex);
        for (const auto& bar : row.attempts.bars) {
          auto ref = bar.job < job_params.size() ? job_params[bar.job] : kNone;
          if (ref == kNone) {
            const auto found = params_of.find({bar.job, bar.iteration, bar.index});
            if (found != params_of.end()) ref = found->second;
          }
          row.params.push_back(ref);
        }
      }
      data.rows.push_back(std::move(row));
    }
  }

  // Failures in a stable order, whichever thread ended first; with their logs' last lines.
  std::ranges::sort(data.failures, [&](const PageData::Failure& a, const PageData::Failure& b) {
    return std::tie(data.jobs[a.job].stage, a.iteration, a.job, a.index) <
           std::tie(data.jobs[b.job].stage, b.iteration, b.job, b.index);
  });
  for (auto& failure : data.failures) {
    failure.log_tail = report::log_tail(options.run_dir, failure.id,
                                        {.lines = options.log_tail_lines, .bytes = 4096});
  }
  return data;
}

void HtmlReport::write(std::ostream& out) const { report::write_html_page(impl_->snapshot(), out); }

bool HtmlReport::write_file(const std::filesystem::path& path, std::string& error) const {
  const auto data = impl_->snapshot();
  std::string why;
  if (report::replace_file(
          path, [&](std::ostream& out) { report::write_html_page(data, out); }, why))
    return true;
  error = "cannot write page '" + path.string() + "': " + why;
  return false;
}

std::string HtmlReport::check_writable(const std::filesystem::path& path) {
  const auto why = report::why_not_replaceable(path);
  return why.empty() ? why : "cannot write page '" + path.string() + "': " + why;
}

}  // namespace lockstep
