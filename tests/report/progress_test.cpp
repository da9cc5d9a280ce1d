// Live progress: the text of a line (exactly), the two modes, and a printer on a real run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "../run/run_support.hpp"
#include "lockstep/pipeline/progress.hpp"
#include "../exec/support/sync.hpp"

using namespace std::chrono_literals;
using namespace lockstep;
using lockstep::test::kGuard;

namespace {

// A stream whose text the test thread can wait for while the printer's thread writes it.
class Transcript final : public std::streambuf {
 public:
  Transcript() : stream_(this) {}
  std::ostream& stream() { return stream_; }

  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }
  // True once the text contains `needle`, within the guard.
  bool wait_for(const std::string& needle) const {
    return wait_until(
        [&](const std::string& text) { return text.find(needle) != std::string::npos; });
  }
  // True once `holds(text)`, within the guard.
  bool wait_until(const std::function<bool(const std::string&)>& holds) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kGuard, [&] { return holds(text_); });
  }

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) append(std::string(1, char(c)));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    append(std::string(s, static_cast<std::size_t>(n)));
    return n;
  }

 private:
  void append(const std::string& more) {
    {
      std::lock_guard lock(mutex_);
      text_ += more;
    }
    changed_.notify_all();
  }
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string text_;
  std::ostream stream_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

StageProgress snapshot(std::uint64_t succeeded, std::uint64_t total) {
  StageProgress progress{"build"};
  progress.total = total;
  progress.ended[JobState::succeeded] = succeeded;
  progress.running = 2;
  progress.queued = 16;
  progress.elapsed = 1s;
  return progress;
}

ProgressOptions quick(ProgressMode mode) {
  ProgressOptions options;
  options.mode = mode;
  options.interval = 1ms;
  options.plain_every = 1ms;
  return options;
}

}  // namespace

