#include "lockstep/engine/bulkhead.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>
#include <thread>

#include "exec/assert.hpp"
#include "exec/batch_state.hpp"
#include "exec/bulkhead_core.hpp"
#include "exec/spin.hpp"
#include "exec/tsan.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace detail {

namespace {

constexpr std::uint64_t kRunner = 1;
constexpr std::uint64_t kPending = std::uint64_t{1} << 32;

// Reading the clock costs as much as dispatching an empty job, so queue waits are timed for
// every one of a bulkhead's first jobs, then for one job in kTimeOneIn (and weighted by it).
constexpr std::uint64_t kTimeEveryJobBelow = 4096;
constexpr std::uint64_t kTimeOneIn = 16;

bool timed(std::uint64_t seq) { return seq < kTimeEveryJobBelow || seq % kTimeOneIn == 0; }
std::int64_t weight_of(std::uint64_t seq) {
  return seq < kTimeEveryJobBelow ? 1 : static_cast<std::int64_t>(kTimeOneIn);
}

// A drainer watching for a waiting thread that runs the round's jobs itself (watch_for_helper())
// looks at the queue this often, and leaves once it has seen no job for kWatchIdle.
constexpr auto kWatchPoll = std::chrono::microseconds(2);
constexpr auto kWatchIdle = std::chrono::microseconds(20);

// A blocked dispatcher sleeps at most this long between looks at the places, whatever it was
// told: a backstop for the wake-up threshold, never the way it normally wakes.
constexpr auto kBlockedRecheck = std::chrono::milliseconds(1);
// From this queue length on, a blocked dispatcher sleeps until half the queue is free, below it
// until a quarter is (see wake_at_free_).
constexpr std::int64_t kHalfQueueFrom = 64;

constexpr int runners_of(std::uint64_t state) { return static_cast<int>(state & 0xffffffffU); }
constexpr int pending_of(std::uint64_t state) { return static_cast<int>(state >> 32); }

// The worker slot of the jobs the current thread runs now; -1 outside them.
thread_local int job_slot = -1;

// Sets job_slot for a run of jobs, and puts back the enclosing job's when they are done.
class JobSlotScope {
 public:
  explicit JobSlotScope(int slot) noexcept : outer_(job_slot) { job_slot = slot; }
  ~JobSlotScope() { job_slot = outer_; }
  JobSlotScope(const JobSlotScope&) = delete;
  JobSlotScope& operator=(const JobSlotScope&) = delete;

