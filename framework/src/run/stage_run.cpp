#include "run/stage_run.hpp"

#include <algorithm>
#include <map>
#include <thread>
#include <utility>

#include "exec/assert.hpp"
#include "lockstep/pipeline/instance_id.hpp"
#include "run/cluster_outputs.hpp"
#include "run/condition_check.hpp"
#include "run/feeder.hpp"
#include "run/job_plan.hpp"
#include "run/rank_events.hpp"
#include "stage/builtin_kinds.hpp"

namespace lockstep::run {

StageRun::StageRun(const StageSpec& stage, RunServices& shared)
    : stage_(stage), shared_(shared), logger_(*this) {}

StageRun::~StageRun() = default;

void StageRun::begin(int iteration) {
  iteration_ = iteration;
  started_.store(false, std::memory_order_relaxed);
  total_ = 0;
  skipped_by_condition_ = 0;
  skipped_jobs_note_.clear();
  cursor_plan_ = 0;
  cursor_index_ = 0;
  position_ = 0;
  taken_.clear();
  // After the barrier of the iteration before: no attempt looks at the source any more.
  const bool was_cancelled = cancelled_.exchange(false);
  if (cluster_cancelled_.exchange(false) || was_cancelled) cancel_.reset();
  stop_sent_.store(false);
  stopping_.store(false);
  failed_.store(false);
  owns_failures_.store(false);
  until_reached_.store(false);
  for (auto& count : counts_) count.store(0, std::memory_order_relaxed);
  reused_.store(0);
  overdue_.store(0);
  counts_at_wait_ = {};
  std::lock_guard lock(ended_mutex_);
  ended_.clear();
  tracked_outstanding_ = 0;
  on_rank0_ = false;
  in_flight_.clear();
  rest_pending_ = 0;
  remote_counts_ = {};
}

// ---- the stage from start to barrier ---------------------------------------------------------

StageOutcome StageRun::run() {
  start_ = std::chrono::steady_clock::now();
  plan_instances();
  if (shared_.cluster != nullptr && shared_.cluster->size() > 1) {
    const auto& kind = stage_.kind_type != nullptr ? *stage_.kind_type : builtin_parallel();
    // `parallel` runs on every rank, each claiming chunks; any other kind's logic runs once.
    if (kind.qualified_name != "parallel") {
      const auto ranks = static_cast<std::size_t>(shared_.cluster->size());
      std::lock_guard lock(ended_mutex_);
      on_rank0_ = true;
      in_flight_.assign(feeders_.size(), std::vector<std::uint64_t>(ranks, 0));
      next_rank_ = 1 % ranks;  // rank 0's kind hands its first instance to another rank
    }
  }
  StageOutcome outcome;
  outcome.note = skipped_jobs_note_;
  report_empty_fan_outs(outcome);
  run_kind(outcome);
  finish(outcome);
  return outcome;
}

void StageRun::plan_instances() {
  // Instances are counted from what exists now: the outputs and files of earlier stages.
  if (!plans_.empty()) {  // an iteration after the first: the same jobs, on the same feeders
    for (std::size_t p = 0; p < plans_.size(); ++p) {
      auto& plan = *plans_[p];
      plan.source = InstanceSource(plan.spec.foreach, shared_.outputs, shared_.cluster);
      plan.reuse = nullptr;
      plan.skipped = false;
      skip_if_false(plan);
      plan_start_[p] = total_;
      total_ += plan.source.size();
      restore_reused(plan);
    }
    take_claim_ranges();  // under a cluster, each iteration claims from new ranges
    started_.store(true, std::memory_order_release);
    return;
  }
  for (const auto& job : stage_.jobs) {
    auto& bulkhead = shared_.engine.bulkhead(job.bulkhead);
    plans_.push_back(std::make_unique<JobPlan>(
        JobPlan{job, InstanceSource(job.foreach, shared_.outputs, shared_.cluster), bulkhead,
                stage_.name + "." + job.id}));
    skip_if_false(*plans_.back());
    plan_start_.push_back(total_);
    total_ += plans_.back()->source.size();
    restore_reused(*plans_.back());
    auto feeder =
        std::ranges::find_if(feeders_, [&](const auto& f) { return &f->bulkhead() == &bulkhead; });
    if (feeder == feeders_.end()) {
      feeders_.push_back(std::make_unique<Feeder>(*this, bulkhead));
      feeder = feeders_.end() - 1;
    }
    plan_feeder_.push_back(static_cast<std::size_t>(feeder - feeders_.begin()));
    (*feeder)->add(*plans_.back());
  }
  take_claim_ranges();
  started_.store(true, std::memory_order_release);
}

void StageRun::take_claim_ranges() {
  // Only under a cluster, where stages run one at a time: stages side by side in one process
  // must not touch the shared counter.
  if (shared_.cluster == nullptr) return;
  range_base_ = shared_.next_range;
  shared_.next_range += plans_.size();
  {
    std::lock_guard lock(claimed_mutex_);
    claimed_.assign(plans_.size(), {});
    split_elsewhere_.clear();
  }
  // A rank may have stopped this iteration before this one began it.
  std::lock_guard lock(shared_.cluster_mutex);
  shared_.cluster_stage = this;
  if (shared_.cluster_stopped == range_base_ + 1) stop_by_cluster();
}

void StageRun::claimed(const JobPlan& plan, std::uint64_t from, std::uint64_t to) {
  std::size_t p = 0;
  while (plans_[p].get() != &plan) ++p;
  std::lock_guard lock(claimed_mutex_);
  claimed_[p].emplace_back(from, to);
}

void StageRun::split_to(const JobPlan& plan, std::uint64_t index, int rank) {
  std::size_t p = 0;
  while (plans_[p].get() != &plan) ++p;
  std::lock_guard lock(claimed_mutex_);
  split_elsewhere_.push_back({rank, p, index});
}

void StageRun::stop_by_cluster() noexcept {
  stopping_.store(true);
  cluster_cancelled_.store(true);
  cancel_.cancel();
}

std::uint64_t StageRun::shared_range(const JobPlan& plan) const {
  std::size_t p = 0;
  while (plans_[p].get() != &plan) ++p;
  return range_base_ + p;
}

void StageRun::skip_if_false(JobPlan& plan) {
  const auto reason = skip_reason(plan.spec.condition, shared_.outputs);
  if (!reason) return;
  const auto count = plan.source.size();
  plan.source.make_none();
  plan.skipped = true;
  skipped_by_condition_ += count;
  StateCounts tally;
  tally[JobState::skipped] = count;
  add(tally);
  if (!skipped_jobs_note_.empty()) skipped_jobs_note_ += "; ";
  skipped_jobs_note_ += "job '" + plan.spec.id + "': " + *reason + " (" + std::to_string(count) +
                        (count == 1 ? " instance" : " instances") + " skipped)";
}

void StageRun::restore_reused(JobPlan& plan) {
  if (shared_.reuse == nullptr) return;
  plan.reuse = shared_.reuse->find(stage_.name, iteration_, plan.spec.id);
  if (plan.reuse == nullptr) return;
  // Their outputs are there before any instance of the stage runs, as if they had just run.
  const auto size = plan.source.size();
  publish_restored(shared_.outputs, plan.output_name, plan.reuse->outputs, size);
  for (const auto& output : plan.reuse->outputs) {
    if (output.index < size) note_output(output.key, output.value);
  }
}

namespace {

// "pipe.yaml:20:9: job 'sum': foreach ... (0 instances) (did you mean ...?)": why a fan-out
// found nothing, and what may have been meant.
std::string empty_fan_out(const JobSpec& job, const Outputs& outputs) {
  const auto& fan_out = job.foreach;
  auto text = to_string(fan_out.where);
  if (!text.empty()) text += ": ";
  text += "job '" + job.id + "': foreach ";
  if (fan_out.kind == FanOut::Kind::files) {
    return text + "files '" + fan_out.pattern + "' matched no file (0 instances)";
  }
  // "scan.hash.rows": stage scan, job hash, key rows.
  const auto& reference = fan_out.reference;
  const auto stage_end = reference.find('.');
  const auto key_at = reference.find('.', stage_end + 1);
  text += "from_outputs '" + reference + "': no instance of '" + reference.substr(0, key_at) +
          "' published '" + reference.substr(key_at + 1) + "' (0 instances)";
  const auto published = outputs.references(reference.substr(0, stage_end + 1));
  auto hint = did_you_mean(reference, published);
  if (hint.empty() && published.empty()) {
    hint = "stage '" + reference.substr(0, stage_end) + "' published no output";
  } else if (hint.empty()) {  // no close name: the first few keys it did publish
    hint = "published: ";
    for (std::size_t i = 0; i < published.size() && i < 8; ++i) {
      hint += (i == 0 ? "" : ", ") + published[i];
    }
    if (published.size() > 8) hint += ", ...";
  }
  return text + " (" + hint + ")";
}

}  // namespace

void StageRun::report_empty_fan_outs(StageOutcome& outcome) {
  for (const auto& plan : plans_) {
    const auto& fan_out = plan->spec.foreach;
    const bool late =
        fan_out.kind == FanOut::Kind::files || fan_out.kind == FanOut::Kind::from_outputs;
    if (!late || plan->skipped || plan->source.size() != 0) continue;
    auto text = empty_fan_out(plan->spec, shared_.outputs);
    if (fan_out.allow_empty) {
      shared_.log.write(stage_.name, Logger::Level::warning, text);
      outcome.warnings.push_back(std::move(text));
      continue;
    }
    text += " [allow_empty: false]";
    shared_.log.write(stage_.name, Logger::Level::error, text);
    outcome.note += (outcome.note.empty() ? "" : "; ") + text;
    record_failure();
  }
}

void StageRun::run_kind(StageOutcome& outcome) {
  if (on_rank0_ && shared_.cluster->rank() != 0) {
    serve_rank0();
    return;
  }
  const auto& kind = stage_.kind_type != nullptr ? *stage_.kind_type : builtin_parallel();
  std::string failure;
  try {
    auto instance = kind.factory(stage_.kind_params);
    instance->run(*this);
  } catch (const std::exception& e) {
    failure = "stage kind '" + kind.qualified_name + "' failed: " + e.what();
  } catch (...) {
    failure = "stage kind '" + kind.qualified_name + "' failed with an unknown exception";
  }
  if (!failure.empty()) {
    outcome.failed = true;
    shared_.log.write(stage_.name, Logger::Level::error, failure);
    outcome.note += (outcome.note.empty() ? "" : "; ") + failure;
    cancel();  // what it left running would outlive its reason to run
  }
}

void StageRun::finish(StageOutcome& outcome) {
  wait();  // the stage barrier, whatever the kind did
  const bool serving = on_rank0_ && shared_.cluster->rank() != 0;
  if (on_rank0_ && !serving) send_to_ranks(message_of(StageMessage::Kind::done));
  // What the kind never dispatched ends here: skipped (the kind chose not to run it, or stopped
  // on a failure), or cancelled when the run was interrupted. First those it took with next().
  std::vector<StageInstance> taken;
  for (const auto& [position, instance] : taken_) taken.push_back(instance);
  std::ranges::sort(taken, {}, &StageInstance::position);
  taken_.clear();
  // A rank that served rank 0's kind: what the kind did not dispatch is rank 0's to count.
  const std::uint64_t left = serving ? 0 : total_ - position_ + taken.size();
  if (left > 0) {
    const bool stopped = shared_.interrupted.load();
    const JobState state = stopped ? JobState::cancelled : JobState::skipped;
    const bool observed =
        shared_.interest == RunObserver::Interest::all ||
        (shared_.interest == RunObserver::Interest::failures && state == JobState::cancelled);
    const std::string why =
        stopped ? stop_reason() : "the stage kind '" + stage_.kind + "' did not dispatch it";
    const auto report = [&](const StageInstance& instance) {
      InstanceEvent event{&stage_, &plans_[plan_of(instance)]->spec, id(instance), instance.index, iteration_,
                          0,       state,        {why},        nullptr};
      shared_.notify([&](RunObserver& observer) { observer.instance_ended(event); });
    };
    StateCounts tally;
    tally[state] = left;
    for (const auto& instance : taken) {
      if (observed) report(instance);
    }
    while (observed && cursor_plan_ < plans_.size()) {
      auto instance = next();
      if (!instance) break;
      taken_.erase(instance->position);
      report(*instance);
    }
    add(tally);
    if (state == JobState::skipped) {
      outcome.note += (outcome.note.empty() ? "" : "; ") + std::to_string(left) + " of " +
                      std::to_string(total_) + " instances not dispatched by stage kind '" +
                      stage_.kind + "'";
    }
  }
  for (auto& feeder : feeders_) feeder->settle();
  for (std::size_t s = 0; s < kJobStateCount; ++s) outcome.counts.by_state[s] = counts_[s].load();
  if (shared_.cluster != nullptr) join_ranks(outcome);
  // A rank other than 0 that lost another has its own counts only.
  LOCKSTEP_ASSERT(outcome.counts.sum() == total_ + skipped_by_condition_ ||
                      (shared_.cluster != nullptr && shared_.cluster->rank() != 0 &&
                       !shared_.ranks_lost.empty()),
                  "every instance of a stage ends in exactly one terminal state");
  outcome.reused = reused_.load();
  outcome.failed = outcome.failed || failed_.load();
  outcome.until_reached = until_reached_.load();
}

void StageRun::join_ranks(StageOutcome& outcome) {
  auto& cluster = *shared_.cluster;
  {
    std::lock_guard lock(shared_.cluster_mutex);
    shared_.cluster_stage = nullptr;  // a stop that comes now is too late to matter
  }
  // What every rank counted for itself, and a failure. Instances of a job whose `if:` is false
  // are skipped on every rank: counted once, rank 0's.
  std::vector<std::uint64_t> values(kValuesAtEnd);
  for (std::size_t s = 0; s < kJobStateCount; ++s) values[s] = outcome.counts.by_state[s];
  if (cluster.rank() != 0) {
    values[static_cast<std::size_t>(JobState::skipped)] -= skipped_by_condition_;
  }
  values[kJobStateCount] = failed_.load() ? 1 : 0;
  // Whether an output ended the repeat, on any rank: a value published and replaced later still
  // counts, as it does in one process.
  values[kJobStateCount + 1] = until_reached_.load() ? 1 : 0;
  // How much this rank's instances published: when no rank's did (most stages), the outputs
  // are not gathered at all.
  const auto mine = encode_outputs(outputs_claimed_here());
  values[kJobStateCount + 2] = mine.size();
  // An interrupt on any rank ends the run on every rank after this stage, whenever it came: the
  // ranks agree on whether the next stage starts.
  values[kJobStateCount + 3] = shared_.interrupted.load() ? 1 : 0;
  values[kJobStateCount + 4] = reused_.load();
  // Every event of this stage reaches rank 0 before the barrier returns there, and so before
  // rank 0's observers see the stage end.
  if (shared_.forwarder != nullptr) shared_.forwarder->flush();
  // After an interrupt, rank 0 gets the counts on their own too (run/lost_ranks.hpp).
  if (values[kJobStateCount + 3] != 0 && cluster.rank() != 0) {
    cluster.post(Cluster::Channel::ends, encode_rank_counts({range_base_, values}));
  }
  try {
    cluster.barrier(shared_.next_range);
    cluster.sum(values);
  } catch (const Cluster::RanksLost&) {
    count_lost_ranks(values);
  }
  for (std::size_t s = 0; s < kJobStateCount; ++s) {
    outcome.counts.by_state[s] = values[s];
    counts_[s].store(values[s]);
  }
  if (values[kJobStateCount] != 0) failed_.store(true);
  if (values[kJobStateCount + 1] != 0) until_reached_.store(true);
  if (values[kJobStateCount + 3] != 0) shared_.interrupted.store(true);
  reused_.store(values[kJobStateCount + 4]);
  if (values[kJobStateCount + 2] != 0 && shared_.ranks_lost.empty()) share_outputs(mine);
}

void StageRun::count_lost_ranks(std::vector<std::uint64_t>& values) {
  auto& cluster = *shared_.cluster;
  const auto failed = static_cast<std::size_t>(JobState::failed);
  values[kJobStateCount + 2] = 0;  // nothing is shared any more
  values[kJobStateCount + 3] = 1;
  if (cluster.rank() != 0) {
    // This rank's counts stay its own: rank 0 prints the run's.
    shared_.ranks_lost = "another rank was lost";
    return;
  }
  std::map<int, RankCounts> ends;
  {
    std::lock_guard lock(shared_.rank_ends_mutex);
    ends = std::exchange(shared_.rank_ends, {});
  }
  std::vector<int> lost;
  for (int rank = 1; rank < cluster.size(); ++rank) {
    const auto end = ends.find(rank);
    if (end == ends.end() || end->second.key != range_base_ ||
        end->second.values.size() != values.size()) {
      lost.push_back(rank);
      continue;
    }
    for (std::size_t v = 0; v <= kJobStateCount; ++v) values[v] += end->second.values[v];
    values[kJobStateCount + 1] |= end->second.values[kJobStateCount + 1];
    values[kJobStateCount + 4] += end->second.values[kJobStateCount + 4];
  }
  // What the lost ranks held: the chunks they claimed, and their shares of jobs split by index.
  // Whatever became of them, none has a record: they count as failed.
  std::string text;
  for (const int rank : lost) {
    std::vector<HeldRange> held;
    for (const auto& [range, chunk] : cluster.claimed_by(rank)) {
      if (range < range_base_ || range >= range_base_ + plans_.size()) continue;
      held.push_back({instance_id(*plans_[range - range_base_], 0), chunk.from, chunk.to});
    }
    {
      std::lock_guard lock(claimed_mutex_);
      for (const auto& [by, plan, index] : split_elsewhere_) {
        if (by == rank) held.push_back({instance_id(*plans_[plan], 0), index, index + 1});
      }
    }
    std::uint64_t count = 0;
    for (const auto& range : held) count += range.to - range.from;
    values[failed] += count;
    values[kJobStateCount] = 1;
    if (!text.empty()) text += "; ";
    text += "rank " + std::to_string(rank) + " was lost: it did not come to the end of stage '" +
            stage_.name + "' within " + std::to_string(kRankPatience.count()) +
            " ms of the interrupt (its process died, or its jobs did not end)";
    text += count == 0 ? "; it held no instance"
                       : "; the " + std::to_string(count) + " instance" + (count == 1 ? "" : "s") +
                             " it held count as failed: " + held_text(std::move(held));
  }
  if (text.empty()) text = "the ranks did not all come to the end of stage '" + stage_.name + "'";
  shared_.ranks_lost = text;
  shared_.notify([&](RunObserver& observer) { observer.ranks_lost(lost); });
}

std::vector<SharedOutput> StageRun::outputs_claimed_here() {
  std::vector<SharedOutput> mine;
  {
    std::lock_guard lock(claimed_mutex_);
    for (std::size_t p = 0; p < plans_.size() && p < claimed_.size(); ++p) {
      const auto& job = plans_[p]->output_name;
      for (const auto& reference : shared_.outputs.references(job + ".")) {
        const auto key = reference.substr(job.size() + 1);
        for (const auto& [from, to] : claimed_[p]) {
          for (auto& [index, values] : shared_.outputs.lists(reference, from, to)) {
            mine.push_back({job, index, key, std::move(values)});
          }
        }
      }
    }
  }
  if (on_rank0_ && shared_.cluster->rank() == 0) {
    // The kind ran here only: what it published (StageContext::output) is this rank's to share.
    const auto job = stage_.name + ".stage";
    for (const auto& reference : shared_.outputs.references(job + ".")) {
      const auto key = reference.substr(job.size() + 1);
      for (auto& [index, values] : shared_.outputs.lists(reference, 0, 1)) {
        mine.push_back({job, index, key, std::move(values)});
      }
    }
  }
  return mine;
}

void StageRun::share_outputs(const std::string& mine) {
  auto& cluster = *shared_.cluster;
  // Every rank's, one after another: rank 0 gathers them and hands them all to every rank.
  std::string all;
  for (const auto& text : cluster.gather(mine)) all += text;
  for (auto& output : decode_outputs(cluster.broadcast(all))) {
    if (!output.values.empty()) note_output(output.key, output.values.back());
    shared_.outputs.publish_list(output.job, output.index, output.key, std::move(output.values));
  }
}

// ---- the stream ------------------------------------------------------------------------------

std::optional<StageInstance> StageRun::next() {
  while (cursor_plan_ < plans_.size()) {
    const auto& plan = *plans_[cursor_plan_];
    if (cursor_index_ < plan.source.size()) {
      StageInstance instance{static_cast<std::uint32_t>(cursor_plan_), cursor_index_++, position_++};
      taken_.emplace(instance.position, instance);
      return instance;
    }
    ++cursor_plan_;
    cursor_index_ = 0;
  }
  return std::nullopt;
}

std::string StageRun::id(const StageInstance& instance) const {
  return instance_id(*plans_[plan_of(instance)], instance.index);
}

std::size_t StageRun::plan_of(const StageInstance& instance) const {
  if (instance.job >= plans_.size()) {
    throw std::invalid_argument("lockstep: a StageInstance of another stage");
  }
  return instance.job;
}

Feeder& StageRun::feeder_of(std::size_t plan) { return *feeders_[plan_feeder_[plan]]; }

template <class Fn>
void StageRun::on_every_feeder(Fn fn) {
  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < feeders_.size(); ++i) {
    threads.emplace_back([&fn, &feeder = *feeders_[i]] { fn(feeder); });
  }
  if (!feeders_.empty()) fn(*feeders_.front());
}

