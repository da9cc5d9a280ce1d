#include "run/feeder.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

#include "lockstep/pipeline/cluster.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "run/attempt_context.hpp"
#include "run/attempt_messages.hpp"
#include "run/crash_note.hpp"
#include "run/instance_params.hpp"

namespace lockstep::run {
namespace {

constexpr auto kRetryLater = [](const auto& a, const auto& b) { return a.due > b.due; };

// A job type made in place (JobPlacement) up to this size; larger ones by their factory.
constexpr std::size_t kInPlaceJobBytes = 512;

struct DestroyInPlace {
  void operator()(Job* job) const noexcept { job->~Job(); }
};

// A chunk should take about this long: long enough that a bulkhead place costs little per job,
// short enough that the stage's tail stays balanced across workers.
constexpr std::int64_t kChunkTargetNs = 50'000;
constexpr std::int64_t kBatchTargetNs = 4'000'000;  // on a process-isolated bulkhead
constexpr std::uint64_t kMaxChunk = 1024;
constexpr std::uint64_t kMaxBatch = 4096;   // a batch's instances' ends are one message
constexpr std::uint64_t kResizeEvery = 64;  // dispatches between two looks at the clock

Duration backoff_before(const RetryPolicy& retry, int next_attempt) {
  // Attempt k+1 waits backoff * 2^(k-1), at most max_backoff.
  Duration delay = retry.backoff;
  for (int k = 2; k < next_attempt && delay < Duration(std::chrono::hours(24)); ++k) delay *= 2;
  if (retry.max_backoff) delay = std::min(delay, *retry.max_backoff);
  return delay;
}

// What a worker needs to make a batch's items: a range's from and step, else nothing.
std::optional<std::pair<std::int64_t, std::int64_t>> range_of(const FanOut& fan_out) {
  if (fan_out.kind != FanOut::Kind::range) return std::nullopt;
  return std::pair{fan_out.from, fan_out.step};
}

}  // namespace

// ---- dispatching -----------------------------------------------------------------------------

void Feeder::dispatch_range(JobPlan& plan, std::uint64_t start, std::uint64_t end) {
  auto& shared = stage_.services();
  if (shared.cluster != nullptr) {
    dispatch_shared_range(*shared.cluster, plan, start, end);
    return;
  }
  dispatch_here(plan, start, end);
}

bool Feeder::dispatch_here(JobPlan& plan, std::uint64_t start, std::uint64_t end) {
  auto& shared = stage_.services();
  std::uint64_t next = start;
  // Reused instances (--resume) end at once, between the runs of instances that are dispatched.
  const auto* reused = plan.reuse != nullptr ? &plan.reuse->ranges : nullptr;
  auto reused_next = reused != nullptr
                         ? std::ranges::upper_bound(*reused, next, {}, &IndexRange::to)
                         : std::vector<IndexRange>::const_iterator{};
  while (next < end && !stage_.stopping() && !shared.interrupted.load()) {
    if (reused != nullptr && reused_next != reused->end() && reused_next->from <= next) {
      const auto until = std::min(end, reused_next->to);
      end_reused(plan, next, until, false);
      next = until;
      ++reused_next;
      continue;
    }
    const auto stop = reused != nullptr && reused_next != reused->end()
                          ? std::min(end, reused_next->from)
                          : end;
    const std::uint64_t count = next_chunk(stop - next);
    dispatch_chunk(plan, next, count, false);
    next += count;
  }
  end_unrun(plan, next, end);
  return next >= end;
}

void Feeder::end_unrun(JobPlan& plan, std::uint64_t from, std::uint64_t to) {
  if (from >= to) return;
  // A reused instance still ends reused (it succeeded before, and a later --resume must find it
  // so); the others end cancelled, without running.
  const auto* reused = plan.reuse != nullptr ? &plan.reuse->ranges : nullptr;
  auto next = from;
  if (reused != nullptr) {
    for (auto r = std::ranges::upper_bound(*reused, from, {}, &IndexRange::to);
         r != reused->end() && r->from < to; ++r) {
      end_cancelled(plan, next, std::max(next, r->from));
      next = std::min(to, r->to);
      end_reused(plan, std::max(from, r->from), next, false);
    }
  }
  end_cancelled(plan, next, to);
}

void Feeder::end_cancelled(JobPlan& plan, std::uint64_t from, std::uint64_t to) {
  if (from >= to) return;
  // Under a cluster observers are told of each (a rank's report lists what others cancelled);
  // in one process they are counted, as the instances the kind never took are.
  if (stage_.services().cluster != nullptr) {
    end_claimed_unrun(plan, from, to);
    return;
  }
  StateCounts tally;
  tally[JobState::cancelled] = to - from;
  stage_.add(tally);
}

void Feeder::dispatch_shared_range(Cluster& cluster, JobPlan& plan, std::uint64_t start,
                                   std::uint64_t end) {
  const auto range = stage_.shared_range(plan);
  const int workers = bulkhead_.workers();
  const auto stopped = [&] { return stage_.stopping() || stage_.services().interrupted.load(); };
  const auto ranks = static_cast<std::uint64_t>(cluster.size());
  if (end - start <= ranks) {
    // No more instances than ranks: each is this rank's or another's by its index (rotated by
    // the range, so that a stage of one-instance jobs spreads them), without a message. Chunks
    // claimed from rank 0 would balance no better, and cost a round trip each: a repeated stage
    // of small jobs would pay them every round.
    const auto mine = static_cast<std::uint64_t>(cluster.rank());
    for (auto index = start; index < end; ++index) {
      if (const auto owner = (index + range) % ranks; owner != mine) {
        if (mine == 0) stage_.split_to(plan, index, static_cast<int>(owner));
        continue;
      }
      stage_.claimed(plan, index, index + 1);
      dispatch_here(plan, index, index + 1);
    }
    return;
  }
  for (;;) {
    // A chunk is asked for once a worker is free: a rank whose workers are all busy (long jobs)
    // leaves the rest of the range to the ranks that have room.
    wait_for_room(static_cast<std::uint64_t>(workers));
    if (stopped()) break;
    const auto chunk = cluster.claim(range, start, end, workers);
    if (chunk.from == chunk.to) return;
    stage_.claimed(plan, chunk.from, chunk.to);
    if (!dispatch_here(plan, chunk.from, chunk.to)) break;
  }
  // Stopped: this rank takes what is left of the range (workers 0: all of it), so that each
  // instance still ends exactly once, and ends it without running.
  const auto rest = cluster.claim(range, start, end, 0);
  if (rest.from < rest.to) stage_.claimed(plan, rest.from, rest.to);
  end_unrun(plan, rest.from, rest.to);
}

void Feeder::end_claimed_unrun(JobPlan& plan, std::uint64_t from, std::uint64_t to) {
  if (from >= to) return;
  StateCounts tally;
  if (stage_.services().interest == RunObserver::Interest::stages) {
    tally[JobState::cancelled] = to - from;
  } else {
    for (auto i = from; i < to; ++i) {
      end_instance(plan, i, JobState::cancelled, 0, {stage_.stop_reason()}, nullptr, false, tally);
    }
  }
  stage_.add(tally);
}

void Feeder::wait_for_room(std::uint64_t limit) {
  if (pending_.load() < limit) return;
  std::unique_lock lock(mutex_);
  room_wanted_.store(limit);
  // Woken by release() as pending_ drops below the limit; the 50 ms bound how late a stop or an
  // interrupt is seen.
  while (pending_.load() >= limit && !stage_.stopping() && !stage_.services().interrupted.load()) {
    wake_.wait_for(lock, std::chrono::milliseconds(50));
  }
  room_wanted_.store(0);
}

bool Feeder::dispatch_one(JobPlan& plan, std::uint64_t index) {
  if (plan.reuse != nullptr) {
    const auto& ranges = plan.reuse->ranges;
    const auto found = std::ranges::upper_bound(ranges, index, {}, &IndexRange::to);
    if (found != ranges.end() && found->from <= index) {
      end_reused(plan, index, index + 1, true);
      return true;
    }
  }
  return dispatch_chunk(plan, index, 1, true);
}

void Feeder::end_reused(JobPlan& plan, std::uint64_t from, std::uint64_t to, bool tracked) {
  Ends ends(*this);  // nothing was dispatched: no pending place to give back
  const auto interest = stage_.services().interest;
  if (tracked || interest == RunObserver::Interest::all) {
    for (auto i = from; i < to; ++i) {
      if (tracked) stage_.tracked_ended(plan, i, JobState::succeeded, 0, {});
      if (interest != RunObserver::Interest::all) continue;
      InstanceEvent event{&stage_.stage(), &plan.spec, stage_.instance_id(plan, i), i,
                          stage_.iteration(), 0, JobState::succeeded};
      event.reused = true;
      stage_.services().notify([&](RunObserver& observer) { observer.instance_ended(event); });
    }
  }
  const auto now = Clock::now();  // reused: no time spent on them
  report_succeeded(plan, from, to, now, now, true);
  stage_.add_reused(to - from);
  ends.tally[JobState::succeeded] += to - from;
}

std::uint64_t Feeder::next_chunk(std::uint64_t remaining) {
  const auto workers = static_cast<std::uint64_t>(bulkhead_.workers());
  if (workers_ != nullptr) {
    // A worker process's batch is timed as it returns, round trip included: each batch is sized
    // from the last one. Until one returns, each is twice the one before: the bulkhead's queue
    // takes a short stage's batches all at once, before any returns, and they must not all be
    // small (`balanced` below keeps the first ones from holding too much of the stage).
    if (const auto per_job = batch_ns_per_job_.load(std::memory_order_relaxed); per_job > 0) {
      chunk_ = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(kBatchTargetNs / per_job), 1,
                                         kMaxBatch);
    } else if (dispatches_++ > 0) {
      chunk_ = std::min(chunk_ * 2, kMaxBatch);
    }
  } else if (++dispatches_ % kResizeEvery == 0) {
    const auto done = completed_.load(std::memory_order_relaxed);
    if (done - window_done_ >= kResizeEvery) {
      // An upper bound on a job's time since the last look: the workers may also have idled,
      // waiting for us. Since the last look, not since the start: what the first chunks paid
      // once (a worker process starting) must not keep the chunks small.
      const auto now = Clock::now();
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - window_start_).count();
      const auto per_job = std::max<std::int64_t>(
          1, elapsed * static_cast<std::int64_t>(workers) /
                 static_cast<std::int64_t>(done - window_done_));
      window_start_ = now;
      window_done_ = done;
      chunk_ = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(kChunkTargetNs / per_job), 1,
                                         kMaxChunk);
    }
  }
  // Near the end, smaller chunks keep every worker busy until the last instance.
  const std::uint64_t balanced = std::max<std::uint64_t>(1, remaining / (workers * 4));
  return std::min({chunk_, balanced, remaining});
}

