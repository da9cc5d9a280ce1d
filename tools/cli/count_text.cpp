#include "count_text.hpp"

namespace lockstep::cli {

namespace {

std::string times(std::uint64_t count) { return "×" + with_thousands(count); }

}  // namespace

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
