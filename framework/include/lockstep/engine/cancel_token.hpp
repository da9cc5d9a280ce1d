// lockstep/engine/cancel_token.hpp — what a running job sees of cancellation.
//
//   bulkhead.dispatch(batch, [](const lockstep::CancelToken& cancel) {
//     for (int step = 0; step < 100; ++step) {
//       cancel.throw_if_cancelled();          // ends the job as cancelled
//       if (!cancel.sleep_for(std::chrono::milliseconds(10))) return;  // woke early: cancelled
//     }
//   });
//
// A job is cancelled when its batch or its bulkhead is cancelled (and, in pipelines, when its
// attempt times out). Cancellation is cooperative: a running job is never interrupted, it polls
// cancelled() or sleeps with sleep_for(), which wakes as soon as cancellation is requested.
// A job that returns normally after cancellation has succeeded (it finished its work); to end
// as cancelled it throws lockstep::Cancelled, as throw_if_cancelled() does.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <vector>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// Thrown by CancelToken::throw_if_cancelled(). A job that ends by throwing it (or by throwing
// anything after its token was cancelled) ends as JobState::cancelled, not failed.
class LOCKSTEP_API Cancelled : public std::exception {
 public:
  const char* what() const noexcept override;  // defined in liblockstep: one type_info for all
};

// Where cancellation comes from: a flag that tokens read, and that wakes their sleeps when set.
// Batches and bulkheads own one each; a pipeline attempt with a timeout has one too.
class LOCKSTEP_API CancelSource {
 public:
  CancelSource() = default;
  CancelSource(const CancelSource&) = delete;
  CancelSource& operator=(const CancelSource&) = delete;

  // Sets the flag and wakes every CancelToken::sleep_for() waiting on this source.
  void cancel() noexcept;
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }
  // Clears the flag, for the next round. Only when no running job is looking at it.
  void reset() noexcept { cancelled_.store(false, std::memory_order_release); }

 private:
  friend class CancelToken;
  struct Sleeper;
  void add(Sleeper* sleeper) const;
  void remove(Sleeper* sleeper) const;

  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;  // guards sleepers_
  mutable std::vector<Sleeper*> sleepers_;
};

class LOCKSTEP_API CancelToken {
 public:
  static constexpr std::size_t kMaxSources = 5;

  // A token that is never cancelled.
  CancelToken() = default;

  // A token cancelled when any of the given sources is; null sources are ignored. The sources
  // must outlive the token (the engine guarantees this for the tokens it hands to jobs).
  explicit CancelToken(std::array<const CancelSource*, kMaxSources> sources) noexcept
      : sources_(sources) {}

  bool cancelled() const noexcept;

  // Sleeps for `duration` or until cancellation, whichever comes first.
  // Returns true if the whole duration elapsed, false if it woke because of cancellation.
  bool sleep_for(std::chrono::nanoseconds duration) const;

  // Throws lockstep::Cancelled if cancellation was requested.
  void throw_if_cancelled() const;

  // The same token, also cancelled by `extra` (which must outlive the result).
  CancelToken with(const CancelSource* extra) const noexcept;

 private:
  std::array<const CancelSource*, kMaxSources> sources_{};
};

}  // namespace lockstep
