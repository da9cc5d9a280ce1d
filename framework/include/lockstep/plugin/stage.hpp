// lockstep/plugin/stage.hpp — stage kinds: how a stage dispatches its job instances.
//
//   // One instance at a time, in order: what `kind: sequential` does.
//   class OneByOne final : public lockstep::StageKind {
//    public:
//     static lockstep::StageKindType type() { return {"one_by_one", "Runs instances in order"}; }
//     explicit OneByOne(const lockstep::Params& /*with*/) {}
//     void run(lockstep::StageContext& stage) override {
//       while (auto instance = stage.next()) {
//         stage.dispatch(*instance);
//         stage.wait();
//         if (stage.failed() && stage.stops_on_failure()) return;  // the rest end skipped
//       }
//     }
//   };
//
//   LOCKSTEP_PLUGIN("mine", "1.0.0", [](lockstep::Registry& registry) {
//     registry.add_stage_kind<OneByOne>();        // pipelines say `kind: mine.one_by_one`
//   })
//
// A stage kind is registered by a plugin like a job type, with a parameter spec for the stage's
// `with:` map, which is validated before anything runs. For each run of the stage (each
// iteration of a repeated stage) the framework makes a StageKind from the validated parameters
// and calls run() on the thread that runs the pipeline. The kind pulls instances from a lazy
// stream and decides when to dispatch them; each dispatched instance goes to its job's bulkhead
// with the usual backpressure, retries, timeout and terminal state.
//
// Whatever the kind does, the framework keeps the stage's promises: when run() returns (or
// throws), it waits for every dispatched instance (the stage barrier), and each instance the kind
// never dispatched ends as skipped and is counted, so every instance ends in exactly one state. A
// kind that throws fails its stage with the exception's message (its outstanding instances are
// cancelled first); the run then goes on as the stage's on_failure says.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/engine/job_state.hpp"
#include "lockstep/export.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/params.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// One job instance of the stage's stream: the stage's jobs in their order, each job's instances
// in index order. Cheap to copy; its id is made only when asked for.
struct StageInstance {
  std::uint32_t job = 0;       // which of the stage's jobs, in the order the pipeline lists them
  std::uint64_t index = 0;     // the instance's index within its job (its fan-out position)
  std::uint64_t position = 0;  // its position in the stage's stream, from 0
};

// An instance that ended, as StageContext::next_ended() reports it.
struct EndedInstance {
  StageInstance instance{};
  std::string id{};  // "stage/job[3]"
  JobState state = JobState::succeeded;
  int attempts = 0;
  std::string message{};  // the last attempt's, when it did not succeed
};

// What a kind sees of its stage. Used from the thread that calls StageKind::run() only.
class LOCKSTEP_API StageContext {
 public:
  virtual ~StageContext();

  virtual const std::string& name() const noexcept = 0;  // the stage's, as the pipeline names it
  virtual int iteration() const noexcept = 0;            // 1 unless the stage repeats
  // The stage's instances, made lazily: the next one, or nothing when the stream is exhausted.
  virtual std::optional<StageInstance> next() = 0;
  // How many instances the stream holds in all (taken or not).
  virtual std::uint64_t size() const noexcept = 0;
  // "stage/job[3]".
  virtual std::string id(const StageInstance& instance) const = 0;

  // Sends an instance taken with next() to its job's bulkhead: blocks while the bulkhead is full
  // (and ends it as rejected after the bulkhead's max_wait). Its end is reported by next_ended().
  // Returns false when it was not dispatched because the stage is stopping or was cancelled: it
  // then ended as cancelled. Throws std::logic_error for an instance dispatched twice. Only the
  // calling thread waits: retries are dispatched by their own bulkhead's thread.
  virtual bool dispatch(const StageInstance& instance) = 0;
  // Dispatches every instance left in the stream, as the parallel kind does: each bulkhead is fed
  // on its own thread, short jobs are chunked. Returns when all are dispatched (not ended). Their
  // ends are counted, not reported by next_ended().
  virtual void dispatch_rest() = 0;

  // A barrier inside the stage: waits until every dispatched instance has ended (retries
  // included) and returns the counts of those that ended since the previous wait(). Ends that
  // next_ended() did not report yet are dropped (they are in the counts).
  virtual StateCounts wait() = 0;
  // The next instance dispatched by dispatch() to end, in the order they ended; nothing when no
  // such instance is outstanding and every end was reported. With block = false, returns at once.
  virtual std::optional<EndedInstance> next_ended(bool block = true) = 0;
  // Cancels what is outstanding: running attempts see their token cancelled, queued instances and
  // waiting retries end as cancelled, later dispatches end as cancelled at once.
  virtual void cancel() = 0;

  // From now on, a failed instance neither fails nor stops the stage: the kind decides, by
  // returning (the stage succeeded) or throwing (it failed). What race calls: a failed mirror is
  // no failure once another one won. Instances still end, and are counted, as what they were.
  virtual void own_failures() = 0;

  // Whether a failure that counts has stopped the stage (its on_failure is stop), the kind
  // cancelled it, or the run is being interrupted: dispatch() then refuses.
  virtual bool stopping() const noexcept = 0;
  // Whether a failure stops the stage: its on_failure is stop (the default) and the kind does
  // not own failures.
  virtual bool stops_on_failure() const noexcept = 0;
  // Whether a failure that counts against the stage has happened (continue_on_error excluded;
  // always false once the kind owns failures).
  virtual bool failed() const noexcept = 0;

  // Outputs of earlier stages: "stage.job.key" (and "stage.stage.key" for stage outputs).
  virtual std::optional<std::string> input(std::string_view reference) const = 0;
  // Publishes "<stage>.stage.<key>" for later stages (and for `repeat.until`).
  virtual void output(std::string key, std::string value) = 0;
  // Lines tagged with the stage's name.
  virtual Logger& log() = 0;
};

class LOCKSTEP_API StageKind {
 public:
  virtual ~StageKind();
  virtual void run(StageContext& stage) = 0;
};

// A stage kind's name (unqualified; the registry prefixes the plugin's name), what it does, and
// the parameters of its `with:` map.
struct StageKindType {
  std::string name;
  std::string doc{};
  std::vector<ParamSpec> params{};
  // What it publishes with StageContext::output (read as STAGE.stage.KEY); empty: undeclared.
  std::vector<OutputSpec> outputs{};
};

using StageKindFactory = std::function<std::unique_ptr<StageKind>(const Params& with)>;

struct RegisteredStageKind {
  std::string qualified_name;  // "batching.batches"; built-in kinds have no prefix: "parallel"
  std::string plugin;          // "" for built-in kinds
  StageKindType declaration;   // what the plugin declared: name, doc, parameter specs
  StageKindFactory factory;
};

struct StageKindLookup {
  const RegisteredStageKind* kind = nullptr;
  std::string error{};  // "unknown stage kind 'batchs'"
  std::string hint{};   // "did you mean 'batching.batches'?"
};

}  // namespace lockstep::inline LOCKSTEP_ABI
