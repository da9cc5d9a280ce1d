#include "run_summary.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "count_text.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "text_width.hpp"

namespace lockstep::cli {

namespace {

enum class Align : unsigned char { left, right };

struct Column {
  std::string title;
  Align align = Align::left;
};

using Row = std::vector<std::string>;

void write_table(std::ostream& out, const std::vector<Column>& columns,
                 const std::vector<Row>& rows) {
  std::vector<std::size_t> widths(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) widths[i] = display_width(columns[i].title);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  auto write_row = [&](const auto& cell_of) {
    std::string line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string& cell = cell_of(i);
      const std::string padding(widths[i] - display_width(cell), ' ');
      if (i > 0) line += "  ";
      line += columns[i].align == Align::right ? padding + cell : cell + padding;
    }
    // The last column is left-aligned free text: no trailing blanks.
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  };
  write_row([&](std::size_t i) -> const std::string& { return columns[i].title; });
  for (const auto& row : rows) {
    write_row([&](std::size_t i) -> const std::string& { return row[i]; });
  }
}

// "3 succeeded, 1 failed": each state some instance ended in, in kAllJobStates order; with
// --resume, "1,000 succeeded (980 reused)".
std::string describe_counts(const StateCounts& counts, std::uint64_t reused) {
  std::string text;
  for (const auto state : kAllJobStates) {
    if (counts[state] == 0) continue;
    text += (text.empty() ? "" : ", ") + with_thousands(counts[state]) + " " +
            std::string(to_string(state));
    if (state == JobState::succeeded && reused > 0) {
      text += " (" + with_thousands(reused) + " reused)";
    }
  }
  return text.empty() ? "none" : text;
}

std::string run_status(const RunResult& result) {
  if (!result.error.empty()) return "not run";
  if (result.interrupted) return "interrupted";
  return result.exit_code() == kExitOk ? "succeeded" : "failed";
}

bool repeats_a_stage(const Pipeline& pipeline) {
  for (const auto& stage : pipeline.stages) {
    if (stage.repeat) return true;
  }
  return false;
}

}  // namespace

void FailureReport::instance_ended(const InstanceEvent& instance) {
  if (!is_failure(instance.state)) return;
  std::string why = std::string(to_string(instance.state));
  if (!instance.messages.empty()) why += ": " + instance.messages.back();
  std::string job = instance.stage->name + "/" + instance.job->id;
  std::string line = "lockstep: " + instance.id + " " + std::string(to_string(instance.state));
  if (instance.attempts > 1) line += " after " + count_of(instance.attempts, "attempt");
  if (!instance.messages.empty()) line += ": " + instance.messages.back();
  // A job's message may hold escape sequences: printed as text, never sent to the terminal.
  line = for_terminal(line) + '\n';
  if (forward_) {
    // Three fields, each its length, ':' and its bytes: any byte of a message crosses.
    std::string text;
    for (const auto* field : {&job, &why, &line}) {
      text += std::to_string(field->size()) + ':' + *field;
    }
    forward_(text);
    return;
  }
  add(job, why, line);
}

void FailureReport::received(const std::string& text) {
  std::string fields[3];
  std::size_t at = 0;
  for (auto& field : fields) {
    const auto colon = text.find(':', at);
    if (colon == std::string::npos) return;  // not a forwarded failure: dropped
    std::size_t length = 0;
    try {
      length = std::stoul(text.substr(at, colon - at));
    } catch (const std::exception&) {
      return;
    }
    if (length > text.size() - colon - 1) return;
    field = text.substr(colon + 1, length);
    at = colon + 1 + length;
  }
  add(fields[0], fields[1], fields[2]);
}

