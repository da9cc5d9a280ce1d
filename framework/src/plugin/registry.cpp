#include "lockstep/plugin/registry.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "stage/builtin_kinds.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

bool is_identifier(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "an integer", "a string".
std::string with_article(std::string_view noun) {
  bool vowel =
      !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(noun);
}

// Checks a job type's or stage kind's name and parameters; `what` is "job type" or "stage kind".
void check_declaration(const std::string& plugin, std::string_view what, const std::string& name,
                       const std::vector<ParamSpec>& params) {
  auto where = "plugin '" + plugin + "': " + std::string(what) + " '" + name + "': ";
  if (!is_identifier(name)) {
    throw std::invalid_argument("plugin '" + plugin + "': " + std::string(what) + " name '" + name +
                                "' must be lowercase letters, digits and '_'");
  }
  std::set<std::string> seen;
  for (const auto& spec : params) {
    if (spec.name().empty()) throw std::invalid_argument(where + "a parameter has no name");
    if (!seen.insert(spec.name()).second) {
      throw std::invalid_argument(where + "parameter '" + spec.name() + "' is declared twice");
    }
    if (spec.default_value() && type_of(*spec.default_value()) != spec.type()) {
      throw std::invalid_argument(where + "the default of parameter '" + spec.name() + "' is " +
                                  with_article(to_string(type_of(*spec.default_value()))) +
                                  ", but the parameter is " + with_article(to_string(spec.type())));
    }
    if (spec.default_value() && spec.is_required()) {
      throw std::invalid_argument(where + "parameter '" + spec.name() +
                                  "' is required and has a default: choose one");
    }
  }
}

// Finds `name` among qualified names, or as a bare name when exactly one entry has it. Found or
// not, returns {entry, error, hint}; `what` is "job type" or "stage kind".
template <class Map, class Result>
Result lookup(const Map& map, std::string_view name, std::string_view what,
              const Registry& registry, std::string_view listed_by) {
  if (auto found = map.find(name); found != map.end()) return {&found->second, {}, {}};
  std::vector<const typename Map::mapped_type*> bare;
  std::vector<std::string> all_names;
  std::vector<std::string> bare_names;
  for (const auto& [qualified, registered] : map) {
    all_names.push_back(qualified);
    bare_names.push_back(registered.declaration.name);
    if (registered.declaration.name == name) bare.push_back(&registered);
  }
  const std::string quoted = "'" + std::string(name) + "'";
  if (bare.size() == 1) return {bare.front(), {}, {}};
  if (bare.size() > 1) {
    std::string candidates;
    for (const auto* entry : bare) {
      candidates += (candidates.empty() ? "'" : ", '") + entry->qualified_name + "'";
    }
    return {nullptr, std::string(what) + " " + quoted + " is ambiguous: " + candidates,
            "write the plugin's name before it, as in '" + bare.front()->qualified_name + "'"};
  }
  auto dot = name.find('.');
  if (dot != std::string_view::npos && !registry.find_plugin(name.substr(0, dot))) {
    return {nullptr,
            "unknown " + std::string(what) + " " + quoted + ": no plugin named '" +
                std::string(name.substr(0, dot)) + "' is loaded",
            "list it under 'plugins:'"};
  }
  auto hint = did_you_mean(name, all_names);
  if (hint.empty()) hint = did_you_mean(name, bare_names);
  return {nullptr, "unknown " + std::string(what) + " " + quoted,
          hint.empty() ? std::string(listed_by) : hint};
}

}  // namespace

struct Registry::Impl {
  std::map<std::string, RegisteredJobType, std::less<>> job_types;      // by qualified name
  std::map<std::string, RegisteredStageKind, std::less<>> stage_kinds;  // by qualified name
  std::vector<PluginInfo> plugins;
  std::optional<PluginInfo> loading;  // between begin_plugin and end_plugin

  // Adds a job type or stage kind under "<plugin>.<name>"; names registered outside a plugin (by
  // the embedding program) belong to "app". `listed` is where the plugin's info lists it.
  template <class Map, class Declaration, class Factory>
  void add(Map& map, std::vector<std::string> PluginInfo::*listed, std::string_view what,
           Declaration declaration, Factory factory) {
    auto plugin = loading ? loading->name : std::string("app");
    check_declaration(plugin, what, declaration.name, declaration.params);
    if (!factory) {
      throw std::invalid_argument("plugin '" + plugin + "': " + std::string(what) + " '" +
                                  declaration.name + "' has no factory");
    }
    auto qualified = plugin + "." + declaration.name;
    if (map.contains(qualified)) {
      throw std::invalid_argument(std::string(what) + " '" + qualified + "' is registered twice");
    }
    if (loading) ((*loading).*listed).push_back(qualified);
    map.emplace(qualified, typename Map::mapped_type{qualified, plugin, std::move(declaration),
                                                     std::move(factory)});
  }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {
  for (auto& kind : builtin_stage_kinds()) {
    auto name = kind.declaration.name;
    impl_->stage_kinds.emplace(std::move(name), std::move(kind));
  }
}
Registry::~Registry() = default;

void Registry::begin_plugin(PluginInfo info) { impl_->loading = std::move(info); }

void Registry::end_plugin(bool keep) {
  if (!impl_->loading) return;
  auto info = std::move(*impl_->loading);
  impl_->loading.reset();
  if (keep) {
    impl_->plugins.push_back(std::move(info));
    return;
  }
  for (const auto& name : info.job_types) impl_->job_types.erase(name);
  for (const auto& name : info.stage_kinds) impl_->stage_kinds.erase(name);
}

namespace {

// Each output named, and once: "job type 'fetch' declares the output 'url' twice".
void check_outputs(std::string_view what, const std::string& name,
                   const std::vector<OutputSpec>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& output = outputs[i].name;
    const auto owner = std::string(what) + " '" + name + "'";
    if (output.empty()) throw std::invalid_argument(owner + " declares an output with no name");
    for (std::size_t j = 0; j < i; ++j) {
      if (outputs[j].name == output) {
        throw std::invalid_argument(owner + " declares the output '" + output + "' twice");
      }
    }
  }
}

}  // namespace

