// The progress line's ETA: a pure function of a snapshot, so that tests can state its rules.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "lockstep/pipeline/progress.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

std::optional<std::chrono::nanoseconds> estimate_time_left(const StageProgress& progress) {
  using Seconds = std::chrono::duration<double>;
  const std::uint64_t ended = progress.ended.sum();
  if (ended >= progress.total) return std::nullopt;
  const auto left = static_cast<double>(progress.total - ended);

  double estimate = 0;  // seconds
  const double elapsed = Seconds(progress.elapsed).count();
  if (ended > 0 && elapsed > 0) estimate = elapsed * left / static_cast<double>(ended);

  // Nothing is known of a running attempt but how long it has run: expect as long again. The
  // stage cannot end before its longest-running attempt does, however fast the others were.
  const double longest = Seconds(progress.longest_running).count();
  double by_running = longest;
  if (ended == 0 && progress.running > 0 && longest > 0) {
    // No rate yet: the waiting instances go in waves of `running`, each taking as long as the
    // running ones will in all (twice their mean time so far).
    const auto running = static_cast<double>(progress.running);
    const double waiting = std::max(0.0, left - running);
    const double mean_so_far = Seconds(progress.running_for).count() / running;
    by_running += std::ceil(waiting / running) * 2 * mean_so_far;
  }
  estimate = std::max(estimate, by_running);
  if (!(estimate > 0)) return std::nullopt;  // nothing to go by yet
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      Seconds(std::min(estimate, 1e9)));  // 31 years: far beyond any display, far from overflow
}

}  // namespace lockstep
