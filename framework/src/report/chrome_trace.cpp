// ChromeTrace: attempts and stage iterations recorded as they end, written out as trace events
// once the run is over.
//
// Why runs of successes go to a buffer per thread: they arrive once per chunk (about every 5 us
// for jobs that take nanoseconds), from every worker at once; one shared lock made the workers
// sleep on each other, measured as a quarter of a run of ten million core.noop instances. And
// why back-to-back chunks merge into one slice: each slice costs its recording and its writing,
// and 15,000 slices of 700 instances each show nothing that 5,000 do not.
#include "lockstep/pipeline/trace.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
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
// Under a cluster, rank R's bulkhead of process P (R > 0) is process R x kRankPids + P: a
// process per rank and bulkhead, sorted by rank.
constexpr int kRankPids = 100000;

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

// A run of successes merges into the slice before it on its worker's track (same job, stage
// iteration and worker place, no failed attempt in between) when both took less than this per
// instance and the worker went from one to the other in at most kMergeGap. Instances of about
// 50 us or more run alone in their chunk: each stays a slice of its own, named by its item.
// The runs need not be back to back in index: two workers mostly take turns at a job's chunks,
// and a slice then lists its runs (at most kMaxRuns, then a new slice begins).
constexpr std::chrono::microseconds kMergeBelowPerInstance{10};
constexpr std::chrono::microseconds kMergeGap{10};
constexpr std::size_t kMaxRuns = 1024;

// Microseconds with the nanoseconds as decimals ("12.5", "3", "0.001"), the way to_chars writes
// a double made from whole nanoseconds / 1000, but with integer arithmetic: a double's shortest
// form cost more than the rest of a slice.
void append_micros(std::string& out, std::int64_t nanoseconds) {
  if (nanoseconds < 0) {
    out += '-';
    nanoseconds = -nanoseconds;
  }
  append_number(out, nanoseconds / 1000);
  auto fraction = static_cast<int>(nanoseconds % 1000);
  if (fraction == 0) return;
  char digits[4] = {'.', static_cast<char>('0' + fraction / 100),
                    static_cast<char>('0' + fraction / 10 % 10),
                    static_cast<char>('0' + fraction % 10)};
  std::size_t length = 4;
  while (digits[length - 1] == '0') --length;
  out.append(digits, length);
}

// A run of successes of one job on one worker place, or several one after another, merged.
struct RunSlice {
  const JobSpec* job = nullptr;
  int pid = 0;  // its bulkhead's process, of its rank
  int iteration = 1;
  int tid = 0;
  int attempt = 1;                 // > 1: a retried instance's success, alone
  std::uint64_t from = 0, to = 0;  // the first run's first index, the last run's end
  std::uint64_t instances = 0;
  Clock::time_point start{}, end{};
  std::string item;  // of a run of one instance; cleared when another merges into it
  // [from, to) of each run, once one did not begin where the one before ended; else empty.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;

  bool short_instances() const {
    return end - start < kMergeBelowPerInstance * static_cast<std::int64_t>(instances);
  }

  void merge(const RunSlice& next) {
    if (runs.empty() && next.from != to) runs.emplace_back(from, to);
    if (!runs.empty()) {
      if (runs.back().second == next.from) {
        runs.back().second = next.to;
      } else {
        runs.emplace_back(next.from, next.to);
      }
    }
    to = next.to;
    instances += next.instances;
    end = next.end;
    item.clear();
  }
};

// What a slice's name and process need of its job, taken from the pipeline at run_started: the
// trace does not read the pipeline again when it writes.
struct JobInfo {
  std::string stage, job;
  bool repeats = false, fans_out = false;
  int pid = 0;
};

// The runs of successes recorded by one thread. Its lock is taken by that thread only, but for
// run_started() and write(): never waited for during a run.
struct Lane {
  std::mutex mutex;
  std::vector<RunSlice> runs;
  // An attempt that did not succeed ended on this thread since the last run: the next run is a
  // slice of its own, since the attempt's slice lies between the two on the worker's track.
  bool cut = false;
};

