#include "lockstep/cancel_token.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>

namespace lockstep {

const char* Cancelled::what() const noexcept { return "cancelled"; }

bool CancelToken::cancelled() const noexcept {
  for (const auto* source : sources_) {
    if (source != nullptr && source->stop_requested()) return true;
  }
  return false;
}

bool CancelToken::sleep_for(std::chrono::nanoseconds duration) const {
  std::mutex mutex;
  std::condition_variable wake;
  bool woken = false;
  auto on_cancel = [&] {
    std::lock_guard lock(mutex);
    woken = true;
    wake.notify_all();
  };
  using Callback = std::stop_callback<decltype(on_cancel)>;
  // One callback per source: a stop request on any of them wakes this sleeper at once.
  std::array<std::optional<Callback>, kMaxSources> callbacks;
  for (std::size_t i = 0; i < kMaxSources; ++i) {
    if (sources_[i] != nullptr) callbacks[i].emplace(sources_[i]->get_token(), on_cancel);
  }
  std::unique_lock lock(mutex);
  wake.wait_for(lock, duration, [&] { return woken; });
  return !woken;
}

void CancelToken::throw_if_cancelled() const {
  if (cancelled()) throw Cancelled{};
}

CancelToken CancelToken::with(const std::stop_source* extra) const noexcept {
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
