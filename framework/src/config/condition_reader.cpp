#include "config/condition_reader.hpp"

#include "config/condition.hpp"
#include "config/interpolate.hpp"
#include "config/schema.hpp"

namespace lockstep::config {

namespace {

constexpr std::string_view kConditionForms =
    "a condition reads ${vars.NAME}, ${env.NAME} and ${outputs.STAGE.JOB.KEY}";

// "outputs.scan.hash.rows" -> "scan.hash.rows"; empty when it is not STAGE.JOB.KEY.
std::string output_reference(std::string_view name) {
  name.remove_prefix(kOutputsPrefix.size());
  const auto first = name.find('.');
  const auto second = first == std::string_view::npos ? first : name.find('.', first + 1);
  if (second == std::string_view::npos || first == 0 || second == first + 1 ||
      second + 1 == name.size()) {
    return {};
  }
  return std::string(name);
}

}  // namespace

std::optional<Condition> read_condition(const YamlNode& node, const std::string& owner,
                                        LoadContext& context) {
  auto& diagnostics = context.diagnostics;
  const auto what = field("if", owner);
  auto text = read_scalar(node, what, diagnostics);
  if (!text) return std::nullopt;
  const auto parsed = parse_condition(*text);
  if (!parsed.ok()) {
    diagnostics.error(position_in(node, parsed.error_offset), parsed.error + " in " + what,
                      parsed.hint);
    return std::nullopt;
  }
  Condition condition{.expression = *text, .where = node.where};
  const Scope scope{.vars = &context.vars, .env = &context.env, .outside_params = true};
  bool ok = true;
  for (const auto& reference : parsed.references) {
    const auto where = position_in(node, reference.offset);
    if (reference.name.starts_with(kOutputsPrefix)) {
      auto output = output_reference(reference.name);
      if (output.empty()) {
        diagnostics.error(
            where, "'${" + reference.name + "}' in " + what + " must be ${outputs.STAGE.JOB.KEY}",
            "JOB is a job id of that stage, or 'stage' for what its kind published");
        ok = false;
        continue;
      }
      condition.outputs.push_back({std::move(output), where});
      continue;
    }
    if (reference.name.starts_with("env.") && context.secrets.contains(reference.name.substr(4))) {
      diagnostics.error(where, "'${" + reference.name + "}' in " + what + " is a secret",
                        "a secret goes in a job's params only, where every output masks it");
      ok = false;
      continue;
    }
    // An unset environment variable reads as empty: testing whether one is set is what
    // conditions are for (`if: ${env.CI}`).
    if (reference.name.starts_with("env.") && !context.env.contains(reference.name.substr(4))) {
      condition.values.emplace(reference.name, std::string());
      continue;
    }
    auto resolved = interpolate("${" + reference.name + "}", scope);
    if (resolved.failed()) {
      const bool unknown_form = resolved.error.starts_with("unknown reference");
      diagnostics.error(where, resolved.error + " in " + what,
                        unknown_form && resolved.hint.find("did you mean") == std::string::npos
                            ? std::string(kConditionForms)
                            : resolved.hint);
      ok = false;
      continue;
    }
    condition.values.emplace(reference.name, std::move(resolved.text));
  }
  if (!ok) return std::nullopt;
  if (condition.outputs.empty()) {
    condition.holds = evaluate_condition(parsed, [&](std::string_view name) {
      const auto found = condition.values.find(name);
      return found != condition.values.end() ? found->second : std::string();
    });
  }
  return condition;
}

}  // namespace lockstep::config