// ---- dispatching and waiting -----------------------------------------------------------------

bool StageRun::dispatch(const StageInstance& instance) {
  if (taken_.erase(instance.position) == 0) {
    throw std::logic_error("instance " + std::to_string(instance.position) +
                           " was dispatched twice, or not taken from this stage with next()");
  }
  const auto p = plan_of(instance);
  auto& plan = *plans_[p];
  if (stopping()) {
    end_cancelled(plan, instance.index);
    return false;
  }
  if (on_rank0_) return dispatch_to_rank(p, instance.index);
  {
    std::lock_guard lock(ended_mutex_);
    ++tracked_outstanding_;
  }
  return feeder_of(p).dispatch_one(plan, instance.index);
}

void StageRun::end_cancelled(const JobPlan& plan, std::uint64_t index) {
  StateCounts tally;
  tally[JobState::cancelled] = 1;
  add(tally);
  if (shared_.interest != RunObserver::Interest::stages) {
    InstanceEvent event{&stage_, &plan.spec,          instance_id(plan, index), index,  iteration_,
                        0,       JobState::cancelled, {stop_reason()},          nullptr};
    shared_.notify([&](RunObserver& observer) { observer.instance_ended(event); });
  }
}

void StageRun::dispatch_rest() {
  if (cursor_plan_ >= plans_.size()) return;
  if (on_rank0_ && shared_.cluster->rank() == 0) {
    // Every rank claims chunks of the rest, as under `parallel`; each tells when its part ended.
    auto rest = message_of(StageMessage::Kind::rest);
    rest.plan = static_cast<std::uint32_t>(cursor_plan_);
    rest.index = cursor_index_;
    {
      std::lock_guard lock(ended_mutex_);
      rest_pending_ += static_cast<std::uint64_t>(shared_.cluster->size() - 1);
    }
    send_to_ranks(rest);
  }
  const auto first_plan = cursor_plan_;
  const auto first_index = cursor_index_;
  position_ = total_;
  cursor_plan_ = plans_.size();
  cursor_index_ = 0;
  on_every_feeder([&](Feeder& feeder) {
    for (std::size_t p = first_plan; p < plans_.size(); ++p) {
      if (&feeder_of(p) != &feeder) continue;
      feeder.dispatch_range(*plans_[p], p == first_plan ? first_index : 0,
                            plans_[p]->source.size());
    }
  });
}

