#include "run/lost_ranks.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "lockstep/export.hpp"

namespace lockstep::run {

std::string encode_rank_counts(const RankCounts& end) {
  // Decimal numbers, space separated: a few per stage, once per interrupted stage.
  std::string text = std::to_string(end.key);
  for (const auto value : end.values) text += ' ' + std::to_string(value);
  return text;
}

std::optional<RankCounts> decode_rank_counts(std::string_view text) {
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
  return RankCounts{numbers.front(), {numbers.begin() + 1, numbers.end()}};
}

namespace {
constexpr std::size_t kProgressValues = kJobStateCount + 5;
}  // namespace

std::vector<std::uint64_t> progress_values(const StageProgress& progress) {
  std::vector<std::uint64_t> values(progress.ended.by_state.begin(), progress.ended.by_state.end());
  values.push_back(progress.running);
  values.push_back(progress.queued);
  values.push_back(static_cast<std::uint64_t>(progress.running_for.count()));
  values.push_back(static_cast<std::uint64_t>(progress.longest_running.count()));
  values.push_back(progress.overdue);
  return values;
}

void add_progress(StageProgress& progress, const std::vector<std::uint64_t>& values) {
  if (values.size() != kProgressValues) return;
  for (std::size_t s = 0; s < kJobStateCount; ++s) progress.ended.by_state[s] += values[s];
  progress.running += values[kJobStateCount];
  progress.queued += values[kJobStateCount + 1];
  progress.running_for += std::chrono::nanoseconds(values[kJobStateCount + 2]);
  progress.longest_running = std::max<std::chrono::nanoseconds>(
      progress.longest_running, std::chrono::nanoseconds(values[kJobStateCount + 3]));
  progress.overdue += values[kJobStateCount + 4];
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
