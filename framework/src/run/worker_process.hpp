// The lockstep side of process isolation. A bulkhead with `isolation: process` has a WorkerPool:
// one worker process per worker slot, started when the slot first runs a job and again after its
// process died. The slot's thread sends an attempt, relays the job's log lines, outputs and
// input requests as they come, and waits for its outcome; a cancellation (a timeout included) is
// passed on, and a job still running `grace` after it is killed with its worker.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lockstep/engine/job_state.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/registry.hpp"

namespace lockstep::run {

struct WorkerSetup {
  std::filesystem::path program;      // lockstep-worker
  std::vector<std::string> plugins;   // the files of the job types it runs
  std::optional<std::uint64_t> memory{};
  std::optional<Duration> cpu_time{};
};

class WorkerProcess {
 public:
  struct Outcome {
    JobState state = JobState::succeeded;
    std::string message{};
  };

  explicit WorkerProcess(const WorkerSetup& setup) : setup_(setup) {}
  ~WorkerProcess() { stop(); }
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Starts the process and waits until it has loaded its plugins; false with `error` if not.
  bool start(std::string& error);
  // One attempt of `type` with what `context` holds; the process must be started.
  Outcome run(const RegisteredJobType& type, JobContext& context, Duration grace);
  bool running() const noexcept { return pid_ > 0; }

 private:
  // After end of file: reaps the process (and kills what it left) and says how it ended.
  std::string ended_how();
  void stop() noexcept;

  const WorkerSetup& setup_;
  pid_t pid_ = -1;
  int fd_ = -1;
};

class WorkerPool {
 public:
  WorkerPool(int workers, WorkerSetup setup);

  // Runs one attempt in the process of the calling thread's worker slot.
  WorkerProcess::Outcome run(const RegisteredJobType& type, JobContext& context, Duration grace);

 private:
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
