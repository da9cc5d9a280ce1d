// ProgressPrinter: a thread that reads the running stages' snapshots and paints their line; stage
// events leave each stage's final line. One mutex orders everything written, so a line is never
// painted over another one or in the middle of a log line printed through print_above().
#include <sys/ioctl.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

#include "lockstep/pipeline/progress.hpp"

#include "lockstep/pipeline/output_text.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

constexpr std::string_view kEraseLine = "\033[K";  // from the cursor to the end of the line

// Where the lines go: a FILE (a terminal, perhaps) or a stream.
class Output {
 public:
  explicit Output(std::FILE* file) : file_(file) {}
  explicit Output(std::ostream& stream) : stream_(&stream) {}

  void write(std::string_view unmasked) {
    const auto masked = mask_secrets(unmasked);  // an item of a fan-out may be one
    const std::string_view text = masked;
    if (file_ != nullptr) {
      std::fwrite(text.data(), 1, text.size(), file_);
      std::fflush(file_);
    } else {
      stream_->write(text.data(), static_cast<std::streamsize>(text.size()));
      stream_->flush();
    }
  }

  // The terminal's width, read at each paint so that a resized window is followed; 0 if the
  // output is not a terminal.
  int terminal_columns() const {
    if (file_ == nullptr) return 0;
    const int fd = ::fileno(file_);
    winsize size{};
    if (fd < 0 || ::isatty(fd) == 0 || ::ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
    return size.ws_col;
  }

 private:
  std::FILE* file_ = nullptr;
  std::ostream* stream_ = nullptr;
};

// At most `columns - 1` bytes (the last column would make some terminals wrap), never cutting a
// UTF-8 character in two.
std::string fit(std::string line, int columns) {
  if (columns <= 1 || line.size() < static_cast<std::size_t>(columns)) return line;
  std::size_t size = static_cast<std::size_t>(columns - 1);
  while (size > 0 && (static_cast<unsigned char>(line[size]) & 0xC0) == 0x80) --size;
  line.resize(size);
  return line;
}

}  // namespace

struct ProgressPrinter::Impl {
  Impl(StagesSource s, Output o, ProgressOptions opts)
      : source(std::move(s)), out(o), options(opts) {}

  StagesSource source;
  Output out;
  const ProgressOptions options;

  std::mutex mutex;  // guards what follows, and every write to `out`
  std::condition_variable wake;
  std::thread thread;
  bool stopping = false;
  bool stopped = false;
  bool painted = false;  // terminal mode: a live line is on screen, the cursor at its end
  // The line of a stage that ended, printed once the next stage starts or the run ends: until
  // then another iteration of the same stage may follow, and the line must count it too.
  std::string final_line;
  const StageSpec* final_stage = nullptr;
  std::chrono::steady_clock::time_point last_plain{};

  bool terminal() const { return options.mode == ProgressMode::terminal; }

  int columns() const { return options.columns > 0 ? options.columns : out.terminal_columns(); }

  // Terminal mode: `line` in place of the live one; `end` leaves it and moves to the next line.
  void paint(const std::string& line, bool end) {
    std::string text = "\r" + fit(line, columns());
    text += kEraseLine;
    if (end) text += '\n';
    out.write(text);
    painted = !end;
  }

  void erase_live_line() {
    if (!painted) return;
    std::string text = "\r";
    text += kEraseLine;
    out.write(text);
    painted = false;
  }

  void print_final_line() {
    if (final_stage == nullptr) return;
    if (terminal()) {
      paint(final_line, true);
    } else {
      out.write(final_line + "\n");
    }
    final_stage = nullptr;
    final_line.clear();
    last_plain = std::chrono::steady_clock::now();
  }

  // One tick of the thread, the mutex held: the source is read under it too, so that a snapshot
  // taken before a stage ended is never painted after that stage's final line.
  void tick() {
    const auto snapshot = source();
    if (snapshot.empty()) return;
    const auto line = progress_line(snapshot, options.bar_width);
    if (terminal()) {
      paint(line, false);
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_plain >= options.plain_every) {
      out.write(line + "\n");
      last_plain = now;
    }
  }

