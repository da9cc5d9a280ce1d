// lockstep/pipeline/trace.hpp — a run as a Chrome trace: open it in https://ui.perfetto.dev or
// chrome://tracing to see which worker ran what, when, and where the barriers fell.
//
//   lockstep::ChromeTrace trace;
//   lockstep::Runner runner(pipeline, {.observers = {&trace}});
//   runner.run();
//   std::ofstream out("run.trace.json");
//   trace.write(out);
//
// A process per bulkhead (named after it) with a track per worker ("worker 0", ...), and on it a
// slice per attempt, named by the instance id and, when it is at most 40 characters, its fan-out
// item ("scan/hash[3] in/c.txt"); its args the job, the item (item_text(): the file's path, the
// value, or "key=value" pairs), the attempt, its state and, when it did not succeed, why. A
// "stages" process shows each stage iteration as a slice and its barrier as an instant at its end.
// Times are microseconds from the run's start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct ChromeTraceOptions {
  // Slices kept (attempts, and runs of successes); later ones are only counted (the trace says
  // how many), so that a long run does not fill the memory. About 100 bytes each.
  std::size_t max_attempts = 1'000'000;
};

// A RunObserver that sees successes as ranges and every attempt that did not succeed
// (Interest::failures); thread-safe. An instance of a job whose instances take about 50 us or
// more runs alone in its chunk: its success is a slice of its own, as is every failed attempt.
// Shorter instances run many to a chunk, and the chunks of one job that a worker ran one after
// another (under 10 us an instance, at most 10 us apart, nothing else on that track between) are
// one slice, "scan/hash[100] .. [91123]", with the count and the first and last index in its
// args, and its runs ("runs": [[first, last], ...]) when they are not back to back in index:
// every instance is in one slice, and a trace of ten million short jobs holds 30 to 100 slices,
// at no cost per instance. Successes are slices only as ranges (instances_succeeded), also when
// another observer has the runner send every attempt. Times are kept as the run goes (each thread
// in a buffer of its own), and turned into JSON by write(), which reads nothing of the pipeline:
// it need not outlive the run.
class LOCKSTEP_API ChromeTrace final : public RunObserver {
 public:
  explicit ChromeTrace(ChromeTraceOptions options = {});
  ~ChromeTrace() override;
  ChromeTrace(const ChromeTrace&) = delete;
  ChromeTrace& operator=(const ChromeTrace&) = delete;

  Interest interest() const override { return Interest::failures; }
  bool sees_other_ranks() const override { return true; }  // the whole run, on rank 0
  bool wants_succeeded_ranges() const override { return true; }
  void run_started(const Pipeline& pipeline) override;
  void stage_started(const StageSpec& stage, int iteration) override;
  void attempt_ended(const AttemptEvent& attempt) override;
  void instances_succeeded(const SucceededRange& range) override;
  void stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) override;

  // The trace event format's object form: {"traceEvents": [...], "displayTimeUnit": "ms",
  // "otherData": {...}}, with what was recorded so far (all of it once run() returned).
  void write(std::ostream& out) const;
  // Attempts beyond max_attempts, not in the trace.
  std::uint64_t dropped() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep
