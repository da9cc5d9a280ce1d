#include "fan_out.hpp"

#include <limits>

namespace lockstep::cli {

namespace {

constexpr auto kMany = std::numeric_limits<std::uint64_t>::max();

std::uint64_t saturating_multiply(std::uint64_t a, std::uint64_t b) {
  return b != 0 && a > kMany / b ? kMany : a * b;
}

// The i with from <= i < to (or from >= i > to for a negative step), `step` apart. Unsigned
// arithmetic: to - from may not fit in an int64.
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

std::string times(std::uint64_t count) { return "×" + with_thousands(count); }

}  // namespace

std::optional<std::uint64_t> instance_count(const FanOut& fan_out) {
  switch (fan_out.kind) {
    case FanOut::Kind::none:
      return 1;
    case FanOut::Kind::items:
      return fan_out.items.size();
    case FanOut::Kind::range:
      return range_count(fan_out.from, fan_out.to, fan_out.step);
    case FanOut::Kind::matrix: {
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

std::string describe_fan_out(const FanOut& fan_out) {
  switch (fan_out.kind) {
    case FanOut::Kind::none:
      return {};
    case FanOut::Kind::items:
      return times(*instance_count(fan_out)) + " items";
    case FanOut::Kind::range: {
      std::string text = times(*instance_count(fan_out)) + " range " +
                         std::to_string(fan_out.from) + ".." + std::to_string(fan_out.to);
      if (fan_out.step != 1) text += " step " + std::to_string(fan_out.step);
      return text;
    }
    case FanOut::Kind::matrix: {
      std::string text = times(*instance_count(fan_out)) + " matrix ";
      for (std::size_t i = 0; i < fan_out.axes.size(); ++i) {
        text += (i > 0 ? " × " : "") + fan_out.axes[i].name;
      }
      return text;
    }
    case FanOut::Kind::from_outputs:
      return "× outputs of " + fan_out.reference;
    case FanOut::Kind::files:
      return "× files " + fan_out.pattern;
  }
  return {};
}

std::string with_thousands(std::uint64_t number) {
  std::string digits = std::to_string(number);
  for (auto at = digits.size(); at > 3; at -= 3) digits.insert(at - 3, ",");
  return digits;
}

std::string count_of(std::uint64_t count, std::string_view noun) {
  return with_thousands(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

}  // namespace lockstep::cli
