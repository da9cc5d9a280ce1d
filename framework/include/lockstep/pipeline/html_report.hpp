// lockstep/pipeline/html_report.hpp — a run as one self-contained HTML page: its header (status,
// times, instances by state), a timeline of every attempt on its bulkhead's worker rows with the
// stage barriers, per stage its instances and a histogram of their durations, per bulkhead its
// utilisation over time and queue waits, the instances that did not succeed with the tail of
// their logs, and the stage graph.
//
//   lockstep::HtmlReport page({.run_dir = "runs/nightly"});  // where failures' log tails are
//   lockstep::Runner runner(pipeline);
//   runner.observe(page);
//   runner.run();                                   // also when it fails or is interrupted
//   std::string error;
//   if (!page.write_file("run.html", error)) std::cerr << error << "\n";
//
// The page holds its styles, scripts and data: it opens offline, from a file or an attachment.
// Every attempt is a bar up to `max_bars` attempts; beyond that, each worker row shows how busy it
// was over time (500 to 1,000 columns across the run) and only the attempts that did not succeed
// are bars, which the page says. docs/report.md shows a page and what each part means.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct HtmlReportOptions {
  std::size_t max_bars = 100'000;   // attempts drawn one by one; beyond, the timeline aggregates
  std::size_t max_failures = 1000;  // instances that did not succeed listed, over the whole run
  // The run directory whose job logs (RunDirLog) the failures show the last lines of; none when
  // empty.
  std::filesystem::path run_dir{};
  std::size_t log_tail_lines = 20;  // of each listed failure's log, at most 4 KiB
};

// A RunObserver that sees every attempt (Interest::all); thread-safe. What it costs per attempt:
// a lock of the attempt's worker row, which only that worker takes while it runs (so it is
// uncontended), and a few additions; a bar's 48 bytes while fewer than max_bars are kept.
class LOCKSTEP_API HtmlReport final : public RunObserver {
 public:
  explicit HtmlReport(HtmlReportOptions options = {});
  ~HtmlReport() override;
  HtmlReport(const HtmlReport&) = delete;
  HtmlReport& operator=(const HtmlReport&) = delete;

  Interest interest() const override { return Interest::all; }
  bool sees_other_ranks() const override { return true; }  // the whole run, on rank 0
  void run_started(const Pipeline& pipeline) override;
  void stage_started(const StageSpec& stage, int iteration) override;
  void attempt_ended(const AttemptEvent& attempt) override;
  void instance_ended(const InstanceEvent& instance) override;
  void stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) override;
  void run_ended(const RunResult& result) override;

  // The page, with what was recorded so far (all of it once run() returned).
  void write(std::ostream& out) const;
  // Writes the page to a new file beside `path`, then renames it over `path`: a reader never
  // sees half a page. On failure, false, `error` says why, naming the file, and `path` is as it
  // was.
  bool write_file(const std::filesystem::path& path, std::string& error) const;
  // "" when write_file(path) can be expected to work (a file can be made in its directory, and
  // `path` is not a directory); else why not. Makes nothing that stays.
  static std::string check_writable(const std::filesystem::path& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep
