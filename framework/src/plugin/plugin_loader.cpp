// The Boost.DLL plugin loader: finds lockstep-<name>.so files, opens them with rtld_now, checks
// their manifest (ABI version first, nothing else before it matches), and registers their types.
//
// Opened libraries are kept in a process-wide store that is never destroyed: a plugin's code must
// outlive every object, exception, std::function and type_info it made, and those can live as
// long as any Registry. The store stays reachable through a static pointer, so LeakSanitizer does
// not report it.
#include "lockstep/pipeline/plugin_loader.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <boost/dll/shared_library_load_mode.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <system_error>
#include <utility>

#include "lockstep/plugin/manifest.hpp"
#include "lockstep/version.hpp"
#include "plugin/elf_check.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifestSymbol = "lockstep_plugin_manifest";
constexpr std::string_view kFilePrefix = "lockstep-";
constexpr std::string_view kFileSuffix = ".so";

// Every library ever opened, by canonical path. Deliberately never destroyed (see above).
struct LibraryStore {
  std::mutex mutex;
  std::map<std::string, boost::dll::shared_library, std::less<>> libraries;
};

LibraryStore& library_store() {
  static LibraryStore* const store = new LibraryStore;  // never deleted: plugins are never unloaded
  return *store;
}

bool is_plugin_name(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_path(std::string_view name_or_path) {
  return name_or_path.find('/') != std::string_view::npos || name_or_path.ends_with(kFileSuffix);
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

// The ABI a plugin was built against, when dlopen failed on one of lockstep's names of another
// ABI: they are mangled with their inline namespace, "...8lockstep6abi_v2...".
std::optional<std::uint32_t> abi_of_missing_symbol(std::string_view open_error) {
  static const std::regex mangled("8lockstep[0-9]+abi_v([0-9]+)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(open_error.begin(), open_error.end(), match, mangled)) return {};
  const auto version = std::stoul(match[1].str());
  if (version == kPluginAbiVersion) return {};
  return static_cast<std::uint32_t>(version);
}

void refuse_abi(Diagnostics& diagnostics, const SourceLocation& where, const std::string& what,
                const fs::path& path, std::uint32_t abi) {
  diagnostics.error(where,
                    "cannot load " + what + " (" + path.string() +
                        "): it was built for plugin ABI version " +
                        std::to_string(abi) + ", but this lockstep (" +
                        std::string(kVersionString) + ") has plugin ABI version " +
                        std::to_string(kPluginAbiVersion),
                    "rebuild the plugin against lockstep " + std::string(kVersionString));
}

std::string join_paths(const std::vector<fs::path>& paths) {
  std::string text;
  for (const auto& path : paths) text += (text.empty() ? "" : ", ") + path.string();
  return text;
}

// The message of a failed dlopen: Boost wraps dlerror() as "... (dlerror system message: TEXT):
// Bad file descriptor"; TEXT is what the user needs.
std::string dlopen_message(const std::string& what) {
  static constexpr std::string_view kMarker = "(dlerror system message: ";
  auto begin = what.find(kMarker);
  if (begin == std::string::npos) return what;
  begin += kMarker.size();
  auto end = what.rfind(')');
  if (end == std::string::npos || end < begin) return what.substr(begin);
  return what.substr(begin, end - begin);
}

// The directory of liblockstep itself, + "lockstep": lib/lockstep in the build and install trees.
std::optional<fs::path> bundled_plugin_dir() {
  boost::dll::fs::error_code error;
  auto self = boost::dll::this_line_location(error);
  if (error || self.empty()) return std::nullopt;
  return fs::path(self.native()).parent_path() / "lockstep";
}

void add_unique(std::vector<fs::path>& dirs, fs::path dir) {
  if (dir.empty() || std::ranges::find(dirs, dir) != dirs.end()) return;
  dirs.push_back(std::move(dir));
}

}  // namespace

struct PluginLoader::Impl {
  Registry& registry;
  std::vector<fs::path> dirs;

  // Opens `path` (canonical) or finds it already open; on failure, the reason.
  const boost::dll::shared_library* open(const fs::path& path, std::string& error) {
    auto& store = library_store();
    std::lock_guard lock(store.mutex);
    if (auto found = store.libraries.find(path.string()); found != store.libraries.end()) {
      return &found->second;
    }
    try {
      boost::dll::shared_library library(boost::dll::fs::path(path.native()),
                                         boost::dll::load_mode::rtld_now);
      return &store.libraries.emplace(path.string(), std::move(library)).first->second;
    } catch (const boost::system::system_error& e) {
      error = dlopen_message(e.what());
    } catch (const std::exception& e) {
      error = e.what();
    }
    return nullptr;
  }
};

PluginLoader::PluginLoader(Registry& registry, std::vector<fs::path> search_dirs)
    : impl_(std::make_unique<Impl>(Impl{registry, std::move(search_dirs)})) {}

PluginLoader::~PluginLoader() = default;

Registry& PluginLoader::registry() const noexcept { return impl_->registry; }

std::vector<fs::path> PluginLoader::search_dirs(std::span<const fs::path> flags) {
  std::vector<fs::path> dirs;
  for (const auto& flag : flags) add_unique(dirs, flag);
  if (const char* env = std::getenv("LOCKSTEP_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      auto colon = rest.find(':');
      add_unique(dirs, fs::path(rest.substr(0, colon)));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
  }
  if (auto bundled = bundled_plugin_dir()) add_unique(dirs, std::move(*bundled));
  return dirs;
}

fs::path PluginLoader::bundled_dir() { return bundled_plugin_dir().value_or(fs::path()); }

const std::vector<fs::path>& PluginLoader::dirs() const noexcept { return impl_->dirs; }

fs::path PluginLoader::resolve(std::string_view name_or_path, std::vector<fs::path>* tried) const {
  std::error_code error;
  if (is_path(name_or_path)) {
    fs::path path(name_or_path);
    auto absolute = fs::absolute(path, error);
    if (error) absolute = path;
    if (tried) tried->push_back(absolute);
    return fs::is_regular_file(absolute, error) ? absolute : fs::path{};
  }
  if (name_or_path.empty()) return {};
  auto file = std::string(kFilePrefix) + std::string(name_or_path) + std::string(kFileSuffix);
  for (const auto& dir : impl_->dirs) {
    auto candidate = dir / file;
    if (tried) tried->push_back(candidate);
    if (fs::is_regular_file(candidate, error)) return candidate;
  }
  return {};
}

std::vector<fs::path> PluginLoader::available() const {
  std::map<std::string, fs::path> first_of_name;  // sorted by plugin name
  for (const auto& dir : impl_->dirs) {
    std::error_code error;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
      std::error_code type_error;
      if (it->is_regular_file(type_error)) files.push_back(it->path());
    }
    std::ranges::sort(files);  // directory order is arbitrary
    for (const auto& file : files) {
      auto filename = file.filename().string();
      if (filename.size() <= kFilePrefix.size() + kFileSuffix.size() ||
          !filename.starts_with(kFilePrefix) || !filename.ends_with(kFileSuffix)) {
        continue;
      }
      auto name = filename.substr(kFilePrefix.size(),
                                  filename.size() - kFilePrefix.size() - kFileSuffix.size());
      first_of_name.try_emplace(std::move(name), file);
    }
  }
  std::vector<fs::path> result;
  for (auto& [name, path] : first_of_name) result.push_back(std::move(path));
  return result;
}

bool PluginLoader::load(std::string_view name_or_path, const SourceLocation& where,
                        Diagnostics& diagnostics) {
  const std::string given(name_or_path);
  const auto what = "plugin '" + given + "'";

  // 1. Find the file.
  std::vector<fs::path> tried;
  auto found = resolve(name_or_path, &tried);
  if (found.empty()) {
    std::string hint;
    if (is_path(name_or_path)) {
      hint = "no such file: " + join_paths(tried);
    } else if (tried.empty()) {
      hint = "no plugin directories to search: add one with --plugin-path or LOCKSTEP_PLUGIN_PATH";
    } else {
      hint = "looked for " + join_paths(tried) +
             "; add its directory with --plugin-path or LOCKSTEP_PLUGIN_PATH, or give its path";
    }
    if (!is_path(name_or_path) && !name_or_path.empty() && !is_plugin_name(name_or_path)) {
      hint = "a plugin name is lowercase letters, digits and '_'; " + hint;
    }
    diagnostics.error(where, what + " not found", std::move(hint));
    return false;
  }
  std::error_code error;
  auto path = fs::canonical(found, error);
  if (error) path = found;

  // 2. The same file again is a no-op.
  for (const auto& plugin : impl_->registry.plugins()) {
    if (plugin.path == path) return true;
  }

  // 3. Check the file, then open it: rtld_now, so that a missing symbol is an error now rather
  // than a crash later. dlopen trusts the file: a truncated one would crash this process.
  if (auto checked = check_elf_file(path); !checked.problem.empty()) {
    diagnostics.error(where,
                      "cannot load " + what + " from " + quoted(path) + ": " + checked.problem,
                      std::move(checked.hint));
    return false;
  }
  std::string open_error;
  const auto* library = impl_->open(path, open_error);
  if (!library) {
    if (const auto abi = abi_of_missing_symbol(open_error)) {
      refuse_abi(diagnostics, where, what, path, *abi);
      return false;
    }
    // dlerror() starts with the file's path, which the message already shows.
    if (auto prefix = path.string() + ": "; open_error.starts_with(prefix)) {
      open_error.erase(0, prefix.size());
    }
    const auto version = std::string(kVersionString);
    diagnostics.error(
        where, "cannot load " + what + " from " + quoted(path) + ": " + open_error,
        open_error.find("undefined symbol") != std::string::npos
            ? "it uses a symbol that neither it nor the libraries it links define: link what it "
              "needs, or rebuild it against this lockstep (" +
                  version + ")"
            : "is it a plugin built for this system and this lockstep (" + version + ")?");
    return false;
  }

  // 4. The manifest: its ABI version, and nothing else, until that matches.
  if (!library->has(kManifestSymbol)) {
    diagnostics.error(where,
                      quoted(path) + " is not a lockstep plugin: it exports no " +
                          std::string(kManifestSymbol),
                      "a plugin declares itself with LOCKSTEP_PLUGIN(...) from "
                      "<lockstep/plugin/manifest.hpp>; lockstep_add_plugin() in CMake builds it");
    return false;
  }
  const void* address = library->get<const void*>(kManifestSymbol);
  if (!address) {
    diagnostics.error(where,
                      quoted(path) + " is not a lockstep plugin (its " +
                          std::string(kManifestSymbol) + " is null)",
                      "build it with LOCKSTEP_PLUGIN");
    return false;
  }
  const auto abi = *static_cast<const std::uint32_t*>(address);
  if (abi != kPluginAbiVersion) {
    refuse_abi(diagnostics, where, what, path, abi);
    return false;
  }
  const auto& manifest = *static_cast<const PluginManifest*>(address);
  const std::string name = manifest.name ? manifest.name : "";
  if (!is_plugin_name(name)) {
    diagnostics.error(where, what + " (" + path.string() + ") has an invalid name '" + name + "'",
                      "a plugin name is lowercase letters, digits and '_'");
    return false;
  }
  if (name == "app") {
    diagnostics.error(where, what + " (" + path.string() + ") is named 'app'",
                      "'app' is reserved for job types the embedding program registers itself; "
                      "rename the plugin");
    return false;
  }
  if (!is_path(name_or_path) && name != given) {
    // Found by name, so its job types would not be called what the pipeline expects.
    diagnostics.error(where, what + " was found as " + quoted(path) + ", which declares plugin '" +
                                 name + "'",
                      "rename the file to lockstep-" + name + ".so, or load the plugin by path");
    return false;
  }
  if (!manifest.register_plugin) {
    diagnostics.error(where, what + " (" + path.string() + ") has no registration function",
                      "build it with LOCKSTEP_PLUGIN");
    return false;
  }

  // 5. One plugin per name.
  if (const auto* other = impl_->registry.find_plugin(name)) {
    diagnostics.error(
        where,
        "two plugins are named '" + name + "': " + quoted(other->path) + " and " + quoted(path),
        "load only one of them, or give one another name in its LOCKSTEP_PLUGIN");
    return false;
  }

  // 6. Register its types; a registration that throws leaves nothing behind.
  PluginInfo info{name, manifest.version ? manifest.version : "",
                  manifest.lockstep_version ? manifest.lockstep_version : "", path};
  impl_->registry.begin_plugin(std::move(info));
  std::string failure;
  try {
    manifest.register_plugin(impl_->registry);
  } catch (const std::exception& e) {
    failure = e.what();
    if (failure.empty()) failure = "an exception with no message";
  } catch (...) {
    failure = "an exception that is not a std::exception";
  }
  if (!failure.empty()) {
    impl_->registry.end_plugin(false);
    // The registry's own messages name the plugin already.
    if (auto prefix = "plugin '" + name + "': "; failure.starts_with(prefix)) {
      failure.erase(0, prefix.size());
    }
    diagnostics.error(
        where, "plugin '" + name + "' (" + path.string() + ") failed to register: " + failure);
    return false;
  }
  impl_->registry.end_plugin(true);
  return true;
}

}  // namespace lockstep
