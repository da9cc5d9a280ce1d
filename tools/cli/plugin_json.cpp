// `lockstep plugins --json`: one document, shaped as plugin_render.hpp describes.
#include <nlohmann/json.hpp>

#include <ostream>
#include <string_view>
#include <variant>

#include "lockstep/plugin/manifest.hpp"
#include "lockstep/version.hpp"
#include "plugin_render.hpp"

namespace lockstep::cli {

namespace {

using json = nlohmann::ordered_json;  // keys in the order written: name first

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

json to_json(const ParamValue& value) {
  return std::visit(Overloaded{
                        [](const std::string& text) { return json(text); },
                        [](std::int64_t number) { return json(number); },
                        [](double number) { return json(number); },
                        [](bool flag) { return json(flag); },
                        [](Duration duration) { return json(format_duration(duration)); },
                        [](const StringList& list) { return json(list); },
                        [](const StringMap& map) {
                          json object = json::object();
                          for (const auto& [key, item] : map) object[key] = item;
                          return object;
                        },
                    },
                    value);
}

json bound_to_json(const ParamSpec& spec, const std::optional<double>& bound) {
  if (!bound) return nullptr;
  if (spec.type() == ParamType::duration) return format_bound(spec, *bound);
  if (spec.type() == ParamType::integer) return json(static_cast<std::int64_t>(*bound));
  return json(*bound);
}

json param_to_json(const ParamSpec& spec) {
  return {
      {"name", spec.name()},
      {"type", lockstep::identifier(spec.type())},
      {"required", spec.is_required()},
      {"default", spec.default_value() ? to_json(*spec.default_value()) : json(nullptr)},
      {"allowed", spec.allowed()},
      {"min", bound_to_json(spec, spec.min())},
      {"max", bound_to_json(spec, spec.max())},
      {"doc", spec.doc()},
      {"shell_code", spec.is_shell_code()},
  };
}

// A job type or a stage kind: its name, doc and parameters.
template <class Declaration>
json entry_to_json(const std::string& name, const Declaration& declaration) {
  json params = json::array();
  for (const auto& spec : declaration.params) params.push_back(param_to_json(spec));
  json entry = {{"name", name}, {"doc", declaration.doc}, {"params", params}};
  if constexpr (requires { declaration.outputs; }) {
    json outputs = json::array();
    for (const auto& output : declaration.outputs) {
      outputs.push_back({{"name", output.name}, {"doc", output.doc}});
    }
    entry["outputs"] = outputs;  // empty: it does not say
  }
  return entry;
}

}  // namespace

void write_plugins_json(std::ostream& out, const Registry& registry,
                        std::span<const std::filesystem::path> search_dirs) {
  json plugins = json::array();
  for (const auto& plugin : registry.plugins()) {
    json job_types = json::array();
    for (const auto& name : plugin.job_types) {
      const auto found = registry.lookup_job_type(name);
      if (found.job_type) job_types.push_back(entry_to_json(name, found.job_type->declaration));
    }
    json stage_kinds = json::array();
    for (const auto& name : plugin.stage_kinds) {
      const auto found = registry.lookup_stage_kind(name);
      if (found.kind) stage_kinds.push_back(entry_to_json(name, found.kind->declaration));
    }
    plugins.push_back({
        {"name", plugin.name},
        {"version", plugin.version},
        {"lockstep_version", plugin.lockstep_version},
        {"path", plugin.path.empty() ? json(nullptr) : json(plugin.path.string())},
        {"job_types", job_types},
        {"stage_kinds", stage_kinds},
    });
  }
  json builtin_kinds = json::array();
  for (const auto* kind : registry.stage_kinds()) {
    if (kind->plugin.empty())
      builtin_kinds.push_back(entry_to_json(kind->qualified_name, kind->declaration));
  }
  json dirs = json::array();
  for (const auto& dir : search_dirs) dirs.push_back(dir.string());
  const json document = {
      {"lockstep_version", kVersionString},
      {"plugin_abi", kPluginAbiVersion},
      {"search_dirs", dirs},
      {"plugins", plugins},
      {"builtin_stage_kinds", builtin_kinds},
  };
  // A path that is not UTF-8 must not make the listing fail: its bad bytes become U+FFFD.
  out << document.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

void write_declarations_json(std::ostream& out, std::span<const DeclarationLookup> found) {
  json job_types = json::array();
  json stage_kinds = json::array();
  for (const auto& lookup : found) {
    if (const auto* type = lookup.job_type) {
      auto entry = entry_to_json(type->qualified_name, type->declaration);
      entry["plugin"] = type->plugin;
      job_types.push_back(std::move(entry));
    }
    if (const auto* kind = lookup.stage_kind) {
      auto entry = entry_to_json(kind->qualified_name, kind->declaration);
      entry["plugin"] = kind->plugin.empty() ? json(nullptr) : json(kind->plugin);
      stage_kinds.push_back(std::move(entry));
    }
  }
  const json document = {
      {"lockstep_version", kVersionString},
      {"job_types", job_types},
      {"stage_kinds", stage_kinds},
  };
  out << document.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

}  // namespace lockstep::cli