bool Feeder::dispatch_chunk(JobPlan& plan, std::uint64_t start, std::uint64_t count, bool tracked) {
  pending_.fetch_add(count);
  Ends ends(*this);
  const auto admission = bulkhead_.dispatch(
      batch_, Task([this, &plan, start, count, tracked](const CancelToken& token) {
        run_chunk(token, plan, start, count, tracked);
      }));
  if (admission == Admission::admitted) return true;
  const JobState state =
      admission == Admission::rejected ? JobState::rejected : JobState::cancelled;
  for (std::uint64_t i = start; i < start + count; ++i) {
    end_instance(
        plan, i, state, 0,
        {admission == Admission::rejected ? "no room in bulkhead '" + bulkhead_.name() + "' in time"
                                          : "cancelled before it was admitted"},
        nullptr, tracked, ends.tally);
    ++ends.ended;
  }
  return false;
}

// ---- retries ---------------------------------------------------------------------------------

void Feeder::schedule_retry(Retry retry) {
  {
    std::lock_guard lock(mutex_);
    retries_.push_back(std::move(retry));
    std::push_heap(retries_.begin(), retries_.end(), kRetryLater);
    if (!retry_dispatcher_.joinable()) {
      retry_dispatcher_ =
          std::jthread([this](const std::stop_token& stop) { dispatch_retries_when_due(stop); });
    }
  }
  retry_.notify_all();
}

