#include "config/interpolate.hpp"

#include <charconv>
#include <string>
#include <vector>

#include "config/shell_quote.hpp"
#include "lockstep/plugin/diagnostics.hpp"

namespace lockstep::config {

namespace {

constexpr std::string_view kForms =
    "write ${vars.NAME}, ${env.NAME}, ${secrets.NAME}, ${item}, ${item.KEY}, ${index}, "
    "${iteration} or ${outputs.STAGE.JOB.KEY}; $$ is a '$'";

constexpr std::string_view kInstanceOnlyInParams =
    "${item}, ${item.KEY}, ${index} and ${iteration} differ per instance: only a job's 'params' "
    "can use them";

// "raw:item" -> "item": what a reference names, however it is to be written.
std::string_view referenced(std::string_view name) noexcept {
  if (name.starts_with(kRawPrefix)) name.remove_prefix(kRawPrefix.size());
  return name;
}

bool is_instance_reference(std::string_view name) noexcept {
  name = referenced(name);
  return name == "item" || name.starts_with("item.") || name == "index" || name == "iteration";
}

// Filled in by the runner: a per-instance reference, or an output, known when the stage starts.
bool is_late_reference(std::string_view name) noexcept {
  return is_instance_reference(name) || referenced(name).starts_with(kOutputsPrefix);
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
    if (name.starts_with(kOutputsPrefix)) return output(name);
    if (name.starts_with("vars.")) return lookup(name, "variable", scope_.vars);
    if (name.starts_with("env.")) return lookup(name, "environment variable", scope_.env);
    if (name.starts_with("secrets.")) {
      if (scope_.outside_params) {
        error = "'${" + std::string(name) + "}' is not allowed here";
        hint = "a secret goes in a job's params only, where every output masks it as ***";
        return std::nullopt;
      }
      return lookup(name, "secret", scope_.secrets);
    }
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
    if (hint.empty() && prefix == "secrets.") {
      hint = "name its environment variable under 'secrets': secrets: [" +
             std::string(name.substr(dot + 1)) + "]";
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

  std::optional<std::string> output(std::string_view name) {
    if (scope_.outside_params) {
      error = "'${" + std::string(name) + "}' is not allowed here";
      hint = "the outputs of stages that this one needs can be read in a job's params and in 'if'";
      return std::nullopt;
    }
    const auto reference = parse_output_reference(name);
    if (!reference) {
      error = "'${" + std::string(name) + "}' must be ${outputs.STAGE.JOB.KEY}";
      hint =
          "JOB is a job id of that stage, or 'stage'; [N] after it picks the value at N, [*] "
          "takes all";
      return std::nullopt;
    }
    if (scope_.outputs_later) return std::string();
    if (scope_.outputs == nullptr) {
      return not_here(name, "only a job's params can read the outputs of stages");
    }
    const auto values = (*scope_.outputs)(reference->reference);
    if (reference->all) {
      std::string joined;
      for (const auto& value : values) joined += (joined.empty() ? "" : " ") + value;
      return joined;
    }
    const auto at = reference->position.value_or(0);
    if (values.size() == 1 && !reference->position) return values.front();
    if (at < values.size() && reference->position) return values[at];
    error = "'${" + std::string(name) + "}': ";
    if (values.empty()) {
      error += "no instance published '" + reference->reference + "'";
      hint = "its instances may have failed or been skipped, or published other keys";
    } else if (!reference->position) {
      error += "'" + reference->reference + "' has " + std::to_string(values.size()) + " values";
      hint = "write [N] after it for the value at N (from 0), or [*] for all";
    } else {
      error += "'" + reference->reference + "' has " + std::to_string(values.size()) +
               " values, none at " + std::to_string(at);
      hint = "values are numbered from 0 in instance order, then a list's order";
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

namespace {

// Writes the values of a shell-code text: each quoted for its place, the literal text between
// them followed by a ShellLexer (as the shell will read it: `$$` is one '$').
class ShellWriter {
 public:
  explicit ShellWriter(bool active) : active_(active) {}

  void literal(std::string_view shell_text) {
    if (active_) lexer_.feed(shell_text);
  }

  // The value as it must be written where the text has got to, or an error in `result`.
  // `offset` is where its reference starts.
  std::optional<std::string> value(std::string_view name, std::string value, std::size_t offset,
                                   Interpolation& result) {
    if (!active_) return value;
    if (name.starts_with(kRawPrefix)) {
      lexer_.feed(value);  // pasted shell code: the shell reads it as code, and so do we
      return value;
    }
    const auto where = lexer_.place();
    if (where.place == ShellPlace::refused) {
      refuse(name, where, result);
      return std::nullopt;
    }
    auto quoted = quote_for_shell(value, where.place);
    if (!quoted) {
      result.error = "the value of '${" + std::string(name) + "}' holds a NUL byte, which no " +
                     "shell command can hold";
      result.hint = "pass it in a file, or as a job's own parameter";
      return std::nullopt;
    }
    inserted(name, offset);
    return quoted;
  }

  // A per-instance reference kept for the runner: its place must already be one it can fill.
  bool kept(std::string_view name, std::size_t offset, Interpolation& result) {
    if (!active_) return true;
    if (!name.starts_with(kRawPrefix)) {
      const auto where = lexer_.place();
      if (where.place == ShellPlace::refused) {
        refuse(name, where, result);
        return false;
      }
    }
    inserted(name, offset);
    return true;
  }

  // At the end of the text: a value that turned out to sit where bash evaluates arithmetic (a
  // [[ ... ]] comparing numbers, known at its end) is an error too.
  bool finish(Interpolation& result) {
    if (!active_) return true;
    const auto late = lexer_.late_refusal();
    if (!late) return true;
    const auto& [name, offset] = values_[*late];
    result.error = "'${" + name + "}' cannot be quoted inside [[ ... ]] with -eq, -lt or the " +
                   "like, which bash evaluates as arithmetic, running any $(...) in the value";
    result.hint = "compare it as text ([[ ${item} == 3 ]]), or use test: [ ${item} -lt 3 ]";
    result.error_offset = static_cast<int>(offset);
    return false;
  }

 private:
  void inserted(std::string_view name, std::size_t offset) {
    lexer_.value_inserted(values_.size());
    values_.emplace_back(std::string(name), offset);
  }

  static void refuse(std::string_view name, const ShellContext& where, Interpolation& result) {
    result.error = "'${" + std::string(name) + "}' cannot be quoted " + where.why;
    result.hint = where.hint;
  }

  bool active_;
  ShellLexer lexer_;
  std::vector<std::pair<std::string, std::size_t>> values_;  // each reference and its offset
};

}  // namespace

Interpolation interpolate(std::string_view text, const Scope& scope) {
  Interpolation result;
  Resolver resolver(scope);
  ShellWriter shell(scope.shell);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto dollar = text.find('$', i);
    if (dollar == std::string_view::npos || dollar + 1 >= text.size()) {
      result.text.append(text.substr(i));
      shell.literal(text.substr(i));
      break;
    }
    result.text.append(text.substr(i, dollar - i));
    shell.literal(text.substr(i, dollar - i));
    const char next = text[dollar + 1];
    if (next == '$') {
      result.text += scope.keep_instance_refs ? "$$" : "$";
      shell.literal("$");
      i = dollar + 2;
      continue;
    }
    if (next != '{') {  // a lone '$' is just a '$'
      result.text += '$';
      shell.literal("$");
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
    const bool raw = name.starts_with(kRawPrefix);
    if (raw && !scope.shell) {
      result.error = "'${" + std::string(name) + "}' pastes shell code, and this is no shell code";
      result.hint = "raw: belongs in a shell command (core.command's 'shell'); here write ${" +
                    std::string(referenced(name)) + "}";
      result.error_offset = static_cast<int>(dollar);
      return result;
    }
    if (scope.keep_instance_refs && is_late_reference(name)) {
      if (!shell.kept(name, dollar, result)) {
        result.error_offset = static_cast<int>(dollar);
        return result;
      }
      result.text.append(text.substr(dollar, i - dollar));
      continue;
    }
    auto value = resolver.resolve(referenced(name));
    if (value) value = shell.value(name, std::move(*value), dollar, result);
    if (!value) {
      if (result.error.empty()) {
        result.error = std::move(resolver.error);
        result.hint = std::move(resolver.hint);
      }
      result.error_offset = static_cast<int>(dollar);
      return result;
    }
    if (scope.keep_instance_refs) *value = escape_dollars(*value);
    if (scope.budget != nullptr) {
      if (scope.budget->exceeded) {
        result.over_budget = true;
        return result;
      }
      if (value->size() > scope.budget->left) {
        scope.budget->exceeded = true;
        result.error = "'${" + std::string(name) + "}' makes the substitutions of this file " +
                       "larger than " + std::to_string(kSubstitutionBudget >> 20) + " MiB";
        result.hint =
            "do variables refer to each other, or aliases repeat a reference, many times?";
        result.error_offset = static_cast<int>(dollar);
        return result;
      }
      scope.budget->left -= value->size();
    }
    result.text += *value;
    ++result.references;
  }
  if (!shell.finish(result)) result.text.clear();
  return result;
}

std::vector<Reference> references(std::string_view text) {
  std::vector<Reference> found;
  std::size_t i = 0;
  while ((i = text.find('$', i)) != std::string_view::npos && i + 1 < text.size()) {
    if (text[i + 1] == '$') {
      i += 2;
      continue;
    }
    if (text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) break;
      found.push_back({text.substr(i + 2, close - i - 2), i});
      i = close + 1;
      continue;
    }
    ++i;
  }
  return found;
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
      if (is_late_reference(text.substr(i + 2, close - i - 2))) return true;
      i = close + 1;
      continue;
    }
    ++i;
  }
  return false;
}

std::optional<OutputReference> parse_output_reference(std::string_view name) {
  if (!name.starts_with(kOutputsPrefix)) return std::nullopt;
  name.remove_prefix(kOutputsPrefix.size());
  OutputReference result;
  if (name.ends_with("[*]")) {
    result.all = true;
    name.remove_suffix(3);
  } else if (name.ends_with(']')) {
    const auto open = name.rfind('[');
    if (open == std::string_view::npos) return std::nullopt;
    const auto digits = name.substr(open + 1, name.size() - open - 2);
    std::uint64_t position = 0;
    const auto [end, problem] =
        std::from_chars(digits.data(), digits.data() + digits.size(), position);
    if (digits.empty() || problem != std::errc() || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    result.position = position;
    name = name.substr(0, open);
  }
  const auto first = name.find('.');
  const auto second = first == std::string_view::npos ? first : name.find('.', first + 1);
  if (second == std::string_view::npos || first == 0 || second == first + 1 ||
      second + 1 == name.size() || name.find_first_of("[]") != std::string_view::npos) {
    return std::nullopt;
  }
  result.reference = std::string(name);
  return result;
}

}  // namespace lockstep::config
