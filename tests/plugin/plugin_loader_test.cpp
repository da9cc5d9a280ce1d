// The Boost.DLL loader against the purpose-built plugins of tests/fixtures/plugins: where it
// looks, what it loads, and a clear diagnostic (never a crash) for every way a plugin is broken.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <lockstep/plugin/manifest.hpp>
#include <lockstep/pipeline/plugin_loader.hpp>
#include <lockstep/version.hpp>

#include "support.hpp"

namespace lockstep::test {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

fs::path bundled_dir() { return fs::weakly_canonical(LOCKSTEP_TEST_BUNDLED_PLUGIN_DIR); }

std::vector<std::string> type_names(const Registry& registry) {
  std::vector<std::string> result;
  for (const auto* type : registry.job_types()) result.push_back(type->qualified_name);
  return result;
}

const Diagnostic& only_error(const Diagnostics& diagnostics) {
  INFO(diagnostics.to_string());
  REQUIRE(diagnostics.all().size() == 1);
  REQUIRE(diagnostics.error_count() == 1);
  return diagnostics.all().front();
}

// A loader that searches exactly `dirs`.
struct Setup {
  explicit Setup(std::vector<fs::path> dirs) : loader(registry, std::move(dirs)) {}
  Registry registry;
  PluginLoader loader;
  Diagnostics diagnostics;
};

// Loading the fixture `name` from its own directory fails with exactly one error, which it
// returns, at the given position; nothing of the plugin is left in the registry.
Diagnostic load_broken(const std::string& name) {
  Setup setup({fixture_dir(name)});
  const SourceLocation where{"pipe.yaml", 4, 5};
  CHECK_FALSE(setup.loader.load(name, where, setup.diagnostics));
  auto d = only_error(setup.diagnostics);
  CHECK(d.where.file == "pipe.yaml");
  CHECK(d.where.line == 4);
  CHECK(d.where.column == 5);
  CHECK(setup.registry.job_types().empty());
  CHECK(setup.registry.plugins().empty());
  CHECK(setup.registry.find_plugin(name) == nullptr);
  return d;
}

// ---- where plugins are looked for ---------------------------------------------------------

TEST_CASE("search_dirs: flags, then LOCKSTEP_PLUGIN_PATH, then lib/lockstep", "[loader]") {
  ScopedEnv env("LOCKSTEP_PLUGIN_PATH", "/env/a::/env/b:");
  std::vector<fs::path> flags{"/flag/one", "relative/two"};
  auto dirs = PluginLoader::search_dirs(flags);
  REQUIRE(dirs.size() == 5);
  CHECK(dirs[0] == "/flag/one");
  CHECK(dirs[1] == "relative/two");
  CHECK(dirs[2] == "/env/a");
  CHECK(dirs[3] == "/env/b");
  CHECK(fs::weakly_canonical(dirs[4]) == bundled_dir());
}

TEST_CASE("search_dirs without flags or LOCKSTEP_PLUGIN_PATH is lib/lockstep beside liblockstep",
          "[loader]") {
  ScopedEnv env("LOCKSTEP_PLUGIN_PATH", std::nullopt);
  auto dirs = PluginLoader::search_dirs({});
  REQUIRE(dirs.size() == 1);
  CHECK(fs::weakly_canonical(dirs[0]) == bundled_dir());
  CHECK(dirs[0].filename() == "lockstep");
  CHECK(dirs[0].parent_path().filename() == "lib");
}

TEST_CASE("resolve looks for lockstep-<name>.so in the directories, in order", "[loader]") {
  ScratchDir first, second;
  fs::copy_file(fixture_file("fixture"), second / "lockstep-fixture.so");
  Registry registry;
  PluginLoader loader(registry, {first.path(), second.path()});
  CHECK(loader.dirs() == std::vector<fs::path>{first.path(), second.path()});

  std::vector<fs::path> tried;
  CHECK(loader.resolve("fixture", &tried) == second / "lockstep-fixture.so");
  CHECK(tried ==
        std::vector<fs::path>{first / "lockstep-fixture.so", second / "lockstep-fixture.so"});

  fs::copy_file(fixture_file("fixture"), first / "lockstep-fixture.so");
  CHECK(loader.resolve("fixture") == first / "lockstep-fixture.so");

  tried.clear();
  CHECK(loader.resolve("absent", &tried).empty());
  CHECK(tried ==
        std::vector<fs::path>{first / "lockstep-absent.so", second / "lockstep-absent.so"});
}

TEST_CASE("resolve takes anything with a '/' or a .so suffix as a path", "[loader]") {
  Registry registry;
  PluginLoader loader(registry, {fixture_dir("fixture")});
  auto file = fixture_file("fixture");
  CHECK(loader.resolve(file.string()) == file);

  // Relative to the current directory.
  struct Cwd {
    fs::path old = fs::current_path();
    ~Cwd() { fs::current_path(old); }
  } restore;
  fs::current_path(fixture_dir("fixture"));
  CHECK(fs::equivalent(loader.resolve("lockstep-fixture.so"), file));
  CHECK(fs::equivalent(loader.resolve("./lockstep-fixture.so"), file));
  CHECK(fs::equivalent(loader.resolve("../fixture/lockstep-fixture.so"), file));

  std::vector<fs::path> tried;
  CHECK(loader.resolve("missing.so", &tried).empty());
  REQUIRE(tried.size() == 1);
  CHECK(tried[0] == fs::current_path() / "missing.so");
  // A bare name is never a path, even where the cwd has a directory of that name.
  CHECK(loader.resolve("fixture") == fixture_dir("fixture") / "lockstep-fixture.so");
}

TEST_CASE("LOCKSTEP_PLUGIN_PATH decides which copy of a plugin is found", "[loader]") {
  ScratchDir a, b, flag;
  for (const auto* dir : {&a, &b, &flag}) {
    fs::copy_file(fixture_file("fixture"), *dir / "lockstep-fixture.so");
  }
  auto found_with = [](const std::string& env, std::vector<fs::path> flags) {
    ScopedEnv scoped("LOCKSTEP_PLUGIN_PATH", env);
    Registry registry;
    PluginLoader loader(registry, PluginLoader::search_dirs(flags));
    return loader.resolve("fixture");
  };
  CHECK(found_with(a.path().string() + ":" + b.path().string(), {}) == a / "lockstep-fixture.so");
  CHECK(found_with(b.path().string() + ":" + a.path().string(), {}) == b / "lockstep-fixture.so");
  CHECK(found_with(":" + b.path().string(), {}) == b / "lockstep-fixture.so");
  // --plugin-path comes first.
  CHECK(found_with(a.path().string(), {flag.path()}) == flag / "lockstep-fixture.so");

  // And load() loads the one found.
  ScopedEnv scoped("LOCKSTEP_PLUGIN_PATH", b.path().string() + ":" + a.path().string());
  Setup setup(PluginLoader::search_dirs({}));
  REQUIRE(setup.loader.load("fixture", {}, setup.diagnostics));
  REQUIRE(setup.registry.find_plugin("fixture") != nullptr);
  CHECK(setup.registry.find_plugin("fixture")->path == fs::canonical(b / "lockstep-fixture.so"));
}

TEST_CASE("available lists every lockstep-*.so, the first of each name", "[loader]") {
  ScratchDir mine;
  fs::copy_file(fixture_file("fixture"), mine / "lockstep-fixture.so");
  fs::copy_file(fixture_file("fixture"), mine / "lockstep-extra.so");
  fs::copy_file(fixture_file("fixture"), mine / "libsomething.so");    // not a plugin's name
  fs::copy_file(fixture_file("fixture"), mine / "lockstep-.so");       // no name
  fs::copy_file(fixture_file("fixture"), mine / "lockstep-old.so.1");  // not .so
  fs::create_directory(mine / "lockstep-dir.so");                      // not a file
  Registry registry;
  PluginLoader loader(
      registry, {mine.path(), fixture_dir("fixture"), fixture_dir("dup"), mine / "does-not-exist"});
  CHECK(loader.available() ==
        std::vector<fs::path>{fixture_file("dup", "dup_a"), fixture_file("dup", "dup_b"),
                              mine / "lockstep-extra.so", mine / "lockstep-fixture.so"});
}

// ---- loading --------------------------------------------------------------------------------

TEST_CASE("the core plugin is found next to liblockstep and loaded", "[loader][core]") {
  ScopedEnv env("LOCKSTEP_PLUGIN_PATH", std::nullopt);
  Setup setup(PluginLoader::search_dirs({}));
  bool loaded = setup.loader.load_core(setup.diagnostics);
  INFO("core must be built into " << bundled_dir() << "\n" << setup.diagnostics.to_string());
  REQUIRE(loaded);
  CHECK_FALSE(setup.diagnostics.has_errors());
  const auto* core = setup.registry.find_plugin("core");
  REQUIRE(core != nullptr);
  CHECK(core->path.parent_path() == bundled_dir());
  CHECK(core->lockstep_version == kVersionString);
  CHECK(setup.registry.lookup_job_type("core.noop").job_type != nullptr);
  CHECK(setup.registry.lookup_job_type("sleep").job_type != nullptr);
}

TEST_CASE("a good plugin is loaded by name: its types, version and path", "[loader]") {
  Setup setup({fixture_dir("fixture")});
  REQUIRE(setup.loader.load("fixture", {}, setup.diagnostics));
  CHECK(setup.diagnostics.all().empty());
  CHECK(type_names(setup.registry) ==
        std::vector<std::string>{"fixture.ctor_throws", "fixture.hello", "fixture.run_throws"});
  REQUIRE(setup.registry.plugins().size() == 1);
  const auto& info = setup.registry.plugins().front();
  CHECK(info.name == "fixture");
  CHECK(info.version == "1.2.3");
  CHECK(info.lockstep_version == kVersionString);
  CHECK(info.path == fs::canonical(fixture_file("fixture")));
  CHECK(info.path.is_absolute());
  const auto* hello = setup.registry.lookup_job_type("hello").job_type;
  REQUIRE(hello != nullptr);
  REQUIRE(hello->declaration.params.size() == 1);
  CHECK(hello->declaration.params[0].name() == "name");
}

TEST_CASE("a plugin is loaded by path, whatever the search directories", "[loader]") {
  Setup setup({});
  REQUIRE(setup.loader.load(fixture_file("fixture").string(), {}, setup.diagnostics));
  CHECK(setup.registry.lookup_job_type("fixture.hello").job_type != nullptr);
}

TEST_CASE("loading the same file twice is a no-op", "[loader]") {
  ScratchDir links;
  fs::create_symlink(fixture_file("fixture"), links / "lockstep-fixture.so");
  Setup setup({fixture_dir("fixture"), links.path()});
  REQUIRE(setup.loader.load("fixture", {}, setup.diagnostics));
  CHECK(setup.loader.load("fixture", {}, setup.diagnostics));
  CHECK(setup.loader.load(fixture_file("fixture").string(), {}, setup.diagnostics));
  CHECK(setup.loader.load((links / "lockstep-fixture.so").string(), {}, setup.diagnostics));
  INFO(setup.diagnostics.to_string());
  CHECK(setup.diagnostics.all().empty());
  CHECK(setup.registry.plugins().size() == 1);
  CHECK(setup.registry.job_types().size() == 3);
}

TEST_CASE("two registries each get the plugin's types", "[loader]") {
  Setup first({fixture_dir("fixture")});
  Setup second({fixture_dir("fixture")});
  REQUIRE(first.loader.load("fixture", {}, first.diagnostics));
  REQUIRE(second.loader.load("fixture", {}, second.diagnostics));
  CHECK(first.registry.job_types().size() == 3);
  CHECK(second.registry.job_types().size() == 3);
}

// ---- every way a plugin can be broken -----------------------------------------------------

TEST_CASE("a plugin that is not found lists every path tried", "[loader][errors]") {
  ScratchDir a, b;
  Setup setup({a.path(), b.path()});
  CHECK_FALSE(setup.loader.load("nope", {"pipe.yaml", 3, 7}, setup.diagnostics));
  const auto& d = only_error(setup.diagnostics);
  CHECK(d.where.file == "pipe.yaml");
  CHECK(d.where.line == 3);
  CHECK(d.where.column == 7);
  CHECK(d.message == "plugin 'nope' not found");
  CHECK_THAT(d.hint, Contains((a / "lockstep-nope.so").string()) &&
                         Contains((b / "lockstep-nope.so").string()) &&
                         Contains("LOCKSTEP_PLUGIN_PATH"));
  CHECK_THAT(format(d), Contains("pipe.yaml:3:7: error: plugin 'nope' not found ("));
}

TEST_CASE("a path that does not exist is not found, showing the path", "[loader][errors]") {
  Setup setup({fixture_dir("fixture")});
  CHECK_FALSE(setup.loader.load("/no/such/dir/lockstep-x.so", {}, setup.diagnostics));
  const auto& d = only_error(setup.diagnostics);
  CHECK(d.message == "plugin '/no/such/dir/lockstep-x.so' not found");
  CHECK_THAT(d.hint, Contains("/no/such/dir/lockstep-x.so"));
}

TEST_CASE("with no directories at all, not found says so", "[loader][errors]") {
  Setup setup({});
  CHECK_FALSE(setup.loader.load("nope", {}, setup.diagnostics));
  CHECK_THAT(only_error(setup.diagnostics).hint, Contains("no plugin directories"));
}

TEST_CASE("a shared library without a manifest is not a lockstep plugin", "[loader][errors]") {
  auto d = load_broken("no_manifest");
  CHECK_THAT(d.message, Contains(fs::canonical(fixture_file("no_manifest")).string()) &&
                            Contains("is not a lockstep plugin") &&
                            Contains("exports no lockstep_plugin_manifest"));
  CHECK_THAT(d.hint, Contains("LOCKSTEP_PLUGIN"));
}

TEST_CASE("a file that is not a shared library shows the loader's reason", "[loader][errors]") {
  ScratchDir dir;
  { std::ofstream(dir / "lockstep-text.so") << "not an ELF file\n"; }
  Setup setup({dir.path()});
  CHECK_FALSE(setup.loader.load("text", {}, setup.diagnostics));
  const auto& d = only_error(setup.diagnostics);
  CHECK_THAT(d.message, Contains("cannot load plugin 'text'") &&
                            Contains((dir / "lockstep-text.so").string()));
  INFO(d.message);
  // dlerror's own words, not just Boost's "Bad file descriptor".
  CHECK_THAT(d.message, Contains("ELF") || Contains("too short"));
}

TEST_CASE("an ABI mismatch shows both versions and registers nothing", "[loader][errors]") {
  auto d = load_broken("abi_mismatch");
  CHECK_THAT(d.message, Contains("plugin ABI version 999") &&
                            Contains("plugin ABI version " + std::to_string(kPluginAbiVersion)) &&
                            Contains(std::string("this lockstep (") + kVersionString + ")"));
  CHECK_THAT(d.hint, Contains("rebuild the plugin against lockstep") && Contains(kVersionString));
}

TEST_CASE("a plugin built against another ABI is refused with both ABI versions",
          "[loader][errors]") {
  auto d = load_broken("other_abi");
  INFO(d.message);
  CHECK_THAT(d.message, Contains("cannot load plugin 'other_abi'") &&
                            Contains("it was built for plugin ABI version 2") &&
                            Contains("this lockstep (" + std::string(kVersionString) +
                                     ") has plugin ABI version " +
                                     std::to_string(kPluginAbiVersion)));
  CHECK_THAT(d.hint, Contains("rebuild the plugin against lockstep") && Contains(kVersionString));
}

TEST_CASE("an unresolved symbol fails at load with the dlerror text", "[loader][errors]") {
  auto d = load_broken("unresolved");
  CHECK_THAT(d.message, Contains("cannot load plugin 'unresolved'") &&
                            Contains("undefined symbol") &&
                            Contains("lockstep_fixture_undefined_function"));
  CHECK_THAT(d.hint, Contains("link what it needs"));
}

TEST_CASE("a registration that throws shows its message and leaves no type behind",
          "[loader][errors]") {
  auto d = load_broken("register_throws");
  CHECK_THAT(d.message, Contains("plugin 'register_throws'") && Contains("failed to register") &&
                            Contains("register boom: the plugin's setup failed"));
}

TEST_CASE("a failed registration leaves the registry usable", "[loader][errors]") {
  Setup setup({fixture_dir("register_throws"), fixture_dir("fixture")});
  CHECK_FALSE(setup.loader.load("register_throws", {}, setup.diagnostics));
  REQUIRE(setup.loader.load("fixture", {}, setup.diagnostics));
  CHECK(setup.diagnostics.error_count() == 1);
  CHECK(type_names(setup.registry) ==
        std::vector<std::string>{"fixture.ctor_throws", "fixture.hello", "fixture.run_throws"});
  REQUIRE(setup.registry.plugins().size() == 1);
  CHECK(setup.registry.plugins()[0].name == "fixture");
  CHECK(setup.registry.plugins()[0].job_types.size() == 3);
  // Trying again fails again, the same way: nothing half-registered got in the way.
  CHECK_FALSE(setup.loader.load("register_throws", {}, setup.diagnostics));
  CHECK(setup.diagnostics.error_count() == 2);
  CHECK(setup.diagnostics.all()[0].message == setup.diagnostics.all()[1].message);
}

TEST_CASE("a type registered twice fails the plugin", "[loader][errors]") {
  auto d = load_broken("duplicate_type");
  CHECK_THAT(d.message, Contains("plugin 'duplicate_type'") &&
                            Contains("'duplicate_type.twice' is registered twice"));
}

TEST_CASE("a default of the wrong type fails the plugin", "[loader][errors]") {
  auto d = load_broken("bad_default");
  CHECK_THAT(d.message,
             Contains("plugin 'bad_default'") && Contains("default of parameter 'count'"));
  CHECK_THAT(d.message, !Contains("failed to register: plugin 'bad_default'"));  // said once
}

TEST_CASE("two files with the same plugin name: an error naming both paths", "[loader][errors]") {
  Setup setup({fixture_dir("dup")});
  REQUIRE(setup.loader.load(fixture_file("dup", "dup_a").string(), {}, setup.diagnostics));
  CHECK_FALSE(setup.loader.load(fixture_file("dup", "dup_b").string(), {"pipe.yaml", 2, 5},
                                setup.diagnostics));
  const auto& d = only_error(setup.diagnostics);
  CHECK(d.where.line == 2);
  CHECK_THAT(d.message, Contains("two plugins are named 'dup'") &&
                            Contains(fs::canonical(fixture_file("dup", "dup_a")).string()) &&
                            Contains(fs::canonical(fixture_file("dup", "dup_b")).string()));
  // The first one stays; nothing of the second got in.
  CHECK(type_names(setup.registry) == std::vector<std::string>{"dup.variant_a"});
  REQUIRE(setup.registry.plugins().size() == 1);
  CHECK(setup.registry.plugins()[0].path == fs::canonical(fixture_file("dup", "dup_a")));
}

TEST_CASE("a plugin found by name must declare that name", "[loader][errors]") {
  Setup setup({fixture_dir("dup")});
  CHECK_FALSE(setup.loader.load("dup_a", {"pipe.yaml", 3, 7}, setup.diagnostics));
  const auto& d = only_error(setup.diagnostics);
  CHECK(d.where.line == 3);
  CHECK_THAT(d.message, Contains("plugin 'dup_a'") && Contains("declares plugin 'dup'"));
  CHECK_THAT(d.hint, Contains("lockstep-dup.so"));
  CHECK(setup.registry.plugins().empty());
}

TEST_CASE("one load's failure does not stop the others: all errors are collected",
          "[loader][errors]") {
  Setup setup({fixture_dir("no_manifest"), fixture_dir("abi_mismatch"), fixture_dir("fixture")});
  CHECK_FALSE(setup.loader.load("no_manifest", {"p.yaml", 1, 1}, setup.diagnostics));
  CHECK_FALSE(setup.loader.load("abi_mismatch", {"p.yaml", 2, 1}, setup.diagnostics));
  CHECK(setup.loader.load("fixture", {"p.yaml", 3, 1}, setup.diagnostics));
  CHECK_FALSE(setup.loader.load("missing", {"p.yaml", 4, 1}, setup.diagnostics));
  CHECK(setup.diagnostics.error_count() == 3);
  CHECK(setup.registry.plugins().size() == 1);
}

}  // namespace
}  // namespace lockstep::test
