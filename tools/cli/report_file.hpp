// tools/cli/report_file.hpp — `lockstep run --report FILE`: the JSON report (lockstep/report.hpp)
// written to FILE when the run ends, also when it failed or was interrupted.
//
//   auto report = ReportFile::open(options.report, std::cerr);  // creates FILE now
//   if (!report) return kExitError;                            // a typo in the path: nothing ran
//   run_options.observers.push_back(&report->observer());
//   ...
//   return report->write(result, std::cerr);   // the run's exit status, or 2 if FILE failed
#pragma once

#include <fstream>
#include <iosfwd>
#include <memory>
#include <string>

#include "lockstep/report.hpp"
#include "lockstep/runner.hpp"

namespace lockstep::cli {

class ReportFile {
 public:
  // Creates (or empties) `path` at once, so that a path that cannot be written stops the run
  // before any job; null then, after "lockstep: cannot write report 'FILE': REASON" on `err`.
  static std::unique_ptr<ReportFile> open(const std::string& path, std::ostream& err);

  RunObserver& observer() noexcept { return report_; }

  // Writes the report; returns the run's exit status, except that a report that could not be
  // written turns a successful run's 0 into 2 (with the message on `err`).
  int write(const RunResult& result, std::ostream& err);

 private:
  ReportFile(std::string path, std::ofstream out);

  std::string path_;
  std::ofstream out_;
  JsonReport report_;
};

}  // namespace lockstep::cli
