// lockstep/pipeline/pipeline.hpp — a checked pipeline: what `lockstep run` executes.
//
//   lockstep::Registry registry;
//   lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
//   lockstep::Diagnostics diags;
//   auto pipeline = lockstep::load_pipeline("pipe.yaml", {}, loader, diags);
//   if (!pipeline) {
//     std::cerr << diags.to_string();
//     return lockstep::kExitError;
//   }
//   for (const auto& stage : pipeline->stages)
//     for (const auto& job : stage.jobs)
//       std::cout << stage.name << "/" << job.id << " on " << job.bulkhead << "\n";
//
// These are plain values. The config layer makes them from YAML, resolving defaults, bulkheads,
// job types, ${vars.*} and ${env.*}, and checking every parameter; an embedder can build one by
// hand. What is left for run time is only what differs between instances: the fan-out item,
// ${item}, ${index} and ${iteration} in parameters, and outputs of earlier stages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/params.hpp"
#include "lockstep/plugin/registry.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// The most threads lockstep starts for the bulkheads of one run. Each worker is a thread of its
// own: `workers` of a bulkhead, the workers of all of them together (unless `threads` caps them)
// and `threads` may not exceed thread_limit(): kMaxThreads, or fewer when this machine lets a
// process start fewer (RLIMIT_NPROC, `ulimit -u`).
inline constexpr int kMaxThreads = 4096;
LOCKSTEP_API int thread_limit() noexcept;
// The largest `queue` of a bulkhead: its places are allocated when the bulkhead is made.
inline constexpr int kMaxQueue = 100'000;

// Where a bulkhead's jobs run: on threads of lockstep's own process (fast, the default), or in
// worker processes that lockstep starts, where a crash, a hang or a leak is one instance's
// failure (docs/isolation.md).
enum class Isolation : unsigned char { thread, process };
LOCKSTEP_API std::string_view to_string(Isolation isolation) noexcept;

struct BulkheadSpec {
  std::string name{};
  int workers = 1;
  std::optional<int> queue{};          // admitted jobs waiting for a worker; default_queue()
  std::optional<Duration> max_wait{};  // without room for this long, the job is rejected
  SourceLocation where{};
  // Unset: as RunOptions::isolation says (thread by default).
  std::optional<Isolation> isolation{};
  // Process isolation only: each worker's address space, and each attempt's CPU time.
  std::optional<std::uint64_t> memory{};  // bytes
  std::optional<Duration> cpu_time{};
};

// Attempts of one job instance. Attempt k+1 starts backoff * 2^(k-1) after attempt k ended,
// at most max_backoff; while it waits it holds no worker.
struct RetryPolicy {
  int attempts = 1;  // >= 1; 1 means no retry
  Duration backoff{};
  std::optional<Duration> max_backoff{};
};

// Where a job's instances come from. Instance i is a pure function of i (and, for from_outputs
// and files, of what existed when the stage started), so instances can be made lazily.
struct FanOut {
  enum class Kind : unsigned char {
    none,          // one instance, index 0, empty item
    items,         // one instance per element of `items`
    range,         // from <= i < to by step: item i
    matrix,        // the cartesian product of `axes`, the last axis varying fastest
    from_outputs,  // one instance per value published under `reference`, in instance order
    files,         // one instance per file matching `pattern`, sorted; fields path, name, stem
  };
  struct Axis {
    std::string name;
    std::vector<std::string> values;
  };
  Kind kind = Kind::none;
  std::vector<Item> items{};
  std::int64_t from = 0, to = 0, step = 1;
  std::vector<Axis> axes{};
  std::string reference{};  // "stage.job.key"
  SourceLocation reference_where{};  // where `reference` is written
  std::string pattern{};    // a glob; the loader prefixes a relative one with the YAML file's dir
  // from_outputs and files may find nothing when their stage starts: a warning when allowed, else
  // an error that fails the stage.
  bool allow_empty = true;
  SourceLocation where{};
};

// A parameter whose value contains ${item}, ${index} or ${iteration}: instantiated (and checked
// against its spec) for each instance. Every other reference is resolved already.
struct ParamTemplate {
  std::string name{};
  RawValue value{};  // scalars still hold their ${...} text; `$$` is still an escaped `$`
};