void Feeder::dispatch_retries_when_due(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (retries_.empty()) {
      retry_.wait(lock, stop, [&] { return !retries_.empty(); });
      continue;
    }
    const auto due = retries_.front().due;
    if (due > Clock::now()) {
      // Wakes when it is due, or when an earlier one was scheduled, or all were abandoned.
      retry_.wait_until(lock, stop, due,
                        [&] { return retries_.empty() || retries_.front().due < due; });
      continue;
    }
    std::pop_heap(retries_.begin(), retries_.end(), kRetryLater);
    Retry retry = std::move(retries_.back());
    retries_.pop_back();
    lock.unlock();
    dispatch_retry(std::move(retry));
    lock.lock();
  }
}

void Feeder::dispatch_retry(Retry retry) {
  JobPlan& plan = *retry.plan;
  const auto index = retry.index;
  const auto attempt = retry.attempt;
  const bool tracked = retry.tracked;
  Ends ends(*this);
  if (stage_.stopping() || stage_.services().interrupted.load()) {
    // The stage stopped, or the run was interrupted, during the backoff: the retry does not
    // happen, and the instance ends as its last attempt did (its failure is still a failure).
    end_instance(plan, index, stage_.retry_end_state().value_or(retry.last_state), attempt - 1,
                 std::move(retry.messages), nullptr, tracked, ends.tally);
    ends.ended = 1;
    return;
  }
  auto messages = std::make_shared<std::vector<std::string>>(std::move(retry.messages));
  const auto admission = bulkhead_.dispatch(
      batch_, Task([this, &plan, index, attempt, tracked, messages](const CancelToken& token) {
        Ends ran(*this);
        std::optional<WorkerClock> clock;
        if (timed()) clock.emplace(WorkerClock{Clock::now()});
        try {
          if (run_instance(run_token(token), plan, index, attempt, std::move(*messages), tracked,
                           ran.tally, clock ? &*clock : nullptr)) {
            ran.ended = 1;
          }
          if (ran.tally[JobState::succeeded] == 1 && clock)
            report_succeeded(plan, index, index + 1, clock->since, Clock::now());
        } catch (...) {
          // Recording its end failed (no memory left): counted as failed, as run_chunk does.
          ++ran.tally[JobState::failed];
          ran.ended = 1;
          stage_.record_failure();
          throw;
        }
      }));
  if (admission == Admission::admitted) return;
  if (admission != Admission::rejected && stage_.services().interrupted.load()) {
    // Refused by the interrupt, not by the bulkhead: the last attempt's end stands.
    end_instance(plan, index, stage_.retry_end_state().value_or(retry.last_state), attempt - 1,
                 std::move(*messages), nullptr, tracked, ends.tally);
    ends.ended = 1;
    return;
  }
  add_attempt_message(*messages, static_cast<std::uint64_t>(attempt),
                      admission == Admission::rejected ? "no room in bulkhead in time"
                                                       : "cancelled before it was admitted");
  end_instance(plan, index,
               admission == Admission::rejected ? JobState::rejected : JobState::cancelled,
               attempt - 1, std::move(*messages), nullptr, tracked, ends.tally);
  ends.ended = 1;
}

