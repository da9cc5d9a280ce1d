// lockstep/pipeline/progress.hpp — live progress of a run: a line for the stage running now, with a
// bar, its counts, a rate and an ETA (stages running side by side share the line, "|" between
// them); repainted in place on a terminal, or printed now and then as whole lines in a log.
//
//   lockstep::Runner runner(pipeline);
//   lockstep::ProgressPrinter progress(runner, stderr, {.mode = lockstep::ProgressMode::terminal});
//   runner.observe(progress);
//   runner.run();
//   // build [########------------]  40%  4.0k/10k  2 running  16 queued  1.2k/s  ETA 5s
//
// The printer only asks for stage events (Interest::stages), so it costs the jobs nothing: a thread
// of its own reads the snapshot about ten times a second. When a stage ends, its line is left
// with the stage's totals, rate, wall time and status; the run's end stops the thread and erases
// a half-painted line, so whatever is printed next starts on a clean line.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

enum class ProgressMode : unsigned char {
  terminal,  // one live line, repainted in place (\r, erase-line), a final line per stage
  plain,     // whole lines only, no control characters: for logs and pipes
};

struct ProgressOptions {
  ProgressMode mode = ProgressMode::terminal;
  std::chrono::milliseconds interval{100};      // how often the snapshot is read (and repainted)
  std::chrono::milliseconds plain_every{5000};  // plain mode: a running stage's line this often
  int columns = 0;     // terminal mode: lines are cut to fit; 0: the terminal's width, if any
  int bar_width = 20;  // characters between the brackets
};

// A RunObserver; thread-safe. Writes to a FILE (flushed after each write) or an ostream, which
// must outlive it.
class LOCKSTEP_API ProgressPrinter final : public RunObserver {
 public:
  // Called on the printer's thread between run_started and run_ended only.
  using Source = std::function<std::optional<StageProgress>()>;
  // The same, for every stage running now (Runner::progress_of_stages()).
  using StagesSource = std::function<std::vector<StageProgress>()>;

  ProgressPrinter(Source source, std::FILE* out, ProgressOptions options = {});
  ProgressPrinter(Source source, std::ostream& out, ProgressOptions options = {});
  ProgressPrinter(StagesSource source, std::FILE* out, ProgressOptions options = {});
  ProgressPrinter(StagesSource source, std::ostream& out, ProgressOptions options = {});
  // Shows `runner`'s progress (Runner::progress_of_stages(): stages side by side on one line).
  ProgressPrinter(const Runner& runner, std::FILE* out, ProgressOptions options = {});
  ProgressPrinter(const Runner& runner, std::ostream& out, ProgressOptions options = {});
  ~ProgressPrinter() override;  // stop()
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  Interest interest() const override { return Interest::stages; }
  void run_started(const Pipeline& pipeline) override;
  void stage_started(const StageSpec& stage, int iteration) override;
  void stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) override;
  void run_ended(const RunResult& result) override;

  // Runs `print`, which writes whole lines to the same terminal, with the live line out of its
  // way: erased first, and painted again at the next tick. For job logs and failure messages
  // printed during the run (see ProgressLogSink).
  void print_above(const std::function<void()>& print);
  // Stops the thread, prints the last stage's final line if it is still due and erases a live
  // line. run_ended() calls it; later calls do nothing.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Forwards job log lines to `inner` through ProgressPrinter::print_above, so that they never
// land in the middle of the live line. Both must outlive it.
class LOCKSTEP_API ProgressLogSink final : public LogSink {
 public:
  ProgressLogSink(ProgressPrinter& printer, LogSink& inner) : printer_(printer), inner_(inner) {}
  void write(std::string_view job_id, Logger::Level level, std::string_view line) override;

 private:
  ProgressPrinter& printer_;
  LogSink& inner_;
};

// While it lives, what is written to `stream` (std::cerr, say) reaches it through
// ProgressPrinter::print_above, a whole line at a time: a line begun waits for its end, or for
// the guard's. Both must outlive it; it gives the stream its own buffer back when it ends.
class LOCKSTEP_API StreamAboveProgress {
 public:
  StreamAboveProgress(std::ostream& stream, ProgressPrinter& printer);
  ~StreamAboveProgress();
  StreamAboveProgress(const StreamAboveProgress&) = delete;
  StreamAboveProgress& operator=(const StreamAboveProgress&) = delete;

 private:
  class Buffer;
  std::ostream& stream_;
  std::unique_ptr<Buffer> buffer_;
};

// ---- the text of one line: pure functions, the same in both modes ----------------------------

// The stage running now: "name@iteration" (the iteration from the second on), a bar of the
// instances that ended, their share, "ended/total", then failures and cancellations when there
// are any, running and queued, the rate since the iteration started and the time left
// (estimate_time_left):
//   "build@2 [########------------]  40%  4.0k/10k  3 failed  2 running  16 queued  1.2k/s  ETA 5s"
LOCKSTEP_API std::string progress_line(const StageProgress& progress, int bar_width = 20);
// Stages running side by side (needs): progress_line() for one; for more, each one's name, a bar
// of half the width, its share and "ended/total", then the failures, running and queued (and
// overdue) attempts of them all, and the longest time left:
//   "get [####------]  40%  4.0k/10k  |  lint [##--------]  20%  2/10  3 running  0 queued  ETA 5s"
LOCKSTEP_API std::string progress_line(const std::vector<StageProgress>& stages,
                                       int bar_width = 20);

// The time the stage still needs, or nullopt when nothing is left or nothing says yet. The larger
// of two estimates: the rate so far (ended instances per second since the iteration started)
// applied to what is left; and the running attempts, each expected to need as long again as it
// has run (so never less than the longest has run), plus, while nothing has ended, the waiting
// instances in waves of `running`, each wave as long as the running attempts will take in all.
LOCKSTEP_API std::optional<std::chrono::nanoseconds> estimate_time_left(
    const StageProgress& progress);

// A stage that ended (all its iterations, as StageSummary counts them):
//   "build (3 iterations) [####################] 100%  30k/30k  3 failed  1.2k/s  in 25s  failed"
LOCKSTEP_API std::string stage_end_line(const StageSummary& stage, int bar_width = 20);

// Numbers for people, cut (never rounded up, so 9,999 of 10,000 never reads as all of them):
// 999, 1.2k, 12k, 999k, 1.0M, 3.4G.
LOCKSTEP_API std::string human_count(std::uint64_t count);
// 0.5/s, 9.9/s, 850/s, 3.4k/s.
LOCKSTEP_API std::string human_rate(double per_second);
// 0.4ms, 12ms, 1.2s, 42s, 1m05s, 2h03m.
LOCKSTEP_API std::string human_duration(std::chrono::nanoseconds duration);

}  // namespace lockstep
