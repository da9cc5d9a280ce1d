#include <limits>

#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::inline LOCKSTEP_ABI {
namespace {

constexpr auto kMany = std::numeric_limits<std::uint64_t>::max();

std::uint64_t saturating_multiply(std::uint64_t a, std::uint64_t b) {
  return b != 0 && a > kMany / b ? kMany : a * b;
}

// The i with from <= i < to (or from >= i > to for a negative step), `step` apart. Unsigned
// arithmetic: to - from may not fit in an int64, nor may -step.
std::uint64_t range_count(std::int64_t from, std::int64_t to, std::int64_t step) {
  if (step > 0 && from < to) {
    const auto span = static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
    const auto stride = static_cast<std::uint64_t>(step);
    return span / stride + (span % stride != 0 ? 1 : 0);
  }
  if (step < 0 && from > to) {
    const auto span = static_cast<std::uint64_t>(from) - static_cast<std::uint64_t>(to);
    const auto stride = std::uint64_t{0} - static_cast<std::uint64_t>(step);
    return span / stride + (span % stride != 0 ? 1 : 0);
  }
  return 0;
}

}  // namespace

std::optional<std::uint64_t> instance_count(const FanOut& fan_out) noexcept {
  switch (fan_out.kind) {
    case FanOut::Kind::none:
      return 1;
    case FanOut::Kind::items:
      return fan_out.items.size();
    case FanOut::Kind::range:
      return range_count(fan_out.from, fan_out.to, fan_out.step);
    case FanOut::Kind::matrix: {
      if (fan_out.axes.empty()) return 0;
      std::uint64_t count = 1;
      for (const auto& axis : fan_out.axes) count = saturating_multiply(count, axis.values.size());
      return count;
    }
    case FanOut::Kind::from_outputs:
    case FanOut::Kind::files:
      break;
  }
  return std::nullopt;
}

}  // namespace lockstep
