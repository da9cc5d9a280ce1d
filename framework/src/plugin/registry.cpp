#include "lockstep/registry.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace lockstep {

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

void check_job_type(const std::string& plugin, const JobType& type) {
  auto where = "plugin '" + plugin + "': job type '" + type.name + "': ";
  if (!is_identifier(type.name)) {
    throw std::invalid_argument("plugin '" + plugin + "': job type name '" + type.name +
                                "' must be lowercase letters, digits and '_'");
  }
  std::set<std::string> seen;
  for (const auto& spec : type.params) {
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

}  // namespace

struct Registry::Impl {
  std::map<std::string, RegisteredJobType, std::less<>> job_types;  // by qualified name
  std::vector<PluginInfo> plugins;
  std::optional<PluginInfo> loading;  // between begin_plugin and end_plugin
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
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
}

void Registry::add_job_type(JobType type, JobFactory factory) {
  // Types registered outside a plugin (by the embedding program) belong to "app".
  auto plugin = impl_->loading ? impl_->loading->name : std::string("app");
  check_job_type(plugin, type);
  if (!factory)
    throw std::invalid_argument("plugin '" + plugin + "': job type '" + type.name +
                                "' has no factory");
  auto qualified = plugin + "." + type.name;
  if (impl_->job_types.contains(qualified)) {
    throw std::invalid_argument("job type '" + qualified + "' is registered twice");
  }
  if (impl_->loading) impl_->loading->job_types.push_back(qualified);
  impl_->job_types.emplace(
      qualified, RegisteredJobType{qualified, plugin, std::move(type), std::move(factory)});
}

JobTypeLookup Registry::lookup_job_type(std::string_view name) const {
  if (auto found = impl_->job_types.find(name); found != impl_->job_types.end()) {
    return {&found->second, {}, {}};
  }
  std::vector<const RegisteredJobType*> bare;
  std::vector<std::string> all_names;
  for (const auto& [qualified, registered] : impl_->job_types) {
    all_names.push_back(qualified);
    if (registered.type.name == name) bare.push_back(&registered);
  }
  if (bare.size() == 1) return {bare.front(), {}, {}};
  if (bare.size() > 1) {
    std::string candidates;
    for (const auto* type : bare) {
      candidates += (candidates.empty() ? "'" : ", '") + type->qualified_name + "'";
    }
    return {nullptr, "job type '" + std::string(name) + "' is ambiguous: " + candidates,
            "write the plugin's name before it, as in '" + bare.front()->qualified_name + "'"};
  }
  auto dot = name.find('.');
  if (dot != std::string_view::npos && !find_plugin(name.substr(0, dot))) {
    return {nullptr,
            "unknown job type '" + std::string(name) + "': no plugin named '" +
                std::string(name.substr(0, dot)) + "' is loaded",
            "list it under 'plugins:'"};
  }
  auto hint = did_you_mean(name, all_names);
  if (hint.empty()) {
    std::vector<std::string> bare_names;
    for (const auto& [qualified, registered] : impl_->job_types) {
      bare_names.push_back(registered.type.name);
    }
    hint = did_you_mean(name, bare_names);
  }
  return {nullptr, "unknown job type '" + std::string(name) + "'",
          hint.empty() ? "`lockstep plugins` lists the job types" : hint};
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

}  // namespace lockstep
