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
// docs/report.md describes every field. The report sees every attempt (Interest::all) to time each
// instance, at the cost of a few atomic operations per instance: per job a histogram of run
// times, per stage the `slowest` instances (a lock taken only by an instance slower than those
// kept). It lists at most `max_failures` instances that did not succeed, and says per stage how
// many it left out.
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

  Interest interest() const override { return Interest::all; }
  void run_started(const Pipeline& pipeline) override;
  void attempt_ended(const AttemptEvent& attempt) override;
  void instance_ended(const InstanceEvent& instance) override;
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
