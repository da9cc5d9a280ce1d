#include "config/stage_reader.hpp"

#include <algorithm>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>

#include "config/condition_reader.hpp"
#include "config/job_reader.hpp"
#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "config/stage_graph.hpp"

namespace lockstep::config {

namespace {

std::optional<OnFailure> read_on_failure(const YamlNode& node, std::string_view what,
                                         Diagnostics& diagnostics) {
  auto text = read_scalar(node, what, diagnostics);
  if (!text) return std::nullopt;
  if (*text == "stop") return OnFailure::stop;
  if (*text == "continue") return OnFailure::continue_;
  static const std::vector<std::string> kChoices{"stop", "continue"};
  auto hint = did_you_mean(*text, kChoices);
  diagnostics.error(node.where,
                    std::string(what) + " must be stop or continue, got " + quoted_value(node),
                    std::move(hint));
  return std::nullopt;
}

std::optional<Repeat> read_repeat(const YamlNode& node, std::string_view owner,
                                  Diagnostics& diagnostics) {
  const auto what = "'repeat'" + std::string(owner);
  if (!expect(node, YamlNode::Kind::map, what, diagnostics)) return std::nullopt;
  const auto in_repeat = " in 'repeat'" + std::string(owner);
  check_keys(node, {"times", "max", "until"}, in_repeat, diagnostics);
  Repeat repeat;
  repeat.where = node.where;
  bool ok = true;
  const auto* times = node.find("times");
  const auto* max = node.find("max");
  const auto* until = node.find("until");
  if (times != nullptr) {
    repeat.times = read_count(*times, field("times", in_repeat), 1, diagnostics);
    ok = ok && repeat.times.has_value();
  }
  if (max != nullptr) {
    repeat.max = read_count(*max, field("max", in_repeat), 1, diagnostics);
    ok = ok && repeat.max.has_value();
  }
  if (until != nullptr) {
    auto name = read_scalar(*until, field("until", in_repeat), diagnostics);
    if (name && name->empty()) {
      diagnostics.error(until->where, field("until", in_repeat) + " is empty" + written_as(*until),
                        "name the output whose truthy value ends the loop");
      name.reset();
    }
    if (name) repeat.until = *name;
    ok = ok && name.has_value();
  }
  if (times != nullptr && (max != nullptr || until != nullptr)) {
    diagnostics.error(
        node.where,
        what + " gives both 'times' and '" + std::string(max != nullptr ? "max" : "until") + "'",
        "give either times, or max (with until)");
    return std::nullopt;
  }
  if (times == nullptr && max == nullptr) {
    diagnostics.error(node.where, what + " without a bound",
                      until != nullptr ? "add max: the most iterations to run"
                                       : "give times, or max (with until)");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return repeat;
}

// `needs: [a, b]`: names only here; config/stage_graph.cpp checks what they name.
std::optional<std::vector<StageNeed>> read_needs(const YamlNode& node, const std::string& owner,
                                                 Diagnostics& diagnostics) {
  const auto what = field("needs", owner);
  if (node.is_null()) {
    diagnostics.error(node.where, what + " is empty",
                      "write 'needs: []' for a stage that starts at once, or list stages");
    return std::nullopt;
  }
  if (!expect(node, YamlNode::Kind::list, what, diagnostics)) return std::nullopt;
  std::vector<StageNeed> needs;
  std::unordered_map<std::string, SourceLocation> seen;
  for (const auto& item : node.items) {
    auto name = read_name(item, "a stage in " + what, diagnostics);
    if (!name) continue;
    if (const auto [same, added] = seen.emplace(*name, item.where); !added) {
      diagnostics.error(item.where, "stage '" + *name + "' is listed twice in " + what,
                        first_defined_at(same->second));
      continue;
    }
    needs.push_back({*name, item.where});
  }
  return needs;
}

void read_kind(const YamlNode& node, const std::string& owner, StageSpec& stage,
               LoadContext& context) {
  auto& diagnostics = context.diagnostics;
  if (const auto* kind = node.find("kind")) {
    auto name = read_scalar(*kind, field("kind", owner), diagnostics);
    if (!name) return;
    auto found = context.registry.lookup_stage_kind(*name);
    if (found.kind == nullptr) {
      // A kind from a plugin that failed to load: that plugin's error says it all.
      const auto dot = name->find('.');
      const bool hidden =
          !context.failed_plugins.empty() &&
          (dot == std::string::npos ||
           std::ranges::find(context.failed_plugins, name->substr(0, dot)) !=
               context.failed_plugins.end() ||
           std::ranges::find(context.failed_plugins, kAnyPlugin) != context.failed_plugins.end());
      if (!hidden) diagnostics.error(kind->where, found.error + written_as(*kind), found.hint);
      return;
    }
    stage.kind = found.kind->qualified_name;
    stage.kind_type = found.kind;
  } else {
    stage.kind_type = context.registry.lookup_stage_kind("parallel").kind;
  }
  const auto* with = node.find("with");
  if (with != nullptr && !with->is_null() &&
      !expect(*with, YamlNode::Kind::map, field("with", owner), diagnostics)) {
    return;
  }
  if (with != nullptr && !with->is_null()) {
    for (const auto& entry : with->entries) {
      stage.with.push_back({entry.key, to_raw(entry.value), entry.key_where});
    }
    // Without the value of a bad reference, a complaint about the parameter would be noise.
    if (has_unresolved(*with)) return;
  }
  const auto where = with != nullptr ? with->where : stage.where;
  stage.kind_params =
      validate_params(stage.kind_type->declaration.params, stage.with, where,
                      "stage '" + stage.name + "' (" + stage.kind + "): ", diagnostics);
}

void add_jobs(const YamlNode& node, const std::string& owner,
              const std::optional<std::string>& stage_bulkhead, StageSpec& stage,
              LoadContext& context) {
  auto& diagnostics = context.diagnostics;
  if (!expect(node, YamlNode::Kind::list, field("jobs", owner), diagnostics)) return;
  if (node.items.empty()) {
    diagnostics.error(node.where, "stage '" + stage.name + "' has no jobs");
    return;
  }
  std::unordered_map<std::string, SourceLocation> ids;  // linear on any number of jobs
  const std::string of_stage =
      stage.name.empty() ? " of a stage" : " of stage '" + stage.name + "'";
  std::size_t number = 0;
  for (const auto& item : node.items) {
    const auto place = "job " + std::to_string(++number) + of_stage;
    auto job = read_job(item, place, stage_bulkhead, context);
    if (!job) continue;
    if (const auto [same, added] = ids.emplace(job->id, job->where); !added) {
      diagnostics.error(job->where,
                        "duplicate job id '" + job->id + "' in stage '" + stage.name + "'",
                        first_defined_at(same->second));
      continue;
    }
    stage.jobs.push_back(std::move(*job));
  }
  // A stage counts its instances in 64 bits: more would wrap to a small number.
  std::uint64_t total = 0;
  for (const auto& job : stage.jobs) {
    const auto count = instance_count(job.foreach);
    if (count && __builtin_add_overflow(total, *count, &total)) {
      diagnostics.error(node.where,
                        "the jobs of stage '" + stage.name + "' have more than " +
                            std::to_string(std::numeric_limits<std::uint64_t>::max()) +
                            " instances together",
                        "split the fan-outs over several stages");
      return;
    }
  }
}

std::optional<StageSpec> read_stage(const YamlNode& node, LoadContext& context) {
  auto& diagnostics = context.diagnostics;
  if (!expect(node, YamlNode::Kind::map, "a stage", diagnostics)) return std::nullopt;
  StageSpec stage;
  stage.where = node.where;
  const auto* name_node = require_key(node, "name", " in a stage", diagnostics);
  std::optional<std::string> name;
  if (name_node != nullptr) name = read_name(*name_node, "stage name", diagnostics);
  const std::string owner = name_node != nullptr && name_node->is_scalar()
                                ? " in stage '" + name_node->text + "'"
                                : " in a stage";
  if (name) stage.name = *name;
  check_keys(node,
             {"name", "description", "bulkhead", "on_failure", "kind", "with", "repeat", "needs",
              "if", "jobs"},
             owner, diagnostics);
  if (name_node != nullptr && name) stage.where = name_node->where;

  if (const auto* description = node.find("description")) {
    if (auto text = read_scalar(*description, field("description", owner), diagnostics)) {
      stage.description = *text;
    }
  }
  std::optional<std::string> bulkhead;
  if (const auto* bulkhead_node = node.find("bulkhead")) {
    bulkhead = read_bulkhead_name(*bulkhead_node, field("bulkhead", owner), context);
  }
  if (const auto* on_failure = node.find("on_failure")) {
    if (auto value = read_on_failure(*on_failure, field("on_failure", owner), diagnostics)) {
      stage.on_failure = *value;
    }
  }
  read_kind(node, owner, stage, context);
  if (const auto* repeat = node.find("repeat"))
    stage.repeat = read_repeat(*repeat, owner, diagnostics);
  if (const auto* needs = node.find("needs")) stage.needs = read_needs(*needs, owner, diagnostics);
  if (const auto* condition = node.find("if")) {
    stage.condition = read_condition(*condition, owner, context);
  }
  if (const auto* jobs = require_key(node, "jobs", owner, diagnostics)) {
    add_jobs(*jobs, owner, bulkhead, stage, context);
  }
  if (!name) return std::nullopt;
  return stage;
}

}  // namespace

std::vector<StageSpec> read_stages(const YamlNode& node, LoadContext& context) {
  std::vector<StageSpec> stages;
  auto& diagnostics = context.diagnostics;
  if (!expect(node, YamlNode::Kind::list, "'stages'", diagnostics)) return stages;
  for (const auto& item : node.items) {
    const auto* name = item.is_map() ? item.find("name") : nullptr;
    if (name != nullptr && name->is_scalar()) context.stage_names.push_back(name->text);
  }
  if (node.items.empty()) {
    diagnostics.error(node.where, "the pipeline has no stages");
    return stages;
  }
  std::unordered_map<std::string, SourceLocation> names;  // linear on any number of stages
  for (const auto& item : node.items) {
    auto stage = read_stage(item, context);
    if (!stage) continue;
    if (const auto [same, added] = names.emplace(stage->name, stage->where); !added) {
      diagnostics.error(stage->where, "duplicate stage name '" + stage->name + "'",
                        first_defined_at(same->second));
      continue;
    }
    stages.push_back(std::move(*stage));
  }
  check_stage_graph(stages, context.stage_names, diagnostics);
  return stages;
}

}  // namespace lockstep::config
