// tools/cli/output_file.hpp — a file that `lockstep run` writes from an observer when the run
// ends, also when it failed or was interrupted: the JSON report (--report) and the trace (--trace).
//
//   auto report = OutputFile<JsonReport>::open("report", options.report, std::cerr);  // creates it
//   if (!report) return kExitError;                    // a typo in the path: nothing ran
//   runner.observe(report->observer());
//   ...
//   status = report->write(status, std::cerr);  // the run's status, or 2 if FILE failed
#pragma once

#include <fstream>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>

namespace lockstep::cli {

// "lockstep: cannot write WHAT 'PATH': REASON" (the reason from errno).
void say_cannot_write(std::ostream& err, const std::string& what, const std::string& path);
// The run's exit status after its output file failed: a success becomes 2, a failure stays.
int status_after_failed_output(int run_status) noexcept;

// Observer: a RunObserver with `void write(std::ostream&) const`.
template <class Observer>
class OutputFile {
 public:
  // Creates (or empties) `path` at once, so that a path that cannot be written stops the run
  // before any job; null then, with the message on `err`. `what` names the file in messages.
  static std::unique_ptr<OutputFile> open(std::string what, std::string path, std::ostream& err) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) {
      say_cannot_write(err, what, path);
      return nullptr;
    }
    return std::unique_ptr<OutputFile>(
        new OutputFile(std::move(what), std::move(path), std::move(out)));
  }

  Observer& observer() noexcept { return observer_; }

  // Writes the file; returns `run_status`, or what status_after_failed_output() makes of it.
  int write(int run_status, std::ostream& err) {
    observer_.write(out_);
    out_.close();
    if (out_) return run_status;
    say_cannot_write(err, what_, path_);
    return status_after_failed_output(run_status);
  }

 private:
  OutputFile(std::string what, std::string path, std::ofstream out)
      : what_(std::move(what)), path_(std::move(path)), out_(std::move(out)) {}

  std::string what_;
  std::string path_;
  std::ofstream out_;
  Observer observer_;
};

}  // namespace lockstep::cli
