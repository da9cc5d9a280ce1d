#include "config/interpolate.hpp"

#include <string>
#include <vector>

#include "lockstep/plugin/diagnostics.hpp"

namespace lockstep::config {

namespace {

constexpr std::string_view kForms =
    "write ${vars.NAME}, ${env.NAME}, ${item}, ${item.KEY}, ${index} or ${iteration}; $$ is a '$'";

constexpr std::string_view kInstanceOnlyInParams =
    "${item}, ${item.KEY}, ${index} and ${iteration} differ per instance: only a job's 'params' "
    "can use them";

bool is_instance_reference(std::string_view name) noexcept {
  return name == "item" || name.starts_with("item.") || name == "index" || name == "iteration";
}

std::vector<std::string> prefixed_keys(std::string_view prefix, const StringMap& map) {
  std::vector<std::string> names;
  names.reserve(map.size());
  for (const auto& [key, value] : map) names.push_back(std::string(prefix) + key);
  return names;
}

// A var or env value written into text that keeps its instance references for a later pass:
// its `$` must survive that pass as a `$`.
std::string escape_dollars(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '$') escaped += '$';
    escaped += c;
  }
  return escaped;
}

class Resolver {
 public:
  explicit Resolver(const Scope& scope) : scope_(scope) {}

  // The value of ${name}, or nullopt with `error` and `hint` set.
  std::optional<std::string> resolve(std::string_view name) {
    if (scope_.outside_params && is_instance_reference(name)) {
      error = "'${" + std::string(name) + "}' is not allowed here";
      hint = kInstanceOnlyInParams;
      return std::nullopt;
    }
    if (name.starts_with("vars.")) return lookup(name, "variable", scope_.vars);
    if (name.starts_with("env.")) return lookup(name, "environment variable", scope_.env);
    if (name == "item") return item_value();
    if (name.starts_with("item.")) return item_field(name);
    if (name == "index") {
      if (!scope_.index) return not_here(name, "only a job with foreach has an ${index}");
      return std::to_string(*scope_.index);
    }
    if (name == "iteration") {
      if (!scope_.iteration) return not_here(name, "only a job's params can use ${iteration}");
      return std::to_string(*scope_.iteration);
    }
    error = "unknown reference '${" + std::string(name) + "}'";
    static const std::vector<std::string> kNames{"item", "index", "iteration"};
    hint = did_you_mean(name, kNames);
    if (hint.empty()) hint = kForms;
    return std::nullopt;
  }

  std::string error;
  std::string hint;

 private:
  std::optional<std::string> lookup(std::string_view name, std::string_view what,
                                    const StringMap* map) {
    const auto dot = name.find('.');
    const auto key = name.substr(dot + 1);
    const auto prefix = name.substr(0, dot + 1);
    if (map != nullptr) {
      if (auto found = map->find(key); found != map->end()) return found->second;
    }
    error = "undefined " + std::string(what) + " '" + std::string(name) + "'";
    if (map != nullptr) hint = did_you_mean(name, prefixed_keys(prefix, *map));
    if (hint.empty() && prefix == "vars.") {
      hint = "declare it under 'vars', before any variable that uses it";
    }
    return std::nullopt;
  }

  std::optional<std::string> item_value() {
    if (scope_.item == nullptr) return not_here("item", "only a job with foreach has an ${item}");
    return scope_.item->value;
  }

  std::optional<std::string> item_field(std::string_view name) {
    if (scope_.item == nullptr) return not_here(name, "only a job with foreach has an ${item}");
    const auto key = name.substr(5);
    const auto& fields = scope_.item->fields;
    if (auto found = fields.find(key); found != fields.end()) return found->second;
    if (fields.empty()) {
      error = "'${" + std::string(name) + "}': the items of this job have no fields";
      hint = "use ${item}, or make the items maps or a matrix";
    } else {
      error = "undefined item field '" + std::string(name) + "'";
      hint = did_you_mean(name, prefixed_keys("item.", fields));
      if (hint.empty()) {
        std::string known;
        for (const auto& [field, value] : fields) known += (known.empty() ? "" : ", ") + field;
        hint = "the item has: " + known;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> not_here(std::string_view name, std::string_view why) {
    error = "'${" + std::string(name) + "}' is not defined here";
    hint = why;
    return std::nullopt;
  }

  const Scope& scope_;
};

}  // namespace

Interpolation interpolate(std::string_view text, const Scope& scope) {
  Interpolation result;
  Resolver resolver(scope);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto dollar = text.find('$', i);
    if (dollar == std::string_view::npos || dollar + 1 >= text.size()) {
      result.text.append(text.substr(i));
      break;
    }
    result.text.append(text.substr(i, dollar - i));
    const char next = text[dollar + 1];
    if (next == '$') {
      result.text += scope.keep_instance_refs ? "$$" : "$";
      i = dollar + 2;
      continue;
    }
    if (next != '{') {  // a lone '$' is just a '$'
      result.text += '$';
      i = dollar + 1;
      continue;
    }
    const auto close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      result.error = "unterminated '${'";
      result.hint = "close it with '}', or write $$ for a '$'";
      result.error_offset = static_cast<int>(dollar);
      return result;
    }
    const auto name = text.substr(dollar + 2, close - dollar - 2);
    i = close + 1;
    if (scope.keep_instance_refs && is_instance_reference(name)) {
      result.text.append(text.substr(dollar, i - dollar));
      continue;
    }
    auto value = resolver.resolve(name);
    if (!value) {
      result.error = std::move(resolver.error);
      result.hint = std::move(resolver.hint);
      result.error_offset = static_cast<int>(dollar);
      return result;
    }
    if (scope.keep_instance_refs) *value = escape_dollars(*value);
    if (scope.budget != nullptr) {
      if (value->size() > *scope.budget) {
        result.error = "'${" + std::string(name) + "}' makes the substitutions of this file " +
                       "larger than " + std::to_string(kSubstitutionBudget >> 20) + " MiB";
        result.hint =
            "do variables refer to each other, or aliases repeat a reference, many times?";
        result.error_offset = static_cast<int>(dollar);
        return result;
      }
      *scope.budget -= value->size();
    }
    result.text += *value;
    ++result.references;
  }
  return result;
}

bool refers_to_instance(std::string_view text) noexcept {
  std::size_t i = 0;
  while ((i = text.find('$', i)) != std::string_view::npos && i + 1 < text.size()) {
    if (text[i + 1] == '$') {
      i += 2;
      continue;
    }
    if (text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) return false;
      if (is_instance_reference(text.substr(i + 2, close - i - 2))) return true;
      i = close + 1;
      continue;
    }
    ++i;
  }
  return false;
}

}  // namespace lockstep::config
