#include "lockstep/engine/batch.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "exec/batch_state.hpp"
#include "exec/bulkhead_core.hpp"
#include "exec/spin.hpp"
#include "exec/assert.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace detail {

BatchState::~BatchState() {
  help_until_done();
  block_until_done();
}

void BatchState::job_admitted() noexcept { outstanding_.fetch_add(1, std::memory_order_acq_rel); }

void BatchState::finish(std::int64_t count, std::int64_t succeeded) noexcept {
  LOCKSTEP_ASSERT(count >= 1 && succeeded >= 0 && succeeded <= count,
                  "a batch is told of at least one ended job, and of no more successes than jobs");
  // Successes first: a waiter that sees the jobs finished must also see them counted.
  if (succeeded > 0) succeeded_.fetch_add(static_cast<std::uint64_t>(succeeded));
  auto current = outstanding_.load(std::memory_order_relaxed);
  for (;;) {
    LOCKSTEP_ASSERT(current >= count,
                    "a batch's pending count never goes negative: each admitted job ends once");
    if (current == count) {
      // The last jobs. Zero is only ever written under the mutex, so a waiter that sees zero and
      // then takes the mutex knows this thread is done with the batch and may destroy it.
      std::lock_guard lock(mutex_);
      if (outstanding_.compare_exchange_strong(current, 0, std::memory_order_acq_rel)) {
        all_done_.notify_all();
        return;
      }
      continue;  // a nested dispatch added a job meanwhile
    }
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

std::vector<std::shared_ptr<BulkheadCore>> BatchState::live_bulkheads() {
  std::vector<std::shared_ptr<BulkheadCore>> live;
  std::lock_guard lock(bulkheads_mutex_);
  for (const auto& weak : bulkheads_) {
    if (auto strong = weak.lock()) live.push_back(std::move(strong));
  }
  return live;
}

void BatchState::help_until_done() {
  if (done()) return;
  auto bulkheads = live_bulkheads();
  Backoff backoff;
  while (!done()) {
    bool ran = false;
    for (auto& core : bulkheads) ran = core->help(*this) || ran;
    if (ran) {
      backoff.reset();
    } else if (!backoff.pause()) {
      return;  // the rest is running elsewhere and will take a while: block
    }
  }
}

void BatchState::block_until_done() {
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [&] { return done(); });
}

BatchResult BatchState::wait() {
  help_until_done();
  block_until_done();  // also orders this thread after the last finisher's critical section
  BatchResult result;
  {
    std::lock_guard lock(mutex_);
    result.failures = std::move(failures_);
    failures_.clear();
    result.counts = unsuccessful_;
    unsuccessful_ = {};
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

}  // namespace lockstep
