#include "run/lost_ranks.hpp"

#include <algorithm>
#include <charconv>

#include "lockstep/export.hpp"

namespace lockstep::run {

std::string encode_rank_end(const RankEnd& end) {
  // Decimal numbers, space separated: a few per stage, once per interrupted stage.
  std::string text = std::to_string(end.key);
  for (const auto value : end.values) text += ' ' + std::to_string(value);
  return text;
}

std::optional<RankEnd> decode_rank_end(std::string_view text) {
  std::vector<std::uint64_t> numbers;
  const char* next = text.data();
  const char* const last = text.data() + text.size();
  while (next < last) {
    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(next, last, number);
    if (error != std::errc{}) return std::nullopt;
    numbers.push_back(number);
    next = end;
    if (next == last) break;
    if (*next++ != ' ' || next == last) return std::nullopt;  // one space between numbers
  }
  if (numbers.empty()) return std::nullopt;
  return RankEnd{numbers.front(), {numbers.begin() + 1, numbers.end()}};
}

std::string held_text(std::vector<HeldRange> held, std::size_t shown) {
  std::ranges::sort(held, [](const HeldRange& a, const HeldRange& b) {
    return a.first_id != b.first_id ? a.first_id < b.first_id : a.from < b.from;
  });
  std::string text;
  std::uint64_t left_out = 0;
  for (std::size_t i = 0; i < held.size(); ++i) {
    const auto& range = held[i];
    if (i >= shown) {
      left_out += range.to - range.from;
      continue;
    }
    if (!text.empty()) text += ", ";
    // "stage/job[0]" names the job's instances: its index replaced by the range's.
    const auto bracket = range.first_id.rfind('[');
    if (bracket == std::string::npos || range.first_id.back() != ']') {
      text += range.first_id;
      continue;
    }
    text += range.first_id.substr(0, bracket + 1) + std::to_string(range.from);
    if (range.to - range.from > 1) text += ".." + std::to_string(range.to - 1);
    text += ']';
  }
  if (left_out > 0) text += " and " + std::to_string(left_out) + " more instances";
  return text;
}

}  // namespace lockstep::run
