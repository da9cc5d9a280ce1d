#include "lockstep/pipeline/reuse.hpp"

#include <algorithm>

#include "lockstep/pipeline/job_instance.hpp"

namespace lockstep::inline LOCKSTEP_ABI {
namespace {

std::string key_of(std::string_view stage, int iteration, std::string_view job) {
  std::string key(stage);
  key += '\0';
  key += std::to_string(iteration);
  key += '\0';
  key += job;
  return key;
}

// Sorts `ranges` and joins those that touch or overlap; drops empty ones.
void normalize(std::vector<IndexRange>& ranges) {
  std::erase_if(ranges, [](const IndexRange& r) { return r.from >= r.to; });
  std::ranges::sort(ranges, {}, &IndexRange::from);
  std::vector<IndexRange> joined;
  for (const auto& range : ranges) {
    if (!joined.empty() && range.from <= joined.back().to) {
      joined.back().to = std::max(joined.back().to, range.to);
    } else {
      joined.push_back(range);
    }
  }
  ranges = std::move(joined);
}

}  // namespace

void Reuse::add(std::string_view stage, int iteration, std::string_view job, JobReuse reuse) {
  auto& entry = jobs_[key_of(stage, iteration, job)];
  entry.ranges.insert(entry.ranges.end(), reuse.ranges.begin(), reuse.ranges.end());
  normalize(entry.ranges);
  for (auto& output : reuse.outputs) entry.outputs.push_back(std::move(output));
  if (entry.ranges.empty()) jobs_.erase(key_of(stage, iteration, job));
}

const JobReuse* Reuse::find(std::string_view stage, int iteration, std::string_view job) const {
  if (jobs_.empty()) return nullptr;
  const auto found = jobs_.find(key_of(stage, iteration, job));
  return found == jobs_.end() ? nullptr : &found->second;
}

std::uint64_t Reuse::size() const noexcept {
  std::uint64_t count = 0;
  for (const auto& [key, job] : jobs_) {
    for (const auto& range : job.ranges) count += range.to - range.from;
  }
  return count;
}

void publish_restored(Outputs& outputs, std::string_view job,
                      const std::vector<RestoredOutput>& restored, std::uint64_t size) {
  for (std::size_t i = 0; i < restored.size();) {
    const auto& first = restored[i];
    std::vector<std::string> values;
    std::size_t next = i;
    for (; next < restored.size() && restored[next].index == first.index &&
           restored[next].key == first.key;
         ++next) {
      values.push_back(restored[next].value);
    }
    if (first.index < size) outputs.publish_list(job, first.index, first.key, std::move(values));
    i = next;
  }
}

}  // namespace lockstep::inline LOCKSTEP_ABI
