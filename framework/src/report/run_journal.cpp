// RunJournal: records appended to a buffer under a lock (a few per chunk of instances), written
// and fsync'd by a thread of its own at most every 100 ms (group commit), and at the end of the
// run. A stage's start and end are written at once (kill -9 loses none of them) and synced with
// the next group commit: a stage repeated ten thousand times must not pay a sync per iteration.
// A power cut loses at most what came in the last 100 ms; a record cut by it is detected by
// read_journal() (length and CRC-32) and ignored.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "lockstep/pipeline/journal.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "report/record_checksum.hpp"
#include "report/resume_keys.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

using Json = nlohmann::json;
constexpr auto kCommitEvery = std::chrono::milliseconds(100);
constexpr int kVersion = 2;  // 2: times and worker places in `ok` and `end` records

std::string errno_text(int error) { return std::generic_category().message(error); }

template <class Number>
void append_number(std::string& out, Number value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Appends "CRC LENGTH TEXT\n": how every record's text is written, so that a cut one is found.
void append_framed(std::string& out, std::string_view text) {
  char head[8 + 1 + 20 + 1];
  constexpr std::string_view kHex = "0123456789abcdef";
  for (std::uint32_t value = report::record_checksum(text), i = 8; i-- > 0; value >>= 4) {
    head[i] = kHex[value & 0xfu];
  }
  head[8] = ' ';
  auto* end = std::to_chars(head + 9, head + sizeof head - 1, text.size()).ptr;
  *end++ = ' ';
  out.append(head, end);
  out.append(text);
  out += '\n';
}

std::string framed(std::string_view text) {
  std::string out;
  append_framed(out, text);
  return out;
}

// A record's text made by hand, in a buffer each thread keeps (no allocation per record).
std::string& scratch_text() {
  thread_local std::string text;
  text.clear();
  return text;
}

// The one place where a record's text is made from JSON: every such record goes through here,
// so that no secret value reaches the file (mask_secrets finds them also JSON-escaped). The
// records made by hand hold only names, numbers and states, which hold no secret.
std::string frame(const Json& record) { return framed(mask_secrets(dump(record))); }

Json counts_json(const StateCounts& counts) {
  Json out = Json::object();
  for (const auto state : kAllJobStates) out[std::string(to_string(state))] = counts[state];
  return out;
}

}  // namespace

struct RunJournal::Impl {
  std::filesystem::path file;
  const Outputs* outputs = nullptr;
  int fd = -1;
  // Records' times are microseconds from here: the run record's `started`.
  std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();

  std::mutex mutex;  // buffer, pending, attempts, stop, error
  std::condition_variable wake;
  std::string buffer;
  // An attempt that did not succeed, until its instance's record is written.
  struct AttemptTime {
    int attempt;
    std::int64_t start_us, duration_us;
    int slot;
    JobState state;
    std::string message;
  };
  // By job, iteration and index: instances with a failed attempt whose end is not written yet.
  std::map<std::tuple<const JobSpec*, int, std::uint64_t>, std::vector<AttemptTime>> attempts;
  // The last run of successes of each job not yet in `buffer`: the next one that starts where
  // it ends on the same worker place extends it, so chunks that end in order make one record
  // between two commits.
  struct Successes {
    const StageSpec* stage;
    int iteration;
    std::uint64_t from, to;
    int slot;
    std::int64_t start_us, end_us;
    Json retried;  // earlier attempts of its instances that did not succeed; null when none
    Json outputs;  // [[index, key, value], ...] these instances published; null when none
  };
  std::unordered_map<const JobSpec*, Successes> pending;
  // Runs of successes that ended, formatted by the committer rather than on the workers (a run
  // of ten million short jobs ends about ten thousand of them).
  std::vector<std::pair<const JobSpec*, Successes>> finished;
  // Under MPI: successes of other ranks, whose outputs reach this rank at their stage's end.
  std::vector<SucceededRange> other_ranks;
  bool stop = false;
  std::atomic<bool> unsynced{false};  // written, not yet synced: the next group commit syncs it
  std::string first_error;
  // By stage: the iteration whose `stage` record listed its jobs, when they cannot change from
  // one iteration to the next (no from_outputs or files fan-out): later ones refer to it. Under
  // `mutex` (stages side by side start at once).
  std::unordered_map<const StageSpec*, int> jobs_listed_in;

  std::mutex io_mutex;  // one writer of the file at a time
  std::thread committer;

  void note_error(std::string why) {
    if (first_error.empty()) first_error = std::move(why);
  }