// `if:` of a stage or a job (docs/pipelines.md, "Conditions"): when it is false, every instance
// of that stage or job ends skipped, and the report says why. The runner parses `expression`
// again; `values` are the ${vars.*} and ${env.*} it reads, as resolved when it was loaded (a
// reference missing from them reads the environment (${env.*}) at run time, or else empty).
struct Condition {
  struct Output {
    std::string reference{};  // "stage.job.key", as from_outputs names it
    SourceLocation where{};
  };
  std::string expression{};  // as written: "${vars.mode} == 'fast'"
  SourceLocation where{};
  StringMap values{};           // "vars.mode" -> "fast"
  std::vector<Output> outputs{};  // the ${outputs.*} it reads
  std::optional<bool> holds{};  // decided when loaded: it reads no outputs
};

// An ${outputs.STAGE.JOB.KEY} in a job's params: filled in when the job's stage starts.
struct OutputRead {
  std::string reference{};  // "stage.job.key"
  SourceLocation where{};
  bool picks = false;  // followed by [N] or [*]: a fan-out's values need one of them
};

struct JobSpec {
  std::string id{};
  SourceLocation where{};
  const RegisteredJobType* type = nullptr;
  std::string bulkhead{};  // resolved: the job's, else its stage's, else defaults', else default
  Params params{};         // checked values, shared by every instance (templates excluded)
  std::vector<ParamTemplate> templates{};
  FanOut foreach{};
  RetryPolicy retry{};
  std::optional<Duration> timeout{};  // per attempt
  // Process isolation: how long after a cancellation (a timeout included) a job that ignores it
  // has before its worker is killed. Unset: kDefaultGrace.
  std::optional<Duration> grace{};
  bool continue_on_error = false;
  std::optional<Condition> condition{};  // `if:`
  std::vector<OutputRead> reads{};        // the ${outputs.*} of its params
};
inline constexpr Duration kDefaultGrace = std::chrono::seconds(5);

enum class OnFailure : unsigned char { stop, continue_ };

// A stage runs its jobs (every instance of each), then waits at a barrier. With `repeat`, it
// runs again, a barrier between iterations, `times` times, or until a job of the last iteration
// published a truthy output named `until`, or `max` iterations.
struct Repeat {
  std::optional<int> times{};
  std::optional<int> max{};
  std::string until{};
  SourceLocation where{};
};

// A stage this one waits for: it starts when every stage it needs has ended.
struct StageNeed {
  std::string stage{};
  SourceLocation where{};
};

struct StageSpec {
  std::string name{};
  std::string description{};
  SourceLocation where{};
  std::string kind = "parallel";  // how the stage dispatches its instances (qualified name)
  // The registered kind; null means the built-in `parallel` (a Pipeline built in code).
  const RegisteredStageKind* kind_type = nullptr;
  std::vector<RawEntry> with{};  // the kind's parameters, as written
  Params kind_params{};          // ... and checked against its spec
  OnFailure on_failure = OnFailure::stop;
  std::optional<Repeat> repeat{};
  // `needs:`; nullopt (not written) means the stage before it, as stage_needs() resolves it.
  std::optional<std::vector<StageNeed>> needs{};
  std::optional<Condition> condition{};  // `if:`, decided when the stages it needs have ended
  std::vector<JobSpec> jobs{};
};

struct Pipeline {
  std::string file{};  // where it was read from, for messages
  std::string name{};
  std::string description{};
  std::optional<int> threads{};           // cap on the threads of all bulkheads together
  StringMap vars{};                       // resolved, after --set
  std::vector<std::string> secrets{};     // names of `secrets:` (values masked in every output)
  std::vector<BulkheadSpec> bulkheads{};  // every one a job uses, "default" included if used
  std::vector<StageSpec> stages{};
};

// How many instances a fan-out has, when that is known before it runs: 1 for none, the items,
// the values of a range, the product of a matrix's axes (saturating at the largest uint64);
// nullopt for from_outputs and files, which are read when their stage starts.
LOCKSTEP_API std::optional<std::uint64_t> instance_count(const FanOut& fan_out) noexcept;

// The stages each stage needs, as indices into pipeline.stages: its `needs`, or the stage before
// it when it has none (the first stage needs nothing). Names that match no stage are left out
// (the loader refuses them).
LOCKSTEP_API std::vector<std::vector<std::size_t>> stage_needs(const Pipeline& pipeline);

// Truthy output values, as `repeat: { until: ... }` reads them: true, yes, on, 1 (any case).
LOCKSTEP_API bool is_truthy(std::string_view value) noexcept;

}  // namespace lockstep
