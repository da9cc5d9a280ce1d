// `lockstep show RUN_DIR [--failures]`: a run's summary read back from RUN_DIR/journal, also of a
// run that was killed (its stages without an end are shown as such, the instances that had
// ended counted): per stage, how its instances ended; with --failures, each instance that did
// not succeed and why.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.hpp"
#include "count_text.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/journal.hpp"

namespace lockstep::cli {

namespace {

using Json = nlohmann::json;

struct ShowOptions {
  std::string run_dir{};
  bool failures = false;
};

struct StageSeen {
  std::string name;
  std::string status;  // "" until its stage_end
  std::map<std::string, std::uint64_t> counts;
};

// "1,000 succeeded, 2 failed": the states with a count, in the journal's order of states.
std::string counts_text(const std::map<std::string, std::uint64_t>& counts) {
  std::string text;
  for (const auto state : kAllJobStates) {
    const auto found = counts.find(std::string(to_string(state)));
    if (found == counts.end() || found->second == 0) continue;
    if (!text.empty()) text += ", ";
    text += with_thousands(found->second) + " " + found->first;
  }
  return text.empty() ? "nothing ended" : text;
}

int show(const ShowOptions& options) {
  const auto file = std::filesystem::path(options.run_dir) / "journal";
  const auto read = read_journal(file);
  if (!read.error.empty()) {
    std::cerr << "lockstep show: error: " << read.error << "\n";
    return kExitError;
  }
  std::vector<StageSeen> stages;
  std::vector<Json> failures;
  Json run, end;
  for (const auto& text : read.records) {
    auto record = Json::parse(text, nullptr, false);
    if (record.is_discarded() || !record.is_object()) continue;
    const auto kind = record.value("t", "");
    if (kind == "run") run = record;
    if (kind == "run_end") end = record;
    if (kind == "stage") {
      auto name = record.value("stage", "");
      if (record.value("iteration", 1) > 1) name += "@" + std::to_string(record.value("iteration", 1));
      stages.push_back({name, "", {}});
    }
    if (stages.empty()) continue;
    auto& stage = stages.back();
    if (kind == "ok") {
      stage.counts["succeeded"] += record.value("to", std::uint64_t{0}) - record.value("from", std::uint64_t{0});
    } else if (kind == "end") {
      ++stage.counts[record.value("state", "failed")];
      failures.push_back(record);
    } else if (kind == "stage_end") {
      stage.status = record.value("status", "");
      stage.counts = record.value("counts", std::map<std::string, std::uint64_t>{});
    }
  }
  if (run.is_null()) {
    std::cerr << "lockstep show: error: " << file.string() << " holds no run\n";
    return kExitError;
  }
  std::cout << "run " << run.value("run", "") << " of " << run.value("pipeline", "") << "\n";
  std::map<std::string, std::uint64_t> totals;
  for (const auto& stage : stages) {
    std::cout << "  " << stage.name << "  "
              << (stage.status.empty() ? "did not end" : stage.status) << "  "
              << counts_text(stage.counts) << "\n";
    for (const auto& [state, count] : stage.counts) totals[state] += count;
  }
  if (end.is_null()) {
    std::cout << "lockstep did not finish this run" << (read.torn ? " (its last record was cut)" : "")
              << ": instances that had not ended are not counted\n";
  } else {
    totals = end.value("totals", std::map<std::string, std::uint64_t>{});
  }
  std::cout << "total  " << counts_text(totals);
  if (!end.is_null()) std::cout << "  (exit status " << end.value("exit_code", 0) << ")";
  std::cout << "\n";
  if (options.failures) {
    for (const auto& failure : failures) {
      std::cout << failure.value("id", "") << ": " << failure.value("state", "") << " after "
                << count_of(failure.value("attempts", 0), "attempt");
      if (failure.contains("message")) std::cout << ": " << failure.value("message", "");
      std::cout << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

Command add_show_command(CLI::App& app) {
  auto options = std::make_shared<ShowOptions>();
  CLI::App* command =
      app.add_subcommand("show", "Print a past run's summary, read from its journal");
  command->footer(
      "Reads RUN_DIR/journal (docs/resume.md), also of a run that was killed: per stage, how its\n"
      "instances ended. With --failures, each instance that did not succeed, and why.");
  command->add_option("RUN_DIR", options->run_dir, "The run directory")->required();
  command->add_flag("--failures", options->failures, "List the instances that did not succeed");
  return {command, [options] { return show(*options); }};
}

}  // namespace lockstep::cli
