// lockstep/pipeline/plugin_loader.hpp — finds plugin files, checks their manifests, registers their
// types.
//
//   lockstep::Registry registry;
//   const std::filesystem::path flags[] = {"./plugins"};  // the CLI's --plugin-path
//   lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs(flags));
//   lockstep::Diagnostics diags;
//   loader.load_core(diags);
//   loader.load("examples", {"pipe.yaml", 3, 12}, diags);   // by name: lockstep-examples.so
//   loader.load("./lockstep-mine.so", {}, diags);            // by path
//   if (diags.has_errors()) { std::cerr << diags.to_string(); return 2; }
//
// A name is looked for as lockstep-<name>.so in, in order: the directories given (the CLI's
// --plugin-path), those in LOCKSTEP_PLUGIN_PATH (colon-separated), and lib/lockstep/ next to
// liblockstep itself (the same in the build tree and an install). Anything with a '/' or ending
// in .so is a path. Every failure (not found, not a plugin, ABI mismatch, missing symbols, a
// registration that throws or clashes) is a diagnostic, never a crash. Plugins stay loaded until
// the process ends: their code must outlive every object, exception and type_info they made.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/export.hpp"
#include "lockstep/plugin/registry.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

class LOCKSTEP_API PluginLoader {
 public:
  PluginLoader(Registry& registry, std::vector<std::filesystem::path> search_dirs);
  ~PluginLoader();
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;

  // `flags` first, then LOCKSTEP_PLUGIN_PATH, then the directory next to liblockstep.
  static std::vector<std::filesystem::path> search_dirs(
      std::span<const std::filesystem::path> flags);

  // lib/lockstep/ next to liblockstep: the bundled plugins and the worker program
  // (lockstep-worker). Empty when it cannot be told.
  static std::filesystem::path bundled_dir();

  const std::vector<std::filesystem::path>& dirs() const noexcept;
  // The registry this loader registers into (the config layer looks job types up in it).
  Registry& registry() const noexcept;

  // Loads a plugin by name or path; `where` is what a diagnostic points at (the pipeline line
  // naming the plugin). Loading the same file twice is a no-op. Returns false on error.
  bool load(std::string_view name_or_path, const SourceLocation& where, Diagnostics& diagnostics);
  bool load_core(Diagnostics& diagnostics) { return load("core", {}, diagnostics); }

  // Every lockstep-<name>.so in the search directories, the first of each name, sorted by name
  // (what `lockstep plugins` lists).
  std::vector<std::filesystem::path> available() const;

  // The file a name resolves to, or an empty path when none exists (`tried` lists the paths
  // tried).
  std::filesystem::path resolve(std::string_view name_or_path,
                                std::vector<std::filesystem::path>* tried = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep
