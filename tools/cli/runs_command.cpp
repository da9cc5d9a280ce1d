// `lockstep runs [--json] [--prune N] [--dir DIR]`: the past runs under .lockstep/runs (or DIR),
// newest first, each read from its journal: pipeline, start, duration, status and counts.
// --prune N removes all but the newest N (never one that a running lockstep holds).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "command.hpp"
#include "count_text.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/journal.hpp"
#include "path_lock.hpp"

namespace lockstep::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct RunsOptions {
  std::string dir = ".lockstep/runs";
  bool json = false;
  int prune = -1;  // -1: no pruning
};

struct PastRun {
  fs::path dir;
  Json summary;  // what --json prints for it
  std::int64_t started = 0;
};

std::string status_of(const Json& end) {
  if (end.is_null()) return "did not finish";
  if (end.value("interrupted", false)) return "interrupted";
  return end.value("exit_code", 1) == 0 ? "succeeded" : "failed";
}

// The run in `dir`, when it has a journal that names one.
std::optional<PastRun> read_run(const fs::path& dir) {
  const auto read = read_journal(dir / "journal");
  if (!read.error.empty() || read.records.empty()) return std::nullopt;
  Json run, end;
  for (const auto& text : read.records) {
    auto record = Json::parse(text, nullptr, false);
    if (record.is_discarded() || !record.is_object()) continue;
    if (record.value("t", "") == "run") run = std::move(record);
    else if (record.value("t", "") == "run_end") end = std::move(record);
  }
  if (run.is_null()) return std::nullopt;
  PastRun past{dir, Json::object(), run.value("started", std::int64_t{0})};
  past.summary = {{"run_dir", dir.string()},
                  {"run", run.value("run", "")},
                  {"pipeline", run.value("pipeline", "")},
                  {"started_ms", past.started},
                  {"status", status_of(end)}};
  if (!end.is_null()) {
    past.summary["wall_ms"] = end.value("wall_ms", std::int64_t{0});
    past.summary["totals"] = end.value("totals", Json::object());
    past.summary["reused"] = end.value("reused", std::uint64_t{0});  // by --resume
  }
  return past;
}

std::string utc(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%SZ", &tm);
  return text;
}

std::string totals_text(const Json& totals) {
  std::string text;
  for (const auto state : kAllJobStates) {
    const auto count = totals.value(std::string(to_string(state)), std::uint64_t{0});
    if (count == 0) continue;
    if (!text.empty()) text += ", ";
    text += with_thousands(count) + " " + std::string(to_string(state));
  }
  return text;
}

int list_runs(const RunsOptions& options) {
  std::vector<PastRun> runs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(options.dir, error)) {
    if (!entry.is_directory(error)) continue;
    if (auto run = read_run(entry.path())) runs.push_back(std::move(*run));
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    std::cerr << "lockstep runs: error: cannot read " << options.dir << ": " << error.message()
              << "\n";
    return kExitError;
  }
  std::sort(runs.begin(), runs.end(),
            [](const PastRun& a, const PastRun& b) { return a.started > b.started; });
  if (options.prune >= 0) {
    int kept = 0;
    for (const auto& run : runs) {
      if (kept < options.prune) {
        ++kept;
        continue;
      }
      std::string why;
      auto lock = PathLock::acquire(run.dir / "lock", PathLock::keep, why);
      if (!lock) {
        std::cerr << "lockstep runs: keeping " << run.dir.string() << ": " << why << "\n";
        continue;
      }
      lock.reset();
      fs::remove_all(run.dir, error);
      if (error) {
        std::cerr << "lockstep runs: cannot remove " << run.dir.string() << ": "
                  << error.message() << "\n";
        return kExitError;
      }
      std::cerr << "removed " << run.dir.string() << "\n";
    }
    runs.resize(std::min<std::size_t>(runs.size(), static_cast<std::size_t>(options.prune)));
  }
  if (options.json) {
    Json all = Json::array();
    for (const auto& run : runs) all.push_back(run.summary);
    std::cout << all.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& run : runs) {
    const auto& s = run.summary;
    std::cout << s.value("run", "") << "  " << utc(run.started) << "  " << s.value("status", "");
    if (s.contains("wall_ms")) std::cout << "  " << s.value("wall_ms", 0) << "ms";
    if (s.contains("totals")) std::cout << "  " << totals_text(s["totals"]);
    if (s.value("reused", std::uint64_t{0}) > 0) {
      std::cout << " (" << with_thousands(s.value("reused", std::uint64_t{0})) << " reused)";
    }
    std::cout << "  " << s.value("pipeline", "") << "\n";
  }
  return kExitOk;
}

}  // namespace

Command add_runs_command(CLI::App& app) {
  auto options = std::make_shared<RunsOptions>();
  CLI::App* command = app.add_subcommand("runs", "List past runs, newest first");
  command->footer(
      "Reads the journal of each run directory under .lockstep/runs (or --dir): its id, start\n"
      "(UTC), status, duration, counts and pipeline. --prune N removes all but the newest N;\n"
      "a run that is still going is kept.");
  command->add_flag("--json", options->json, "Print a JSON array");
  command->add_option("--prune", options->prune, "Keep only the newest N runs")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--dir", options->dir, "Where the run directories are")->type_name("DIR");
  return {command, [options] { return list_runs(*options); }};
}

}  // namespace lockstep::cli