StateCounts StageRun::wait() {
  const auto settle = [](Feeder& feeder) {
    feeder.wait_for_pending();
    feeder.barrier();
  };
  // Feeders with nothing outstanding return at once: a thread each only when two are busy (a
  // sequential kind waits once per instance).
  const auto busy =
      std::ranges::count_if(feeders_, [](const auto& f) { return f->outstanding() > 0; });
  if (busy > 1) {
    on_every_feeder(settle);
  } else {
    for (auto& feeder : feeders_) settle(*feeder);
  }
  StateCounts now;
  if (on_rank0_ && shared_.cluster->rank() == 0) {
    // And what it dispatched to the other ranks, and their parts of the rest.
    std::unique_lock lock(ended_mutex_);
    while ((tracked_outstanding_ > 0 || rest_pending_ > 0) && !shared_.interrupted.load()) {
      ended_wake_.wait_for(lock, std::chrono::milliseconds(50));
    }
    now = remote_counts_;
  }
  for (std::size_t s = 0; s < kJobStateCount; ++s) now.by_state[s] += counts_[s].load();
  StateCounts since;
  for (std::size_t s = 0; s < kJobStateCount; ++s) {
    since.by_state[s] = now.by_state[s] - counts_at_wait_.by_state[s];
  }
  counts_at_wait_ = now;
  {
    // Ends the kind did not read with next_ended() are dropped: they are in the counts, and a
    // kind that only waits must not keep one record per instance.
    std::lock_guard lock(ended_mutex_);
    ended_.clear();
  }
  return since;
}