void Feeder::stop_retry_dispatcher() {
  std::jthread dispatcher;
  {
    std::lock_guard lock(mutex_);
    dispatcher = std::move(retry_dispatcher_);
  }
  if (dispatcher.joinable()) {
    dispatcher.request_stop();
    dispatcher.join();
  }
}

void Feeder::end_retries(std::optional<JobState> state) {
  std::vector<Retry> abandoned;
  {
    std::lock_guard lock(mutex_);
    abandoned.swap(retries_);
  }
  Ends ends(*this);
  for (auto& retry : abandoned) {
    end_instance(*retry.plan, retry.index, state.value_or(retry.last_state), retry.attempt - 1,
                 std::move(retry.messages), nullptr, retry.tracked, ends.tally);
    ++ends.ended;
  }
}

void Feeder::wait_for_pending() {
  auto& shared = stage_.services();
  for (;;) {
    if (stage_.stopping() || shared.interrupted.load()) end_retries(stage_.retry_end_state());
    // The engine's barrier first: this thread runs queued chunks itself while a worker place is
    // free, and spins briefly before it sleeps, where sleeping here at once would cost a futex
    // wake and two context switches per stage round. What is left after it is retries.
    if (pending_.load() != 0) batch_.wait();
    std::unique_lock lock(mutex_);
    waiting_.store(true);
    if (pending_.load() == 0) break;
    if (shared.interrupted.load()) break;  // dropped chunks never end: settled after the barrier
    // Wakes for the last instance ending, or (checked every 50 ms) a stop or an interrupt.
    wake_.wait_for(lock, std::chrono::milliseconds(50), [&] { return pending_.load() == 0; });
    waiting_.store(false);
  }
  waiting_.store(false);
}

void Feeder::settle() {
  stop_retry_dispatcher();  // after the barrier nothing schedules a retry: it is idle, or ending
  // Interrupted, a retry ends as its last attempt did; otherwise none is left but by a bug.
  end_retries(stage_.services().interrupted.load() ? stage_.retry_end_state()
                                                 : std::optional(JobState::cancelled));
  // Chunks the engine dropped without running them (only an interrupt cancels a bulkhead).
  const auto dropped = pending_.load();
  if (dropped > 0) {
    StateCounts tally;
    tally[JobState::cancelled] = dropped;
    stage_.add(tally);
    pending_.store(0);
  }
}

Feeder::Ends::~Ends() {
  feeder_.stage_.add(tally);
  feeder_.release(ended);
}

void Feeder::release(std::uint64_t ended) noexcept {
  if (ended == 0) return;
  const auto before = pending_.fetch_sub(ended);
  const auto room = room_wanted_.load();
  if ((before == ended && waiting_.load()) || (room != 0 && before - ended < room)) {
    std::lock_guard lock(mutex_);
    wake_.notify_all();
  }
}

// ---- running (on the bulkhead's workers) -----------------------------------------------------

CancelToken Feeder::run_token(const CancelToken& engine_token) const noexcept {
  return engine_token.with(&stage_.services().interrupt).with(&stage_.cancel_source());
}

bool Feeder::timed() const noexcept {
  const auto& shared = stage_.services();
  return shared.succeeded_ranges || shared.interest != RunObserver::Interest::stages;
}

