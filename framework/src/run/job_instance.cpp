#include "lockstep/pipeline/job_instance.hpp"

#include "lockstep/pipeline/output_text.hpp"

#include <cstdio>
#include <mutex>
#include <string>

#include "run/attempt_context.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// ---- Outputs ---------------------------------------------------------------------------------

void Outputs::publish(std::string_view job, std::uint64_t index, std::string_view key,
                      std::string value) {
  std::vector<std::string> one;
  one.push_back(std::move(value));
  publish_list(job, index, key, std::move(one));
}

void Outputs::publish_list(std::string_view job, std::uint64_t index, std::string_view key,
                           std::vector<std::string> values) {
  std::string reference(job);
  reference += '.';
  reference += key;
  std::lock_guard lock(mutex_);
  values_[std::move(reference)].insert_or_assign(index, std::move(values));
}

std::vector<std::string> Outputs::values(std::string_view reference) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> result;
  if (auto found = values_.find(reference); found != values_.end()) {
    for (const auto& [index, list] : found->second) {
      result.insert(result.end(), list.begin(), list.end());
    }
  }
  return result;
}

std::vector<std::pair<std::uint64_t, std::string>> Outputs::published(std::string_view reference,
                                                                      std::uint64_t from,
                                                                      std::uint64_t to) const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::uint64_t, std::string>> result;
  if (auto found = values_.find(reference); found != values_.end()) {
    for (auto it = found->second.lower_bound(from); it != found->second.end() && it->first < to;
         ++it) {
      for (const auto& value : it->second) result.emplace_back(it->first, value);
    }
  }
  return result;
}

std::vector<std::pair<std::uint64_t, std::vector<std::string>>> Outputs::lists(
    std::string_view reference, std::uint64_t from, std::uint64_t to) const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> result;
  if (auto found = values_.find(reference); found != values_.end()) {
    for (auto it = found->second.lower_bound(from); it != found->second.end() && it->first < to;
         ++it) {
      result.emplace_back(it->first, it->second);
    }
  }
  return result;
}

std::optional<std::string> Outputs::get(std::string_view reference) const {
  std::lock_guard lock(mutex_);
  auto found = values_.find(reference);
  if (found == values_.end()) return std::nullopt;
  for (auto it = found->second.rbegin(); it != found->second.rend(); ++it) {
    if (!it->second.empty()) return it->second.back();  // an empty list publishes nothing
  }
  return std::nullopt;
}

std::vector<std::string> Outputs::references(std::string_view prefix) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> found;
  for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.starts_with(prefix);
       ++it) {
    found.push_back(it->first);
  }
  return found;
}

// ---- logging ---------------------------------------------------------------------------------

LogSink::~LogSink() = default;

namespace {

class StderrLogSink final : public LogSink {
 public:
  void write(std::string_view job_id, Logger::Level level, std::string_view line) override {
    static constexpr const char* kLevels[] = {"debug", "info", "warning", "error"};
    // What a job printed may hold escape sequences: on stderr, likely a terminal, they are text.
    const auto text = for_terminal(line);
    std::lock_guard lock(mutex_);  // whole lines, never interleaved
    std::fprintf(stderr, "[%.*s] %s: %.*s\n", static_cast<int>(job_id.size()), job_id.data(),
                 kLevels[static_cast<int>(level)], static_cast<int>(text.size()), text.data());
  }

 private:
  std::mutex mutex_;
};

}  // namespace

LogSink& stderr_log_sink() {
  static StderrLogSink sink;
  return sink;
}

Task make_job_task(JobInstance instance, Outputs& outputs, LogSink& log) {
  auto id = instance.id;
  // Shared, because Task holds a copyable std::function; only one copy ever runs.
  auto shared = std::make_shared<JobInstance>(std::move(instance));
  return Task(std::move(id), [shared, &outputs, &log](const CancelToken& cancel) {
    // Made here, on the worker: a constructor that throws fails this job and nothing else.
    auto job = shared->type->factory(shared->params);
    run::AttemptContext context(*shared, cancel, outputs, log);
    job->run(context);
  });
}

}  // namespace lockstep
