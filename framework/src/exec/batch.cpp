#include "lockstep/engine/batch.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "exec/assert.hpp"
#include "exec/batch_state.hpp"
#include "exec/bulkhead_core.hpp"
#include "exec/spin.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace detail {

BatchState::~BatchState() {
  help_until_done();
  std::unique_lock lock(mutex_);
  block_until_done(lock);
}

void BatchState::job_admitted() noexcept { outstanding_.fetch_add(1, std::memory_order_acq_rel); }

void BatchState::finish(std::int64_t count, std::int64_t succeeded) noexcept {
  LOCKSTEP_ASSERT(count >= 1 && succeeded >= 0 && succeeded <= count,
                  "a batch is told of at least one ended job, and of no more successes than jobs");
  // Successes first: a waiter that sees the jobs finished must also see them counted.
  if (succeeded > 0) succeeded_.fetch_add(static_cast<std::uint64_t>(succeeded));
  auto current = outstanding_.load(std::memory_order_relaxed);
  for (;;) {
    LOCKSTEP_ASSERT((current & kJobsMask) >= count,
                    "a batch's pending count never goes negative: each admitted job ends once");
    if ((current & kJobsMask) == count && (current & kSleeper) != 0) {
      // The last jobs, and the waiter sleeps: zero is written under the mutex, so the waiter,
      // which looks under it, wakes (and may destroy the batch) only once this thread is done.
      std::lock_guard lock(mutex_);
      if (outstanding_.compare_exchange_strong(current, 0, std::memory_order_acq_rel)) {
        all_done_.notify_all();
        return;
      }
      continue;  // a nested dispatch added a job meanwhile
    }
    // Otherwise nobody sleeps: after this, this thread never touches the batch again (once the
    // count is zero, a waiter that sees it may destroy the batch at once).
    if (outstanding_.compare_exchange_weak(current, current - count, std::memory_order_acq_rel,
                                           std::memory_order_relaxed)) {
      return;
    }
  }
}

void BatchState::job_ended_at_dispatch(Failure failure) { record_failure(std::move(failure)); }

void BatchState::record_failure(Failure failure) {
  std::lock_guard lock(mutex_);
  ++unsuccessful_[failure.state];
  failures_.push_back(std::move(failure));
  any_failure_.store(true, std::memory_order_relaxed);  // published by finish() or the mutex
}

void BatchState::note_bulkhead(BulkheadCore& core) {
  if (last_bulkhead_.load(std::memory_order_relaxed) == &core) return;
  std::lock_guard lock(bulkheads_mutex_);
  last_bulkhead_.store(&core, std::memory_order_relaxed);
  auto known = std::ranges::any_of(bulkheads_, [&](const auto& weak) {
    auto strong = weak.lock();
    return strong.get() == &core;
  });
  if (!known) bulkheads_.push_back(core.weak_from_this());
}

void BatchState::collect_live_bulkheads() {
  helping_.clear();
  std::lock_guard lock(bulkheads_mutex_);
  for (const auto& weak : bulkheads_) {
    if (auto strong = weak.lock()) helping_.push_back(std::move(strong));
  }
}

void BatchState::help_until_done() {
  if (done()) return;
  collect_live_bulkheads();
  Backoff backoff;
  while (!done()) {
    bool ran = false;
    for (auto& core : helping_) ran = core->help(*this) || ran;
    if (ran) {
      backoff.reset();
    } else if (!backoff.pause()) {
      break;  // the rest is running elsewhere and will take a while: block
    }
  }
  helping_.clear();  // holds no bulkhead alive between rounds
}

void BatchState::block_until_done(std::unique_lock<std::mutex>& lock) {
  auto current = outstanding_.load(std::memory_order_acquire);
  while (current != 0) {
    // Set under the mutex: the finisher of the last job then writes zero under it too.
    if ((current & kSleeper) == 0 &&
        !outstanding_.compare_exchange_weak(current, current | kSleeper, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      continue;
    }
    all_done_.wait(lock);
    current = outstanding_.load(std::memory_order_acquire);
  }
}

BatchResult BatchState::wait() {
  help_until_done();
  BatchResult result;
  if (!done() || any_failure_.load(std::memory_order_acquire)) {
    std::unique_lock lock(mutex_);
    block_until_done(lock);
    result.failures = std::move(failures_);
    failures_.clear();
    result.counts = unsuccessful_;
    unsuccessful_ = {};
    any_failure_.store(false, std::memory_order_relaxed);
  }
  result.counts[JobState::succeeded] = succeeded_.exchange(0);
  cancel_.reset();  // a new round starts uncancelled
  return result;
}

}  // namespace detail

Batch::Batch() : state_(std::make_unique<detail::BatchState>()) {}
Batch::~Batch() = default;

BatchResult Batch::wait() { return state_->wait(); }
void Batch::cancel() noexcept { state_->cancel(); }
bool Batch::cancelled() const noexcept { return state_->cancelled(); }
std::size_t Batch::outstanding() const noexcept { return state_->outstanding(); }

}  // namespace lockstep::inline LOCKSTEP_ABI