  std::int64_t micros(std::chrono::steady_clock::time_point at) const {
    return std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(at - origin).count());
  }

  void append(const Json& record) {
    auto framed = frame(record);
    std::lock_guard lock(mutex);
    buffer += framed;
  }

  // An `ok` record as frame() makes it, by hand: there are about ten thousand of them in a run
  // of ten million short jobs, and a JSON tree for each cost ~15 % of such a run. Stage names
  // and job ids are letters, digits, '_' and '-' (nothing to escape, no secret); a run with
  // retried attempts (messages) goes through frame().
  static void append_successes(std::string& out, const JobSpec& job, const Successes& run) {
    if (!run.retried.is_null() || !run.outputs.is_null()) {
      out += frame(successes_record(job, run));
      return;
    }
    auto& text = scratch_text();
    text += R"({"end":)";
    append_number(text, run.end_us);
    text += R"(,"from":)";
    append_number(text, run.from);
    text += R"(,"iteration":)";
    append_number(text, run.iteration);
    text += R"(,"job":")";
    text += job.id;
    text += R"(","slot":)";
    append_number(text, run.slot);
    text += R"(,"stage":")";
    text += run.stage->name;
    text += R"(","start":)";
    append_number(text, run.start_us);
    text += R"(,"t":"ok","to":)";
    append_number(text, run.to);
    text += '}';
    append_framed(out, text);
  }

  // A `stage_end` record as frame() makes it, by hand: one per iteration of a stage that may
  // repeat ten thousand times.
  static void append_stage_end(std::string& out, const StageSpec& stage, int iteration,
                               const StageSummary& so_far) {
    // As JSON objects are written: keys in order.
    static const auto kStatesByName = [] {
      auto states = kAllJobStates;
      std::ranges::sort(states, {}, [](JobState state) { return to_string(state); });
      return states;
    }();
    auto& text = scratch_text();
    text += R"({"counts":{)";
    for (const auto state : kStatesByName) {
      if (text.back() != '{') text += ',';
      text += '"';
      text += to_string(state);
      text += R"(":)";
      append_number(text, so_far.counts[state]);
    }
    text += R"(},"iteration":)";
    append_number(text, iteration);
    text += R"(,"reused":)";
    append_number(text, so_far.reused);
    text += R"(,"stage":")";
    text += stage.name;
    text += R"(","status":")";
    text += to_string(so_far.status);
    text += R"(","t":"stage_end"})";
    append_framed(out, text);
  }

  static Json successes_record(const JobSpec& job, const Successes& run) {
    Json record = {{"t", "ok"},
                   {"stage", run.stage->name},
                   {"iteration", run.iteration},
                   {"job", job.id},
                   {"from", run.from},
                   {"to", run.to},
                   {"start", run.start_us},
                   {"end", run.end_us},
                   {"slot", run.slot}};
    if (!run.retried.is_null()) record["retried"] = run.retried;
    if (!run.outputs.is_null()) record["outputs"] = run.outputs;
    return record;
  }

  // What instances [from, to) of the job published, for --resume to restore: one lookup a call
  // (a call covers a chunk), nothing for a job that publishes nothing.
  Json published(const StageSpec& stage, const JobSpec& job, std::uint64_t from,
                 std::uint64_t to) const {
    if (outputs == nullptr) return nullptr;
    const auto prefix = stage.name + "." + job.id + ".";
    Json found;
    for (const auto& reference : outputs->references(prefix)) {
      const auto key = reference.substr(prefix.size());
      for (auto& [index, value] : outputs->published(reference, from, to)) {
        found.push_back({index, key, std::move(value)});
      }
    }
    return found;
  }

  // Under `mutex`: the failed attempts of instances [from, to) that then succeeded.
  Json take_retried(const JobSpec& job, int iteration, std::uint64_t from, std::uint64_t to) {
    Json retried;
    auto at = attempts.lower_bound({&job, iteration, from});
    while (at != attempts.end() && std::get<0>(at->first) == &job &&
           std::get<1>(at->first) == iteration && std::get<2>(at->first) < to) {
      for (const auto& attempt : at->second) {
        retried.push_back({{"index", std::get<2>(at->first)},
                           {"attempt", attempt.attempt},
                           {"start", attempt.start_us},
                           {"duration", attempt.duration_us},
                           {"slot", attempt.slot},
                           {"state", std::string(to_string(attempt.state))},
                           {"message", attempt.message}});
      }
      at = attempts.erase(at);
    }
    return retried;
  }

  void add_successes(const SucceededRange& range) {
    if (range.rank != 0 && outputs != nullptr) {
      std::lock_guard lock(mutex);
      other_ranks.push_back(range);
      return;
    }
    Successes added{range.stage,
                    range.iteration,
                    range.from,
                    range.to,
                    range.slot,
                    micros(range.start),
                    micros(range.end),
                    Json(),
                    published(*range.stage, *range.job, range.from, range.to)};
    {
      std::lock_guard lock(mutex);
      if (!attempts.empty())
        added.retried = take_retried(*range.job, range.iteration, range.from, range.to);
      auto [at, inserted] = pending.try_emplace(range.job, added);
      if (inserted) return;
      auto& run = at->second;
      if (run.stage == range.stage && run.iteration == range.iteration && run.to == range.from &&
          run.slot == range.slot) {
        run.to = range.to;
        run.end_us = std::max(run.end_us, added.end_us);
        if (!added.retried.is_null()) {
          if (run.retried.is_null()) run.retried = Json::array();
          for (auto& attempt : added.retried) run.retried.push_back(std::move(attempt));
        }
        if (!added.outputs.is_null()) {
          if (run.outputs.is_null()) run.outputs = Json::array();
          for (auto& output : added.outputs) run.outputs.push_back(std::move(output));
        }
        return;
      }
      finished.emplace_back(range.job, std::move(run));
      run = std::move(added);
    }
  }

  // Under `mutex`.
  void flush_pending() {
    for (const auto& [job, run] : finished) append_successes(buffer, *job, run);
    finished.clear();
    for (const auto& [job, run] : pending) append_successes(buffer, *job, run);
    pending.clear();
  }

  // Writes what is buffered and (with `sync`) syncs it.
  void commit(bool sync = true) {
    std::lock_guard io(io_mutex);
    std::string batch;
    std::vector<std::pair<const JobSpec*, Successes>> ended;
    {
      std::lock_guard lock(mutex);
      ended.swap(finished);
      for (auto& [job, run] : pending) ended.emplace_back(job, std::move(run));
      pending.clear();
      batch.swap(buffer);
    }
    // Formatted here, outside the lock the workers take. Their order among the other records
    // does not matter: stage_ended() writes its stage's before its stage_end record.
    for (const auto& [job, run] : ended) append_successes(batch, *job, run);
    if (fd < 0) return;
    if (batch.empty()) {
      if (sync && unsynced.exchange(false) && ::fdatasync(fd) != 0) {
        std::lock_guard lock(mutex);
        note_error("cannot sync " + file.string() + ": " + errno_text(errno));
      }
      return;
    }
    std::string_view rest(batch);
    while (!rest.empty()) {
      const auto written = ::write(fd, rest.data(), rest.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        std::lock_guard lock(mutex);
        note_error("cannot write " + file.string() + ": " + errno_text(errno));
        return;
      }
      rest.remove_prefix(static_cast<std::size_t>(written));
    }
    unsynced.store(!sync);
    if (sync && ::fdatasync(fd) != 0) {
      std::lock_guard lock(mutex);
      note_error("cannot sync " + file.string() + ": " + errno_text(errno));
    }
  }

  void commit_loop() {
    std::unique_lock lock(mutex);
    while (!stop) {
      wake.wait_for(lock, kCommitEvery, [this] { return stop; });
      if (stop) break;
      if (buffer.empty() && pending.empty() && finished.empty() && !unsynced.load()) continue;
      lock.unlock();
      commit();
      lock.lock();
    }
  }
};