void FailureReport::add(const std::string& job, const std::string& why, const std::string& line) {
  std::string key = job + '\0' + why;
  const std::scoped_lock lock(mutex_);
  // Bounded: a million different reasons must not cost a million entries.
  constexpr std::size_t kMaxRemembered = 1000;
  if (auto found = repeats_.find(key); found != repeats_.end()) {
    ++found->second.count;
    return;
  }
  if (repeats_.size() < kMaxRemembered)
    repeats_.emplace(std::move(key), Repeated{job + " " + why, 1});
  if (++seen_ <= limit_) out_ << line << std::flush;  // one write per line: workers log too
}

void FailureReport::print_not_shown(std::ostream& out) const {
  const std::scoped_lock lock(mutex_);
  for (const auto& [key, repeat] : repeats_) {
    if (repeat.count > 1) {
      out << "lockstep: " << for_terminal(repeat.what) << " (" << with_thousands(repeat.count)
          << " instances)\n";
    }
  }
  if (seen_ > limit_) {
    out << "lockstep: " << with_thousands(seen_ - limit_) << " more "
        << (seen_ - limit_ == 1 ? "failure" : "failures") << " not shown\n";
  }
}

std::string format_wall_time(std::chrono::nanoseconds wall) {
  using namespace std::chrono;
  std::array<char, 32> text{};
  const double ms = duration<double, std::milli>(wall).count();
  if (ms < 10) {
    std::snprintf(text.data(), text.size(), "%.1fms", ms);
  } else if (ms < 1000) {
    std::snprintf(text.data(), text.size(), "%.0fms", ms);
  } else if (wall < minutes(1)) {
    std::snprintf(text.data(), text.size(), "%.2fs", ms / 1000);
  } else if (wall < hours(1)) {
    std::snprintf(text.data(), text.size(), "%dm%02ds", static_cast<int>(wall / minutes(1)),
                  static_cast<int>(wall % minutes(1) / seconds(1)));
  } else {
    std::snprintf(text.data(), text.size(), "%lldh%02dm", static_cast<long long>(wall / hours(1)),
                  static_cast<int>(wall % hours(1) / minutes(1)));
  }
  return text.data();
}

void print_run_summary(std::ostream& out, const Pipeline& pipeline, const RunResult& result) {
  const bool with_iterations = repeats_a_stage(pipeline);
  std::vector<Column> columns = {{"stage"}, {"status"}};
  if (with_iterations) columns.push_back({"iterations", Align::right});
  columns.push_back({"wall", Align::right});
  columns.push_back({"instances"});

  // By start time: stages side by side (needs) show in the order they started; those that never
  // started (skipped) last, in pipeline order.
  std::vector<std::size_t> order(result.stages.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::stable_sort(order, {}, [&](std::size_t i) {
    const auto& stage = result.stages[i];
    return std::pair(stage.iterations == 0, stage.start);
  });
  std::vector<Row> rows;
  for (const auto i : order) {
    const auto& stage = result.stages[i];
    Row row = {stage.name, std::string(to_string(stage.status))};
    if (with_iterations) {
      const bool repeated = i < pipeline.stages.size() && pipeline.stages[i].repeat;
      row.push_back(repeated ? std::to_string(stage.iterations) : "");
    }
    row.push_back(format_wall_time(stage.wall));
    row.push_back(describe_counts(stage.counts, stage.reused));
    rows.push_back(std::move(row));
  }
  Row total = {"total", run_status(result)};
  if (with_iterations) total.emplace_back();
  total.push_back(format_wall_time(result.wall));
  total.push_back(describe_counts(result.totals, result.reused));
  rows.push_back(std::move(total));

  write_table(out, columns, rows);
  // What a count cannot say: why a repeated stage stopped, a thread cap that was raised.
  for (const auto& stage : result.stages) {
    if (!stage.note.empty()) out << stage.name << ": " << for_terminal(stage.note) << '\n';
    for (const auto& warning : stage.warnings)
      out << stage.name << ": warning: " << for_terminal(warning) << '\n';
  }
  for (const auto& warning : result.warnings) {
    out << "lockstep: warning: " << for_terminal(warning) << '\n';
  }
  out.flush();
}

}  // namespace lockstep::cli
