#include "config/job_params.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "config/vars.hpp"

namespace lockstep::config {

namespace {

struct SplitParams {
  std::vector<RawEntry> fixed;                 // final values, shared by every instance
  std::vector<const YamlEntry*> per_instance;  // as written
  std::vector<ParamTemplate> templates;        // vars and env resolved, instance references kept
  bool ok = true;
};

// Whether the type declares `name` a shell-code parameter: its values are quoted for the shell.
bool is_shell_code(const JobType& type, std::string_view name) {
  const auto spec = std::ranges::find(type.params, name, &ParamSpec::name);
  return spec != type.params.end() && spec->is_shell_code();
}

SplitParams split(const YamlNode& params, const JobType& type, LoadContext& context) {
  SplitParams result;
  for (const auto& entry : params.entries) {
    Scope final_scope{.vars = &context.vars,
                      .env = &context.env,
                      .secrets = &context.secrets,
                      .budget = &context.substitution_budget};
    final_scope.shell = is_shell_code(type, entry.key);
    Scope keep_scope = final_scope;
    keep_scope.keep_instance_refs = true;
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
      .secrets = &context.secrets,
      .item = sample != nullptr ? &sample->item : nullptr,
      .index = sample != nullptr ? std::optional<std::uint64_t>(sample->index) : std::nullopt,
      .iteration = 1,
      .outputs_later = true,
      .budget = &context.substitution_budget};
  std::vector<RawEntry> entries;
  for (const auto* entry : split.per_instance) {
    Scope own = scope;
    own.shell = is_shell_code(job.type->declaration, entry->key);
    auto value = resolve_value(entry->value, own, found);
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

// Where the value of ${raw:NAME} comes from when the pipeline does not spell it out; "" when it
// does (its own vars and items, ${index}, ${iteration}).
std::string raw_source(std::string_view name, const ReadFanOut& fanout,
                       const LoadContext& context) {
  if (name == "item" || name.starts_with("item.")) return fanout.item_source;
  if (name.starts_with("env.") || name.starts_with("secrets.")) {
    return "${" + std::string(name) + "}";
  }
  return outside_source("${" + std::string(name) + "}", context.vars_from_outside);
}

// ${raw:NAME} pastes a value into shell code as it is: a warning where that value is data from
// outside the pipeline, which can then run commands of its choosing.
void warn_raw_from_outside(const YamlNode& value, const ReadFanOut& fanout,
                           const std::string& label, LoadContext& context) {
  for (const auto& item : value.items) warn_raw_from_outside(item, fanout, label, context);
  for (const auto& entry : value.entries)
    warn_raw_from_outside(entry.value, fanout, label, context);
  if (!value.is_scalar()) return;
  for (const auto& reference : references(value.text)) {
    if (!reference.name.starts_with(kRawPrefix)) continue;
    const auto name = reference.name.substr(kRawPrefix.size());
    const auto source = raw_source(name, fanout, context);
    if (source.empty()) continue;
    context.diagnostics.warning(
        position_in(value, reference.offset),
        label + "'${" + std::string(reference.name) + "}' pastes a value from " + source +
            " into shell code as it is: one holding a quote, a ';' or a $(...) runs commands",
        "write ${" + std::string(name) + "} to pass it as one quoted value");
  }
}

// Each ${outputs.*} of the value, with where it stands: the stage graph checks what it names. A
// malformed one is an error here.
bool collect_reads(const YamlNode& value, const std::string& label, JobSpec& job,
                   Diagnostics& diagnostics) {
  bool ok = true;
  for (const auto& item : value.items) ok = collect_reads(item, label, job, diagnostics) && ok;
  for (const auto& entry : value.entries) {
    ok = collect_reads(entry.value, label, job, diagnostics) && ok;
  }
  if (!value.is_scalar()) return ok;
  for (const auto& reference : references(value.text)) {
    auto name = reference.name;
    if (name.starts_with(kRawPrefix)) name.remove_prefix(kRawPrefix.size());
    if (!name.starts_with(kOutputsPrefix)) continue;
    const auto where = position_in(value, reference.offset);
    const auto read = parse_output_reference(name);
    if (!read) {
      diagnostics.error(
          where, label + "'${" + std::string(name) + "}' must be " + "${outputs.STAGE.JOB.KEY}",
          "JOB is a job id of that stage, or 'stage'; [N] after it picks the value "
          "at N, [*] takes all, joined by spaces");
      ok = false;
      continue;
    }
    job.reads.push_back({read->reference, where, read->position || read->all});
  }
  return ok;
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
  const auto& type = job.type->declaration;
  for (const auto& entry : params.entries) {
    if (is_shell_code(type, entry.key)) warn_raw_from_outside(entry.value, fanout, label, context);
  }
  auto parts = split(params, type, context);
  drop_unknown_templates(type, label, parts, diagnostics);
  for (const auto* entry : parts.per_instance) {
    parts.ok = collect_reads(entry->value, label, job, diagnostics) && parts.ok;
  }
  // Outputs exist when the stage starts: now only the values' shapes can be checked.
  const bool values_known = fanout.values_known && job.reads.empty();
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
    check_sample(nullptr, job.reads.empty(), parts, template_specs, label, job, context);
    return;
  }
  for (const auto& sample : fanout.samples) {
    if (!check_sample(&sample, values_known, parts, template_specs, label, job, context)) {
      return;  // one instance's mistakes are enough: the others repeat them
    }
  }
}

}  // namespace lockstep::config
