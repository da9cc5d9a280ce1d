// The text of a progress line: pure functions of a snapshot, so that tests can read it exactly.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/progress.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

std::uint64_t failures(const StateCounts& counts) {
  std::uint64_t total = 0;
  for (auto state : kAllJobStates) {
    if (is_failure(state)) total += counts[state];
  }
  return total;
}

// "[#####---]": full only when every instance ended, so an almost finished stage never looks done
// (nor does one that has not counted its instances yet).
std::string bar(std::uint64_t ended, std::uint64_t total, int width) {
  width = std::max(width, 1);
  int filled = total == 0 ? 0 : width;
  if (total > 0 && ended < total) {
    filled = std::min(width - 1, static_cast<int>(static_cast<double>(ended) /
                                                  static_cast<double>(total) * width));
  }
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '-') + "]";
}

// " 40%", cut: 100% only when every instance ended.
std::string percent(std::uint64_t ended, std::uint64_t total) {
  int value = total == 0 ? 0 : 100;
  if (total > 0 && ended < total) {
    value = std::min(
        99, static_cast<int>(static_cast<double>(ended) / static_cast<double>(total) * 100.0));
  }
  auto text = std::to_string(value) + "%";
  return std::string(4 - text.size(), ' ') + text;
}

double seconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

// "5s", "1m05s", "2h03m": whole seconds, rounded up (an ETA of 0s while work is left would lie).
std::string eta(double seconds_left) {
  const auto whole = static_cast<std::int64_t>(std::ceil(std::min(seconds_left, 1e12)));
  if (whole < 60) return std::to_string(whole) + "s";
  return human_duration(std::chrono::seconds(whole));
}

// "  3 failed  1 cancelled": only the counts that are not zero.
std::string ended_badly(const StateCounts& counts) {
  std::string text;
  if (const auto failed = failures(counts); failed > 0)
    text += "  " + human_count(failed) + " failed";
  if (counts[JobState::cancelled] > 0) {
    text += "  " + human_count(counts[JobState::cancelled]) + " cancelled";
  }
  if (counts[JobState::skipped] > 0) {
    text += "  " + human_count(counts[JobState::skipped]) + " skipped";
  }
  return text;
}

}  // namespace

std::string human_count(std::uint64_t count) {
  if (count < 1000) return std::to_string(count);
  static constexpr const char* kUnits[] = {"k", "M", "G", "T", "P", "E"};
  std::uint64_t unit = 1000;
  for (const char* suffix : kUnits) {
    const std::uint64_t whole = count / unit;
    if (whole < 10) {
      const std::uint64_t tenths = count / (unit / 10) % 10;
      return std::to_string(whole) + "." + std::to_string(tenths) + suffix;
    }
    if (whole < 1000 || suffix == kUnits[std::size(kUnits) - 1]) {
      return std::to_string(whole) + suffix;
    }
    unit *= 1000;
  }
  return std::to_string(count);  // not reached
}

std::string human_rate(double per_second) {
  if (!(per_second > 0)) return "0/s";
  if (per_second < 10) {
    const auto tenths = static_cast<int>(per_second * 10);
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "/s";
  }
  return human_count(static_cast<std::uint64_t>(std::min(per_second, 1e18))) + "/s";
}

std::string human_duration(std::chrono::nanoseconds duration) {
  using namespace std::chrono;
  const auto ns = std::max<std::int64_t>(0, duration.count());
  char text[32];
  if (ns < 1'000'000) {
    std::snprintf(text, sizeof text, "0.%dms", static_cast<int>(ns / 100'000));
  } else if (ns < 1'000'000'000) {
    std::snprintf(text, sizeof text, "%dms", static_cast<int>(ns / 1'000'000));
  } else if (ns < 10'000'000'000) {
    std::snprintf(text, sizeof text, "%d.%ds", static_cast<int>(ns / 1'000'000'000),
                  static_cast<int>(ns / 100'000'000 % 10));
  } else if (const auto s = ns / 1'000'000'000; s < 60) {
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  }
  return text;
}

std::string progress_line(const StageProgress& progress, int bar_width) {
  std::string line = stage_label(progress.name, progress.iteration);
  const std::uint64_t ended = progress.ended.sum();
  const std::uint64_t total = std::max<std::uint64_t>(progress.total, ended);
  line += " " + bar(ended, total, bar_width) + " " + percent(ended, total);
  line += "  " + human_count(ended) + "/" + human_count(total);
  line += ended_badly(progress.ended);
  line += "  " + human_count(progress.running) + " running";
  line += "  " + human_count(progress.queued) + " queued";
  if (progress.overdue > 0) {
    line += "  " + human_count(progress.overdue) +
            " timed out, still running: they ignore cancellation";
  }
  const double elapsed = seconds(progress.elapsed);
  if (ended > 0 && elapsed > 0) line += "  " + human_rate(static_cast<double>(ended) / elapsed);
  if (const auto left = estimate_time_left(progress)) line += "  ETA " + eta(seconds(*left));
  return line;
}

std::string progress_line(const std::vector<StageProgress>& stages, int bar_width) {
  if (stages.size() == 1) return progress_line(stages.front(), bar_width);
  std::string line;
  StateCounts ended_of_all{};
  std::uint64_t running = 0;
  std::uint64_t queued = 0;
  std::uint64_t overdue = 0;
  std::optional<std::chrono::nanoseconds> longest_left;
  for (const auto& stage : stages) {
    const std::uint64_t ended = stage.ended.sum();
    const std::uint64_t total = std::max<std::uint64_t>(stage.total, ended);
    if (!line.empty()) line += "  |  ";
    line += stage_label(stage.name, stage.iteration);
    line += " " + bar(ended, total, std::max(bar_width / 2, 1)) + " " + percent(ended, total);
    line += "  " + human_count(ended) + "/" + human_count(total);
    for (std::size_t state = 0; state < kJobStateCount; ++state) {
      ended_of_all.by_state[state] += stage.ended.by_state[state];
    }
    running += stage.running;
    queued += stage.queued;
    overdue += stage.overdue;
    const auto left = estimate_time_left(stage);
    if (left && (!longest_left || *left > *longest_left)) longest_left = left;
  }
  line += ended_badly(ended_of_all);
  line += "  " + human_count(running) + " running";
  line += "  " + human_count(queued) + " queued";
  if (overdue > 0) line += "  " + human_count(overdue) + " timed out, still running";
  if (longest_left) line += "  ETA " + eta(seconds(*longest_left));
  return line;
}

std::string stage_end_line(const StageSummary& stage, int bar_width) {
  std::string line = stage.name;
  if (stage.iterations > 1) line += " (" + std::to_string(stage.iterations) + " iterations)";
  const std::uint64_t total = stage.counts.sum();
  line += " " + bar(1, 1, bar_width) + " " + percent(1, 1);  // it ended, even with no instance
  line += "  " + human_count(total) + "/" + human_count(total);
  line += ended_badly(stage.counts);
  if (const double wall = seconds(stage.wall); total > 0 && wall > 0) {
    line += "  " + human_rate(static_cast<double>(total) / wall);
  }
  line += "  in " + human_duration(stage.wall);
  line += "  " + std::string(to_string(stage.status));
  return line;
}

}  // namespace lockstep
