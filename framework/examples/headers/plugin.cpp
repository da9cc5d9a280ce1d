// plugin — the usage examples of the plugin headers (<lockstep/plugin/*.hpp>) and of
// <lockstep/pipeline/plugin_loader.hpp>, each quoted verbatim from its header's leading comment
// (ctest example.header_usage_compiled checks that) and run. The job types of job.hpp and
// params.hpp are registered into the program's registry (as app.*); the plugins of plugin.hpp
// and stage.hpp (lockstep-hello.so, lockstep-mine.so) are loaded by path from the directory the
// test runs in. Exits non-zero when any example's result is wrong.
// The quoted lines sit between clang-format off and on: laid out as the header shows them.
#include <lockstep/pipeline.hpp>
#include <lockstep/plugin.hpp>

#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace job_hpp {

// clang-format off
class Greet final : public lockstep::Job {
 public:
  static lockstep::JobType type();                 // name, doc, parameters: see plugin.hpp
  explicit Greet(const lockstep::Params& params) : name_(params.get<std::string>("name")) {}
  void run(lockstep::JobContext& ctx) override {
    ctx.log().info("hello, ", name_, " (item ", ctx.item().value, ")");
    if (!ctx.sleep_for(std::chrono::seconds(1))) throw lockstep::Cancelled{};
    ctx.output("greeted", name_);               // later stages can read it
    ctx.output("parts", std::vector<std::string>{"a", "b"});  // ... or fan out over it
  }
 private:
  std::string name_;
};
// clang-format on

lockstep::JobType Greet::type() {
  return {"greet_item",
          "Logs a greeting with its item",
          {lockstep::ParamSpec::string("name").default_value("world")}};
}

}  // namespace job_hpp

namespace params_hpp {

// Publishes its greeting `times` times over, as one output.
class Greet final : public lockstep::Job {
 public:
  // clang-format off
  static lockstep::JobType type() {
    using lockstep::ParamSpec;
    return {"greet", "Logs a greeting",
            {ParamSpec::string("name").doc("who to greet").default_value("world"),
             ParamSpec::integer("times").doc("how often").range(1, 10).default_value(1),
             ParamSpec::string("tone").one_of({"warm", "formal"}).default_value("warm")}};
  }
  explicit Greet(const lockstep::Params& p)
      : name_(p.get<std::string>("name")), times_(p.get<std::int64_t>("times")) {}
  // clang-format on

  void run(lockstep::JobContext& ctx) override {
    std::string greeting;
    for (std::int64_t i = 0; i < times_; ++i) greeting += "hello " + name_ + ";";
    ctx.output("greeting", greeting);
  }

 private:
  std::string name_;
  std::int64_t times_;
};

}  // namespace params_hpp

namespace {

// Job log lines, kept for the checks.
class Lines final : public lockstep::LogSink {
 public:
  void write(std::string_view job_id, lockstep::Logger::Level /*level*/,
             std::string_view line) override {
    const std::scoped_lock lock(mutex_);
    text_ += std::string(job_id) + ": " + std::string(line) + "\n";
  }
  bool has(std::string_view part) const {
    const std::scoped_lock lock(mutex_);
    return text_.find(part) != std::string::npos;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

// Every kind of plugin code at once: a plugin's job type, the program's own two, and a stage of a
// plugin's kind whose first instance fails.
constexpr const char* kPlugins = R"(version: 1
name: plugins
stages:
  - name: greet
    jobs:
      - id: hello
        type: hello.greet
        params: { name: lockstep }
      - id: item
        type: app.greet_item
        params: { name: you }
        foreach: { items: [x, y] }
      - id: twice
        type: app.greet
        params: { name: p, times: 2 }
  - name: ordered
    kind: mine.one_by_one
    jobs:
      - id: fails
        type: core.fail
        foreach: { items: [a, b, c] }
)";

pid_t spawn_in_own_group() {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  char program[] = "/bin/true";
  char* argv[] = {program, nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, program, nullptr, &attr, argv, environ) != 0) pid = -1;
  posix_spawnattr_destroy(&attr);
  return pid;
}

int plugin_loader_hpp() {
  // clang-format off
  lockstep::Registry registry;
  const std::filesystem::path flags[] = {"./plugins"};  // the CLI's --plugin-path
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs(flags));
  lockstep::Diagnostics diags;
  loader.load_core(diags);
  loader.load("examples", {"pipe.yaml", 3, 12}, diags);   // by name: lockstep-examples.so
  loader.load("./lockstep-mine.so", {}, diags);            // by path
  if (diags.has_errors()) { std::cerr << diags.to_string(); return 2; }
  // clang-format on
  return registry.lookup_stage_kind("mine.one_by_one").kind != nullptr &&
                 registry.plugins().size() == 3
             ? 0
             : 1;
}

bool registry_hpp() {
  // clang-format off
  lockstep::Registry registry;
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diags;
  loader.load_core(diags);
  auto found = registry.lookup_job_type("sleep");     // bare names work when unambiguous
  if (!found.job_type) std::cerr << found.error << " " << found.hint << "\n";
  auto either = registry.lookup_declaration("stages.race");  // a job type or a stage kind
  // clang-format on
  // core.sleep is there; stages.race is not (the stages plugin is not loaded): an error.
  return found.job_type != nullptr && found.job_type->declaration.name == "sleep" &&
         !either.error.empty();
}

int diagnostics_hpp() {
  // clang-format off
  lockstep::Diagnostics diags;
  diags.error({"pipe.yaml", 12, 5}, "unknown key 'worker'", "did you mean 'workers'?");
  if (diags.has_errors()) {
    for (const auto& d : diags.all()) std::cerr << lockstep::format(d) << '\n';
    return 2;   // pipe.yaml:12:5: error: unknown key 'worker' (did you mean 'workers'?)
  }
  // clang-format on
  return 0;
}

bool diagnostics_format() {
  lockstep::Diagnostics diags;
  diags.error({"pipe.yaml", 12, 5}, "unknown key 'worker'", "did you mean 'workers'?");
  return lockstep::format(diags.all().at(0)) ==
         "pipe.yaml:12:5: error: unknown key 'worker' (did you mean 'workers'?)";
}

bool process_groups_hpp() {
  // clang-format off
  pid_t pid = spawn_in_own_group();         // posix_spawn with POSIX_SPAWN_SETPGROUP, group 0
  lockstep::note_group_started(pid);        // its group is SIGKILLed if lockstep dies first
  int status = 0;
  waitpid(pid, &status, 0);
  lockstep::note_group_reaped(pid);
  // clang-format on
  return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// params.hpp: the specs refuse a value out of range, with the job's name.
bool params_checked() {
  lockstep::Diagnostics diags;
  const auto type = params_hpp::Greet::type();
  std::vector<lockstep::RawEntry> given{{"times", lockstep::RawValue::scalar("11")}};
  lockstep::validate_params(type.params, given, {}, "job 'twice': ", diags);
  return diags.has_errors() && diags.to_string().find("times") != std::string::npos;
}

// plugin.hpp, manifest.hpp, job.hpp, params.hpp and stage.hpp: a pipeline of all of them.
bool run_plugins() {
  lockstep::Registry registry;
  registry.add_job<job_hpp::Greet>();     // app.greet_item
  registry.add_job<params_hpp::Greet>();  // app.greet
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diags;
  loader.load("./lockstep-hello.so", {}, diags);
  loader.load("./lockstep-mine.so", {}, diags);
  std::ofstream("plugins.yaml") << kPlugins;
  auto pipeline = lockstep::load_pipeline("plugins.yaml", {}, loader, diags);
  if (!pipeline) {
    std::cerr << diags.to_string();
    return false;
  }
  Lines lines;
  lockstep::Runner runner(*pipeline, {.log = &lines});
  const auto result = runner.run();
  const auto& greet = result.stages.at(0);
  const auto& ordered = result.stages.at(1);
  const auto& outputs = runner.outputs();
  const bool greeted =
      greet.counts[lockstep::JobState::succeeded] == 4 && lines.has("hello, lockstep") &&
      lines.has("hello, you (item y)") &&
      outputs.values("greet.item.greeted") == std::vector<std::string>{"you", "you"} &&
      outputs.values("greet.item.parts").size() == 4 &&
      outputs.values("greet.twice.greeting") == std::vector<std::string>{"hello p;hello p;"};
  // One by one: the first instance failed, so the other two were never dispatched.
  const bool one_by_one = ordered.counts[lockstep::JobState::failed] == 1 &&
                          ordered.counts[lockstep::JobState::skipped] == 2;
  if (!greeted) std::cerr << "plugin: the greetings are not what the examples say\n";
  if (!one_by_one) std::cerr << "plugin: mine.one_by_one did not stop after the failure\n";
  return greeted && one_by_one && result.exit_code() == lockstep::kExitFailures;
}

}  // namespace

int main() {
  int wrong = 0;
  auto check = [&wrong](const char* header, bool ok) {
    std::printf("lockstep/%s: %s\n", header, ok ? "ok" : "WRONG RESULT");
    wrong += ok ? 0 : 1;
  };
  check("pipeline/plugin_loader.hpp", plugin_loader_hpp() == 0);
  check("plugin/registry.hpp", registry_hpp());
  check("plugin/diagnostics.hpp", diagnostics_hpp() == 2 && diagnostics_format());
  check("plugin/process_groups.hpp", process_groups_hpp());
  check("plugin/params.hpp", params_checked());
  check("plugin.hpp, plugin/{manifest,job,params,stage}.hpp", run_plugins());
  return wrong == 0 ? 0 : 1;
}
