// ChromeTrace: attempts and stage iterations recorded as they end (a mutex and a push_back on
// the worker), written out as trace events once the run is over.
#include "lockstep/pipeline/trace.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "lockstep/plugin/job.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr int kStagesPid = 1;  // the "stages" process; bulkheads follow, from 2

struct Process {
  std::string name;
  int workers = 0;
};

struct Slice {
  int pid = 0;
  int tid = 0;
  int attempt = 1;
  JobState state = JobState::succeeded;
  Clock::time_point start{}, end{};
  std::string id, job, item, message;
  std::uint64_t instances = 1;  // a run of successes of a chunk: more than one
  std::uint64_t first = 0;      // then the index of its first instance
};

// A JSON string: plain text as it is, anything else (quotes, controls, bytes that are not UTF-8,
// which become U+FFFD) as nlohmann::json writes it.
void append_json_string(std::string& out, std::string_view text) {
  const bool plain = std::ranges::all_of(text, [](unsigned char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += text;
    out += '"';
    return;
  }
  out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Integers as they are; a double as the shortest text that reads back the same.
template <class Number>
void append_number(std::string& out, Number value) {
  char digits[32];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// An item this long or shorter is also shown in the slice's name, where the timeline shows it.
constexpr std::size_t kItemInNameMax = 40;

struct StageSpan {
  std::string stage;
  std::string label;  // "stage", or "stage@2" in a stage that repeats, as in instance ids
  int iteration = 1;
  Clock::time_point start{}, end{};
  StageStatus status = StageStatus::succeeded;
};

}  // namespace

struct ChromeTrace::Impl {
  explicit Impl(ChromeTraceOptions o) : options(o) {}

  const ChromeTraceOptions options;
  mutable std::mutex mutex;  // guards everything below
  Clock::time_point start = Clock::now();
  std::string pipeline_name;
  std::vector<Process> bulkheads;  // pid = index + 2
  std::unordered_map<const JobSpec*, int> pid_of_job;
  std::vector<Slice> slices;
  std::vector<StageSpan> stages;
  std::map<std::pair<const StageSpec*, int>, Clock::time_point> stage_starts;  // stage, iteration
  std::atomic<std::uint64_t> dropped{0};
  // Attempts that did not succeed, by job, iteration and index: the attempt number of a success
  // that follows them (a retry), which arrives as a range.
  std::map<std::tuple<const JobSpec*, int, std::uint64_t>, int> failed_attempts;

  int pid_of_bulkhead(const std::string& name) {
    for (std::size_t i = 0; i < bulkheads.size(); ++i) {
      if (bulkheads[i].name == name) return static_cast<int>(i) + 2;
    }
    bulkheads.push_back({name, 0});  // not declared by the pipeline: its workers as seen
    return static_cast<int>(bulkheads.size()) + 1;
  }

  int pid_of(const JobSpec& job) {
    if (auto found = pid_of_job.find(&job); found != pid_of_job.end()) return found->second;
    return pid_of_job[&job] = pid_of_bulkhead(job.bulkhead);
  }

  // Microseconds from the run's start, the nanoseconds as decimals (made from whole nanoseconds,
  // so 1.5 reads 1.5, not 1.4999999999).
  double micros(Clock::time_point at) const { return micros(at - start); }
  static double micros(Clock::duration duration) {
    return static_cast<double>(std::chrono::nanoseconds(duration).count()) / 1000.0;
  }
};

ChromeTrace::ChromeTrace(ChromeTraceOptions options) : impl_(std::make_unique<Impl>(options)) {}

ChromeTrace::~ChromeTrace() = default;

void ChromeTrace::run_started(const Pipeline& pipeline) {
  auto& self = *impl_;
  std::lock_guard lock(self.mutex);
  self.start = Clock::now();
  self.pipeline_name = pipeline.name;
  self.bulkheads.clear();  // a trace shows one run: the last
  self.pid_of_job.clear();
  self.slices.clear();
  self.stages.clear();
  self.stage_starts.clear();
  self.dropped.store(0, std::memory_order_relaxed);
  for (const auto& bulkhead : pipeline.bulkheads) {
    self.bulkheads.push_back({bulkhead.name, bulkhead.workers});
  }
  for (const auto& stage : pipeline.stages) {
    for (const auto& job : stage.jobs) self.pid_of(job);
  }
}

void ChromeTrace::stage_started(const StageSpec& stage, int iteration) {
  auto& self = *impl_;
  const auto now = Clock::now();
  std::lock_guard lock(self.mutex);
  self.stage_starts[{&stage, iteration}] = now;
}

void ChromeTrace::attempt_ended(const AttemptEvent& attempt) {
  auto& self = *impl_;
  auto item = attempt.item != nullptr ? item_text(*attempt.item) : std::string();  // unlocked
  std::lock_guard lock(self.mutex);
  if (attempt.state != JobState::succeeded) {
    ++self.failed_attempts[{attempt.job, attempt.iteration, attempt.index}];
  }
  if (self.slices.size() >= self.options.max_attempts) {
    self.dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  self.slices.push_back({attempt.job ? self.pid_of(*attempt.job) : self.pid_of_bulkhead("?"),
                         attempt.slot, attempt.attempt, attempt.state, attempt.start, attempt.end,
                         attempt.id, attempt.job ? attempt.job->id : std::string(), std::move(item),
                         attempt.message});
}

void ChromeTrace::instances_succeeded(const SucceededRange& range) {
  auto& self = *impl_;
  // Reused instances did not run: nothing to show on a worker's track.
  if (range.reused || range.stage == nullptr || range.job == nullptr || range.to <= range.from)
    return;
  InstanceId first{.stage = range.stage->name,
                   .iteration = range.stage->repeat ? range.iteration : 0,
                   .job = range.job->id};
  const bool fans_out = range.job->foreach.kind != FanOut::Kind::none;
  if (fans_out) first.index = range.from;
  auto id = to_string(first);
  const auto count = range.to - range.from;
  if (count > 1) id += " .. [" + std::to_string(range.to - 1) + "]";  // as a rebuilt trace names it
  auto item = range.item != nullptr ? item_text(*range.item) : std::string();  // unlocked
  std::lock_guard lock(self.mutex);
  int attempt = 1;
  if (count == 1 && !self.failed_attempts.empty()) {
    if (auto found = self.failed_attempts.find({range.job, range.iteration, range.from});
        found != self.failed_attempts.end()) {
      attempt += found->second;
      self.failed_attempts.erase(found);
    }
  }
  if (self.slices.size() >= self.options.max_attempts) {
    self.dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  self.slices.push_back({self.pid_of(*range.job), range.slot, attempt, JobState::succeeded,
                         range.start, range.end, std::move(id), range.job->id, std::move(item),
                         std::string(), count, range.from});
}

void ChromeTrace::stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) {
  auto& self = *impl_;
  const auto end = Clock::now();
  std::lock_guard lock(self.mutex);
  auto label = stage_label(stage.name, stage.repeat ? iteration : 0);
  const auto started = self.stage_starts.extract({&stage, iteration});
  self.stages.push_back({stage.name, std::move(label), iteration,
                         started.empty() ? end : started.mapped(), end, so_far.status});
}

std::uint64_t ChromeTrace::dropped() const {
  return impl_->dropped.load(std::memory_order_relaxed);
}

void ChromeTrace::write(std::ostream& out) const {
  const auto& self = *impl_;
  std::lock_guard lock(self.mutex);
  // One event a line, dumped as it goes: a trace of a million attempts is never one JSON tree.
  bool first = true;
  auto emit = [&](const json& event) {
    // Invalid UTF-8 (a command's message, say) is replaced rather than thrown about.
    out << (first ? "\n" : ",\n")
        << mask_secrets(event.dump(-1, ' ', false, json::error_handler_t::replace));
    first = false;
  };
  auto name_process = [&](int pid, const std::string& name, int sort_index) {
    emit({{"name", "process_name"}, {"ph", "M"}, {"pid", pid}, {"args", {{"name", name}}}});
    emit({{"name", "process_sort_index"},
          {"ph", "M"},
          {"pid", pid},
          {"args", {{"sort_index", sort_index}}}});
  };
  auto name_thread = [&](int pid, int tid, const std::string& name) {
    emit({{"name", "thread_name"},
          {"ph", "M"},
          {"pid", pid},
          {"tid", tid},
          {"args", {{"name", name}}}});
    emit({{"name", "thread_sort_index"},
          {"ph", "M"},
          {"pid", pid},
          {"tid", tid},
          {"args", {{"sort_index", tid}}}});
  };

  // Stages side by side (needs) each get a track of their own: slices on one track must nest.
  std::vector<int> lane_of(self.stages.size(), 0);
  std::vector<Clock::time_point> lane_ends;
  {
    std::vector<std::size_t> by_start(self.stages.size());
    for (std::size_t i = 0; i < by_start.size(); ++i) by_start[i] = i;
    std::ranges::stable_sort(by_start, {}, [&](std::size_t i) { return self.stages[i].start; });
    for (const auto i : by_start) {
      const auto& span = self.stages[i];
      auto lane = std::ranges::find_if(lane_ends, [&](auto end) { return end <= span.start; });
      if (lane == lane_ends.end()) lane = lane_ends.insert(lane_ends.end(), span.end);
      *lane = span.end;
      lane_of[i] = static_cast<int>(lane - lane_ends.begin());
    }
  }
  out << "{\"traceEvents\": [";
  name_process(kStagesPid, "stages", 0);
  name_thread(kStagesPid, 0, "stages");
  for (std::size_t lane = 1; lane < lane_ends.size(); ++lane) {
    name_thread(kStagesPid, static_cast<int>(lane), "stages " + std::to_string(lane + 1));
  }
  std::vector<int> tracks(self.bulkheads.size());  // tracks to name per bulkhead
  for (std::size_t i = 0; i < self.bulkheads.size(); ++i) tracks[i] = self.bulkheads[i].workers;
  for (const auto& slice : self.slices) {
    auto& count = tracks[static_cast<std::size_t>(slice.pid - 2)];
    count = std::max(count, slice.tid + 1);
  }
  for (std::size_t i = 0; i < self.bulkheads.size(); ++i) {
    const int pid = static_cast<int>(i) + 2;
    name_process(pid, self.bulkheads[i].name, pid);
    for (int tid = 0; tid < tracks[i]; ++tid)
      name_thread(pid, tid, "worker " + std::to_string(tid));
  }

  for (std::size_t i = 0; i < self.stages.size(); ++i) {
    const auto& stage = self.stages[i];
    const auto& name = stage.label;
    const json args = {{"stage", stage.stage},
                       {"iteration", stage.iteration},
                       {"status", std::string(to_string(stage.status))}};
    emit({{"name", name},
          {"cat", "stage"},
          {"ph", "X"},
          {"pid", kStagesPid},
          {"tid", lane_of[i]},
          {"ts", self.micros(stage.start)},
          {"dur", Impl::micros(stage.end - stage.start)},
          {"args", args}});
    emit({{"name", "barrier: " + name},
          {"cat", "barrier"},
          {"ph", "i"},
          {"s", "g"},
          {"pid", kStagesPid},
          {"tid", lane_of[i]},
          {"ts", self.micros(stage.end)},
          {"args", args}});
  }

  // The slices by hand, not as JSON trees: a million of them took 30 s that way.
  std::string text;
  for (const auto& slice : self.slices) {
    text.clear();
    const bool item_in_name = !slice.item.empty() && slice.item.size() <= kItemInNameMax;
    text += R"({"name":)";
    append_json_string(text, item_in_name ? slice.id + " " + slice.item : slice.id);
    text += R"(,"cat":"attempt","ph":"X","pid":)";
    append_number(text, slice.pid);
    text += R"(,"tid":)";
    append_number(text, slice.tid);
    text += R"(,"ts":)";
    append_number(text, self.micros(slice.start));
    text += R"(,"dur":)";
    append_number(text, Impl::micros(std::max(Clock::duration{}, slice.end - slice.start)));
    text += R"(,"args":{"job":)";
    append_json_string(text, slice.job);
    text += R"(,"attempt":)";
    append_number(text, slice.attempt);
    text += R"(,"state":")";
    text += to_string(slice.state);
    text += '"';
    if (!slice.item.empty()) {
      text += R"(,"item":)";
      append_json_string(text, slice.item);
    }
    if (!slice.message.empty()) {
      text += R"(,"message":)";
      append_json_string(text, slice.message);
    }
    if (slice.instances > 1) {
      text += R"(,"instances":)";
      append_number(text, slice.instances);
      text += R"(,"first":)";
      append_number(text, slice.first);
      text += R"(,"last":)";
      append_number(text, slice.first + slice.instances - 1);
    }
    text += "}}";
    out << (first ? "\n" : ",\n") << mask_secrets(text);
    first = false;
  }

  const json other = {{"pipeline", self.pipeline_name},
                      {"attempts", self.slices.size()},
                      {"dropped_attempts", self.dropped.load(std::memory_order_relaxed)}};
  out << "\n],\n\"displayTimeUnit\": \"ms\",\n\"otherData\": "
      << mask_secrets(other.dump(-1, ' ', false, json::error_handler_t::replace)) << "}\n";
}

}  // namespace lockstep