RunJournal::RunJournal(std::filesystem::path file, JournalIdentity identity, const Outputs* outputs)
    : impl_(std::make_unique<Impl>()) {
  impl_->file = std::move(file);
  impl_->outputs = outputs;
  impl_->fd =
      ::open(impl_->file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (impl_->fd < 0) {
    impl_->note_error("cannot write " + impl_->file.string() + ": " + errno_text(errno));
    return;
  }
  Json run = {{"t", "run"}, {"version", kVersion}, {"run", identity.run_id}};
  if (const auto* pipeline = identity.pipeline) {
    std::error_code error;
    run["pipeline"] = std::filesystem::absolute(pipeline->file, error).string();
    run["name"] = pipeline->name;
    run["hash"] = file_hash(pipeline->file);
    Json vars = Json::object();
    for (const auto& [name, value] : pipeline->vars) vars[name] = value;
    run["vars"] = std::move(vars);
  }
  impl_->origin = std::chrono::steady_clock::now();
  run["started"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  impl_->append(run);
  for (const auto& plugin : identity.plugins) {
    impl_->append({{"t", "plugin"},
                   {"name", plugin.name},
                   {"version", plugin.version},
                   {"path", plugin.path.string()},
                   {"hash", plugin.path.empty() ? "" : file_hash(plugin.path)}});
  }
  const bool resumed = identity.reuse != nullptr && identity.pipeline != nullptr;
  if (resumed) write_reused(*identity.pipeline, *identity.reuse);
  // Written at once, so that a kill -9 finds the run; synced now only what a resumed run was
  // given (a power cut must not lose it once jobs run), else by the first group commit: a sync
  // costs the start of every run 5 to 20 ms here.
  impl_->commit(resumed);
  // The committer takes no signal: the program decides which of its threads handles them.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  impl_->committer = std::thread([impl = impl_.get()] { impl->commit_loop(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

RunJournal::~RunJournal() {
  if (impl_->committer.joinable()) {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->stop = true;
    }
    impl_->wake.notify_all();
    impl_->committer.join();
  }
  impl_->commit();
  if (impl_->fd >= 0) ::close(impl_->fd);
}

void RunJournal::write_reused(const Pipeline& pipeline, const Reuse& reuse) {
  reuse.visit([&](std::string_view stage_name, int iteration, std::string_view job_id,
                  const JobReuse& reused) {
    const auto stage = std::ranges::find(pipeline.stages, stage_name, &StageSpec::name);
    if (stage == pipeline.stages.end()) return;
    const auto job = std::ranges::find(stage->jobs, job_id, &JobSpec::id);
    if (job == stage->jobs.end()) return;
    Json texts = Json::object();
    for (const auto& [name, text] : report::param_texts(*job)) texts[name] = text;
    Json ranges = Json::array();
    for (const auto& range : reused.ranges) ranges.push_back({range.from, range.to});
    Json outputs = Json::array();
    for (const auto& output : reused.outputs) {
      outputs.push_back({output.index, output.key, output.value});
    }
    static const Outputs none;  // a from_outputs job's items are judged by its source's reuse
    impl_->append({{"t", "reused"},
                   {"stage", stage->name},
                   {"iteration", iteration},
                   {"job", job->id},
                   {"type", job->type ? job->type->qualified_name : std::string()},
                   {"plugin", job->type ? job->type->plugin : std::string()},
                   {"params", report::params_key(*job)},
                   {"values", std::move(texts)},
                   {"items", report::items_key(*job, none).hash},
                   {"ranges", std::move(ranges)},
                   {"outputs", std::move(outputs)}});
  });
}

void RunJournal::stage_started(const StageSpec& stage, int iteration) {
  const bool jobs_can_change = std::ranges::any_of(stage.jobs, [](const JobSpec& job) {
    return job.foreach.kind == FanOut::Kind::from_outputs ||
           job.foreach.kind == FanOut::Kind::files;
  });
  std::optional<int> listed;
  if (!jobs_can_change) {
    std::lock_guard lock(impl_->mutex);
    const auto [found, first] = impl_->jobs_listed_in.emplace(&stage, iteration);
    if (!first) listed = found->second;
  }
  if (listed) {
    // As frame() would make it, by hand (a stage may repeat ten thousand times): a stage name
    // holds no secret and nothing to escape.
    auto& text = scratch_text();
    text += R"({"iteration":)";
    append_number(text, iteration);
    text += R"(,"jobs_as_in":)";
    append_number(text, *listed);
    text += R"(,"stage":")";
    text += stage.name;
    text += R"(","t":"stage"})";
    std::lock_guard lock(impl_->mutex);
    append_framed(impl_->buffer, text);
    return;  // written by the next commit, before any record of this iteration's instances
  }
  // What --resume compares before it reuses an instance of the job (report/resume_keys.hpp).
  Json jobs = Json::array();
  static const Outputs no_outputs;
  for (const auto& job : stage.jobs) {
    const auto items = report::items_key(job, impl_->outputs ? *impl_->outputs : no_outputs);
    Json texts = Json::object();
    for (const auto& [name, text] : report::param_texts(job)) texts[name] = text;
    jobs.push_back({{"job", job.id},
                    {"type", job.type ? job.type->qualified_name : std::string()},
                    {"plugin", job.type ? job.type->plugin : std::string()},
                    {"params", report::params_key(job)},
                    {"values", std::move(texts)},
                    {"items", items.hash},
                    {"size", items.size}});
  }
  impl_->append({{"t", "stage"}, {"stage", stage.name}, {"iteration", iteration}, {"jobs", jobs}});
  // Written at once, so that a kill in the stage's first 100 ms still shows it started; synced
  // with the next commit (a stage of many iterations must not pay a sync for each).
  impl_->commit(false);
}

