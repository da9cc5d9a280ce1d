#include "config/vars.hpp"

#include <algorithm>

#include "config/interpolate.hpp"
#include "config/resolve.hpp"
#include "config/schema.hpp"

extern char** environ;  // POSIX: the process environment

namespace lockstep::config {

StringMap process_environment() {
  StringMap env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

namespace {

void check_set_names(const YamlNode* node,
                     const std::vector<std::pair<std::string, std::string>>& set_vars,
                     Diagnostics& diagnostics) {
  // As the user writes them after --set, and as ${vars.NAME} lookups suggest them.
  std::vector<std::string> declared;
  if (node != nullptr && node->is_map()) {
    for (const auto& entry : node->entries) declared.push_back("vars." + entry.key);
  }
  for (const auto& [name, value] : set_vars) {
    if (std::ranges::find(declared, "vars." + name) != declared.end()) continue;
    auto hint = did_you_mean("vars." + name, declared);
    if (hint.empty())
      hint = declared.empty() ? "the pipeline declares no vars" : "declare it under 'vars'";
    diagnostics.error({"--set", 0, 0}, "unknown variable 'vars." + name + "'", std::move(hint));
  }
}

const std::string* set_value(const std::vector<std::pair<std::string, std::string>>& set_vars,
                             std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& [key, value] : set_vars) {
    if (key == name) found = &value;  // the last --set of a name wins
  }
  return found;
}

}  // namespace

std::string outside_source(std::string_view text, const StringMap& vars_from_outside) {
  for (const auto& reference : references(text)) {
    auto name = reference.name;
    if (name.starts_with(kRawPrefix)) name.remove_prefix(kRawPrefix.size());
    if (name.starts_with("env.")) return "${" + std::string(name) + "}";
    if (name.starts_with("vars.")) {
      if (auto found = vars_from_outside.find(name.substr(5)); found != vars_from_outside.end()) {
        return found->second;
      }
    }
  }
  return {};
}

StringMap resolve_vars(const YamlNode* node,
                       const std::vector<std::pair<std::string, std::string>>& set_vars,
                       const StringMap& env, SubstitutionBudget& budget, StringMap& from_outside,
                       Diagnostics& diagnostics) {
  StringMap vars;
  check_set_names(node, set_vars, diagnostics);
  if (node == nullptr || node->is_null()) return vars;
  if (!expect(*node, YamlNode::Kind::map, "'vars'", diagnostics)) return vars;
  for (const auto& entry : node->entries) {
    YamlNode name_node{.kind = YamlNode::Kind::scalar, .text = entry.key, .where = entry.key_where};
    read_name(name_node, "variable name", diagnostics);
    if (const auto* given = set_value(set_vars, entry.key)) {
      vars.insert_or_assign(entry.key, *given);
      from_outside.insert_or_assign(entry.key, "--set vars." + entry.key);
      continue;
    }
    const auto& value = entry.value;
    if (value.is_null()) {
      diagnostics.error(entry.key_where, "variable 'vars." + entry.key + "' has no value",
                        "give it with --set vars." + entry.key + "=VALUE");
    } else if (expect(value, YamlNode::Kind::scalar, "variable 'vars." + entry.key + "'",
                      diagnostics)) {
      // Only the variables declared before this one are in scope.
      const Scope scope{.vars = &vars, .env = &env, .outside_params = true, .budget = &budget};
      if (auto source = outside_source(value.text, from_outside); !source.empty()) {
        from_outside.insert_or_assign(entry.key, std::move(source));
      }
      if (auto text = resolve_scalar(value, scope, diagnostics)) {
        vars.insert_or_assign(entry.key, std::move(*text));
        continue;
      }
    }
    // Declared, if wrongly: a use of it is not also an "undefined variable".
    vars.insert_or_assign(entry.key, std::string());
  }
  return vars;
}

}  // namespace lockstep::config