// Which lane recorded the last run of successes on one worker place: a thread merges a run into
// its last slice only when no other thread's slice (another place, or a failed attempt) came
// between them on that track. On a cache line of its own: each worker writes its own.
struct alignas(64) TrackOwner {
  std::atomic<const Lane*> lane{nullptr};
};

// Each thread's lane of each trace (a few traces at once), found without a lock. Owners are
// numbers, never reused, so that a lane of a destroyed trace is never taken for a new one's.
struct LaneOf {
  std::uint64_t owner = 0;
  Lane* lane = nullptr;
};
thread_local std::array<LaneOf, 4> lanes_of_thread{};
thread_local std::size_t next_lane_of_thread = 0;
std::atomic<std::uint64_t> next_trace_owner{1};

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
  const std::uint64_t owner = next_trace_owner.fetch_add(1, std::memory_order_relaxed);
  // Made by run_started, before any instance runs; read without a lock during the run.
  std::unordered_map<const JobSpec*, JobInfo> jobs;
  std::atomic<std::uint64_t> kept{0};   // slices kept, of every kind
  std::atomic<bool> any_failed{false};  // a hint: failed_attempts is worth a look
  mutable std::mutex lanes_mutex;       // guards the list of lanes, not what is in them
  // By bulkhead (pid - 2) and worker place: made by run_started, for the declared workers.
  std::vector<std::unique_ptr<TrackOwner[]>> track_owners;
  std::vector<int> tracks_owned;

  // Whether this lane's run on worker place `tid` of process `pid` follows its own last one on
  // that track; it now owns the track. False for a place not declared.
  bool owns_track(int pid, int tid, const Lane* lane) {
    const auto bulkhead = static_cast<std::size_t>(pid - 2);
    if (bulkhead >= track_owners.size() || tid < 0 || tid >= tracks_owned[bulkhead]) return false;
    auto& owner = track_owners[bulkhead][static_cast<std::size_t>(tid)].lane;
    if (owner.load(std::memory_order_relaxed) == lane) return true;
    owner.store(lane, std::memory_order_relaxed);
    return false;
  }
  // A slice of another kind (a failed attempt) lies on that track now.
  void disown_track(int pid, int tid) {
    const auto bulkhead = static_cast<std::size_t>(pid - 2);
    if (bulkhead >= track_owners.size() || tid < 0 || tid >= tracks_owned[bulkhead]) return;
    track_owners[bulkhead][static_cast<std::size_t>(tid)].lane.store(nullptr,
                                                                     std::memory_order_relaxed);
  }
  std::vector<std::unique_ptr<Lane>> lanes;

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

  // This thread's lane, made on its first run of successes.
  Lane& lane() {
    for (const auto& of : lanes_of_thread) {
      if (of.owner == owner) return *of.lane;
    }
    Lane* made = nullptr;
    {
      std::lock_guard lock(lanes_mutex);
      made = lanes.emplace_back(std::make_unique<Lane>()).get();
    }
    // Beyond four traces on one thread, one is forgotten here: it makes a second lane then.
    lanes_of_thread[next_lane_of_thread++ % lanes_of_thread.size()] = {owner, made};
    return *made;
  }

  // A slice more, unless max_attempts are kept already (then it is counted as dropped).
  bool keep_one() {
    if (kept.fetch_add(1, std::memory_order_relaxed) < options.max_attempts) return true;
    kept.fetch_sub(1, std::memory_order_relaxed);
    dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

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

  // The process of bulkhead process `pid` of `rank` (under the lock): `pid` itself for rank 0.
  std::set<int> other_ranks;  // ranks > 0 seen
  int pid_of_rank(int rank, int pid) {
    if (rank <= 0) return pid;
    other_ranks.insert(rank);
    return rank * kRankPids + pid;
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
  self.jobs.clear();
  self.slices.clear();
  self.stages.clear();
  self.stage_starts.clear();
  self.failed_attempts.clear();
  self.other_ranks.clear();
  self.any_failed.store(false, std::memory_order_relaxed);
  self.kept.store(0, std::memory_order_relaxed);
  self.dropped.store(0, std::memory_order_relaxed);
  {
    std::lock_guard lanes_lock(self.lanes_mutex);
    for (const auto& lane : self.lanes) {
      std::lock_guard lane_lock(lane->mutex);
      lane->runs.clear();
    }
  }
  self.track_owners.clear();
  self.tracks_owned.clear();
  for (const auto& bulkhead : pipeline.bulkheads) {
    self.bulkheads.push_back({bulkhead.name, bulkhead.workers});
    const auto workers = std::max(0, bulkhead.workers);
    self.track_owners.push_back(std::make_unique<TrackOwner[]>(static_cast<std::size_t>(workers)));
    self.tracks_owned.push_back(workers);
  }
  for (const auto& stage : pipeline.stages) {
    for (const auto& job : stage.jobs) {
      self.jobs[&job] = {stage.name, job.id, stage.repeat.has_value(),
                         job.foreach.kind != FanOut::Kind::none, self.pid_of(job)};
    }
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
  // Successes come as ranges (instances_succeeded), also when another observer asks to see every
  // attempt: a slice for both would show each success twice.
  if (attempt.state == JobState::succeeded) return;
  auto item = attempt.item != nullptr ? item_text(*attempt.item) : std::string();  // unlocked
  {
    auto& lane = self.lane();
    std::lock_guard lane_lock(lane.mutex);
    lane.cut = true;
  }
  if (attempt.job != nullptr && attempt.rank <= 0) {  // another rank's places are not tracks here
    if (const auto job = self.jobs.find(attempt.job); job != self.jobs.end()) {
      self.disown_track(job->second.pid, attempt.slot);
    }
  }
  std::lock_guard lock(self.mutex);
  ++self.failed_attempts[{attempt.job, attempt.iteration, attempt.index}];
  self.any_failed.store(true, std::memory_order_release);
  if (!self.keep_one()) return;
  self.slices.push_back({self.pid_of_rank(attempt.rank, attempt.job ? self.pid_of(*attempt.job)
                                                                    : self.pid_of_bulkhead("?")),
                         attempt.slot, attempt.attempt, attempt.state, attempt.start, attempt.end,
                         attempt.id, attempt.job ? attempt.job->id : std::string(), std::move(item),
                         attempt.message});
}

void ChromeTrace::instances_succeeded(const SucceededRange& range) {
  auto& self = *impl_;
  // Reused instances did not run: nothing to show on a worker's track.
  if (range.reused || range.stage == nullptr || range.job == nullptr || range.to <= range.from)
    return;
  const auto count = range.to - range.from;
  int attempt = 1;
  if (count == 1 && self.any_failed.load(std::memory_order_acquire)) {
    std::lock_guard lock(self.mutex);
    if (auto found = self.failed_attempts.find({range.job, range.iteration, range.from});
        found != self.failed_attempts.end()) {
      attempt += found->second;
      self.failed_attempts.erase(found);
    }
  }
  const auto known = self.jobs.find(range.job);
  if (known == self.jobs.end()) {
    // Not a job of the pipeline run_started() saw: a slice that names itself, under the lock.
    InstanceId first{.stage = range.stage->name,
                     .iteration = range.stage->repeat ? range.iteration : 0,
                     .job = range.job->id};
    if (range.job->foreach.kind != FanOut::Kind::none) first.index = range.from;
    auto id = to_string(first);
    if (count > 1) id += " .. [" + std::to_string(range.to - 1) + "]";
    auto item = range.item != nullptr ? item_text(*range.item) : std::string();
    std::lock_guard lock(self.mutex);
    if (!self.keep_one()) return;
    self.slices.push_back({self.pid_of_rank(range.rank, self.pid_of(*range.job)), range.slot,
                           attempt, JobState::succeeded, range.start, range.end, std::move(id),
                           range.job->id, std::move(item), std::string(), count, range.from});
    return;
  }
  int pid = known->second.pid;
  if (range.rank > 0) {  // another rank's, from rank 0's receiving thread
    std::lock_guard lock(self.mutex);
    pid = self.pid_of_rank(range.rank, pid);
  }
  RunSlice run{.job = range.job,
               .pid = pid,
               .iteration = range.iteration,
               .tid = range.slot,
               .attempt = attempt,
               .from = range.from,
               .to = range.to,
               .instances = count,
               .start = range.start,
               .end = range.end,
               .item = {},
               .runs = {}};
  auto& lane = self.lane();
  // Another rank's worker places are not this process's tracks: its runs never merge.
  const bool owned = range.rank <= 0 && self.owns_track(pid, range.slot, &lane);
  std::lock_guard lock(lane.mutex);  // this thread's: taken by another only to clear or write
  if (!std::exchange(lane.cut, false) && owned && !lane.runs.empty()) {
    auto& last = lane.runs.back();
    if (last.job == run.job && last.pid == run.pid && last.iteration == run.iteration &&
        last.tid == run.tid && last.attempt == 1 && run.attempt == 1 && run.start >= last.end &&
        run.start - last.end <= kMergeGap && last.short_instances() && run.short_instances() &&
        last.runs.size() < kMaxRuns) {
      last.merge(run);
      return;
    }
  }
  if (!self.keep_one()) return;
  if (count == 1 && range.item != nullptr) run.item = item_text(*range.item);
  lane.runs.push_back(std::move(run));
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
  // Tracks to name per process: a bulkhead's declared workers, of every rank seen, and any
  // place a slice used beyond them.
  std::map<int, int> tracks;
  const bool ranks = !self.other_ranks.empty();
  for (std::size_t i = 0; i < self.bulkheads.size(); ++i) {
    const int pid = static_cast<int>(i) + 2;
    tracks[pid] = self.bulkheads[i].workers;
    for (const int rank : self.other_ranks)
      tracks[rank * kRankPids + pid] = self.bulkheads[i].workers;
  }
  for (const auto& slice : self.slices) {
    auto& count = tracks[slice.pid];
    count = std::max(count, slice.tid + 1);
  }
  {
    std::lock_guard lanes_lock(self.lanes_mutex);
    for (const auto& lane : self.lanes) {
      std::lock_guard lane_lock(lane->mutex);
      for (const auto& run : lane->runs) {
        auto& count = tracks[run.pid];
        count = std::max(count, run.tid + 1);
      }
    }
  }
  for (const auto& [pid, count] : tracks) {
    const auto bulkhead = static_cast<std::size_t>(pid % kRankPids - 2);
    if (bulkhead >= self.bulkheads.size()) continue;
    const auto& name = self.bulkheads[bulkhead].name;
    // Under a cluster, "rank 1 · pool": each rank's workers are its own.
    name_process(pid, ranks ? "rank " + std::to_string(pid / kRankPids) + " \u00b7 " + name : name,
                 pid);
    for (int tid = 0; tid < count; ++tid) name_thread(pid, tid, "worker " + std::to_string(tid));
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

  // The slices by hand, not as JSON trees (a million of them took 30 s that way), into one
  // buffer masked and written at once.
  std::vector<RunSlice> runs;
  {
    std::lock_guard lanes_lock(self.lanes_mutex);
    for (const auto& lane : self.lanes) {
      std::lock_guard lane_lock(lane->mutex);
      runs.insert(runs.end(), lane->runs.begin(), lane->runs.end());
    }
  }
  // In the order they started, whichever thread recorded them.
  std::ranges::stable_sort(runs, {}, &RunSlice::start);
  std::string text;
  text.reserve((self.slices.size() + runs.size()) * 200);
  const auto since_start = [&](Clock::time_point at) {
    return std::chrono::nanoseconds(at - self.start).count();
  };
  const auto begin_slice = [&](std::string_view name, std::string_view item, int pid, int tid,
                               Clock::time_point start, Clock::time_point end) {
    text += first ? "\n" : ",\n";
    first = false;
    text += R"({"name":)";
    if (!item.empty() && item.size() <= kItemInNameMax) {
      std::string named(name);
      named += ' ';
      named += item;
      append_json_string(text, named);
    } else {
      append_json_string(text, name);
    }
    text += R"(,"cat":"attempt","ph":"X","pid":)";
    append_number(text, pid);
    text += R"(,"tid":)";
    append_number(text, tid);
    text += R"(,"ts":)";
    append_micros(text, since_start(start));
    text += R"(,"dur":)";
    append_micros(text, std::chrono::nanoseconds(std::max(Clock::duration{}, end - start)).count());
  };
  const auto end_slice = [&](std::string_view job, int attempt, JobState state,
                             std::string_view item, std::string_view message,
                             std::uint64_t instances, std::uint64_t first_index,
                             std::uint64_t last_index) {
    text += R"(,"args":{"job":)";
    append_json_string(text, job);
    text += R"(,"attempt":)";
    append_number(text, attempt);
    text += R"(,"state":")";
    text += to_string(state);
    text += '"';
    if (!item.empty()) {
      text += R"(,"item":)";
      append_json_string(text, item);
    }
    if (!message.empty()) {
      text += R"(,"message":)";
      append_json_string(text, message);
    }
    if (instances > 1) {
      text += R"(,"instances":)";
      append_number(text, instances);
      text += R"(,"first":)";
      append_number(text, first_index);
      text += R"(,"last":)";
      append_number(text, last_index);
    }
    text += "}}";
  };
  // Failed attempts and successes, merged by start: each list is in that order already.
  std::vector<const Slice*> attempts;
  attempts.reserve(self.slices.size());
  for (const auto& slice : self.slices) attempts.push_back(&slice);
  std::ranges::stable_sort(attempts, {}, &Slice::start);
  std::string name;
  auto next_attempt = attempts.begin();
  auto next_run = runs.begin();
  while (next_attempt != attempts.end() || next_run != runs.end()) {
    if (next_run == runs.end() ||
        (next_attempt != attempts.end() && (*next_attempt)->start <= next_run->start)) {
      const auto& slice = **next_attempt++;
      begin_slice(slice.id, slice.item, slice.pid, slice.tid, slice.start, slice.end);
      end_slice(slice.job, slice.attempt, slice.state, slice.item, slice.message, slice.instances,
                slice.first, slice.first + slice.instances - 1);
      continue;
    }
    const auto& run = *next_run++;
    const auto& job = self.jobs.at(run.job);
    auto first_index = run.from, last_index = run.to - 1;
    for (const auto& [from, to] : run.runs) {
      first_index = std::min(first_index, from);
      last_index = std::max(last_index, to - 1);
    }
    name.clear();
    append_instance_id(name, {.stage = job.stage,
                              .iteration = job.repeats ? run.iteration : 0,
                              .job = job.job,
                              .index = job.fans_out ? std::optional(first_index) : std::nullopt});
    if (run.instances > 1) {  // as a trace rebuilt from the journal names it
      name += " .. [";
      append_number(name, last_index);
      name += ']';
    }
    if (!run.runs.empty()) {  // not every instance between the first and the last
      name += ", ";
      append_number(name, run.instances);
      name += " in ";
      append_number(name, run.runs.size());
      name += " runs";
    }
    begin_slice(name, run.item, run.pid, run.tid, run.start, run.end);
    end_slice(job.job, run.attempt, JobState::succeeded, run.item, {}, run.instances, first_index,
              last_index);
    if (!run.runs.empty()) {
      text.pop_back();  // the args' closing brace, and the event's below
      text.pop_back();
      text += R"(,"runs":[)";
      for (std::size_t i = 0; i < run.runs.size(); ++i) {
        text += i == 0 ? "[" : ",[";
        append_number(text, run.runs[i].first);
        text += ',';
        append_number(text, run.runs[i].second - 1);
        text += ']';
      }
      text += "]}}";
    }
  }
  out << mask_secrets(text);

  const json other = {{"pipeline", self.pipeline_name},
                      {"attempts", self.slices.size() + runs.size()},
                      {"dropped_attempts", self.dropped.load(std::memory_order_relaxed)}};
  out << "\n],\n\"displayTimeUnit\": \"ms\",\n\"otherData\": "
      << mask_secrets(other.dump(-1, ' ', false, json::error_handler_t::replace)) << "}\n";
}

}  // namespace lockstep
