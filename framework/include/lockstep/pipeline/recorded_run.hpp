// lockstep/pipeline/recorded_run.hpp — a run read back from its journal (RUN_DIR/journal), and
// its JSON report, Chrome trace and HTML page written from it after the run: also after kill -9
// of lockstep or a crash, when the run could not write them itself (docs/resume.md).
//
//   lockstep::RecordedRun run(run_dir / "journal", {.pipeline = &pipeline});  // pipeline: optional
//   if (!run.error().empty()) return fail(run.error());  // no journal, or no run in it
//   if (run.torn()) warn("its last record was cut");     // the report says so too
//   std::string error;
//   if (!run.write_report("report.json", error)) fail(error);  // the schema of --report
//   run.write_trace("trace.json", error);
//   run.write_page("run.html", error);
//
// Instances that had not ended when the journal was cut (in flight, or waiting their turn) count
// as `interrupted`, so that each stage's counts still add up to its instances. The pipeline, when
// given (the one the journal names, unchanged), tells what the journal does not: the stages that
// never started, the bulkheads' worker places, each job's number of instances.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct RecordedRunOptions {
  const Pipeline* pipeline = nullptr;  // not owned; must outlive the RecordedRun
  // Where the failures' job logs are, for the page; the journal's directory when empty.
  std::filesystem::path run_dir{};
  std::size_t max_failures = 1000;  // listed, over the whole run
  std::size_t slowest = 10;         // per stage
  std::size_t max_bars = 100'000;   // of the page's timeline
};

class LOCKSTEP_API RecordedRun {
 public:
  explicit RecordedRun(const std::filesystem::path& journal, RecordedRunOptions options = {});
  ~RecordedRun();
  RecordedRun(const RecordedRun&) = delete;
  RecordedRun& operator=(const RecordedRun&) = delete;

  // Why nothing can be written ("" when the journal held a run).
  const std::string& error() const noexcept;
  bool torn() const noexcept;      // its last record was cut or corrupt, and ignored
  bool finished() const noexcept;  // the journal holds the run's end

  // Each writes a new file beside `path` and renames it over `path`; on failure false, `error`
  // says why, naming the file, and `path` is as it was.
  bool write_report(const std::filesystem::path& path, std::string& error) const;
  bool write_trace(const std::filesystem::path& path, std::string& error) const;
  bool write_page(const std::filesystem::path& path, std::string& error) const;
  // "" when a file can be written at `path` (made in its directory, not a directory); else why
  // not ("No such file or directory"). Makes nothing that stays.
  static std::string check_writable(const std::filesystem::path& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep
