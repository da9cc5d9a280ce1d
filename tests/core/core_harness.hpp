// What the core plugin's tests share: the plugin loaded once through PluginLoader (from
// lib/lockstep/ next to liblockstep, as `lockstep` finds it), parameters written as a pipeline
// would give them, a log sink that records every line, and a one-bulkhead engine to run jobs on.
// Every wait here is bounded, so that a broken job fails its test instead of hanging the suite.
#pragma once

#include <catch2/catch.hpp>
#include <lockstep/engine/engine.hpp>
#include <lockstep/pipeline/job_instance.hpp>
#include <lockstep/pipeline/plugin_loader.hpp>

#include "../support/temp_dir.hpp"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace lockstep::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Far longer than any correct run needs; short enough that a broken job fails, not hangs.
inline constexpr auto kGuard = std::chrono::seconds(20);

// The registry with the core plugin, loaded the first time it is asked for. Plugins stay loaded
// until the process ends, so one registry serves every test.
inline const Registry& core_registry() {
  struct Loaded {
    Registry registry;
    Diagnostics diagnostics;
    bool ok = false;
    Loaded() {
      PluginLoader loader(registry, PluginLoader::search_dirs({}));
      ok = loader.load_core(diagnostics);
    }
  };
  static Loaded loaded;
  INFO(loaded.diagnostics.to_string());
  REQUIRE(loaded.ok);
  return loaded.registry;
}

inline const RegisteredJobType& core_type(std::string_view name) {
  auto found = core_registry().lookup_job_type(name);
  INFO(found.error << " " << found.hint);
  REQUIRE(found.job_type != nullptr);
  return *found.job_type;
}

// Parameters as the config layer hands them over: scalars, lists and maps of text.
inline RawEntry param(std::string key, std::string text) {
  return {std::move(key), RawValue::scalar(std::move(text))};
}
inline RawEntry list_param(std::string key, std::vector<std::string> items) {
  RawValue value;
  value.kind = RawValue::Kind::list;
  for (auto& item : items) value.items.push_back(RawValue::scalar(std::move(item)));
  return {std::move(key), std::move(value)};
}
inline RawEntry map_param(std::string key,
                          std::vector<std::pair<std::string, std::string>> entries) {
  RawValue value;
  value.kind = RawValue::Kind::map;
  for (auto& [name, text] : entries) {
    value.entries.push_back({std::move(name), RawValue::scalar(std::move(text))});
  }
  return {std::move(key), std::move(value)};
}

// validate_job_params() on `given`; the diagnostics, formatted, when there are any.
inline std::string validation_errors(const RegisteredJobType& type, std::vector<RawEntry> given) {
  Diagnostics diagnostics;
  validate_job_params(type.declaration, given, {"test.yaml", 1, 1}, "job 'j': ", diagnostics);
  return diagnostics.to_string();
}

struct LogLine {
  std::string job;
  Logger::Level level;
  std::string text;
};

class RecordingSink final : public LogSink {
 public:
  void write(std::string_view job_id, Logger::Level level, std::string_view line) override {
    std::lock_guard lock(mutex_);
    lines_.push_back({std::string(job_id), level, std::string(line)});
  }

  std::vector<LogLine> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  // The texts logged at `level`, in order.
  std::vector<std::string> texts(Logger::Level level) const {
    std::vector<std::string> result;
    for (const auto& line : lines()) {
      if (line.level == level) result.push_back(line.text);
    }
    return result;
  }
  bool contains(Logger::Level level, std::string_view part) const {
    for (const auto& text : texts(level)) {
      if (text.find(part) != std::string::npos) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<LogLine> lines_;
};

// Runs core jobs on a bulkhead of its own, through make_job_task, as the runner does.
class Harness {
 public:
  // Dispatches one instance of `type` with `given` parameters (which must be valid).
  void start(std::string_view type, std::vector<RawEntry> given,
             std::string output_name = "stage.job") {
    const auto& registered = core_type(type);
    Diagnostics diagnostics;
    auto params = validate_job_params(registered.declaration, given, {"test.yaml", 1, 1},
                                      "job 'job': ", diagnostics);
    INFO(diagnostics.to_string());
    REQUIRE_FALSE(diagnostics.has_errors());
    JobInstance instance{.id = "stage/job",
                         .output_name = std::move(output_name),
                         .type = &registered,
                         .params = std::move(params)};
    pool_.dispatch(batch_, make_job_task(std::move(instance), outputs, log));
  }

  BatchResult wait() { return batch_.wait(); }

  BatchResult run(std::string_view type, std::vector<RawEntry> given) {
    start(type, std::move(given));
    return wait();
  }

  void cancel() { batch_.cancel(); }
  const Bulkhead& pool() const { return pool_; }

  RecordingSink log;
  Outputs outputs;

 private:
  Engine engine_;
  Bulkhead& pool_ = engine_.add_bulkhead({.name = "core", .workers = 2});
  Batch batch_;
};

// The message of the only failure of `result`, or "" when it has none.
inline std::string failure_message(const BatchResult& result) {
  return result.failures.size() == 1 ? result.failures.front().message : std::string();
}

// Polls `condition` until it holds or `timeout` passes; true if it held.
template <class Condition>
bool eventually(Condition condition, Clock::duration timeout = kGuard) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace lockstep::test
