// lockstep/pipeline/report.hpp — a run's report as JSON: how every instance ended, per stage and in
// total, how each stage used its bulkheads, how long its jobs ran and which instances were the
// slowest, and which instances did not succeed and why.
//
//   lockstep::JsonReport report;
//   lockstep::Runner runner(pipeline);
//   runner.observe(report);
//   runner.run();                                   // also when it fails or is interrupted
//   std::string error;
//   if (!report.write_file("report.json", error)) std::cerr << error << "\n";
//
// docs/report.md describes every field. Per job a histogram of run times, per stage the `slowest`
// instances (a lock taken only by an instance slower than those kept). Successes come as ranges:
// an instance of a job whose instances take about 50 us or more runs alone in its chunk and is
// timed exactly; shorter ones are timed with their chunk, each at the chunk's mean, and only in
// the histograms. It lists at most `max_failures` instances that did not succeed, and says per
// stage how many it left out.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct JsonReportOptions {
  std::size_t max_failures = 1000;  // instances listed, over the whole run
  std::size_t slowest = 10;         // slowest instances listed per stage
};

// Thread-safe, as observers must be.
class LOCKSTEP_API JsonReport final : public RunObserver {
 public:
  static constexpr int kSchemaVersion = 1;

  explicit JsonReport(JsonReportOptions options = {});
  ~JsonReport() override;
  JsonReport(const JsonReport&) = delete;
  JsonReport& operator=(const JsonReport&) = delete;

  // Successes as ranges (about one a chunk of short jobs), and every instance that did not
  // succeed: a run of ten million core.noop jobs pays about as much for the report as for the
  // journal, not an event per instance.
  Interest interest() const override { return Interest::failures; }
  bool sees_other_ranks() const override { return true; }  // the whole run, on rank 0
  bool wants_succeeded_ranges() const override { return true; }
  void run_started(const Pipeline& pipeline) override;
  void attempt_ended(const AttemptEvent& attempt) override;
  void instance_ended(const InstanceEvent& instance) override;
  void instances_succeeded(const SucceededRange& range) override;
  void run_ended(const RunResult& result) override;

  // The report, once the run ended (before that, one without stages or totals). Pretty-printed.
  void write(std::ostream& out) const;
  // Creates or replaces `path`; on failure, false and `error` says why, naming the file.
  bool write_file(const std::filesystem::path& path, std::string& error) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep
