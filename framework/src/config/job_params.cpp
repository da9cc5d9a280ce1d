#include "config/job_params.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "config/resolve.hpp"
#include "config/schema.hpp"

namespace lockstep::config {

namespace {

struct SplitParams {
  std::vector<RawEntry> fixed;                 // final values, shared by every instance
  std::vector<const YamlEntry*> per_instance;  // as written
  std::vector<ParamTemplate> templates;        // vars and env resolved, instance references kept
  bool ok = true;
};

SplitParams split(const YamlNode& params, LoadContext& context) {
  SplitParams result;
  const Scope final_scope{
      .vars = &context.vars, .env = &context.env, .budget = &context.substitution_budget};
  Scope keep_scope = final_scope;
  keep_scope.keep_instance_refs = true;
  for (const auto& entry : params.entries) {
    if (refers_to_instance(entry.value)) {
      auto kept = resolve_value(entry.value, keep_scope, context.diagnostics);
      if (!kept) {
        result.ok = false;
        continue;
      }
      result.per_instance.push_back(&entry);
      result.templates.push_back({entry.key, std::move(*kept)});
    } else {
      auto value = resolve_value(entry.value, final_scope, context.diagnostics);
      if (!value) {
        result.ok = false;
        continue;
      }
      result.fixed.push_back({entry.key, std::move(*value), entry.key_where});
    }
  }
  return result;
}

// A template naming no parameter of the type is reported like validate_params() reports it.
void drop_unknown_templates(const JobType& type, const std::string& label, SplitParams& split,
                            Diagnostics& diagnostics) {
  std::vector<std::string> names;
  for (const auto& spec : type.params) names.push_back(spec.name());
  std::vector<const YamlEntry*> known_entries;
  std::vector<ParamTemplate> known_templates;
  for (std::size_t i = 0; i < split.per_instance.size(); ++i) {
    const auto* entry = split.per_instance[i];
    if (std::ranges::find(names, entry->key) != names.end()) {
      known_entries.push_back(entry);
      known_templates.push_back(std::move(split.templates[i]));
      continue;
    }
    auto hint = did_you_mean(entry->key, names);
    if (hint.empty()) {
      std::string known;
      for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
      hint = known.empty() ? "it takes no parameters" : "known: " + known;
    }
    diagnostics.error(entry->key_where, label + "unknown parameter '" + entry->key + "'",
                      std::move(hint));
    split.ok = false;
  }
  split.per_instance = std::move(known_entries);
  split.templates = std::move(known_templates);
}

std::vector<ParamSpec> specs_named(const JobType& type, const SplitParams& split, bool templated) {
  std::vector<ParamSpec> specs;
  for (const auto& spec : type.params) {
    const bool is_template = std::ranges::any_of(
        split.per_instance, [&](const YamlEntry* entry) { return entry->key == spec.name(); });
    if (is_template == templated) specs.push_back(spec);
  }
  return specs;
}

// A value a spec accepts, standing in for a scalar that depends on the run-time item.
std::string stand_in_scalar(const ParamSpec& spec, bool element) {
  const auto type = element ? ParamType::string : spec.type();
  const double low = spec.min().value_or(std::min(0.0, spec.max().value_or(0.0)));
  switch (type) {
    case ParamType::integer:
    case ParamType::number:
      return std::to_string(static_cast<long long>(std::ceil(low)));
    case ParamType::duration:
      return std::to_string(static_cast<long long>(std::ceil(std::max(low, 0.0)))) + "s";
    case ParamType::boolean:
      return "true";
    default:
      return spec.allowed().empty() ? "x" : spec.allowed().front();
  }
}

bool depends_on_instance(const std::string& text) { return text.find('$') != std::string::npos; }

// The template with every scalar that depends on the instance replaced by a stand-in: what is
// left to check is the value's shape and its fixed scalars.
RawValue with_stand_ins(RawValue value, const ParamSpec& spec, bool element = false) {
  if (value.kind == RawValue::Kind::scalar) {
    if (depends_on_instance(value.text)) value.text = stand_in_scalar(spec, element);
    return value;
  }
  for (auto& item : value.items) item = with_stand_ins(std::move(item), spec, true);
  for (auto& entry : value.entries)
    entry.value = with_stand_ins(std::move(entry.value), spec, true);
  return value;
}

// For fan-outs whose items are known only at run time (from_outputs, files): checks the
// templates' shapes and fixed parts now, so that a list given for a map fails `validate`
// rather than every instance. The type's check() runs per instance, on real values.
void check_shapes(const SplitParams& split, const std::vector<ParamSpec>& template_specs,
                  const std::string& label, const JobSpec& job, Diagnostics& found) {
  std::vector<RawEntry> entries;
  for (std::size_t i = 0; i < job.templates.size(); ++i) {
    const auto& name = job.templates[i].name;
    const auto spec = std::ranges::find(template_specs, name, &ParamSpec::name);
    if (spec == template_specs.end()) continue;
    entries.push_back(
        {name, with_stand_ins(job.templates[i].value, *spec), split.per_instance[i]->key_where});
  }
  validate_params(template_specs, entries, job.where, label, found);
}

// Instantiates the templates for one sample and checks them; false when something was wrong.
bool check_sample(const SampleInstance* sample, bool values_known, const SplitParams& split,
                  const std::vector<ParamSpec>& template_specs, const std::string& label,
                  JobSpec& job, LoadContext& context) {
  Diagnostics found;
  const Scope scope{
      .vars = &context.vars,
      .env = &context.env,
      .item = sample != nullptr ? &sample->item : nullptr,
      .index = sample != nullptr ? std::optional<std::uint64_t>(sample->index) : std::nullopt,
      .iteration = 1,
      .budget = &context.substitution_budget};
  std::vector<RawEntry> entries;
  for (const auto* entry : split.per_instance) {
    auto value = resolve_value(entry->value, scope, found);
    if (value) entries.push_back({entry->key, std::move(*value), entry->key_where});
  }
  if (!found.has_errors() && !values_known) check_shapes(split, template_specs, label, job, found);
  if (!found.has_errors() && values_known) {
    auto values = validate_params(template_specs, entries, job.where, label, found);
    if (!found.has_errors() && job.type->declaration.check) {
      Params merged = job.params;
      for (const auto& [name, value] : values.all()) merged.set(name, value);
      if (auto problem = job.type->declaration.check(merged); !problem.empty()) {
        found.error(job.where, label + problem);
      }
    }
  }
  context.diagnostics.append(found);
  return !found.has_errors();
}

}  // namespace

void read_job_params(const YamlNode* node, const ReadFanOut& fanout, const std::string& label,
                     JobSpec& job, LoadContext& context) {
  auto& diagnostics = context.diagnostics;
  const YamlNode empty{.kind = YamlNode::Kind::map, .where = job.where};
  const auto& params = node != nullptr && !node->is_null() ? *node : empty;
  if (!expect(params, YamlNode::Kind::map, "'params' of job '" + job.id + "'", diagnostics)) {
    return;
  }
  auto parts = split(params, context);
  const auto& type = job.type->declaration;
  drop_unknown_templates(type, label, parts, diagnostics);
  // Without the values of a misspelt reference, a "missing parameter" would be noise.
  if (!parts.ok) return;
  if (parts.templates.empty()) {
    job.params = validate_job_params(type, parts.fixed, job.where, label, diagnostics);
    return;
  }
  const auto errors_before = diagnostics.error_count();
  job.params =
      validate_params(specs_named(type, parts, false), parts.fixed, job.where, label, diagnostics);
  job.templates = std::move(parts.templates);
  if (diagnostics.error_count() != errors_before || !fanout.ok) return;
  const auto template_specs = specs_named(type, parts, true);
  if (fanout.fanout.kind == FanOut::Kind::none) {
    check_sample(nullptr, true, parts, template_specs, label, job, context);
    return;
  }
  for (const auto& sample : fanout.samples) {
    if (!check_sample(&sample, fanout.values_known, parts, template_specs, label, job, context)) {
      return;  // one instance's mistakes are enough: the others repeat them
    }
  }
}

}  // namespace lockstep::config
