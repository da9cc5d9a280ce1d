// lockstep/pipeline/reuse.hpp — instances a run does not run again: they count as succeeded
// ("reused") and their outputs are published as if they had run. `lockstep run --resume` fills
// one from an earlier run's journal (plan_resume(), <lockstep/pipeline/resume.hpp>).
//
//   lockstep::Reuse reuse;
//   reuse.add("fetch", 1, "get", {.ranges = {{0, 980}},
//                                 .outputs = {{.index = 3, .key = "path", .value = "a.csv"}}});
//   lockstep::Runner runner(pipeline, {.reuse = &reuse});
//   auto result = runner.run();   // fetch/get[0..979] reused: result.reused == 980
//
// Instances are named by stage, iteration (1 for a stage that does not repeat) and job id, as in
// the journal; an index past the job's instances this time is ignored.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct IndexRange {
  std::uint64_t from = 0;  // the first index
  std::uint64_t to = 0;    // past the last
};

// One value an instance published; a list is one per element, in order, one after another.
struct RestoredOutput {
  std::uint64_t index = 0;  // the instance that published it
  std::string key{};
  std::string value{};
};

struct JobReuse {
  std::vector<IndexRange> ranges{};       // sorted, disjoint
  std::vector<RestoredOutput> outputs{};  // of the reused instances
};

class Outputs;

// Publishes the restored outputs of job "stage.job" as its instances below `size` published
// them: consecutive ones of the same instance and key are the elements of one list.
LOCKSTEP_API void publish_restored(Outputs& outputs, std::string_view job,
                                   const std::vector<RestoredOutput>& restored, std::uint64_t size);

class LOCKSTEP_API Reuse {
 public:
  // Adds the reused instances of one job of one stage iteration; ranges are merged.
  void add(std::string_view stage, int iteration, std::string_view job, JobReuse reuse);
  // What is reused of that job; null when nothing is.
  const JobReuse* find(std::string_view stage, int iteration, std::string_view job) const;
  // Calls fn(stage, iteration, job, reuse) for every job with reused instances.
  template <class Fn>
  void visit(Fn fn) const {
    for (const auto& [key, reuse] : jobs_) {
      const auto first = key.find('\0');
      const auto second = key.find('\0', first + 1);
      fn(std::string_view(key).substr(0, first),
         std::stoi(key.substr(first + 1, second - first - 1)),
         std::string_view(key).substr(second + 1), reuse);
    }
  }
  // Reused instances in all.
  std::uint64_t size() const noexcept;
  bool empty() const noexcept { return jobs_.empty(); }

 private:
  std::map<std::string, JobReuse, std::less<>> jobs_;
};

}  // namespace lockstep::inline LOCKSTEP_ABI