 private:
  int outer_;
};

// Adds to a counter of a worker slot, whose holder is its only writer (slots pass between
// runners with acquire and release): a load and a store, not a locked read-modify-write, which
// costs more than an empty job's other bookkeeping. Readers see the old value or the new one.
template <class T>
void add_in_own_slot(std::atomic<T>& counter, T amount) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

void raise_to(std::atomic<int>& peak, int value) noexcept {
  auto seen = peak.load(std::memory_order_relaxed);
  while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

void raise_to(std::atomic<std::int64_t>& peak, std::int64_t value) noexcept {
  auto seen = peak.load(std::memory_order_relaxed);
  while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

std::string describe_wait(std::chrono::nanoseconds wait) {
  using namespace std::chrono;
  if (wait % seconds(1) == nanoseconds(0)) return std::to_string(wait / seconds(1)) + "s";
  if (wait % milliseconds(1) == nanoseconds(0))
    return std::to_string(wait / milliseconds(1)) + "ms";
  return std::to_string(wait.count()) + "ns";
}

}  // namespace

// The bulkheads the current thread is a runner of, innermost first, each with the worker slot it
// holds there. A thread that already is a runner of a bulkhead runs its nested jobs without
// taking another runner place (or slot). Constructed once the runner place is taken, destroyed
// before it is given up.
class BulkheadCore::RunnerScope {
 public:
  explicit RunnerScope(BulkheadCore& core) noexcept
      : core_(&core), slot_(core.take_slot()), outer_(innermost) {
    innermost = this;
  }
  ~RunnerScope() {
    innermost = outer_;
    core_->give_back_slot(slot_);
  }
  RunnerScope(const RunnerScope&) = delete;
  RunnerScope& operator=(const RunnerScope&) = delete;

  static const RunnerScope* find(const BulkheadCore* core) noexcept {
    for (const auto* scope = innermost; scope != nullptr; scope = scope->outer_) {
      if (scope->core_ == core) return scope;
    }
    return nullptr;
  }
  static bool active_for(const BulkheadCore* core) noexcept { return find(core) != nullptr; }
  // The calling thread's slot in `core`; it must be a runner there.
  static int slot_in(const BulkheadCore* core) noexcept {
    const auto* scope = find(core);
    LOCKSTEP_ASSERT(scope != nullptr, "only a runner of a bulkhead has a worker slot there");
    return scope->slot_;
  }

 private:
  BulkheadCore* core_;
  int slot_;
  RunnerScope* outer_;
  static thread_local RunnerScope* innermost;
};

thread_local BulkheadCore::RunnerScope* BulkheadCore::RunnerScope::innermost = nullptr;

BulkheadCore::BulkheadCore(BulkheadOptions options)
    : options_(std::move(options)),
      queue_capacity_(options_.queue.value_or(default_queue(options_.workers))),
      capacity_(std::int64_t{options_.workers} + queue_capacity_),
      // Waking a blocked dispatcher costs microseconds: wake it when it can admit a burst, not
      // for every place that frees up. Half a long queue: half the wake-ups of a quarter, and 1 µs
      // jobs on 2 workers sharing 2 cores with the producer ran at 0.87, not 0.85. A quarter of a
      // short one: there the workers run dry during any wake-up, and waiting for half made it
      // worse (queue 4: 0.16 instead of 0.17).
      wake_at_free_(std::max<std::int64_t>(
          1, queue_capacity_ >= kHalfQueueFrom ? queue_capacity_ / 2 : queue_capacity_ / 4)),
      // Every runner's look ends at most this many releases late, and together they add no
      // more than a quarter of what a blocked dispatcher waits for.
      look_every_(std::max<std::int64_t>(1, wake_at_free_ / (4 * options_.workers))),
      may_spin_(cores_to_spare(options_.workers)),
      slots_(std::make_unique<SlotStats[]>(static_cast<std::size_t>(options_.workers))),
      slots_held_(std::make_unique<std::atomic<std::uint64_t>[]>(
          (static_cast<std::size_t>(options_.workers) + 63) / 64)),
      // No slot reserved for external threads: they never join, and a reserved slot would
      // leave the bulkhead one worker short.
      arena_(options_.workers, 0),
      queue_(static_cast<std::size_t>(capacity_)) {}

BulkheadCore::~BulkheadCore() {
  quiesce();
  LOCKSTEP_ASSERT(queue_.empty(), "no admitted job is left in the queue of a quiesced bulkhead");
  LOCKSTEP_ASSERT(drain_state_.load(std::memory_order_relaxed) == 0,
                  "no runner and no pending drainer outlive their bulkhead");
}

// ---- admission -------------------------------------------------------------------------------

Admission BulkheadCore::dispatch(BatchState& batch, Task&& task, const Patience& patience) {
  if (batch.cancelled() || cancelled()) {
    return end_at_dispatch(batch, task, JobState::cancelled, "cancelled before it was admitted");
  }
  std::int64_t in_flight = try_take_place();  // by the dispatchers' copy of released()
  if (in_flight == 0) {
    if (RunnerScope::active_for(this)) {
      // A job of this bulkhead waiting for room here could be waiting for itself.
      run_inline(batch, std::move(task));
      return Admission::admitted;
    }
    if (!patience.blocking) {
      return end_at_dispatch(batch, task, JobState::rejected,
                             "bulkhead '" + options_.name + "' is full (" +
                                 std::to_string(options_.workers) + " workers, queue " +
                                 std::to_string(queue_capacity_) + ")");
    }
    in_flight = wait_for_place(batch, patience);
    if (in_flight == 0) {
      if (batch.cancelled() || cancelled()) {
        return end_at_dispatch(batch, task, JobState::cancelled,
                               "cancelled while waiting to be admitted");
      }
      return end_at_dispatch(
          batch, task, JobState::rejected,
          "bulkhead '" + options_.name + "' had no room within " +
              describe_wait(patience.wait.value_or(std::chrono::nanoseconds::zero())));
    }
  }
  auto seq = admitted_.fetch_add(1, std::memory_order_relaxed);
  batch.job_admitted();
  batch.note_bulkhead(*this);
  note_queued_peak(in_flight);
  // There are at least as many cells as places, so a push can only find its cell taken while a
  // runner is still moving the previous lap's entry out of it: nanoseconds, unless that runner
  // was preempted right there, often by this very thread on a machine without a core to spare.
  // Spinning then held the runner's core for its whole time slice (measured: 2 to 5 waits of
  // 4 to 10 ms in 1M jobs of 1 µs on 2 cores), so the wait yields.
  const auto admitted_at = timed(seq) ? Clock::now() : Clock::time_point{};
  Backoff backoff(may_spin_);
  while (!queue_.try_emplace(std::move(task), &batch, seq, admitted_at)) {
    if (!backoff.pause()) backoff.reset();
  }
  spawn_drainer_if_needed();
  return Admission::admitted;
}

std::int64_t BulkheadCore::try_take_place() noexcept {
  auto taken = taken_.load(std::memory_order_relaxed);
  auto released = released_seen_.load(std::memory_order_relaxed);
  for (;;) {
    if (taken - released >= capacity_) {
      // Full by the copy: look at the real count of ended jobs before giving up.
      const auto now = look_at_released();
      if (now == released) return 0;
      released = now;
      continue;
    }
    if (taken_.compare_exchange_weak(taken, taken + 1, std::memory_order_seq_cst,
                                     std::memory_order_relaxed)) {
      return taken + 1 - released;
    }
  }
}

std::int64_t BulkheadCore::released() const noexcept {
  std::int64_t sum = 0;
  for (int i = 0; i < options_.workers; ++i) {
    sum += slots_[static_cast<std::size_t>(i)].released.load(std::memory_order_seq_cst);
  }
  return sum;
}

std::int64_t BulkheadCore::look_at_released() noexcept {
  const auto released_now = released();
  auto seen = released_seen_.load(std::memory_order_relaxed);
  while (seen < released_now &&
         !released_seen_.compare_exchange_weak(seen, released_now, std::memory_order_relaxed)) {
  }
  return released_now;
}

std::int64_t BulkheadCore::in_flight() const noexcept {
  // released() first: read the other way, a place taken and given back in between would count
  // as given back and not taken, below zero. Read this way, places given back and taken again
  // in between count twice, so the estimate is capped at what can ever be in flight.
  const auto released_now = released();
  return std::min(capacity_, taken_.load(std::memory_order_seq_cst) - released_now);
}

std::int64_t BulkheadCore::wait_for_place(BatchState& batch, const Patience& patience) {
  std::optional<Clock::time_point> deadline;
  if (patience.wait) deadline = Clock::now() + *patience.wait;
  // A place may free up within nanoseconds: look a few times before paying for a sleep. Also
  // where the workers leave no core to spare: measured with a queue of 4 on two cores, skipping
  // this spin made 1 µs jobs run at an efficiency of 0.18 instead of 0.42.
  for (int spin = 0; spin < 64; ++spin) {
    cpu_relax();
    if (auto in_flight = try_take_place()) return in_flight;
  }
  std::int64_t took = 0;
  auto ready = [&] {
    took = try_take_place();
    return took != 0 || cancelled() || batch.cancelled();
  };
  blocked_dispatchers_.fetch_add(1, std::memory_order_seq_cst);
  {
    std::unique_lock lock(admission_mutex_);
    // Cleared before each look, so that a release after it finds places sends a wake-up.
    while ((wake_sent_.store(false, std::memory_order_seq_cst), !ready())) {
      auto until = Clock::now() + kBlockedRecheck;
      if (deadline) {
        if (Clock::now() >= *deadline) break;
        until = std::min(until, *deadline);
      }
      place_freed_.wait_until(lock, until);
    }
  }
  [[maybe_unused]] const auto blocked =
      blocked_dispatchers_.fetch_sub(1, std::memory_order_relaxed);
  LOCKSTEP_ASSERT(blocked >= 1, "the count of blocked dispatchers never goes negative");
  return took;
}

void BulkheadCore::release_place(SlotStats& slot) noexcept {
  const auto released_here = slot.released.fetch_add(1, std::memory_order_seq_cst) + 1;
  // The dispatchers' line (taken_) and the other slots are read only while a dispatcher
  // sleeps, or at the end.
  const bool someone_blocked = blocked_dispatchers_.load(std::memory_order_seq_cst) > 0;
  const bool quiescing = quiescing_.load(std::memory_order_seq_cst);
  if (!someone_blocked && !quiescing) return;
  // A blocked dispatcher waits for wake_at_free_ places, so a runner looks at the sum every
  // look_every_ of its own releases only: summing the slots on every job took each runner's
  // line from the other, and made a job of 1 µs cost 6 % more (perf, 2 workers on 2 cores).
  // The look always comes: the dispatcher blocked with every place taken, and when
  // look_every_ > 1 the places beyond the threshold (capacity_ - wake_at_free_) are more than
  // look_every_ releases for every runner. A sleeping dispatcher also looks every 1 ms.
  if (!quiescing && released_here % look_every_ != 0) return;
  const auto released_now = released();
  // Admissions since this release may count in it too (taken_ is read later): a value above
  // what is in flight now, never below.
  const auto in_flight = taken_.load(std::memory_order_seq_cst) - released_now;
  LOCKSTEP_ASSERT(in_flight >= 0, "a place is given back only by a job that took one");
  // Wake a dispatcher once it can admit a burst, and only once per sleep (wake_sent_): the
  // releases after this one would only queue up on the mutex.
  if (someone_blocked && capacity_ - in_flight >= wake_at_free_ &&
      !wake_sent_.exchange(true, std::memory_order_seq_cst)) {
    std::lock_guard lock(admission_mutex_);
    place_freed_.notify_one();
  }
  if (in_flight == 0 && quiescing) {
    std::lock_guard lock(lifetime_mutex_);
    drained_.notify_all();
  }
}

Admission BulkheadCore::end_at_dispatch(BatchState& batch, Task& task, JobState state,
                                        std::string message) {
  auto seq = admitted_.load(std::memory_order_relaxed);
  Entry entry{std::move(task), &batch, seq, Clock::now()};
  ended_at_dispatch_[static_cast<std::size_t>(state)].fetch_add(1, std::memory_order_relaxed);
  batch.job_ended_at_dispatch(Failure{identity(entry), options_.name, state, std::move(message)});
  return state == JobState::rejected ? Admission::rejected : Admission::cancelled;
}

void BulkheadCore::note_queued_peak(std::int64_t in_flight) noexcept {
  // What the admission saw may count places given back since the dispatchers' copy of released()
  // was taken: look at the real count only when that would raise the peak.
  if (in_flight - options_.workers <= peak_queued_.load(std::memory_order_relaxed)) return;
  const auto released = look_at_released();  // later dispatches compare with this one too
  const auto now = std::min(in_flight, taken_.load(std::memory_order_relaxed) - released);
  raise_to(peak_queued_, now - options_.workers);
}

// ---- runners ---------------------------------------------------------------------------------

void BulkheadCore::spawn_drainer_if_needed() noexcept {
  // Seq_cst loads after the caller's push (a seq_cst CAS on the queue's tail): each, and a
  // runner's seq_cst step out (stop_being_runner(), or the end of linger_for_work() or of
  // watch_for_helper()) followed by its look at the queue, cannot both miss, so either this
  // thread sees that runner gone, or that runner sees what was pushed. Loads, not
  // read-modify-writes: the lines stay shared with the runners instead of being taken from them on
  // every dispatch.
  if (lingering_.load(std::memory_order_seq_cst) > 0) return;  // it takes the job
  auto state = drain_state_.load(std::memory_order_seq_cst);
  for (;;) {
    if (pending_of(state) > 0 || runners_of(state) >= options_.workers) return;
    if (drain_state_.compare_exchange_weak(state, state + kRunner + kPending,
                                           std::memory_order_seq_cst, std::memory_order_relaxed)) {
      break;
    }
  }
  live_drainers_.fetch_add(1, std::memory_order_relaxed);
  tsan_release(this);
  [[maybe_unused]] TsanIgnoreScope hide_tbb_internals;
  arena_.enqueue([this] { run_as_drainer(); });
}

void BulkheadCore::run_as_drainer() {
  tsan_acquire(this);
  [[maybe_unused]] const auto state = drain_state_.fetch_sub(kPending, std::memory_order_seq_cst);
  // spawn_drainer_if_needed() took this drainer's runner place and marked it pending, and allows
  // one pending drainer at a time.
  LOCKSTEP_ASSERT(pending_of(state) == 1, "a drainer starts only while it is the one pending");
  LOCKSTEP_ASSERT(runners_of(state) >= 1 && runners_of(state) <= options_.workers,
                  "a starting drainer already holds a runner place (runners: 1..workers)");
  do {
    if (watch_for_helper()) {
      RunnerScope scope(*this);
      Entry entry;
      do {
        while (queue_.try_pop(entry)) {
          // More to do: wake one more. empty(), not the front_ready() hint: a dispatcher that
          // saw this drainer pending spawned nobody, and the hint misses an entry while a helper
          // pops the one before it (measured: a job left queued with a worker free).
          if (!queue_.empty()) spawn_drainer_if_needed();
          run_burst(entry, nullptr, true);
        }
      } while (linger_for_work());
    }
    stop_being_runner();
  } while (!queue_.empty() && try_become_runner());
  std::lock_guard lock(lifetime_mutex_);  // the last touch of *this: quiesce() waits for it
  [[maybe_unused]] const auto live = live_drainers_.fetch_sub(1, std::memory_order_relaxed);
  LOCKSTEP_ASSERT(live >= 1, "the count of live drainers never goes negative");
  drained_.notify_all();
}

bool BulkheadCore::linger_for_work() noexcept {
  // Not while the thread waiting at the barrier runs the jobs itself: the next job is its own
  // to take (see watch_for_helper()).
  if (helper_keeps_up_.load(std::memory_order_relaxed)) return false;
  // One lingering drainer at a time: with more, idle threads would outnumber the cores that the
  // producer, or a thread waiting at the barrier, needs.
  int none = 0;
  if (!lingering_.compare_exchange_strong(none, 1, std::memory_order_seq_cst)) return false;
  // Where the workers leave no core to spare, it only yields: a spin would take the core of the
  // producer it waits for.
  Backoff backoff(may_spin_);
  bool found = false;
  while (!(found = queue_.front_ready()) && backoff.pause()) {
  }
  // Seq_cst, then a last look: a dispatcher that saw this drainer lingering spawned nobody.
  lingering_.fetch_sub(1, std::memory_order_seq_cst);
  return found || !queue_.empty();
}

bool BulkheadCore::watch_for_helper() noexcept {
  if (!helper_keeps_up_.load(std::memory_order_relaxed)) return true;
  // The waiting thread needs a runner place of its own to help.
  if (runners_of(drain_state_.load(std::memory_order_relaxed)) >= options_.workers) return true;
  // As a lingering drainer: dispatchers that see it spawn nobody, since it takes what waits.
  int none = 0;
  if (!lingering_.compare_exchange_strong(none, 1, std::memory_order_seq_cst)) return true;
  auto last_head = queue_.head_position();
  bool last_ready = queue_.front_ready();
  auto polled = Clock::now();
  auto idle_since = polled;
  bool take = false;
  for (;;) {
    // Between polls, touch no line of the queue: the waiting thread writes them on every job.
    std::this_thread::yield();
    const auto now = Clock::now();
    if (now - polled < kWatchPoll) continue;
    polled = now;
    const auto head = queue_.head_position();
    const bool ready = queue_.front_ready();
    if (ready && head == last_head && last_ready) {
      // The same job waited a whole poll: the waiting thread is busy, or nobody waits.
      helper_keeps_up_.store(false, std::memory_order_relaxed);
      take = true;
      break;
    }
    if (ready || head != last_head) idle_since = now;
    if (now - idle_since > kWatchIdle) break;
    last_head = head;
    last_ready = ready;
  }
  // Seq_cst, then the caller's look at the queue: a dispatcher that saw it watching spawned nobody.
  lingering_.fetch_sub(1, std::memory_order_seq_cst);
  return take;
}

bool BulkheadCore::try_become_runner() noexcept {
  auto state = drain_state_.load(std::memory_order_relaxed);
  while (runners_of(state) < options_.workers) {
    if (drain_state_.compare_exchange_weak(state, state + kRunner, std::memory_order_seq_cst,
                                           std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

int BulkheadCore::take_slot() noexcept {
  if (options_.workers == 1) {
    // One runner at most: nothing to share.
    LOCKSTEP_ASSERT(runners_of(drain_state_.load(std::memory_order_relaxed)) == 1,
                    "the only worker slot of a one-worker bulkhead has one runner");
    return 0;
  }
  const auto words = (static_cast<std::size_t>(options_.workers) + 63) / 64;
  for (;;) {
    for (std::size_t word = 0; word < words; ++word) {
      const auto bits =
          std::min<std::size_t>(64, static_cast<std::size_t>(options_.workers) - 64 * word);
      const auto valid = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
      auto held = slots_held_[word].load(std::memory_order_relaxed);
      while ((~held & valid) != 0) {
        const auto bit = std::countr_zero(~held & valid);
        if (slots_held_[word].compare_exchange_weak(held, held | (std::uint64_t{1} << bit),
                                                    std::memory_order_acquire,
                                                    std::memory_order_relaxed)) {
          const auto slot = static_cast<int>(64 * word) + bit;
          LOCKSTEP_ASSERT(slot < options_.workers, "a worker slot is one of `workers`");
          return slot;
        }
      }
    }
    // Not reached: there are as many slots as runner places, and a runner gives its slot back
    // before its place. Only a reordered view of a slot given back a moment ago ends up here.
    cpu_relax();
  }
}

void BulkheadCore::give_back_slot(int slot) noexcept {
  LOCKSTEP_ASSERT(slot >= 0 && slot < options_.workers, "a worker slot is one of `workers`");
  if (options_.workers == 1) return;
  const auto index = static_cast<std::size_t>(slot);
  const auto bit = std::uint64_t{1} << (index % 64);
  [[maybe_unused]] const auto held =
      slots_held_[index / 64].fetch_and(~bit, std::memory_order_release);
  LOCKSTEP_ASSERT((held & bit) != 0, "a worker slot is given back once, by the runner holding it");
}

void BulkheadCore::stop_being_runner() noexcept {
  // Callers look at the queue right after this: see spawn_drainer_if_needed().
  [[maybe_unused]] const auto state = drain_state_.fetch_sub(kRunner, std::memory_order_seq_cst);
  LOCKSTEP_ASSERT(runners_of(state) >= 1 && runners_of(state) <= options_.workers,
                  "only a runner stops being one (runners: 1..workers)");
}

bool BulkheadCore::help(BatchState& batch) {
  if (queue_.empty()) return false;
  if (RunnerScope::active_for(this)) {
    // A job of this bulkhead waits for a batch: run queued jobs in its place.
    Entry entry;
    if (!queue_.try_pop(entry)) return false;
    run_burst(entry, &batch, false);
    return true;
  }
  if (!try_become_runner()) return false;
  bool ran = false;
  {
    RunnerScope scope(*this);
    Entry entry;
    if (queue_.try_pop(entry)) {
      run_burst(entry, &batch, true);
      ran = true;
    }
  }
  // Read first: the line is read by every dispatch, and written here only when it changes.
  if (ran && !helper_keeps_up_.load(std::memory_order_relaxed)) {
    helper_keeps_up_.store(true, std::memory_order_relaxed);
  }
  stop_being_runner();
  if (!queue_.empty()) spawn_drainer_if_needed();
  return ran;
}

namespace {

// Counts finished jobs into their batch once per run of jobs of the same batch, not once per job
// (the batch's counter is shared with every dispatcher and runner). A run ends before a job of
// another batch starts, so a batch learns of its last job before anything else runs.
class BatchCompletions {
 public:
  BatchCompletions() = default;
  BatchCompletions(const BatchCompletions&) = delete;
  BatchCompletions& operator=(const BatchCompletions&) = delete;
  ~BatchCompletions() { flush(); }

  void before(BatchState* batch) noexcept {
    if (batch != batch_) flush();
    batch_ = batch;
  }
  void count(JobState state) noexcept {
    ++count_;
    if (state == JobState::succeeded) ++succeeded_;
  }
  void flush() noexcept {
    if (count_ > 0) batch_->finish(count_, succeeded_);  // our last touch of that batch
    count_ = 0;
    succeeded_ = 0;
    batch_ = nullptr;
  }

 private:
  BatchState* batch_ = nullptr;
  std::int64_t count_ = 0;
  std::int64_t succeeded_ = 0;
};

}  // namespace

void BulkheadCore::run_burst(Entry& first, const BatchState* until, bool count_as_running) {
  const int slot_index = RunnerScope::slot_in(this);
  JobSlotScope job_slot_scope(slot_index);
  auto& slot = slots_[static_cast<std::size_t>(slot_index)];
  if (count_as_running) {
    const auto running = running_.fetch_add(1, std::memory_order_relaxed) + 1;
    LOCKSTEP_ASSERT(running >= 1 && running <= options_.workers,
                    "at most `workers` jobs of a bulkhead run at once");
    raise_to(peak_running_, running);
  }
  BatchCompletions completions;
  auto run = [&](Entry& entry) {
    completions.before(entry.batch);
    completions.count(run_entry(entry, slot, true, count_as_running));
    if (entry.batch == until) completions.flush();  // the helper is waiting for exactly this
  };
  run(first);
  Entry next;
  while ((until == nullptr || !until->done()) && queue_.try_pop(next)) run(next);
  // No longer running before the batch hears of its last jobs: whoever returns from wait() then
  // sees stats().running without them (the flush publishes this decrement).
  if (count_as_running) {
    [[maybe_unused]] const auto running = running_.fetch_sub(1, std::memory_order_relaxed);
    LOCKSTEP_ASSERT(running >= 1, "the count of running jobs never goes negative");
  }
  completions.flush();
}

void BulkheadCore::run_inline(BatchState& batch, Task&& task) {
  auto seq = admitted_.fetch_add(1, std::memory_order_relaxed);
  batch.job_admitted();
  Entry entry{std::move(task), &batch, seq, Clock::time_point{}};
  const int slot_index = RunnerScope::slot_in(this);
  JobSlotScope job_slot_scope(slot_index);
  auto state = run_entry(entry, slots_[static_cast<std::size_t>(slot_index)], false, false);
  batch.finish(1, state == JobState::succeeded ? 1 : 0);
}

JobState BulkheadCore::run_entry(Entry& entry, SlotStats& slot, bool holds_place, bool own_time) {
  // Only sampled jobs carry their admission time, and only they pay for reading the clock.
  if (entry.admitted_at == Clock::time_point{}) return run_job(entry, slot, holds_place);
  return run_timed(entry, slot, holds_place, own_time);
}

JobState BulkheadCore::run_timed(Entry& entry, SlotStats& slot, bool holds_place, bool own_time) {
  const auto weight = weight_of(entry.seq);
  const auto started = Clock::now();
  record_wait(slot, started - entry.admitted_at, weight);
  const auto state = run_job(entry, slot, holds_place);
  // Before the caller tells the batch: whoever waits for it then sees this time counted.
  if (own_time) {
    add_in_own_slot(slot.busy_ns, (Clock::now() - started).count() * weight);
  }
  return state;
}

JobState BulkheadCore::run_job(Entry& entry, SlotStats& slot, bool holds_place) {
  BatchState* batch = entry.batch;
  CancelToken token({&batch->cancel_source(), &cancel_, nullptr});
  JobState state = JobState::succeeded;
  std::string message;
  if (batch->cancelled() || cancelled()) {  // token.cancelled(), without the call and the loop
    state = JobState::cancelled;
    message = "cancelled before it started";
  } else {
    try {
      entry.task(token);
    } catch (const Cancelled&) {
      state = JobState::cancelled;
      message = "cancelled";
    } catch (const std::exception& error) {
      state = token.cancelled() ? JobState::cancelled : JobState::failed;
      message = error.what();
    } catch (...) {
      state = token.cancelled() ? JobState::cancelled : JobState::failed;
      message = "unknown exception (not derived from std::exception)";
    }
  }

  add_in_own_slot(slot.ended[static_cast<std::size_t>(state)], std::uint64_t{1});
  if (state != JobState::succeeded) {
    batch->record_failure(Failure{identity(entry), options_.name, state, std::move(message)});
  }
  entry.task = Task{};  // the job's captures die before its batch can be released
  if (holds_place) release_place(slot);
  return state;
}

void BulkheadCore::record_wait(SlotStats& slot, std::chrono::nanoseconds wait,
                               std::int64_t weight) noexcept {
  add_in_own_slot(slot.queue_wait_ns, wait.count() * weight);
  const auto bucket = DurationHistogram::bucket_of(wait);
  add_in_own_slot(slot.queue_waits[bucket], static_cast<std::uint64_t>(weight));
  raise_to(slot.queue_wait_buckets, static_cast<std::int64_t>(bucket) + 1);
  raise_to(queue_wait_max_ns_, wait.count());
}

std::string BulkheadCore::identity(const Entry& entry) const {
  if (!entry.task.id().empty()) return entry.task.id();
  return options_.name + "#" + std::to_string(entry.seq);
}

// ---- control and accounting --------------------------------------------------------------------

void BulkheadCore::cancel() noexcept {
  cancel_.cancel();
  std::lock_guard lock(admission_mutex_);
  place_freed_.notify_all();  // blocked dispatchers give up
}

void BulkheadCore::quiesce() {
  quiescing_.store(true, std::memory_order_seq_cst);
  std::unique_lock lock(lifetime_mutex_);
  drained_.wait(lock, [&] {
    return in_flight() == 0 && live_drainers_.load(std::memory_order_relaxed) == 0;
  });
}

BulkheadStats BulkheadCore::stats() const {
  BulkheadStats stats;
  std::int64_t wait_ns = 0;
  std::int64_t busy_ns = 0;
  for (int i = 0; i < options_.workers; ++i) {
    const auto& slot = slots_[static_cast<std::size_t>(i)];
    for (auto state : kAllJobStates) {
      stats.ended[state] +=
          slot.ended[static_cast<std::size_t>(state)].load(std::memory_order_relaxed);
    }
    wait_ns += slot.queue_wait_ns.load(std::memory_order_relaxed);
    busy_ns += slot.busy_ns.load(std::memory_order_relaxed);
    const auto used =
        static_cast<std::size_t>(slot.queue_wait_buckets.load(std::memory_order_relaxed));
    for (std::size_t bucket = 0; bucket < used; ++bucket) {
      stats.queue_wait_histogram.counts[bucket] +=
          slot.queue_waits[bucket].load(std::memory_order_relaxed);
    }
  }
  for (auto state : kAllJobStates) {
    stats.ended[state] +=
        ended_at_dispatch_[static_cast<std::size_t>(state)].load(std::memory_order_relaxed);
  }
  stats.admitted = admitted_.load(std::memory_order_relaxed);
  stats.running = running_.load(std::memory_order_relaxed);
  stats.peak_running = peak_running_.load(std::memory_order_relaxed);
  stats.queued = std::max<std::int64_t>(0, in_flight() - options_.workers);
  stats.peak_queued = std::max<std::int64_t>(0, peak_queued_.load(std::memory_order_relaxed));
  stats.queue_wait = std::chrono::nanoseconds(wait_ns);
  stats.queue_wait_max =
      std::chrono::nanoseconds(queue_wait_max_ns_.load(std::memory_order_relaxed));
  stats.busy = std::chrono::nanoseconds(busy_ns);
  return stats;
}

void BulkheadCore::reset_peaks() noexcept {
  peak_running_.store(running_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  peak_queued_.store(in_flight() - options_.workers, std::memory_order_relaxed);
  queue_wait_max_ns_.store(0, std::memory_order_relaxed);
}

}  // namespace detail

// ---- the public face -----------------------------------------------------------------------

Bulkhead::Bulkhead(std::shared_ptr<detail::BulkheadCore> core) noexcept : core_(std::move(core)) {}

Bulkhead::~Bulkhead() {
  if (core_) core_->quiesce();
}

Admission Bulkhead::dispatch(Batch& batch, Task task) {
  return core_->dispatch(batch.state(), std::move(task), {true, core_->options().max_wait});
}

Admission Bulkhead::try_dispatch(Batch& batch, Task task) {
  return core_->dispatch(batch.state(), std::move(task), {false, std::nullopt});
}

Admission Bulkhead::dispatch_for(Batch& batch, Task task, std::chrono::nanoseconds timeout) {
  return core_->dispatch(batch.state(), std::move(task), {true, timeout});
}

void Bulkhead::cancel() noexcept { core_->cancel(); }
bool Bulkhead::cancelled() const noexcept { return core_->cancelled(); }
const std::string& Bulkhead::name() const noexcept { return core_->options().name; }
int Bulkhead::workers() const noexcept { return core_->options().workers; }
int Bulkhead::queue_capacity() const noexcept { return core_->queue_capacity(); }
std::optional<std::chrono::nanoseconds> Bulkhead::max_wait() const noexcept {
  return core_->options().max_wait;
}
BulkheadStats Bulkhead::stats() const { return core_->stats(); }
void Bulkhead::reset_peaks() noexcept { core_->reset_peaks(); }

int current_worker_slot() noexcept { return detail::job_slot; }

int default_queue(int workers) noexcept {
  // 4,096 places in all: one array of the queue's (a power of two, see BoundedQueue) with no
  // entry unused. See docs/performance.md for what a larger or smaller queue trades.
  constexpr int kDefaultPlaces = 4096;
  return std::max(2 * workers, kDefaultPlaces - workers);
}

}  // namespace lockstep::inline LOCKSTEP_ABI
