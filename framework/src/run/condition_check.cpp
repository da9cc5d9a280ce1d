#include "run/condition_check.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "config/condition.hpp"

namespace lockstep::run {

namespace {

// Values in a reason are cut here: the reason is one line of a summary.
constexpr std::size_t kShownValue = 40;

std::string shown(std::string value) {
  if (value.size() > kShownValue) value = value.substr(0, kShownValue) + "...";
  return "'" + value + "'";
}

}  // namespace

std::optional<std::string> skip_reason(const std::optional<Condition>& condition,
                                       const Outputs& outputs) {
  if (!condition) return std::nullopt;
  if (condition->holds.value_or(false)) return std::nullopt;
  const auto prefix = "if: " + condition->expression;
  const auto parsed = config::parse_condition(condition->expression);
  if (!parsed.ok()) {
    return prefix + (condition->holds ? " is false" : " cannot be read: " + parsed.error);
  }
  const auto value_of = [&](std::string_view name) -> std::string {
    if (name.starts_with(config::kOutputsPrefix)) {
      return outputs.get(name.substr(config::kOutputsPrefix.size())).value_or("");
    }
    if (const auto found = condition->values.find(name); found != condition->values.end()) {
      return found->second;
    }
    if (name.starts_with("env.")) {
      const std::string variable(name.substr(4));
      if (const char* value = std::getenv(variable.c_str())) return value;
    }
    return {};
  };
  if (!condition->holds && config::evaluate_condition(parsed, value_of)) return std::nullopt;
  // What it read, once each: why it is false is often in the values, not the expression.
  std::vector<std::string_view> names;
  std::string values;
  for (const auto& reference : parsed.references) {
    if (std::ranges::find(names, reference.name) != names.end()) continue;
    // Decided when loaded: only the values it was decided with (a Pipeline built in code may
    // give a decision without them).
    if (condition->holds && !condition->values.contains(reference.name)) continue;
    names.push_back(reference.name);
    values += std::string(values.empty() ? "" : ", ") + "${" + reference.name + "} is " +
              shown(value_of(reference.name));
  }
  return prefix + " is false" + (values.empty() ? "" : " (" + values + ")");
}

}  // namespace lockstep::run
