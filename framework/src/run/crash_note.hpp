// When a job running on a thread of lockstep's own process (isolation: thread) crashes it, the
// process still ends, but first says which instance did it:
//
//   lockstep: crashed (SIGSEGV) while running: scan/hash[17]
//
// The runner marks what each thread runs (CrashMark, a thread-local pointer: no allocation,
// nothing shared); the handler, installed by `lockstep run`, reads the mark of the thread the
// signal came to and writes with async-signal-safe calls only, then hands the signal on to the
// handler before it (the default: the process ends by the same signal).
#pragma once

#include <cstdint>
#include <string_view>

#include "lockstep/export.hpp"

namespace lockstep::run {

// What a thread runs: the parts of its instance id, in storage that outlives the attempt.
struct RunningInstance {
  std::string_view stage;
  int iteration = 0;  // 0: the stage does not repeat
  std::string_view job;
  std::uint64_t index = 0;
  bool fans_out = false;
};

// Marks the calling thread as running `instance` until it goes out of scope.
class CrashMark {
 public:
  explicit CrashMark(const RunningInstance& instance) noexcept;
  ~CrashMark();
  CrashMark(const CrashMark&) = delete;
  CrashMark& operator=(const CrashMark&) = delete;

 private:
  const RunningInstance* outer_;
};

}  // namespace lockstep::run