void RunJournal::attempt_ended(const AttemptEvent& attempt) {
  if (attempt.state == JobState::succeeded || attempt.job == nullptr) return;  // in ranges
  auto& self = *impl_;
  Impl::AttemptTime time{
      attempt.attempt,
      self.micros(attempt.start),
      std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::microseconds>(attempt.end - attempt.start)
                 .count()),
      attempt.slot,
      attempt.state,
      attempt.message};
  std::lock_guard lock(self.mutex);
  self.attempts[{attempt.job, attempt.iteration, attempt.index}].push_back(std::move(time));
}

void RunJournal::instance_ended(const InstanceEvent& instance) {
  if (instance.state == JobState::succeeded) return;  // as ranges, from instances_succeeded()
  Json record = {{"t", "end"},
                 {"id", instance.id},
                 {"state", std::string(to_string(instance.state))},
                 {"attempts", instance.attempts}};
  if (instance.params != nullptr) record["params"] = params_hash(*instance.params);
  if (!instance.messages.empty()) record["message"] = instance.messages.back();
  if (instance.messages.size() > 1) record["messages"] = instance.messages;
  // [start, duration, slot] of each attempt that ran.
  Json times = Json::array();
  {
    std::lock_guard lock(impl_->mutex);
    const auto found = impl_->attempts.find({instance.job, instance.iteration, instance.index});
    if (found != impl_->attempts.end()) {
      for (const auto& attempt : found->second)
        times.push_back({attempt.start_us, attempt.duration_us, attempt.slot});
      impl_->attempts.erase(found);
    }
  }
  if (!times.empty()) record["times"] = std::move(times);
  impl_->append(record);
}

