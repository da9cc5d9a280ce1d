// The fields of the JSON report (lockstep/pipeline/report.hpp; json_report.cpp assembles them):
// each a value of the public model as JSON, its keys in the order docs/report.md lists them (their
// schema: change both together).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>

#include "lockstep/engine/job_state.hpp"
#include "lockstep/plugin/params.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::report {

double seconds(std::chrono::nanoseconds duration) noexcept;

// {"succeeded": n, ..., "skipped": n}: every terminal state, zeros included.
nlohmann::ordered_json counts_json(const StateCounts& counts);

// Each parameter with its JSON type: strings, numbers, booleans, lists, maps; durations as
// written in YAML ("1m30s").
nlohmann::ordered_json params_json(const Params& params);

nlohmann::ordered_json bulkhead_usage_json(const BulkheadUsage& usage);

// "succeeded", "failed" or "interrupted", from the run's exit code.
const char* run_status(const RunResult& result) noexcept;

}  // namespace lockstep::report
