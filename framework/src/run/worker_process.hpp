// The lockstep side of process isolation. A bulkhead with `isolation: process` has a WorkerPool:
// one worker process per worker slot, started when the slot first runs a job and again after its
// process died. The slot's thread sends an attempt, relays the job's log lines, outputs and
// input requests as they come, and waits for its outcome; a cancellation (a timeout included) is
// passed on, and a job still running `grace` after it is killed with its worker.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lockstep/engine/job_state.hpp"
#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/registry.hpp"
#include "run/memory_cgroup.hpp"
#include "run/worker_protocol.hpp"

namespace lockstep::run {

struct WorkerSetup {
  std::filesystem::path program;      // lockstep-worker
  std::vector<std::string> plugins;   // the files of the job types it runs
  std::optional<std::uint64_t> memory{};
  std::optional<Duration> cpu_time{};
};

// First attempts of instances [from, to) of one job with the job's own params and no item, run
// one after another by one worker process: one message each way for the lot, where single
// attempts cost a round trip each.
struct BatchRequest {
  const RegisteredJobType& type;
  const Params& params;
  InstanceId naming;  // the instances' stage, iteration and job; `index` set when it fans out
  std::uint64_t from = 0, to = 0;
  // A `range` fan-out's instance i has item from + i * step; unset: the instances' items are empty.
  std::optional<std::pair<std::int64_t, std::int64_t>> range{};
  bool timed = false;  // every instance's start and end come back (BatchOutcome::times)
};

// How a batch went: [from, next) ran, and those not in `ended` succeeded; [next, to) never began.
struct BatchOutcome {
  struct Ended {
    std::uint64_t index = 0;
    JobState state = JobState::failed;
    std::string message{};
    std::chrono::steady_clock::time_point start{}, end{};
  };
  std::uint64_t next = 0;
  std::vector<Ended> ended{};  // by index
  // When the request was `timed` and the batch returned: the start and end of each instance of
  // [from, next), in order. Empty when the worker died (those times died with it).
  std::vector<
      std::pair<std::chrono::steady_clock::time_point, std::chrono::steady_clock::time_point>>
      times{};
};

// The context of instance `index` of a batch: its log lines, outputs and input requests go there.
using BatchContexts = std::function<JobContext&(std::uint64_t index)>;

class WorkerProcess {
 public:
  struct Outcome {
    JobState state = JobState::succeeded;
    std::string message{};
    // When the job ran, as the worker timed it; unset when the worker did not say (it died).
    std::optional<
        std::pair<std::chrono::steady_clock::time_point, std::chrono::steady_clock::time_point>>
        ran{};
  };

  explicit WorkerProcess(const WorkerSetup& setup) : setup_(setup) {}
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Starts the process and waits until it has loaded its plugins; false with `error` if not.
  bool start(std::string& error);
  // One attempt of `type` with what `context` holds; the process must be started.
  Outcome run(const RegisteredJobType& type, JobContext& context, Duration grace);
  // A batch; the process must be started. A crash fails the instance it was running; one that
  // ignores a cancellation for `grace` is killed, and ends cancelled.
  BatchOutcome run_batch(const BatchRequest& request, const CancelToken& token, Duration grace,
                         const BatchContexts& contexts);
  bool running() const noexcept { return pid_ > 0; }

 private:
  // Log lines, outputs and input requests of a running job; false for other messages.
  bool relay(const worker::Message& message, JobContext& context);
  // "memory limit 256 MiB reached (std::bad_alloc)" for a job out of memory under a limit.
  std::string failure_text(std::string text, bool out_of_memory) const;
  // After end of file: reaps the process (and kills what it left) and says how it ended.
  std::string ended_how();
  void stop() noexcept;
  // The process's TMPDIR, made as it starts and removed once it is reaped: what its jobs and
  // their commands leave there (core.command's output files among them) goes with it, however
  // it ended.
  bool make_temp_dir(std::string& error);
  void remove_temp_dir() noexcept;

  const WorkerSetup& setup_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string temp_dir_;
  // Its `memory:` limit, where lockstep may make a cgroup: made as it starts, removed once it is
  // reaped. Else the worker limits its own address space (RLIMIT_AS).
  std::optional<MemoryCgroup> cgroup_;
  // The page a batch's progress is kept in, shared with each process this slot starts.
  int progress_fd_ = -1;
  worker::BatchProgress* progress_ = nullptr;
};

class WorkerPool {
 public:
  WorkerPool(int workers, WorkerSetup setup);

  // Runs one attempt in the process of the calling thread's worker slot.
  WorkerProcess::Outcome run(const RegisteredJobType& type, JobContext& context, Duration grace);
  // Runs a batch there.
  BatchOutcome run_batch(const BatchRequest& request, const CancelToken& token, Duration grace,
                         const BatchContexts& contexts);

 private:
  // run(process) with the calling slot's process, started; fail(why) when there can be none.
  template <class Run, class Fail>
  auto in_slot_process(const RegisteredJobType& type, Run&& run, Fail&& fail);

  struct Slot {
    std::mutex busy;
    std::unique_ptr<WorkerProcess> process;
  };

  WorkerSetup setup_;
  std::vector<Slot> slots_;
  std::mutex error_mutex_;
  std::string start_error_;  // once a start failed, every attempt fails with it at once
};

// "256 MiB", "1.5 GiB": a limit as messages name it.
std::string memory_text(std::uint64_t bytes);

}  // namespace lockstep::run