void RunJournal::instances_succeeded(const SucceededRange& range) { impl_->add_successes(range); }

void RunJournal::ranks_lost(const std::vector<int>& ranks) {
  std::lock_guard lock(impl_->mutex);
  std::erase_if(impl_->other_ranks, [&](const SucceededRange& range) {
    return std::ranges::find(ranks, range.rank) != ranks.end();
  });
}

void RunJournal::stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) {
  // The other ranks' outputs of this stage are here now (shared at its end, before this event).
  std::vector<SucceededRange> other_ranks;
  {
    std::lock_guard lock(impl_->mutex);
    other_ranks.swap(impl_->other_ranks);
  }
  for (auto& range : other_ranks) {
    range.rank = 0;  // recorded as if here
    impl_->add_successes(range);
  }
  {
    std::lock_guard lock(impl_->mutex);  // the stage's successes before its end
    impl_->flush_pending();
  }
  if (impl_->outputs != nullptr) {
    const auto prefix = stage.name + ".";
    for (const auto& reference : impl_->outputs->references(prefix)) {
      impl_->append({{"t", "outputs"},
                     {"ref", reference},
                     {"iteration", iteration},
                     {"values", impl_->outputs->values(reference)}});
    }
  }
  {
    std::lock_guard lock(impl_->mutex);
    Impl::append_stage_end(impl_->buffer, stage, iteration, so_far);
  }
  // Written at once, synced by the next group commit; an iteration of a repeated stage waits
  // for that commit (at most 100 ms): a write per round would cost more than the round.
  if (!stage.repeat) impl_->commit(false);
}

void RunJournal::run_ended(const RunResult& result) {
  impl_->append(
      {{"t", "run_end"},
       {"exit_code", result.exit_code()},
       {"interrupted", result.interrupted},
       {"wall_ms", std::chrono::duration_cast<std::chrono::milliseconds>(result.wall).count()},
       {"totals", counts_json(result.totals)},
       {"reused", result.reused}});
  impl_->commit();
}

std::string RunJournal::error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->first_error;
}

std::string RunJournal::file_hash(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream content;
  content << in.rdbuf();
  return report::hash_text(content.str());
}

std::string RunJournal::params_hash(const Params& params) {
  std::string text;
  for (const auto& [name, value] : params.all()) {
    text += name;
    text += '=';
    text += to_string(value);
    text += '\n';
  }
  return report::hash_text(text);
}

}  // namespace lockstep::inline LOCKSTEP_ABI