TEST_CASE("numbers read the way people read them, cut rather than rounded up") {
  CHECK(human_count(0) == "0");
  CHECK(human_count(999) == "999");
  CHECK(human_count(1000) == "1.0k");
  CHECK(human_count(1999) == "1.9k");
  CHECK(human_count(9999) == "9.9k");
  CHECK(human_count(10'000) == "10k");
  CHECK(human_count(999'999) == "999k");
  CHECK(human_count(1'000'000) == "1.0M");
  CHECK(human_count(12'345'678) == "12M");
  CHECK(human_count(3'400'000'000) == "3.4G");
  CHECK(human_rate(0) == "0/s");
  CHECK(human_rate(0.5) == "0.5/s");
  CHECK(human_rate(9.99) == "9.9/s");
  CHECK(human_rate(850) == "850/s");
  CHECK(human_rate(3456) == "3.4k/s");
  CHECK(human_duration(400us) == "0.4ms");
  CHECK(human_duration(12ms) == "12ms");
  CHECK(human_duration(1250ms) == "1.2s");
  CHECK(human_duration(42s) == "42s");
  CHECK(human_duration(65s) == "1m05s");
  CHECK(human_duration(2h + 3min + 59s) == "2h03m");
}

TEST_CASE("a running stage's line: bar, share, counts, rate and ETA") {
  StageProgress progress{"build", 2};
  progress.total = 10'000;
  progress.ended[JobState::succeeded] = 3997;
  progress.ended[JobState::failed] = 2;
  progress.ended[JobState::timed_out] = 1;
  progress.running = 2;
  progress.queued = 16;
  progress.elapsed = 3200ms;  // 4,000 in 3.2s: 1,250/s, 6,000 left: 4.8s
  CHECK(progress_line(progress) ==
        "build@2 [########------------]  40%  4.0k/10k  3 failed  2 running  16 queued  1.2k/s  "
        "ETA 5s");
}

TEST_CASE("attempts on threads still running past their timeout are counted on the line") {
  StageProgress progress{"scan", 0};
  progress.total = 4;
  progress.ended[JobState::succeeded] = 2;
  progress.running = 2;
  progress.overdue = 1;
  CHECK(progress_line(progress, 4) ==
        "scan [##--]  50%  2/4  2 running  0 queued  1 timed out, still running: they ignore "
        "cancellation");
}

TEST_CASE("the first iteration has no @, and a long ETA reads in minutes") {
  CHECK(progress_line(snapshot(1000, 100'000), 10) ==
        "build [----------]   1%  1.0k/100k  2 running  16 queued  1.0k/s  ETA 1m39s");
}

TEST_CASE("an almost finished stage never looks finished") {
  CHECK(progress_line(snapshot(9999, 10'000), 10) ==
        "build [#########-]  99%  9.9k/10k  2 running  16 queued  9.9k/s  ETA 1s");
}

TEST_CASE("long attempts running with nothing ended: the ETA is not below their time so far") {
  StageProgress progress{"scan"};  // 10 instances, 2 workers, both running for 5s
  progress.total = 10;
  progress.running = 2;
  progress.queued = 8;
  progress.elapsed = 5s;
  progress.running_for = 10s;
  progress.longest_running = 5s;
  const auto left = estimate_time_left(progress);
  REQUIRE(left.has_value());
  CHECK(*left >= 5s);
  // As long again for the two running (5s), then 8 waiting in 4 waves of 2, each 2 x 5s.
  CHECK(*left == 45s);
  CHECK(progress_line(progress, 4) == "scan [----]   0%  0/10  2 running  8 queued  ETA 45s");
}

TEST_CASE("quick instances that ended do not hide a long one still running") {
  StageProgress progress{"scan"};  // 8 quick ones ended, 2 long ones running since the start
  progress.total = 10;
  progress.ended[JobState::succeeded] = 8;
  progress.running = 2;
  progress.elapsed = 5s;
  progress.running_for = 10s;
  progress.longest_running = 5s;
  // The rate alone (8 in 5s) would say 1.25s for the 2 left.
  CHECK(estimate_time_left(progress) == std::optional<std::chrono::nanoseconds>(5s));
}

TEST_CASE("the rate wins when it says more than the running attempts") {
  auto progress = snapshot(1000, 100'000);  // 1,000 in 1s: 99s for the rest
  progress.running_for = 1s;
  progress.longest_running = 500ms;
  CHECK(estimate_time_left(progress) == std::optional<std::chrono::nanoseconds>(99s));
}

TEST_CASE("no ETA when nothing says yet, or nothing is left") {
  CHECK_FALSE(estimate_time_left(snapshot(0, 50)).has_value());  // running, not timed yet
  CHECK_FALSE(estimate_time_left(snapshot(50, 50)).has_value());
  CHECK_FALSE(estimate_time_left(StageProgress{"load"}).has_value());
}

TEST_CASE("before anything ended there is no rate and no ETA") {
  CHECK(progress_line(snapshot(0, 50), 4) == "build [----]   0%  0/50  2 running  16 queued");
  StageProgress not_started{"load"};
  CHECK(progress_line(not_started, 4) == "load [----]   0%  0/0  0 running  0 queued");
}

TEST_CASE("one stage running alone: the line of that stage") {
  const auto progress = snapshot(1000, 100'000);
  CHECK(progress_line(std::vector{progress}) == progress_line(progress));
  CHECK(progress_line(std::vector{progress}, 10) == progress_line(progress, 10));
}

TEST_CASE("stages side by side: each one's bar and counts, then the sums of them all") {
  StageProgress get{"get"};  // 4,000 of 10,000 in 3.2s: ETA 4.8s
  get.total = 10'000;
  get.ended[JobState::succeeded] = 3997;
  get.ended[JobState::failed] = 2;
  get.ended[JobState::timed_out] = 1;
  get.running = 2;
  get.queued = 16;
  get.elapsed = 3200ms;
  StageProgress lint{"lint", 2};  // 3 of 10 in 12s: ETA 28s, the longer
  lint.total = 10;
  lint.ended[JobState::succeeded] = 1;
  lint.ended[JobState::failed] = 1;
  lint.ended[JobState::cancelled] = 1;
  lint.running = 1;
  lint.queued = 5;
  lint.elapsed = 12s;
  CHECK(progress_line({get, lint}) ==
        "get [####------]  40%  4.0k/10k  |  lint@2 [###-------]  30%  3/10  4 failed  "
        "1 cancelled  3 running  21 queued  ETA 28s");
  // In the order given (the order they started), each bar half the width.
  CHECK(progress_line({lint, get}, 4) ==
        "lint@2 [--]  30%  3/10  |  get [--]  40%  4.0k/10k  4 failed  1 cancelled  3 running  "
        "21 queued  ETA 28s");
  // Attempts past their timeout, of any of them, are counted too.
  lint.overdue = 1;
  CHECK(progress_line({get, lint}).find("  21 queued  1 timed out, still running  ETA 28s") !=
        std::string::npos);
  // Nothing ended anywhere yet: no failures and no ETA.
  StageProgress a{"a"}, b{"b"};
  a.total = b.total = 3;
  a.running = b.running = 1;
  CHECK(progress_line({a, b}, 6) == "a [---]   0%  0/3  |  b [---]   0%  0/3  2 running  0 queued");
}

TEST_CASE("a stage's final line: its iterations, totals, rate, wall time and status") {
  StageSummary stage{"build", StageStatus::failed, 3};
  stage.counts[JobState::succeeded] = 29'997;
  stage.counts[JobState::failed] = 3;
  stage.wall = 25s;
  CHECK(stage_end_line(stage) ==
        "build (3 iterations) [####################] 100%  30k/30k  3 failed  1.2k/s  in 25s  "
        "failed");
  StageSummary empty{"nothing"};
  empty.wall = 300us;
  CHECK(stage_end_line(empty, 4) == "nothing [####] 100%  0/0  in 0.3ms  succeeded");
  StageSummary stopped{"fetch", StageStatus::stopped, 1};
  stopped.counts[JobState::failed] = 1;
  stopped.counts[JobState::cancelled] = 40;
  stopped.wall = 2s;
  CHECK(stage_end_line(stopped, 4) ==
        "fetch [####] 100%  41/41  1 failed  40 cancelled  20/s  in 2.0s  stopped");
}

TEST_CASE("plain mode prints whole lines without a control character") {
  Transcript out;
  StageSpec stage;
  stage.name = "build";
  ProgressPrinter printer([] { return std::optional(snapshot(1000, 100'000)); }, out.stream(),
                          quick(ProgressMode::plain));
  printer.run_started(Pipeline{});
  printer.stage_started(stage, 1);
  REQUIRE(out.wait_for("build [----------"));
  StageSummary summary{"build", StageStatus::succeeded, 1};
  summary.counts[JobState::succeeded] = 100'000;
  summary.wall = 10s;
  printer.stage_ended(stage, 1, summary);
  printer.run_ended(RunResult{});

  const auto text = out.text();
  for (const char c : text) {
    INFO("character " << int(c));
    CHECK((c == '\n' || (c >= ' ' && c < 127)));
  }
  const auto lines = lines_of(text);
  REQUIRE(lines.size() >= 2);
  CHECK(lines.front() == progress_line(snapshot(1000, 100'000)));
  CHECK(lines.back() == "build [####################] 100%  100k/100k  10k/s  in 10s  succeeded");
  CHECK(text.back() == '\n');
}

TEST_CASE("terminal mode repaints in place and leaves each stage's final line") {
  Transcript out;
  StageSpec first, second;
  first.name = "first";
  second.name = "second";
  ProgressPrinter printer([] { return std::optional(snapshot(1000, 100'000)); }, out.stream(),
                          quick(ProgressMode::terminal));
  printer.run_started(Pipeline{});
  printer.stage_started(first, 1);
  const auto painted = "\r" + progress_line(snapshot(1000, 100'000)) + "\033[K";
  REQUIRE(out.wait_for(painted));
  // A repeated stage: one final line, with the counts of both iterations.
  StageSummary summary{"first", StageStatus::succeeded, 1};
  summary.counts[JobState::succeeded] = 5;
  summary.wall = 1s;
  printer.stage_ended(first, 1, summary);
  printer.stage_started(first, 2);
  summary.iterations = 2;
  summary.counts[JobState::succeeded] = 10;
  summary.wall = 2s;
  printer.stage_ended(first, 2, summary);
  printer.stage_started(second, 1);
  printer.run_ended(RunResult{});

  const auto text = out.text();
  const auto final_line =
      "first (2 iterations) [####################] 100%  10/10  5.0/s  in 2.0s  succeeded";
  CHECK(text.find("\r" + std::string(final_line) + "\033[K\n") != std::string::npos);
  CHECK(text.find("5/5  5.0/s  in 1.0s  succeeded\033[K\n") == std::string::npos);  // not left
  // Nothing half-painted is left for the next output: the text ends with a line's end, or with
  // the live line erased.
  const bool clean = text.ends_with("\n") || text.ends_with("\r\033[K");
  CHECK(clean);
}

TEST_CASE("lines printed through the printer land above the live line, whole") {
  Transcript out;
  ProgressPrinter printer([] { return std::optional(snapshot(10, 100)); }, out.stream(),
                          quick(ProgressMode::terminal));
  printer.run_started(Pipeline{});
  REQUIRE(out.wait_for("\033[K"));
  std::ostream err(&out);
  {
    StreamAboveProgress above(err, printer);
    err << "lockstep: build/x[1] failed" << std::flush << ": boom\n"
        << "half a line";
    CHECK(out.text().find("half a line") == std::string::npos);  // waits for its end
  }
  printer.run_ended(RunResult{});
  const auto text = out.text();
  CHECK(text.find("\r\033[Klockstep: build/x[1] failed: boom\n") != std::string::npos);
  CHECK(text.find("half a line") != std::string::npos);
  CHECK(err.rdbuf() == &out);
}

TEST_CASE("a printer on a real run: lines while it runs, and every instance done at the end") {
  using namespace lockstep::test;
  Transcript out;
  ProbeTypes types;
  // The first instance of stage `a` holds it open until a line of the running stage appeared,
  // so that the test never depends on how fast the machine is.
  std::atomic<bool> seen_running{false};
  types.behave([&](JobContext& ctx) {
    if (ctx.id() == "a/x[0]") seen_running = out.wait_for(" running  ");
  });
  const auto p = pipeline({stage("a", {job(types.probe(), "x", range(0, 40))}),
                           stage("b", {job(types.probe(), "y", range(0, 7))})});
  const Runner* running = nullptr;
  ProgressPrinter printer([&running] { return running->progress(); }, out.stream(),
                          quick(ProgressMode::plain));
  QuietLog quiet;
  RunOptions options;
  options.log = &quiet;
  options.observers.push_back(&printer);
  Runner runner(p, options);
  running = &runner;
  const auto result = runner.run();
  REQUIRE(result.exit_code() == 0);
  CHECK(seen_running);

  // A line while `a` ran, then each stage's final line once, in order, the last one last.
  const auto lines = lines_of(out.text());
  REQUIRE(lines.size() >= 3);
  CHECK(lines.front().starts_with("a ["));
  CHECK(lines.front().find(" running  ") != std::string::npos);
  auto find = [&](const std::string& start) {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      // A live line can show every instance ended too, just before the barrier: it says
      // "running", a final line does not.
      if (lines[i].starts_with(start) && lines[i].find(" running ") == std::string::npos) {
        found.push_back(i);
      }
    }
    return found;
  };
  const auto a_end = find("a [####################] 100%  40/40  ");
  const auto b_end = find("b [####################] 100%  7/7  ");
  REQUIRE(a_end.size() == 1);
  REQUIRE(b_end.size() == 1);
  CHECK(a_end[0] < b_end[0]);
  CHECK(b_end[0] == lines.size() - 1);
  CHECK(lines[a_end[0]].ends_with("  succeeded"));
  CHECK(lines[b_end[0]].ends_with("  succeeded"));
}

TEST_CASE("a printer on a real run: stages running side by side share one line") {
  using namespace lockstep::test;
  Transcript out;
  ProbeTypes types;
  // Each stage's only job holds its stage open until a line shows both stages: such a line can
  // only come from snapshots taken while both ran, whatever the speed of the machine.
  auto both_on_one_line = [](const std::string& text) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("  |  ") == std::string::npos) continue;
      const bool left = line.starts_with("left [") || line.find("  |  left [") != line.npos;
      const bool right = line.starts_with("right [") || line.find("  |  right [") != line.npos;
      if (left && right) return true;
    }
    return false;
  };
  std::atomic<int> saw_both{0};
  types.behave([&](JobContext&) {
    if (out.wait_until(both_on_one_line)) ++saw_both;
  });
  auto side = [&](std::string name, std::string job_id) {
    auto spec = stage(std::move(name), {job(types.probe(), std::move(job_id))});
    spec.needs.emplace();  // needs: [] starts at once, beside the other
    return spec;
  };
  const auto p = pipeline({side("left", "x"), side("right", "y")});
  QuietLog quiet;
  RunOptions options;
  options.log = &quiet;
  Runner runner(p, options);
  // As `lockstep run` makes it: the printer reads the runner itself.
  ProgressPrinter printer(runner, out.stream(), quick(ProgressMode::plain));
  runner.observe(printer);
  const auto result = runner.run();
  REQUIRE(result.exit_code() == 0);
  CHECK(saw_both == 2);

  // Then each stage's own final line, once.
  const auto lines = lines_of(out.text());
  for (const std::string name : {"left", "right"}) {
    INFO(name);
    CHECK(std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
            return line.starts_with(name + " [####################] 100%  1/1  ") &&
                   line.ends_with("  succeeded");
          }) == 1);
  }
}
