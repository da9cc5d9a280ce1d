// lockstep/plugin/registry.hpp — every job type and stage kind of the loaded plugins, by name.
//
//   lockstep::Registry registry;
//   lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
//   lockstep::Diagnostics diags;
//   loader.load_core(diags);
//   auto found = registry.lookup_job_type("sleep");     // bare names work when unambiguous
//   if (!found.job_type) std::cerr << found.error << " " << found.hint << "\n";
//   auto either = registry.lookup_declaration("stages.race");  // a job type or a stage kind
//
// Plugins call add_job<J>() / add_stage_kind<K>(): inside a plugin's registration function every
// name is qualified with the plugin's name ("sleep" registered by core is "core.sleep"). The
// stage kinds `parallel` and `sequential` are built in (see stage.hpp).
#pragma once

#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/stage.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct PluginInfo {
  std::string name;
  std::string version;
  std::string lockstep_version;            // what it was built against
  std::filesystem::path path;              // empty for types registered by the program itself
  std::vector<std::string> job_types{};    // qualified names
  std::vector<std::string> stage_kinds{};  // qualified names
};

struct RegisteredJobType {
  std::string qualified_name;  // "core.sleep"
  std::string plugin;          // "core"
  JobType declaration;         // what the plugin declared: name, doc, parameter specs
  JobFactory factory;
  std::filesystem::path file{};  // the plugin's file; empty when the program registered it
  JobPlacement placement{};      // set by add_job<J>(): how to make J in place
};

struct JobTypeLookup {
  const RegisteredJobType* job_type = nullptr;
  std::string error{};  // when not found: "unknown job type 'slep'" or "... is ambiguous: ..."
  std::string hint{};   // "did you mean 'core.sleep'?"
};

// A job type or a stage kind found by name: what `lockstep plugins core.output` shows. Both are
// set when a plugin gives a job type and a stage kind the same name.
struct DeclarationLookup {
  const RegisteredJobType* job_type = nullptr;
  const RegisteredStageKind* stage_kind = nullptr;
  std::string error{};  // when neither: "unknown job type or stage kind 'core.ouptut'"
  std::string hint{};   // "did you mean 'core.output'?"
};

class LOCKSTEP_API Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Throws std::invalid_argument for a malformed name, a duplicate, duplicate parameter names
  // or a default value of the wrong type; a plugin's load fails with that message.
  void add_job_type(JobType type, JobFactory factory);
  // The same, with a way to make the job in place (see JobPlacement).
  void add_job_type(JobType type, JobFactory factory, JobPlacement placement);

  // J has `static lockstep::JobType type()` and a constructor taking `const lockstep::Params&`.
  template <class J>
  void add_job() {
    add_job_type(
        J::type(),
        [](const Params& params) -> std::unique_ptr<Job> { return std::make_unique<J>(params); },
        {sizeof(J), alignof(J),
         [](void* where, const Params& params) -> Job* { return ::new (where) J(params); }});
  }

  // Throws std::invalid_argument as add_job_type() does.
  void add_stage_kind(StageKindType type, StageKindFactory factory);

  // K has `static lockstep::StageKindType type()` and a constructor taking its `with:` Params.
  template <class K>
  void add_stage_kind() {
    add_stage_kind(K::type(), [](const Params& with) -> std::unique_ptr<StageKind> {
      return std::make_unique<K>(with);
    });
  }

  // "core.sleep", or "sleep" when exactly one plugin has a type of that name.
  JobTypeLookup lookup_job_type(std::string_view name) const;
  std::vector<const RegisteredJobType*> job_types() const;  // sorted by qualified name
  // "parallel", "mine.batches", or "batches" when exactly one plugin has a kind of that name.
  StageKindLookup lookup_stage_kind(std::string_view name) const;
  std::vector<const RegisteredStageKind*> stage_kinds() const;  // built-in first, then by name
  // A job type or a stage kind, named as lookup_job_type() and lookup_stage_kind() take it.
  DeclarationLookup lookup_declaration(std::string_view name) const;
  const std::vector<PluginInfo>& plugins() const noexcept;
  const PluginInfo* find_plugin(std::string_view name) const noexcept;

  // For loaders: types added between begin_plugin() and end_plugin() belong to that plugin;
  // end_plugin(false) removes them again (its registration failed).
  void begin_plugin(PluginInfo info);
  void end_plugin(bool keep);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep
