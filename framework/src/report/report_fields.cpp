#include "report/report_fields.hpp"

#include <string>

#include "lockstep/pipeline/exit_codes.hpp"

namespace lockstep::report {

using json = nlohmann::ordered_json;

double seconds(std::chrono::nanoseconds duration) noexcept {
  return std::chrono::duration<double>(duration).count();
}

json counts_json(const StateCounts& counts) {
  json object = json::object();
  for (auto state : kAllJobStates) object[std::string(to_string(state))] = counts[state];
  return object;
}

namespace {

struct ValueJson {
  json operator()(const std::string& text) const { return text; }
  json operator()(std::int64_t number) const { return number; }
  json operator()(double number) const { return number; }
  json operator()(bool flag) const { return flag; }
  json operator()(const Duration& duration) const { return to_string(ParamValue(duration)); }
  json operator()(const StringList& list) const { return list; }
  json operator()(const StringMap& map) const {
    json object = json::object();
    for (const auto& [key, value] : map) object[key] = value;
    return object;
  }
};

}  // namespace

json params_json(const Params& params) {
  json object = json::object();
  for (const auto& [name, value] : params.all()) object[name] = std::visit(ValueJson{}, value);
  return object;
}

json bulkhead_usage_json(const BulkheadUsage& usage) {
  return {
      {"name", usage.name},
      {"workers", usage.workers},
      {"queue", usage.queue},
      {"admitted", usage.admitted},
      {"peak_running", usage.peak_running},
      {"peak_queued", usage.peak_queued},
      {"queue_wait_p50_seconds", seconds(usage.queue_wait_p50)},
      {"queue_wait_p95_seconds", seconds(usage.queue_wait_p95)},
      {"queue_wait_p99_seconds", seconds(usage.queue_wait_p99)},
      {"queue_wait_max_seconds", seconds(usage.queue_wait_max)},
      {"rejected", usage.rejected},
      {"utilisation", usage.utilisation},
  };
}

const char* run_status(const RunResult& result) noexcept {
  switch (result.exit_code()) {
    case kExitOk:
      return "succeeded";
    case kExitInterrupted:
      return "interrupted";
    case kExitError:
      return "error";
    default:
      return "failed";
  }
}

}  // namespace lockstep::report
