#include "config/secrets.hpp"

#include <algorithm>
#include <cctype>

#include "config/schema.hpp"
#include "lockstep/pipeline/output_text.hpp"

namespace lockstep::config {

namespace {

bool is_variable_name(std::string_view name) {
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
         std::ranges::all_of(name, word);
}

}  // namespace

StringMap read_secrets(const YamlNode* node, const StringMap& env, Diagnostics& diagnostics) {
  StringMap secrets;
  if (node == nullptr || node->is_null()) return secrets;
  if (!expect(*node, YamlNode::Kind::list, "'secrets'", diagnostics)) return secrets;
  for (const auto& item : node->items) {
    auto name = read_scalar(item, "a secret", diagnostics);
    if (!name) continue;
    if (!is_variable_name(*name)) {
      diagnostics.error(item.where, "secret '" + *name + "' is not an environment variable name",
                        "a secret names the environment variable that holds it: API_TOKEN");
      continue;
    }
    if (secrets.contains(*name)) {
      diagnostics.error(item.where, "secret '" + *name + "' is declared twice");
      continue;
    }
    const auto value = env.find(*name);
    // Declared, if wrongly: a use of it is not also an "undefined secret" (and it holds "").
    auto& own = secrets[*name];
    if (value == env.end()) {
      diagnostics.error(item.where, "secret '" + *name + "' is not set",
                        "set the environment variable " + *name + " before lockstep starts");
    } else if (!register_secret(value->second)) {
      diagnostics.error(item.where,
                        "secret '" + *name + "' is shorter than " +
                            std::to_string(kMinSecretLength) + " characters",
                        "masking so short a value would hide it in every log line that happens "
                        "to contain it: use a real secret");
    } else {
      own = value->second;
    }
  }
  return secrets;
}

}  // namespace lockstep::config