void Feeder::run_chunk(const CancelToken& token, JobPlan& plan, std::uint64_t start,
                       std::uint64_t count, bool tracked) {
  Ends ends(*this);
  const std::uint64_t end = start + count;
  std::uint64_t i = start;
  // Consecutive successes from `succeeded_from` to i, for observers that want them as ranges:
  // one comparison an instance, one call per run of successes.
  const bool ranges = stage_.services().succeeded_ranges;
  std::uint64_t succeeded_from = start;
  // One clock read per chunk, and one per instance that did not succeed.
  std::optional<WorkerClock> clock;
  if (timed()) clock.emplace(WorkerClock{Clock::now(), start});
  const auto chunk_token = run_token(token);  // once per chunk: the same for all its attempts
  // Plain instances (see plain()) share one context, retargeted to each in turn, and the parts
  // of the crash mark's name: made once per chunk, not per attempt.
  std::optional<AttemptContext> context;
  RunningInstance running = running_instance(plan, start);
  if (plain(plan)) context.emplace(stage_, plan, start, 1, plan.spec.params, chunk_token);
  const int slot = current_worker_slot();
  try {
    if (batched(plan, tracked)) {
      run_batches(chunk_token, plan, i, end, ends);
      succeeded_from = i;  // reported by run_batches
    }
    for (; i < end; ++i) {
      if (stage_.stopping()) break;  // an interrupt included
      const auto succeeded_before = ends.tally[JobState::succeeded];
      WorkerClock* const worker_clock = clock ? &*clock : nullptr;
      if (context ? run_plain_instance(plan, *context, running, slot, i, tracked, ends.tally,
                                       worker_clock)
                  : run_instance(chunk_token, plan, i, 1, {}, tracked, ends.tally, worker_clock))
        ++ends.ended;
      if (ranges && ends.tally[JobState::succeeded] == succeeded_before) {
        // The clock is touched only here, after an instance that did not succeed: nothing per
        // success.
        const auto run_began = clock->since;
        if (!std::exchange(clock->cut, false))
          clock->split = clock->since = Clock::now();  // it did not run
        report_succeeded(plan, succeeded_from, i, run_began, clock->split);
        succeeded_from = i + 1;
        clock->from = i + 1;
      }
    }
    if (ranges && succeeded_from < i) report_succeeded(plan, succeeded_from, i, clock->since, Clock::now());
  } catch (...) {
    // Recording instance i's end failed (no memory left): it is counted as failed, unreported,
    // so that the counts still add up; the rest of the chunk ends as cancelled.
    ++ends.tally[JobState::failed];
    ++ends.ended;
    stage_.record_failure();
    ++i;
    ends.tally[JobState::cancelled] += end - i;
    ends.ended += end - i;
    completed_.fetch_add(count, std::memory_order_relaxed);
    throw;
  }
  // The stage stopped while these waited: they end without running.
  end_unrun(plan, i, end, tracked, ends);
  completed_.fetch_add(count, std::memory_order_relaxed);
}

bool Feeder::batched(const JobPlan& plan, bool tracked) const noexcept {
  const JobSpec& spec = plan.spec;
  // The worker makes the items of these fan-outs from the index; others would cross one by one.
  const bool items_from_index =
      spec.foreach.kind == FanOut::Kind::none || spec.foreach.kind == FanOut::Kind::range;
  return workers_ != nullptr && !tracked && !spec.timeout && spec.templates.empty() &&
         items_from_index && !spec.type->file.empty();
}

void Feeder::run_batches(const CancelToken& token, JobPlan& plan, std::uint64_t& i,
                         std::uint64_t end, Ends& ends) {
  const JobSpec& spec = plan.spec;
  auto& shared = stage_.services();
  // The context of the instance whose log lines or outputs arrive: made when one does.
  std::optional<AttemptContext> context;
  const BatchContexts contexts = [&](std::uint64_t index) -> JobContext& {
    if (!context || context->index() != index) {
      context.reset();
      context.emplace(stage_, plan, index, 1, spec.params, token);
    }
    return *context;
  };
  const auto naming = stage_.instance_naming(plan);
  // Observers that see every attempt get, for each instance of a batch, what run_attempt and
  // conclude give them one by one: attempt started and ended, then the instance's end, named by
  // its item. Its times are the worker's (the batch asks for them), told after the batch.
  const bool every = shared.interest == RunObserver::Interest::all;
  std::optional<Item> item;
  const auto item_of = [&](std::uint64_t index) -> const Item* {
    if (!every || spec.foreach.kind == FanOut::Kind::none) return nullptr;
    item.emplace(plan.source.item(index));
    return &*item;
  };
  const auto attempt_events = [&](std::uint64_t index, Clock::time_point start,
                                  Clock::time_point until, JobState state,
                                  const std::string& message, const Item* of) {
    AttemptEvent event{&stage_.stage(),
                       &spec,
                       stage_.instance_id(plan, index),
                       index,
                       stage_.iteration(),
                       1,
                       current_worker_slot(),
                       start,
                       {},
                       JobState::succeeded,
                       {},
                       of};
    if (every) shared.notify([&](RunObserver& observer) { observer.attempt_started(event); });
    event.end = until;
    event.state = state;
    event.message = message;
    shared.notify([&](RunObserver& observer) { observer.attempt_ended(event); });
  };
  std::uint64_t batch_from = i;
  BatchOutcome outcome;
  const auto succeeded = [&](std::uint64_t from, std::uint64_t to, Clock::time_point start,
                             Clock::time_point until) {
    if (from >= to) return;
    report_succeeded(plan, from, to, start, until);
    ends.ended += to - from;
    if (!every) {
      ends.tally[JobState::succeeded] += to - from;
      return;
    }
    const auto share = (until - start) / static_cast<Clock::rep>(to - from);
    for (auto k = from; k < to; ++k) {
      // The worker's times; without them (it died), [start, until) shared evenly.
      const auto at = k - batch_from;
      const auto times = at < outcome.times.size()
                             ? outcome.times[at]
                             : std::pair{start + share * static_cast<Clock::rep>(k - from),
                                         start + share * static_cast<Clock::rep>(k - from + 1)};
      const Item* of = item_of(k);
      attempt_events(k, times.first, times.second, JobState::succeeded, {}, of);
      end_instance(plan, k, JobState::succeeded, 1, {}, &spec.params, false, ends.tally, of);
    }
  };
  while (i < end && !stage_.stopping() && !token.cancelled()) {
    auto began = Clock::now();
    const auto sent = began;
    batch_from = i;
    {
      const auto running = running_.mark(current_worker_slot());
      outcome = workers_->run_batch(
          {*spec.type, spec.params, naming, i, end, range_of(spec.foreach), every}, token,
          spec.grace.value_or(kDefaultGrace), contexts);
    }
    const auto finished = Clock::now();
    const auto from = i;
    for (auto& ended : outcome.ended) {
      succeeded(i, ended.index, began, ended.start);
      Attempt attempt{ended.state, mask_secrets(ended.message)};
      // A failure is rare: its item is made for the observers that name it (a trace).
      const Item* of = every || spec.foreach.kind == FanOut::Kind::none
                           ? item_of(ended.index)
                           : &item.emplace(plan.source.item(ended.index));
      if (shared.interest != RunObserver::Interest::stages) {
        attempt_events(ended.index, ended.start, ended.end, ended.state, attempt.message, of);
      }
      if (conclude(plan, ended.index, 1, std::move(attempt), {}, spec.params, of, false,
                   ends.tally)) {
        ++ends.ended;
      }
      i = ended.index + 1;
      began = ended.end;
    }
    succeeded(i, std::max(i, outcome.next), began, finished);
    i = std::max(i, outcome.next);
    if (i == from) break;  // nothing ran: the caller runs the rest one by one
    const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(finished - sent).count();
    batch_ns_per_job_.store(std::max<std::int64_t>(1, took / static_cast<std::int64_t>(i - from)),
                            std::memory_order_relaxed);
  }
}

