// lockstep/pipeline/job_instance.hpp — run a registered job type from C++, without YAML.
//
//   lockstep::Registry registry;
//   lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
//   lockstep::Diagnostics diags;
//   loader.load_core(diags);
//   const auto* sleep = registry.lookup_job_type("core.sleep").job_type;
//   std::vector<lockstep::RawEntry> given{{"duration", lockstep::RawValue::scalar("50ms")}};
//   auto params =
//       lockstep::validate_params(sleep->declaration.params, given, {}, "job 'nap': ", diags);
//
//   lockstep::Outputs outputs;
//   lockstep::Engine engine;
//   auto& pool = engine.add_bulkhead({.name = "default", .workers = 2});
//   lockstep::Batch batch;
//   pool.dispatch(batch, lockstep::make_job_task({.id = "nap", .type = sleep, .params = params},
//                                                outputs, lockstep::stderr_log_sink()));
//   batch.wait();
//
// The job object is made inside the task, on the worker: a constructor that throws fails that
// job (with the constructor's message) like a run() that throws, and nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/registry.hpp"
#include "lockstep/engine/task.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// Results published by jobs (JobContext::output), read by later stages. Thread-safe. An instance
// publishes a value or a list under each key; publishing the key again replaces it.
class LOCKSTEP_API Outputs {
 public:
  // `job` is "stage.job"; an instance of a fan-out publishes under its index.
  void publish(std::string_view job, std::uint64_t index, std::string_view key, std::string value);
  void publish_list(std::string_view job, std::uint64_t index, std::string_view key,
                    std::vector<std::string> values);
  // Every value published as "stage.job.key", ordered by instance index, then by place in a list.
  std::vector<std::string> values(std::string_view reference) const;
  // The values of "stage.job.key" published by instances from <= index < to, in the same order;
  // the elements of one instance's list each with its index.
  std::vector<std::pair<std::uint64_t, std::string>> published(std::string_view reference,
                                                              std::uint64_t from,
                                                              std::uint64_t to) const;
  // The lists "stage.job.key" published by instances from <= index < to, by index, each as it
  // was published (an empty one too): to copy them into another Outputs as they are.
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> lists(std::string_view reference,
                                                                        std::uint64_t from,
                                                                        std::uint64_t to) const;
  // The value of "stage.job.key": the last instance's, when several published one (of a list,
  // its last element).
  std::optional<std::string> get(std::string_view reference) const;
  // Every reference published so far that starts with `prefix` ("scan." for a stage's), sorted.
  std::vector<std::string> references(std::string_view prefix) const;

 private:
  mutable std::mutex mutex_;
  // By reference, by instance index: what it published (one element for a value).
  std::map<std::string, std::map<std::uint64_t, std::vector<std::string>>, std::less<>> values_;
};

// Where job log lines go. Thread-safe implementations only: jobs log from many threads.
class LOCKSTEP_API LogSink {
 public:
  virtual ~LogSink();
  virtual void write(std::string_view job_id, Logger::Level level, std::string_view line) = 0;
};

// Lines as "[job_id] line" on stderr.
LOCKSTEP_API LogSink& stderr_log_sink();

struct JobInstance {
  std::string id{};           // "stage/job[3]": in logs, failures and reports
  std::string output_name{};  // "stage.job": where output(key, value) is published; id if empty
  const RegisteredJobType* type = nullptr;
  Params params{};
  Item item{};
  std::uint64_t index = 0;
  int attempt = 1;
};

LOCKSTEP_API Task make_job_task(JobInstance instance, Outputs& outputs, LogSink& log);

}  // namespace lockstep