void Registry::add_job_type(JobType type, JobFactory factory) {
  add_job_type(std::move(type), std::move(factory), JobPlacement{});
}

void Registry::add_job_type(JobType type, JobFactory factory, JobPlacement placement) {
  const auto name = type.name;
  check_outputs("job type", name, type.outputs);
  impl_->add(impl_->job_types, &PluginInfo::job_types, "job type", std::move(type),
             std::move(factory));
  auto& added =
      impl_->job_types.find(impl_->loading ? impl_->loading->name + "." + name : "app." + name)
          ->second;
  added.placement = placement;
  // A worker process loads the type from this file (isolation: process).
  if (impl_->loading) added.file = impl_->loading->path;
}

JobTypeLookup Registry::lookup_job_type(std::string_view name) const {
  return lookup<decltype(impl_->job_types), JobTypeLookup>(
      impl_->job_types, name, "job type", *this, "`lockstep plugins` lists the job types");
}

void Registry::add_stage_kind(StageKindType type, StageKindFactory factory) {
  check_outputs("stage kind", type.name, type.outputs);
  impl_->add(impl_->stage_kinds, &PluginInfo::stage_kinds, "stage kind", std::move(type),
             std::move(factory));
}

StageKindLookup Registry::lookup_stage_kind(std::string_view name) const {
  return lookup<decltype(impl_->stage_kinds), StageKindLookup>(
      impl_->stage_kinds, name, "stage kind", *this, "`lockstep plugins` lists the stage kinds");
}

DeclarationLookup Registry::lookup_declaration(std::string_view name) const {
  const auto job_type = lookup_job_type(name);
  const auto stage_kind = lookup_stage_kind(name);
  if (job_type.job_type != nullptr || stage_kind.kind != nullptr) {
    return {job_type.job_type, stage_kind.kind, {}, {}};
  }
  const std::string quoted = "'" + std::string(name) + "'";
  std::vector<std::string> names;
  std::vector<std::string> same_bare_name;  // found by neither lookup: two or more plugins have it
  auto collect = [&](const auto& map) {
    for (const auto& [qualified, registered] : map) {
      names.push_back(qualified);
      if (registered.declaration.name == name) same_bare_name.push_back(qualified);
    }
  };
  collect(impl_->job_types);
  collect(impl_->stage_kinds);
  if (!same_bare_name.empty()) {
    std::string candidates;
    for (const auto& qualified : same_bare_name) {
      candidates += (candidates.empty() ? "'" : ", '") + qualified + "'";
    }
    return {nullptr, nullptr, quoted + " is ambiguous: " + candidates,
            "write the plugin's name before it, as in '" + same_bare_name.front() + "'"};
  }
  auto hint = did_you_mean(name, names);
  if (hint.empty()) hint = "`lockstep plugins` lists them all";
  return {nullptr, nullptr, "unknown job type or stage kind " + quoted, std::move(hint)};
}

std::vector<const RegisteredStageKind*> Registry::stage_kinds() const {
  std::vector<const RegisteredStageKind*> all;
  for (const auto& [name, registered] : impl_->stage_kinds) all.push_back(&registered);
  // (std::ranges::stable_partition does not compile with clang 14 and libstdc++ 12: the fuzz build)
  std::stable_partition(all.begin(), all.end(),
                        [](const auto* kind) { return kind->plugin.empty(); });
  return all;
}

std::vector<const RegisteredJobType*> Registry::job_types() const {
  std::vector<const RegisteredJobType*> all;
  for (const auto& [name, registered] : impl_->job_types) all.push_back(&registered);
  return all;
}

const std::vector<PluginInfo>& Registry::plugins() const noexcept { return impl_->plugins; }

const PluginInfo* Registry::find_plugin(std::string_view name) const noexcept {
  for (const auto& plugin : impl_->plugins) {
    if (plugin.name == name) return &plugin;
  }
  if (impl_->loading && impl_->loading->name == name) return &*impl_->loading;
  return nullptr;
}

}  // namespace lockstep::inline LOCKSTEP_ABI