void Feeder::report_succeeded(JobPlan& plan, std::uint64_t from, std::uint64_t to,
                              Clock::time_point start, Clock::time_point end, bool reused) {
  if (from >= to || !stage_.services().succeeded_ranges) return;
  SucceededRange range{&stage_.stage(), &plan.spec, stage_.iteration(), from, to,
                       current_worker_slot(), start, end};
  range.reused = reused;
  std::optional<Item> item;  // one instance: a job of long instances, worth naming it exactly
  if (to == from + 1 && plan.spec.foreach.kind != FanOut::Kind::none) {
    range.item = &item.emplace(plan.source.item(from));
  }
  stage_.services().notify([&](RunObserver& observer) { observer.instances_succeeded(range); });
}

void Feeder::end_unrun(JobPlan& plan, std::uint64_t from, std::uint64_t to, bool tracked,
                       Ends& ends) {
  if (from >= to) return;
  const bool observed = tracked || stage_.services().interest != RunObserver::Interest::stages;
  if (observed) {
    for (auto i = from; i < to; ++i) {
      end_instance(plan, i, JobState::cancelled, 0, {stage_.stop_reason()}, nullptr, tracked,
                   ends.tally);
      ++ends.ended;
    }
  } else {
    ends.tally[JobState::cancelled] += to - from;
    ends.ended += to - from;
  }
}

bool Feeder::plain(const JobPlan& plan) const noexcept {
  const JobSpec& spec = plan.spec;
  // An observer of every attempt names the instance's item (run_instance makes it).
  return workers_ == nullptr && !spec.timeout && spec.templates.empty() &&
         stage_.services().interest != RunObserver::Interest::all;
}

RunningInstance Feeder::running_instance(const JobPlan& plan, std::uint64_t index) const {
  return {stage_.stage().name, stage_.stage().repeat ? stage_.iteration() : 0, plan.spec.id, index,
          plan.spec.foreach.kind != FanOut::Kind::none};
}

bool Feeder::run_plain_instance(JobPlan& plan, AttemptContext& context, RunningInstance& running,
                                int slot, std::uint64_t index, bool tracked, StateCounts& tally,
                                WorkerClock* clock) {
  context.retarget(index);
  running.index = index;
  Attempt outcome = run_job(plan.spec, context, running, slot);
  if (outcome.state == JobState::succeeded) {
    // What end_instance() does for a success that no observer sees one by one.
    if (tracked) stage_.tracked_ended(plan, index, JobState::succeeded, 1, {});
    ++tally[JobState::succeeded];
    return true;
  }
  if (clock != nullptr) clock_failure(*clock, nullptr, context, outcome, slot, nullptr);
  return conclude(plan, index, 1, std::move(outcome), {}, plan.spec.params, nullptr, tracked,
                  tally);
}

