// `lockstep report RUN_DIR [--json FILE] [--trace FILE] [--html FILE]`: a run's JSON report,
// trace and page written again from RUN_DIR/journal, also after kill -9 of lockstep or a crash
// (RecordedRun, lockstep/pipeline/recorded_run.hpp). The pipeline the journal names, when it is
// still there unchanged, tells the stages that never started and the bulkheads' worker places.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "command.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/journal.hpp"
#include "lockstep/pipeline/recorded_run.hpp"
#include "pipeline_options.hpp"

namespace lockstep::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct ReportOptions {
  std::string run_dir{};
  std::string json{}, trace{}, html{};
  PluginOptions search{};
};

constexpr const char* kWho = "lockstep report";

// The pipeline the journal's run record names, loaded as the run loaded it (its vars, the
// directories of its plugins): null when it is gone, changed or does not load.
std::unique_ptr<LoadedPipeline> recorded_pipeline(const fs::path& journal,
                                                  const PluginOptions& search) {
  const auto read = read_journal(journal);
  if (read.records.empty()) return nullptr;
  PipelineCommandOptions options;
  options.search = search;
  std::string hash;
  for (const auto& text : read.records) {
    const auto record = Json::parse(text, nullptr, false);
    if (record.is_discarded() || !record.is_object()) continue;
    const auto kind = record.value("t", "");
    if (kind == "run") {
      options.pipeline = record.value("pipeline", "");
      hash = record.value("hash", "");
      const auto vars = record.value("vars", Json::object());
      for (const auto& [name, value] : vars.items()) {
        if (value.is_string()) options.set.push_back("vars." + name + "=" + value.get<std::string>());
      }
    } else if (kind == "plugin") {
      const fs::path path = record.value("path", "");
      if (!path.empty()) options.search.plugin_path.push_back(path.parent_path().string());
    } else {
      break;
    }
  }
  std::error_code error;
  if (options.pipeline.empty() || !fs::is_regular_file(options.pipeline, error) ||
      RunJournal::file_hash(options.pipeline) != hash) {
    std::cerr << kWho << ": note: the pipeline " << options.pipeline
              << " is gone or changed since the run: stages that never started are not listed, "
                 "and every job counts on one bulkhead\n";
    return nullptr;
  }
  std::ostringstream diagnostics;
  auto loaded = load_checked_pipeline(options, diagnostics);
  if (!loaded) {
    std::cerr << kWho << ": note: the pipeline " << options.pipeline
              << " does not load now: stages that never started are not listed\n";
  }
  return loaded;
}

int rebuild(const ReportOptions& options) {
  const std::vector<std::pair<const char*, std::string>> outputs = {
      {"--json", options.json}, {"--trace", options.trace}, {"--html", options.html}};
  bool any = false;
  for (const auto& [flag, path] : outputs) {
    if (path.empty()) continue;
    any = true;
    if (const auto why = RecordedRun::check_writable(path); !why.empty()) {
      std::cerr << kWho << ": error: " << flag << ": cannot write " << path << ": " << why << "\n";
      return kExitError;
    }
    for (const auto& [other_flag, other] : outputs) {
      if (other_flag != flag && !other.empty() && fs::weakly_canonical(other) == fs::weakly_canonical(path)) {
        std::cerr << kWho << ": error: " << flag << " and " << other_flag << " are the same file: "
                  << path << "\n";
        return kExitError;
      }
    }
  }
  if (!any) {
    std::cerr << kWho << ": error: nothing to write: give --json FILE, --trace FILE or --html FILE\n";
    return kExitError;
  }
  const auto journal = fs::path(options.run_dir) / "journal";
  std::error_code error;
  if (!fs::is_regular_file(journal, error)) {
    std::cerr << kWho << ": error: " << options.run_dir
              << ": no journal in it (a run directory holds one, unless the run had --no-journal)\n";
    return kExitError;
  }
  for (const auto& [flag, path] : outputs) {
    if (!path.empty() && fs::weakly_canonical(path) == fs::weakly_canonical(journal)) {
      std::cerr << kWho << ": error: " << flag << " is the journal itself: " << path << "\n";
      return kExitError;
    }
  }
  const auto pipeline = recorded_pipeline(journal, options.search);
  RecordedRun run(journal, {.pipeline = pipeline ? &pipeline->pipeline : nullptr,
                            .run_dir = options.run_dir});
  if (!run.error().empty()) {
    std::cerr << kWho << ": error: " << run.error() << "\n";
    return kExitError;
  }
  int status = kExitOk;
  std::string why;
  if (!options.json.empty() && !run.write_report(options.json, why)) status = kExitError;
  if (!options.trace.empty() && !run.write_trace(options.trace, why)) status = kExitError;
  if (!options.html.empty() && !run.write_page(options.html, why)) status = kExitError;
  if (status != kExitOk) std::cerr << kWho << ": error: " << why << "\n";
  if (run.torn()) {
    std::cerr << kWho << ": error: " << journal.string()
              << " is torn: its last record was cut or is corrupt (lockstep was killed while "
                 "writing it); what follows it is ignored, and the files written say so\n";
    status = kExitError;
  }
  if (!run.finished()) {
    std::cerr << kWho << ": note: lockstep did not finish this run: the instances that had not "
                 "ended count as interrupted\n";
  }
  return status;
}

}  // namespace

Command add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Write a past run's JSON report, trace or HTML page again, from its journal");
  command->footer(
      "Reads RUN_DIR/journal (docs/resume.md), also of a run that lockstep did not finish (kill -9,\n"
      "a crash): the instances that had not ended count as interrupted. Exit status 2 when the\n"
      "journal is missing or torn (the files are still written, and say so) or a file cannot be\n"
      "written.");
  command->add_option("RUN_DIR", options->run_dir, "The run directory")->required();
  command->add_option("--json", options->json, "Write the JSON report (as --report) to FILE")
      ->type_name("FILE");
  command->add_option("--trace", options->trace, "Write the Chrome trace (as --trace) to FILE")
      ->type_name("FILE");
  command->add_option("--html", options->html, "Write the HTML page (as --html) to FILE")
      ->type_name("FILE");
  add_plugin_path_option(*command, options->search);
  return {command, [options] { return rebuild(*options); }};
}

}  // namespace lockstep::cli