  void loop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (wake.wait_for(lock, options.interval, [this] { return stopping; })) break;
      tick();
    }
  }
};

namespace {

ProgressPrinter::StagesSource as_stages(ProgressPrinter::Source source) {
  return [source = std::move(source)] {
    std::vector<StageProgress> stages;
    if (auto stage = source()) stages.push_back(std::move(*stage));
    return stages;
  };
}

}  // namespace

ProgressPrinter::ProgressPrinter(Source source, std::FILE* out, ProgressOptions options)
    : ProgressPrinter(as_stages(std::move(source)), out, options) {}

ProgressPrinter::ProgressPrinter(Source source, std::ostream& out, ProgressOptions options)
    : ProgressPrinter(as_stages(std::move(source)), out, options) {}

ProgressPrinter::ProgressPrinter(StagesSource source, std::FILE* out, ProgressOptions options)
    : impl_(std::make_unique<Impl>(std::move(source), Output(out), options)) {}

ProgressPrinter::ProgressPrinter(StagesSource source, std::ostream& out, ProgressOptions options)
    : impl_(std::make_unique<Impl>(std::move(source), Output(out), options)) {}

ProgressPrinter::ProgressPrinter(const Runner& runner, std::FILE* out, ProgressOptions options)
    : ProgressPrinter(StagesSource([&runner] { return runner.progress_of_stages(); }), out,
                      options) {}

ProgressPrinter::ProgressPrinter(const Runner& runner, std::ostream& out, ProgressOptions options)
    : ProgressPrinter(StagesSource([&runner] { return runner.progress_of_stages(); }), out,
                      options) {}

ProgressPrinter::~ProgressPrinter() { stop(); }

void ProgressPrinter::run_started(const Pipeline& /*pipeline*/) {
  auto& self = *impl_;
  std::lock_guard lock(self.mutex);
  if (self.thread.joinable() || self.stopped) return;
  self.last_plain = std::chrono::steady_clock::now();
  self.thread = std::thread([&self] { self.loop(); });
}

void ProgressPrinter::stage_started(const StageSpec& stage, int /*iteration*/) {
  auto& self = *impl_;
  std::lock_guard lock(self.mutex);
  if (self.final_stage == &stage) {
    self.final_stage = nullptr;  // another iteration: its end will count this one's too
  } else {
    self.print_final_line();
  }
  self.last_plain = std::chrono::steady_clock::now();
}

void ProgressPrinter::stage_ended(const StageSpec& stage, int /*iteration*/,
                                  const StageSummary& so_far) {
  auto& self = *impl_;
  std::lock_guard lock(self.mutex);
  // Another stage's line, waiting: that stage ran beside this one (needs). Its line now, else
  // this one would replace it.
  if (self.final_stage != &stage) self.print_final_line();
  self.final_line = stage_end_line(so_far, self.options.bar_width);
  self.final_stage = &stage;
  if (self.terminal()) self.paint(self.final_line, false);  // done now, even if left later
}

void ProgressPrinter::run_ended(const RunResult& /*result*/) { stop(); }

void ProgressPrinter::print_above(const std::function<void()>& print) {
  auto& self = *impl_;
  std::lock_guard lock(self.mutex);
  self.erase_live_line();
  print();
}

void ProgressPrinter::stop() {
  auto& self = *impl_;
  {
    std::lock_guard lock(self.mutex);
    if (self.stopped) return;
    self.stopped = true;
    self.stopping = true;
  }
  self.wake.notify_all();
  if (self.thread.joinable()) self.thread.join();
  std::lock_guard lock(self.mutex);
  self.print_final_line();
  self.erase_live_line();
}

void ProgressLogSink::write(std::string_view job_id, Logger::Level level, std::string_view line) {
  printer_.print_above([&] { inner_.write(job_id, level, line); });
}

}  // namespace lockstep