bool Feeder::run_instance(const CancelToken& token, JobPlan& plan, std::uint64_t index, int attempt,
                          std::vector<std::string> messages, bool tracked, StateCounts& tally,
                          WorkerClock* clock) {
  const JobSpec& spec = plan.spec;
  // The item is made when templates need it, or when observers see every instance (they name it).
  const bool named = spec.foreach.kind != FanOut::Kind::none &&
                     stage_.services().interest == RunObserver::Interest::all;
  if (spec.templates.empty() && !named) {
    // Most instances: the job's own params and no item, nothing to make before the attempt.
    return conclude(plan, index, attempt,
                    run_attempt(token, plan, index, attempt, spec.params, nullptr, clock),
                    std::move(messages), spec.params, nullptr, tracked, tally);
  }
  std::optional<Item> item;
  std::optional<Params> own_params;
  Attempt outcome;
  item.emplace(plan.source.item(index));
  if (!spec.templates.empty()) {
    try {
      own_params.emplace(instantiate_params(spec, *item, index, stage_.iteration(),
                                           stage_.services().outputs));
    } catch (const std::exception& e) {
      outcome = {JobState::failed, mask_secrets(e.what()), false};
    }
  }
  const Params& params = own_params ? *own_params : spec.params;
  if (spec.templates.empty() || own_params) {
    outcome = run_attempt(token, plan, index, attempt, params, &*item, clock);
  }
  return conclude(plan, index, attempt, std::move(outcome), std::move(messages), params, &*item,
                  tracked, tally);
}

bool Feeder::conclude(JobPlan& plan, std::uint64_t index, int attempt, Attempt outcome,
                      std::vector<std::string> messages, const Params& params, const Item* item,
                      bool tracked, StateCounts& tally) {
  const JobSpec& spec = plan.spec;
  if (outcome.state == JobState::succeeded) {
    end_instance(plan, index, outcome.state, attempt, std::move(messages), &params, tracked, tally,
                 item);
    return true;
  }
  add_attempt_message(messages, static_cast<std::uint64_t>(attempt), std::move(outcome.message));
  const bool retry = outcome.retryable &&
                     (outcome.state == JobState::failed || outcome.state == JobState::timed_out) &&
                     attempt < spec.retry.attempts && !stage_.stopping() &&
                     !stage_.services().interrupted.load();
  if (!retry) {
    end_instance(plan, index, outcome.state, attempt, std::move(messages), &params, tracked, tally,
                 item);
    return true;
  }
  schedule_retry({Clock::now() + backoff_before(spec.retry, attempt + 1), &plan, index, attempt + 1,
                  outcome.state, std::move(messages), tracked});
  return false;
}

Feeder::Attempt Feeder::run_attempt(const CancelToken& token, JobPlan& plan, std::uint64_t index,
                                    int attempt, const Params& params, const Item* item,
                                    WorkerClock* clock) {
  auto& shared = stage_.services();
  const JobSpec& spec = plan.spec;
  CancelSource timeout;
  std::optional<DeadlineTimer::Handle> deadline;
  // `token` has the run's and the stage's sources already; only a timeout adds one.
  std::optional<CancelToken> timed_token;
  if (spec.timeout) timed_token.emplace(token.with(&timeout));
  const CancelToken& attempt_token = timed_token ? *timed_token : token;
  AttemptContext context(stage_, plan, index, attempt, params, attempt_token);
  if (item) context.set_item(*item);

  const bool observed = shared.interest == RunObserver::Interest::all;
  AttemptEvent event;
  if (observed) {
    event = {&stage_.stage(),
             &spec,
             context.id(),
             index,
             stage_.iteration(),
             attempt,
             current_worker_slot(),
             Clock::now(),
             {},
             JobState::succeeded,
             {},
             item};
    shared.notify([&](RunObserver& observer) { observer.attempt_started(event); });
  }
  std::optional<DeadlineTimer::Handle> overdue_note;
  std::atomic<bool> overdue{false};
  if (spec.timeout) {
    const auto due = Clock::now() + *spec.timeout;
    deadline = shared.timer.arm(due, timeout);
    if (workers_ == nullptr) {
      // A thread cannot be stopped: a job that ignores its timeout is at least not silent.
      const auto grace = spec.grace.value_or(kDefaultGrace);
      overdue_note = shared.timer.arm(due + grace, [&, grace, id = context.id()] {
        overdue.store(true);
        stage_.note_overdue(true);
        shared.log.write(id, Logger::Level::warning,
                         "timed out after " + format_duration(*spec.timeout) +
                             ", still running " + format_duration(grace) +
                             " later: it ignores cancellation");
      });
    }
  }

  Attempt outcome = run_job(spec, context, running_instance(plan, index), current_worker_slot());
  if (deadline) shared.timer.disarm(*deadline);
  if (overdue_note) shared.timer.disarm(*overdue_note);
  if (overdue.load()) stage_.note_overdue(false);
  // Past its deadline, the attempt timed out, whatever the job did then: returning late does not
  // meet a timeout. A cancellation of the stage, the bulkhead or the run stays a cancellation,
  // and a failure the job reported before the deadline stays a failure.
  if (timeout.cancelled() && !token.cancelled() && outcome.state != JobState::failed) {
    const bool said_more = !outcome.message.empty() && outcome.message != "cancelled";
    outcome = {JobState::timed_out, "timed out after " + format_duration(*spec.timeout) +
                                        (said_more ? ": " + outcome.message : std::string())};
  }
  if (observed) {
    event.end = Clock::now();
    // In a worker process: when the job ran there, without the worker's start or the messages.
    if (outcome.ran) std::tie(event.start, event.end) = *outcome.ran;
    event.state = outcome.state;
    event.message = outcome.message;
    shared.notify([&](RunObserver& observer) { observer.attempt_ended(event); });
  }
  if (clock != nullptr && outcome.state != JobState::succeeded) {
    clock_failure(*clock, observed ? &event : nullptr, context, outcome, current_worker_slot(),
                  item);
  }
  return outcome;
}

