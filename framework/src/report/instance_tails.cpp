#include "report/instance_tails.hpp"

namespace lockstep::report {

namespace {

// Keeps the last `keep` bytes of the tail, from the start of a line when one starts in them.
// Returns how many bytes went.
std::size_t trim(InstanceTails::Tail& tail, std::size_t keep) {
  auto& text = tail.text;
  if (text.size() <= keep) return 0;
  auto cut = text.size() - keep;
  if (text[cut - 1] != '\n') {
    const auto line_end = text.find('\n', cut);
    if (line_end != std::string::npos && line_end + 1 < text.size()) cut = line_end + 1;
  }
  text.erase(0, cut);
  tail.whole = false;
  return cut;
}

}  // namespace

void InstanceTails::append(std::string_view job, std::uint64_t index, std::string_view line) {
  std::lock_guard lock(mutex_);
  auto found = jobs_.find(job);
  if (found == jobs_.end()) found = jobs_.emplace(std::string(job), Instances{}).first;
  auto& tail = found->second[index];
  if (total_ + line.size() > kTotal) {  // too many instances log at once: this one loses a line
    tail.whole = false;
    return;
  }
  tail.text += line;
  total_ += line.size();
  // Trimmed only at twice the bound, so that each byte is moved about once.
  if (tail.text.size() > 2 * kPerInstance) total_ -= trim(tail, kPerInstance);
}

std::optional<InstanceTails::Tail> InstanceTails::take(std::string_view job, std::uint64_t index) {
  std::lock_guard lock(mutex_);
  const auto found = jobs_.find(job);
  if (found == jobs_.end()) return std::nullopt;
  const auto instance = found->second.find(index);
  if (instance == found->second.end()) return std::nullopt;
  Tail tail = std::move(instance->second);
  total_ -= tail.text.size();
  found->second.erase(instance);
  if (found->second.empty()) jobs_.erase(found);
  trim(tail, kPerInstance);
  return tail;
}

void InstanceTails::forget(std::string_view job, std::uint64_t from, std::uint64_t to) {
  std::lock_guard lock(mutex_);
  const auto found = jobs_.find(job);
  if (found == jobs_.end()) return;
  auto& instances = found->second;
  const auto first = instances.lower_bound(from);
  const auto last = instances.lower_bound(to);
  for (auto at = first; at != last; ++at) total_ -= at->second.text.size();
  instances.erase(first, last);
  if (instances.empty()) jobs_.erase(found);
}

void InstanceTails::forget_stage(std::string_view stage_label) {
  std::lock_guard lock(mutex_);
  const std::string prefix = std::string(stage_label) + "/";
  for (auto at = jobs_.lower_bound(prefix); at != jobs_.end() && at->first.starts_with(prefix);) {
    forget_all(at->second);
    at = jobs_.erase(at);
  }
}

void InstanceTails::clear() {
  std::lock_guard lock(mutex_);
  jobs_.clear();
  total_ = 0;
}

std::size_t InstanceTails::bytes() const {
  std::lock_guard lock(mutex_);
  return total_;
}

void InstanceTails::forget_all(Instances& instances) {
  for (const auto& [index, tail] : instances) total_ -= tail.text.size();
  instances.clear();
}

}  // namespace lockstep::report
