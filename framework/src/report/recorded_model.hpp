// What RecordedRun (lockstep/pipeline/recorded_run.hpp) reads from a journal: the run's stages,
// jobs, ranges of successes and ends, with their times, in plain values that the report, trace
// and page writers turn into files. read_recorded() fills one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lockstep/engine/job_state.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::report {

// An attempt's place and time: microseconds from the run's start.
struct RecordedTime {
  std::int64_t start_us = 0, duration_us = 0;
  int slot = 0;
};

struct RecordedJob {
  std::uint32_t stage = 0;
  std::string id, type, bulkhead;  // bulkhead "" when unknown (no pipeline)
  bool fans_out = false;
  std::optional<std::uint64_t> instances{};  // known before it ran (from the pipeline)
};

// Instances [from, to) of a job, succeeded one after another on one worker place.
struct RecordedRange {
  std::uint32_t job = 0;
  int iteration = 1;
  std::uint64_t from = 0, to = 0;
  RecordedTime time;  // from the first's start to the last's end
};

// An attempt that did not succeed, of an instance that then did.
struct RecordedRetry {
  std::uint32_t job = 0;
  int iteration = 1;
  std::uint64_t index = 0;
  int attempt = 1;
  RecordedTime time;
  JobState state = JobState::failed;
  std::string message;
};

// An instance that did not succeed.
struct RecordedEnd {
  std::uint32_t job = 0;
  int iteration = 1;
  std::uint64_t index = 0;
  std::string id;
  JobState state = JobState::failed;
  int attempts = 0;
  std::vector<std::string> messages;
  std::vector<RecordedTime> times;  // of its attempts that ran (journal version 2 on)
};

struct RecordedIteration {
  int iteration = 1;
  bool ended = false;  // its stage_end record is there
  StageStatus status = StageStatus::interrupted;
  StateCounts counts{};       // recorded ends (or the stage_end's counts)
  std::uint64_t interrupted = 0;  // instances not ended when the journal was cut
  std::uint64_t reused = 0;       // of the succeeded, reused from an earlier run (stage_end)
  std::int64_t first_us = -1, last_us = -1;  // of its recorded attempts; -1 when none
};

struct RecordedStage {
  std::string name, kind;
  bool repeats = false;
  std::vector<std::uint32_t> jobs;  // positions in RecordedData::jobs
  std::vector<RecordedIteration> iterations;  // those that started; none: it never started
};

struct RecordedBulkhead {
  std::string name;
  int workers = 0;  // from the pipeline; else the highest slot seen + 1
  int queue = 0;
};

struct RecordedData {
  std::filesystem::path journal;
  std::string run_id, pipeline_name, pipeline_file;
  std::int64_t started_ms = 0;  // since the epoch
  int version = 1;
  bool torn = false;
  bool finished = false;  // a run_end record
  int exit_code = 0;
  bool interrupted = false;
  std::int64_t wall_ms = 0;  // from run_end; else the last recorded end
  StateCounts totals{};
  std::uint64_t totals_interrupted = 0;
  std::uint64_t reused = 0;  // from run_end

  std::vector<RecordedBulkhead> bulkheads;
  std::vector<RecordedStage> stages;
  std::vector<RecordedJob> jobs;
  std::vector<RecordedRange> ranges;
  std::vector<RecordedRetry> retries;
  std::vector<RecordedEnd> ends;  // by stage, iteration, job, index
};

// Reads `journal`; `error` says why when it holds no run. With `pipeline` (the one the journal
// names), the stages that never started, the bulkheads and each job's instances are known too.
LOCKSTEP_INTERNAL_API std::optional<RecordedData> read_recorded(
    const std::filesystem::path& journal, const Pipeline* pipeline, std::string& error);

}  // namespace lockstep::report