Feeder::Attempt Feeder::run_job(const JobSpec& spec, AttemptContext& context,
                                const RunningInstance& instance, int slot) {
  Attempt outcome;
  const auto running = running_.mark(slot);  // for the ETA: no clock read
  try {
    if (workers_ != nullptr) {
      auto ran = workers_->run(*spec.type, context, spec.grace.value_or(kDefaultGrace));
      outcome = {ran.state, std::move(ran.message)};
      outcome.ran = ran.ran;
    } else {
      // Which instance this thread runs, for the note a crash of the process writes.
      const CrashMark mark(instance);
      const JobPlacement& placement = spec.type->placement;
      if (placement.make != nullptr && placement.size <= kInPlaceJobBytes &&
          placement.align <= alignof(std::max_align_t)) {
        // Made on this thread's stack: a short job would spend more on the heap than running.
        alignas(std::max_align_t) std::byte storage[kInPlaceJobBytes];
        const std::unique_ptr<Job, DestroyInPlace> job(placement.make(storage, context.params()));
        job->run(context);
      } else {
        auto job = spec.type->factory(context.params());
        job->run(context);
      }
    }
  } catch (const Cancelled&) {
    outcome = {JobState::cancelled, "cancelled"};
  } catch (const std::exception& e) {
    outcome = {context.cancel_token().cancelled() ? JobState::cancelled : JobState::failed,
               e.what()};
  } catch (...) {
    outcome = {context.cancel_token().cancelled() ? JobState::cancelled : JobState::failed,
               "unknown exception"};
  }
  // A job's message may quote its parameters.
  if (!outcome.message.empty()) outcome.message = mask_secrets(outcome.message);
  return outcome;
}

void Feeder::clock_failure(WorkerClock& clock, const AttemptEvent* seen,
                           const AttemptContext& context, const Attempt& outcome, int slot,
                           const Item* item) {
  if (seen != nullptr) {
    clock.split = seen->start;
    clock.since = seen->end;
  } else {
    // Timed from the worker's clock: the successes before it in the chunk and this attempt
    // share the time since the last reading evenly.
    const auto end = Clock::now();
    const auto successes = context.index() - std::min(clock.from, context.index());
    const auto shares = static_cast<Clock::rep>(successes + 1);
    const auto start =
        clock.since + (end - clock.since) / shares * static_cast<Clock::rep>(successes);
    const JobSpec& spec = context.plan().spec;
    // A failure is rare: its item is made here when the attempt ran without one, for the
    // observers that name it (a trace).
    std::optional<Item> made;
    if (item == nullptr && spec.foreach.kind != FanOut::Kind::none) {
      item = &made.emplace(context.plan().source.item(context.index()));
    }
    const AttemptEvent event{&stage_.stage(),
                             &spec,
                             context.id(),
                             context.index(),
                             stage_.iteration(),
                             context.attempt(),
                             slot,
                             start,
                             end,
                             outcome.state,
                             outcome.message,
                             item};
    stage_.services().notify([&](RunObserver& observer) { observer.attempt_ended(event); });
    clock.split = start;
    clock.since = end;
  }
  clock.from = context.index() + 1;
  clock.cut = true;
}

void Feeder::end_instance(JobPlan& plan, std::uint64_t index, JobState state, int attempts,
                          std::vector<std::string> messages, const Params* params, bool tracked,
                          StateCounts& tally, const Item* item) {
  if (is_failure(state) && !plan.spec.continue_on_error) stage_.record_failure();
  if (tracked) {
    stage_.tracked_ended(plan, index, state, attempts,
                         messages.empty() ? std::string() : messages.back());
  }
  const auto interest = stage_.services().interest;
  if (interest == RunObserver::Interest::all ||
      (interest == RunObserver::Interest::failures && state != JobState::succeeded)) {
    InstanceEvent event{&stage_.stage(),
                        &plan.spec,
                        stage_.instance_id(plan, index),
                        index,
                        stage_.iteration(),
                        attempts,
                        state,
                        std::move(messages),
                        params,
                        item};
    stage_.services().notify([&](RunObserver& observer) { observer.instance_ended(event); });
  }
  // Counted last: when recording the end throws (no memory), the caller's Ends counts it instead.
  ++tally[state];
}

}  // namespace lockstep::run