std::optional<EndedInstance> StageRun::next_ended(bool block) {
  for (;;) {
    std::unique_lock lock(ended_mutex_);
    if (!ended_.empty()) {
      auto ended = std::move(ended_.front());
      ended_.pop_front();
      return ended;
    }
    // After an interrupt, what the engine dropped never ends: nothing more will come.
    if (tracked_outstanding_ == 0 || !block || shared_.interrupted.load()) return std::nullopt;
    // Retries are the feeders' business; the 50 ms only bound how late an interrupt is seen.
    ended_wake_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void StageRun::tracked_ended(const JobPlan& plan, std::uint64_t index, JobState state, int attempts,
                             std::string message) {
  std::size_t p = 0;
  while (plans_[p].get() != &plan) ++p;
  if (on_rank0_ && shared_.cluster->rank() != 0) {
    // Ran here for rank 0's kind: its end goes there.
    auto report = message_of(StageMessage::Kind::ended);
    report.plan = static_cast<std::uint32_t>(p);
    report.index = index;
    report.state = state;
    report.attempts = attempts;
    report.message = std::move(message);
    shared_.cluster->post(Cluster::Channel::stage, encode_stage_message(report));
    std::lock_guard lock(ended_mutex_);
    --tracked_outstanding_;
    return;
  }
  EndedInstance ended{{static_cast<std::uint32_t>(p), index, plan_start_[p] + index},
                      instance_id(plan, index),
                      state,
                      attempts,
                      std::move(message)};
  {
    std::lock_guard lock(ended_mutex_);
    ended_.push_back(std::move(ended));
    --tracked_outstanding_;
    if (on_rank0_) --in_flight_[plan_feeder_[p]][0];
  }
  ended_wake_.notify_all();
}

void StageRun::cancel() {
  cancelled_.store(true);
  cancel_.cancel();
  for (auto& feeder : feeders_) feeder->end_retries(JobState::cancelled);
  if (on_rank0_ && shared_.cluster->rank() == 0) {
    send_to_ranks(message_of(StageMessage::Kind::cancel));
  }
}

// ---- state -----------------------------------------------------------------------------------

bool StageRun::stopping() const noexcept {
  return stopping_.load(std::memory_order_relaxed) || cancelled_.load(std::memory_order_relaxed) ||
         shared_.interrupted.load(std::memory_order_relaxed);
}

const char* StageRun::stop_reason() const noexcept {
  if (shared_.interrupted.load(std::memory_order_relaxed)) return "the run was interrupted";
  if (cancelled_.load(std::memory_order_relaxed)) return "cancelled by the stage kind";
  return "the stage stopped before it ran";
}

std::optional<JobState> StageRun::retry_end_state() const noexcept {
  // A stage stopped by a failure, or an interrupted run, lets its waiting retries end as their
  // last attempt did: a Ctrl-C does not turn a failure into a cancellation. A kind that
  // cancelled its stage cancels them.
  if (cancelled_.load()) return JobState::cancelled;
  return std::nullopt;
}

void StageRun::record_failure() noexcept {
  if (owns_failures_.load(std::memory_order_relaxed)) return;
  failed_.store(true, std::memory_order_relaxed);
  if (stage_.on_failure != OnFailure::stop) return;
  stopping_.store(true, std::memory_order_relaxed);
  // Under a cluster, every rank stops: the others through Cluster::stop(), within milliseconds.
  if (shared_.cluster != nullptr && !stop_sent_.exchange(true)) {
    try {
      shared_.cluster->stop(range_base_);
    } catch (...) {
      // Not told: the other ranks finish their chunks, and the summed counts still add up.
    }
  }
}

void StageRun::add(const StateCounts& counts) noexcept {
  for (std::size_t s = 0; s < kJobStateCount; ++s) {
    if (counts.by_state[s] != 0) {
      counts_[s].fetch_add(counts.by_state[s], std::memory_order_relaxed);
    }
  }
}

InstanceId StageRun::instance_naming(const JobPlan& plan) const {
  InstanceId id{.stage = stage_.name, .iteration = stage_.repeat ? iteration_ : 0,
                .job = plan.spec.id};
  if (plan.spec.foreach.kind != FanOut::Kind::none) id.index = 0;
  return id;
}

std::string StageRun::instance_id(const JobPlan& plan, std::uint64_t index) const {
  auto id = instance_naming(plan);
  if (id.index) id.index = index;
  return to_string(id);
}

// ---- outputs, inputs, log --------------------------------------------------------------------

std::optional<std::string> StageRun::input(std::string_view reference) const {
  return shared_.outputs.get(reference);
}

void StageRun::note_output(std::string_view key, std::string_view value) noexcept {
  const auto& repeat = stage_.repeat;
  if (repeat && !repeat->until.empty() && key == repeat->until && is_truthy(value)) {
    until_reached_.store(true, std::memory_order_relaxed);
  }
}

void StageRun::output(std::string key, std::string value) {
  note_output(key, value);
  shared_.outputs.publish(stage_.name + ".stage", 0, key, std::move(value));
}

void StageRun::StageLogger::write(Level level, std::string_view line) {
  const auto& stage = stage_.stage_;
  stage_.shared_.log.write(stage_label(stage.name, stage.repeat ? stage_.iteration_ : 0), level,
                           line);
}

// ---- progress --------------------------------------------------------------------------------

StageProgress StageRun::progress() const {
  StageProgress progress{stage_.name, stage_.repeat ? iteration_ : 0};
  if (!started_.load(std::memory_order_acquire)) return progress;
  progress.total = total_ + skipped_by_condition_;
  for (std::size_t s = 0; s < kJobStateCount; ++s) {
    progress.ended.by_state[s] = counts_[s].load(std::memory_order_relaxed);
  }
  std::uint64_t outstanding = 0;
  std::uint64_t running = 0;
  for (const auto& feeder : feeders_) {
    outstanding += feeder->outstanding();
    running += static_cast<std::uint64_t>(std::max(0, feeder->bulkhead().stats().running));
    const auto spent = feeder->running_spent();
    progress.running_for += spent.total;
    progress.longest_running = std::max(progress.longest_running, spent.longest);
  }
  progress.running = std::min(running, outstanding);
  progress.queued = outstanding - progress.running;
  progress.elapsed = std::chrono::steady_clock::now() - start_;
  progress.overdue = overdue_.load(std::memory_order_relaxed);
  return progress;
}

std::uint64_t count_instances(const StageSpec& stage, const RunServices& shared) {
  std::uint64_t total = 0;
  for (const auto& job : stage.jobs) {
    total += InstanceSource(job.foreach, shared.outputs).size();
  }
  return total;
}

}  // namespace lockstep::run
