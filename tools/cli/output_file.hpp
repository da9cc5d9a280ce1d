// tools/cli/output_file.hpp — a file that `lockstep run` writes from an observer when the run
// ends, also when it failed or was interrupted: the JSON report (--report), the trace (--trace) and
// the page (--html).
//
//   auto report = OutputFile<JsonReport>::open("report", options.report, std::cerr);  // locks it
//   if (!report) return kExitError;                    // a typo in the path: nothing ran
//   runner.observe(report->observer());
//   ...
//   status = report->write(status, std::cerr);  // the run's status, or 2 if FILE failed
//
// The file lands whole or not at all: it is written to a temporary file next to it (created at
// open with O_EXCL, never through a symlink), synced, and renamed over PATH; a file already at
// PATH stays intact until then, also when lockstep is killed. PATH is locked for the whole run
// (a hidden ".NAME.lock" next to it): a second run writing the same file is refused, naming the
// first one's process. A device or FIFO at PATH (/dev/stdout) is written in place.
#pragma once

#include <iosfwd>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "path_lock.hpp"

namespace lockstep::cli {

// "lockstep: cannot write WHAT 'PATH': REASON" (the reason from errno).
void say_cannot_write(std::ostream& err, const std::string& what, const std::string& path);
// The run's exit status after its output file failed: a success becomes 2, a failure stays.
int status_after_failed_output(int run_status) noexcept;

// The file half of OutputFile: the lock, the temporary file, the rename.
class AtomicFile {
 public:
  // Null, with the message on `err`, when PATH cannot be written or another run holds it.
  static std::unique_ptr<AtomicFile> open(const std::string& what, const std::string& path,
                                          std::ostream& err);
  ~AtomicFile();  // removes the temporary file when commit() did not happen
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Writes `content`, syncs it and renames it over PATH. False, errno set, when that failed.
  bool commit(std::string_view content);

 private:
  AtomicFile() = default;

  std::string path_;
  std::string temporary_;  // "" when PATH is written in place
  int fd_ = -1;
  std::unique_ptr<PathLock> lock_;
};

// Observer: a RunObserver with `void write(std::ostream&) const`.
template <class Observer>
class OutputFile {
 public:
  // Locks `path` and creates its temporary file at once, so that a path that cannot be written
  // stops the run before any job; null then, with the message on `err`. `what` names the file
  // in messages; `observer_args` construct the observer.
  template <class... ObserverArgs>
  static std::unique_ptr<OutputFile> open(std::string what, std::string path, std::ostream& err,
                                          ObserverArgs&&... observer_args) {
    auto file = AtomicFile::open(what, path, err);
    if (!file) return nullptr;
    return std::unique_ptr<OutputFile>(
        new OutputFile(std::move(what), std::move(path), std::move(file),
                       std::forward<ObserverArgs>(observer_args)...));
  }

  Observer& observer() noexcept { return observer_; }
  // Whether write() put the file in place.
  bool written() const noexcept { return written_; }

  // Writes the file; returns `run_status`, or what status_after_failed_output() makes of it.
  int write(int run_status, std::ostream& err) {
    std::ostringstream text;
    observer_.write(text);
    written_ = file_->commit(text.view());
    if (written_) return run_status;
    say_cannot_write(err, what_, path_);
    return status_after_failed_output(run_status);
  }

 private:
  template <class... ObserverArgs>
  OutputFile(std::string what, std::string path, std::unique_ptr<AtomicFile> file,
             ObserverArgs&&... observer_args)
      : what_(std::move(what)),
        path_(std::move(path)),
        file_(std::move(file)),
        observer_(std::forward<ObserverArgs>(observer_args)...) {}

  std::string what_;
  std::string path_;
  std::unique_ptr<AtomicFile> file_;
  Observer observer_;
  bool written_ = false;
};

}  // namespace lockstep::cli
