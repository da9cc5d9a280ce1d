#include "lockstep/engine/cancel_token.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace lockstep::inline LOCKSTEP_ABI {

const char* Cancelled::what() const noexcept { return "cancelled"; }

// One sleeping thread, registered with every source of its token for the length of its sleep.
struct CancelSource::Sleeper {
  std::mutex mutex;
  std::condition_variable wake;
  bool woken = false;
};

void CancelSource::cancel() noexcept {
  cancelled_.store(true, std::memory_order_release);
  std::lock_guard lock(mutex_);
  for (auto* sleeper : sleepers_) {
    std::lock_guard sleeper_lock(sleeper->mutex);
    sleeper->woken = true;
    sleeper->wake.notify_all();
  }
}

void CancelSource::add(Sleeper* sleeper) const {
  std::lock_guard lock(mutex_);
  sleepers_.push_back(sleeper);
}

void CancelSource::remove(Sleeper* sleeper) const {
  std::lock_guard lock(mutex_);
  std::erase(sleepers_, sleeper);
}

bool CancelToken::cancelled() const noexcept {
  return std::ranges::any_of(
      sources_, [](const CancelSource* source) { return source && source->cancelled(); });
}

bool CancelToken::sleep_for(std::chrono::nanoseconds duration) const {
  CancelSource::Sleeper sleeper;
  for (const auto* source : sources_) {
    if (source != nullptr) source->add(&sleeper);
  }
  // Registered first, checked second: a cancel() in between has woken us or is seen here.
  bool cancelled_early = cancelled();
  if (!cancelled_early) {
    std::unique_lock lock(sleeper.mutex);
    cancelled_early = sleeper.wake.wait_for(lock, duration, [&] { return sleeper.woken; });
  }
  for (const auto* source : sources_) {
    if (source != nullptr) source->remove(&sleeper);
  }
  return !cancelled_early;
}

void CancelToken::throw_if_cancelled() const {
  if (cancelled()) throw Cancelled{};
}

CancelToken CancelToken::with(const CancelSource* extra) const noexcept {
  CancelToken result = *this;
  for (auto& slot : result.sources_) {
    if (slot == nullptr) {
      slot = extra;
      return result;
    }
  }
  result.sources_.back() = extra;  // full: the caller nests too deep; keep the newest
  return result;
}

}  // namespace lockstep
