#include "run/instance_params.hpp"

#include <algorithm>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>

#include "config/interpolate.hpp"

namespace lockstep::run {
namespace {

// "pipe.yaml:12:9: ": where the value was written, so a per-instance error leads to the line.
std::string position(const SourceLocation& where) {
  auto text = to_string(where);
  return text.empty() ? text : text + ": ";
}

// Fills in every scalar of `value`; the first reference that cannot be resolved throws.
void fill_in(RawValue& value, const config::Scope& scope, const std::string& name) {
  if (value.kind == RawValue::Kind::scalar) {
    auto result = config::interpolate(value.text, scope);
    if (!result.error.empty()) {
      auto hint = result.hint.empty() ? std::string() : " (" + result.hint + ")";
      throw std::runtime_error(position(value.where) + "parameter '" + name + "': " + result.error +
                               hint);
    }
    value.text = std::move(result.text);
    return;
  }
  for (auto& element : value.items) fill_in(element, scope, name);
  for (auto& entry : value.entries) fill_in(entry.value, scope, name);
}

}  // namespace

Params instantiate_params(const JobSpec& job, const Item& item, std::uint64_t index, int iteration,
                          const Outputs& outputs) {
  Params params = job.params;
  const std::function<std::vector<std::string>(std::string_view)> read =
      [&](std::string_view reference) { return outputs.values(reference); };
  const config::Scope scope{
      .item = &item, .index = index, .iteration = iteration, .outputs = &read};
  const auto& specs = job.type->declaration.params;
  Diagnostics diagnostics;
  for (const auto& param : job.templates) {
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const ParamSpec& s) { return s.name() == param.name; });
    if (spec == specs.end()) continue;  // the loader reported it; never reached
    RawEntry entry{param.name, param.value, param.value.where};
    config::Scope own = scope;
    own.shell = spec->is_shell_code();
    fill_in(entry.value, own, param.name);
    auto checked = validate_params(std::span(&*spec, 1), std::span(&entry, 1), entry.value.where,
                                   "", diagnostics);
    if (const auto* value = checked.find(param.name)) params.set(param.name, *value);
  }
  if (diagnostics.has_errors()) {
    std::string message;
    for (const auto& d : diagnostics.all()) {
      if (!message.empty()) message += "; ";
      message += position(d.where) + d.message;
      if (!d.hint.empty()) message += " (" + d.hint + ")";
    }
    throw std::runtime_error(message);
  }
  if (job.type->declaration.check) {
    if (auto problem = job.type->declaration.check(params); !problem.empty()) {
      throw std::runtime_error(position(job.where) + problem);
    }
  }
  return params;
}

}  // namespace lockstep::run
