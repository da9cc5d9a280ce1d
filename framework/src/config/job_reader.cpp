#include "config/job_reader.hpp"

#include <algorithm>

#include "config/condition_reader.hpp"
#include "config/fanout.hpp"
#include "config/job_params.hpp"
#include "config/schema.hpp"

namespace lockstep::config {

RetryPolicy read_retry(const YamlNode& node, std::string_view owner, RetryPolicy inherited,
                       Diagnostics& diagnostics) {
  const auto in_retry = " in 'retry'" + std::string(owner);
  if (!expect(node, YamlNode::Kind::map, "'retry'" + std::string(owner), diagnostics)) {
    return inherited;
  }
  check_keys(node, {"attempts", "backoff", "max_backoff"}, in_retry, diagnostics);
  if (const auto* attempts = node.find("attempts")) {
    if (auto value = read_count(*attempts, field("attempts", in_retry), 1, diagnostics)) {
      inherited.attempts = *value;
    }
  }
  if (const auto* backoff = node.find("backoff")) {
    if (auto value = read_duration(*backoff, field("backoff", in_retry), false, diagnostics)) {
      inherited.backoff = *value;
    }
  }
  if (const auto* max_backoff = node.find("max_backoff")) {
    if (auto value =
            read_duration(*max_backoff, field("max_backoff", in_retry), false, diagnostics)) {
      inherited.max_backoff = *value;
    }
  }
  return inherited;
}

namespace {

std::string type_label(const JobSpec& job) {
  return "job '" + job.id + "' (" + job.type->qualified_name + "): ";
}

// True when the type may belong to a plugin that failed to load: that error was reported
// already.
bool plugin_failed(std::string_view type, const LoadContext& context) {
  const auto& failed = context.failed_plugins;
  const auto dot = type.find('.');
  if (dot == std::string_view::npos) return !failed.empty();
  return std::ranges::find(failed, type.substr(0, dot)) != failed.end() ||
         std::ranges::find(failed, kAnyPlugin) != failed.end();
}

const RegisteredJobType* read_type(const YamlNode& node, LoadContext& context) {
  auto name = read_scalar(node, "'type'", context.diagnostics);
  if (!name) return nullptr;
  auto found = context.registry.lookup_job_type(*name);
  if (found.job_type == nullptr && !plugin_failed(*name, context)) {
    context.diagnostics.error(node.where, found.error + written_as(node), found.hint);
  }
  return found.job_type;
}

// Without its id, a job is known by its place and its type: "job 2 of stage 'scan' (type
// core.command) has no 'id'".
void report_missing_id(const YamlNode& node, const std::string& place, Diagnostics& diagnostics) {
  const auto* type = node.find("type");
  const auto type_text =
      type != nullptr && type->is_scalar() ? " (type " + type->text + ")" : std::string();
  diagnostics.error(node.where, place + type_text + " has no 'id'",
                    "give it one: 'id: NAME', unique in its stage");
}

}  // namespace

std::optional<JobSpec> read_job(const YamlNode& node, const std::string& place,
                                const std::optional<std::string>& stage_bulkhead,
                                LoadContext& context) {
  auto& diagnostics = context.diagnostics;
  if (!expect(node, YamlNode::Kind::map, place, diagnostics)) return std::nullopt;
  JobSpec job;
  job.where = node.where;
  const auto* id_node = node.find("id");
  if (id_node == nullptr) report_missing_id(node, place, diagnostics);
  std::optional<std::string> id;
  if (id_node != nullptr) id = read_name(*id_node, "job id", diagnostics);
  const std::string owner = id_node != nullptr && id_node->is_scalar()
                                ? " in job '" + id_node->text + "'"
                                : " in " + place;
  check_keys(node,
             {"id", "description", "type", "params", "foreach", "bulkhead", "retry", "timeout", "grace",
              "continue_on_error", "if"},
             owner, diagnostics);
  if (id) {
    job.id = *id;
    job.where = id_node->where;  // what messages about the job, and its duplicates, point at
  }

  const auto* type_node = require_key(node, "type", owner, diagnostics);
  if (type_node != nullptr) job.type = read_type(*type_node, context);

  if (const auto* description = node.find("description")) {
    read_scalar(*description, field("description", owner), diagnostics);
  }

  job.bulkhead = context.defaults.bulkhead.value_or("default");
  if (stage_bulkhead) job.bulkhead = *stage_bulkhead;
  if (const auto* bulkhead = node.find("bulkhead")) {
    if (auto name = read_bulkhead_name(*bulkhead, field("bulkhead", owner), context)) {
      job.bulkhead = *name;
    }
  }

  job.retry = context.defaults.retry;
  if (const auto* retry = node.find("retry")) {
    job.retry = read_retry(*retry, owner, job.retry, diagnostics);
  }
  job.timeout = context.defaults.timeout;
  if (const auto* timeout = node.find("timeout")) {
    if (auto value = read_duration(*timeout, field("timeout", owner), true, diagnostics)) {
      job.timeout = value;
    }
  }
  job.grace = context.defaults.grace;
  if (const auto* grace = node.find("grace")) {
    if (auto value = read_duration(*grace, field("grace", owner), false, diagnostics)) {
      job.grace = value;
    }
  }
  job.continue_on_error = context.defaults.continue_on_error;
  if (const auto* continue_on_error = node.find("continue_on_error")) {
    if (auto value =
            read_boolean(*continue_on_error, field("continue_on_error", owner), diagnostics)) {
      job.continue_on_error = *value;
    }
  }

  if (const auto* condition = node.find("if")) {
    job.condition = read_condition(*condition, owner, context);
  }

  ReadFanOut fanout;
  if (const auto* foreach = node.find("foreach")) {
    fanout = read_foreach(*foreach, owner, context);
    job.foreach = fanout.fanout;
  }
  if (job.type != nullptr && id) {
    read_job_params(node.find("params"), fanout, type_label(job), job, context);
  }
  if (!id) return std::nullopt;
  return job;
}

}  // namespace lockstep::config
