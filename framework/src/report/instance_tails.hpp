// The last log lines of the fan-out instances that have not ended, kept so that one that does not
// succeed can have a file of its own, although its lines went to its job's file as they came.
//
//   InstanceTails tails;
//   tails.append("fetch/get", 3, "downloaded 12 files\n");
//   tails.forget("fetch/get", 0, 100);                  // instances [0, 100) succeeded
//   if (auto tail = tails.take("fetch/get", 7)) ...     // instance 7 failed: its lines
//
// Bounded: each instance keeps at most its last kPerInstance bytes (whole lines, unless a single
// line is longer), all together at most kTotal; a tail that lost lines says so (whole = false).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "lockstep/export.hpp"

namespace lockstep::report {

class LOCKSTEP_INTERNAL_API InstanceTails {
 public:
  static constexpr std::size_t kPerInstance = 64 * 1024;
  static constexpr std::size_t kTotal = 64 * 1024 * 1024;

  struct Tail {
    std::string text{};  // lines, each ending in '\n'
    bool whole = true;   // no line of the instance was left out
  };

  // `job` is the instance's id without its index ("stage@2/job"); `line` ends in '\n'.
  void append(std::string_view job, std::uint64_t index, std::string_view line);
  // The tail of an instance, forgotten here; nothing when it kept no line.
  std::optional<Tail> take(std::string_view job, std::uint64_t index);
  // Instances [from, to) of `job` ended well: their lines are not needed.
  void forget(std::string_view job, std::uint64_t from, std::uint64_t to);
  // Every instance of the jobs of a stage ("stage", or "stage@2" for an iteration).
  void forget_stage(std::string_view stage_label);
  void clear();

  std::size_t bytes() const;  // kept now, all instances together

 private:
  using Instances = std::map<std::uint64_t, Tail>;
  void forget_all(Instances& instances);

  mutable std::mutex mutex_;
  std::map<std::string, Instances, std::less<>> jobs_;
  std::size_t total_ = 0;
};

}  // namespace lockstep::report
