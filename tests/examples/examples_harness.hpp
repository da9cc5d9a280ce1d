// What the examples plugin's tests share: the plugin loaded through PluginLoader by name (from
// lib/lockstep/ next to liblockstep, as `lockstep` finds it), parameters written as a pipeline
// gives them, a JobContext of our own that runs a job on the calling thread and records what it
// publishes and logs, an engine to run rounds of jobs in parallel as a stage does, and fresh
// temporary directories.
#pragma once

#include <catch2/catch.hpp>
#include <lockstep/engine/engine.hpp>
#include <lockstep/pipeline/job_instance.hpp>
#include <lockstep/pipeline/plugin_loader.hpp>

#include "../support/temp_dir.hpp"

#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lockstep::examples_test {

using lockstep::test::read_file;
using lockstep::test::TempDir;

// The registry with core and examples, loaded the first time it is asked for. Plugins stay loaded
// until the process ends, so one registry serves every test.
inline const Registry& examples_registry() {
  struct Loaded {
    Registry registry;
    Diagnostics diagnostics;
    bool ok = false;
    Loaded() {
      PluginLoader loader(registry, PluginLoader::search_dirs({}));
      ok = loader.load_core(diagnostics) && loader.load("examples", {}, diagnostics);
    }
  };
  static Loaded loaded;
  INFO(loaded.diagnostics.to_string());
  REQUIRE(loaded.ok);
  return loaded.registry;
}

inline const RegisteredJobType& job_type(std::string_view name) {
  auto found = examples_registry().lookup_job_type(name);
  INFO(found.error << " " << found.hint);
  REQUIRE(found.job_type != nullptr);
  return *found.job_type;
}

// A parameter as the config layer hands it over: text, typed by the spec.
inline RawEntry param(std::string key, std::string text) {
  return {std::move(key), RawValue::scalar(std::move(text))};
}

// validate_job_params() on `given`; the diagnostics, formatted, when there are any.
inline std::string validation_errors(std::string_view type, const std::vector<RawEntry>& given) {
  Diagnostics diagnostics;
  validate_job_params(job_type(type).declaration, given, {"test.yaml", 1, 1}, "job 'j': ", diagnostics);
  return diagnostics.to_string();
}

inline Params valid_params(const RegisteredJobType& type, const std::vector<RawEntry>& given) {
  Diagnostics diagnostics;
  auto params =
      validate_job_params(type.declaration, given, {"test.yaml", 1, 1}, "job 'j': ", diagnostics);
  INFO(diagnostics.to_string());
  REQUIRE_FALSE(diagnostics.has_errors());
  return params;
}

// Runs one job on the calling thread and keeps what it published and logged. Exceptions from
// the job reach the test, which can check their messages.
class TestContext final : public JobContext {
 public:
  TestContext(std::string_view type, const std::vector<RawEntry>& given)
      : type_(job_type(type)), params_(valid_params(type_, given)) {}

  // Makes the job from its parameters, as the framework does, and runs it.
  void run() { type_.factory(params_)->run(*this); }
  // Makes the token cancelled, before or during run().
  void cancel() { cancel_source_.cancel(); }

  std::optional<std::string> published(const std::string& key) const {
    auto found = outputs_.find(key);
    if (found == outputs_.end()) return std::nullopt;
    return found->second;
  }
  const std::map<std::string, std::string>& outputs() const { return outputs_; }
  const std::vector<std::string>& log_lines() const { return logger_.lines; }

  const std::string& id() const override { return id_; }
  const Params& params() const override { return params_; }
  const Item& item() const override { return item_; }
  std::uint64_t index() const override { return 0; }
  int attempt() const override { return 1; }
  const CancelToken& cancel_token() const override { return cancel_token_; }
  Logger& log() override { return logger_; }
  void output(std::string key, std::string value) override {
    outputs_[std::move(key)] = std::move(value);
  }
  std::optional<std::string> input(std::string_view) const override { return std::nullopt; }

 private:
  struct RecordingLogger final : Logger {
    void write(Level, std::string_view line) override { lines.emplace_back(line); }
    std::vector<std::string> lines;
  };

  const RegisteredJobType& type_;
  Params params_;
  std::string id_ = "stage/job";
  Item item_;
  CancelSource cancel_source_;
  CancelToken cancel_token_{{&cancel_source_, nullptr, nullptr, nullptr}};
  RecordingLogger logger_;
  std::map<std::string, std::string> outputs_;
};

// Runs a job of `type` with `given` and returns what it published.
inline std::map<std::string, std::string> run_job(std::string_view type,
                                                  const std::vector<RawEntry>& given) {
  TestContext context(type, given);
  context.run();
  return context.outputs();
}

// The message of what `run` throws; "" when it throws nothing.
template <class Run>
std::string thrown_message(Run run) {
  try {
    run();
  } catch (const std::exception& error) {
    return error.what();
  }
  return {};
}

class NullSink final : public LogSink {
 public:
  void write(std::string_view, Logger::Level, std::string_view) override {}
};

// Rounds of jobs run in parallel as a stage runs them: every job of a round is dispatched to one
// bulkhead through make_job_task, and the round ends at the barrier (Batch::wait).
class Rounds {
 public:
  explicit Rounds(int workers)
      : pool_(engine_.add_bulkhead({.name = "examples", .workers = workers})) {}

  // Instance `index` of the stage's job, which publishes as "stage.job".
  void dispatch(std::string_view type, const std::vector<RawEntry>& given, std::uint64_t index) {
    const auto& registered = job_type(type);
    JobInstance instance{.id = "stage/job[" + std::to_string(index) + "]",
                         .output_name = "stage.job",
                         .type = &registered,
                         .params = valid_params(registered, given),
                         .index = index};
    pool_.dispatch(batch_, make_job_task(std::move(instance), *outputs_, sink_));
  }

  // The barrier: waits for the round's jobs and returns their results and what they published.
  std::pair<BatchResult, std::unique_ptr<Outputs>> finish_round() {
    auto result = batch_.wait();
    return {std::move(result), std::exchange(outputs_, std::make_unique<Outputs>())};
  }

 private:
  Engine engine_;
  Bulkhead& pool_;
  Batch batch_;
  NullSink sink_;
  std::unique_ptr<Outputs> outputs_ = std::make_unique<Outputs>();
};

// Every failure message of a round, for INFO.
inline std::string failures_of(const BatchResult& result) {
  std::string text;
  for (const auto& failure : result.failures) text += failure.job + ": " + failure.message + "\n";
  return text;
}

inline void write_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  REQUIRE(out.good());
}

}  // namespace lockstep::examples_test
