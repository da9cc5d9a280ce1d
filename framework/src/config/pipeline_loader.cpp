// The whole file: top-level keys, vars, then ${...} references in every other value, plugins,
// bulkheads, defaults and the stages; every mistake collected, a Pipeline returned only when
// there was none.
#include "lockstep/pipeline/pipeline_loader.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <tuple>

#include "config/bulkheads.hpp"
#include "config/job_reader.hpp"
#include "config/load_context.hpp"
#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "config/secrets.hpp"
#include "config/stage_reader.hpp"
#include "config/vars.hpp"
#include "config/yaml_source.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

namespace fs = std::filesystem;
using namespace config;

void read_version(const YamlNode& root, Diagnostics& diagnostics) {
  const auto* version = require_key(root, "version", "", diagnostics);
  if (version == nullptr) return;
  auto text = read_scalar(*version, "'version'", diagnostics);
  if (text && *text != "1") {
    diagnostics.error(version->where, "unsupported version " + quoted_value(*version),
                      "this lockstep reads version 1");
  }
}

// A plugin written as a relative path is relative to the pipeline's directory, not the
// directory lockstep runs in: the pipeline can then be run from anywhere.
std::string plugin_location(const std::string& name, const fs::path& base_dir) {
  const bool is_path = name.find('/') != std::string::npos || name.ends_with(".so");
  if (!is_path || fs::path(name).is_absolute()) return name;
  return (base_dir / name).lexically_normal().string();
}

void load_plugins(const YamlNode* node, PluginLoader& loader, LoadContext& context) {
  auto& diagnostics = context.diagnostics;
  if (!loader.load_core(diagnostics)) context.failed_plugins.push_back("core");
  if (node == nullptr || node->is_null()) return;
  if (!expect(*node, YamlNode::Kind::list, "'plugins'", diagnostics)) return;
  for (const auto& item : node->items) {
    // Its name unknown, the plugin may be any: its jobs' types get no second error.
    if (item.unresolved) context.failed_plugins.emplace_back(kAnyPlugin);
    auto name = read_scalar(item, "a plugin", diagnostics);
    if (!name) continue;
    if (!loader.load(plugin_location(*name, context.base_dir), item.where, diagnostics)) {
      auto stem = fs::path(*name).stem().string();
      if (stem.starts_with("lockstep-")) stem.erase(0, 9);
      if (stem.starts_with("lib")) stem.erase(0, 3);
      context.failed_plugins.push_back(stem);
    }
  }
}

// A stage, job or list of them of the wrong kind is refused whole: not substituted, so that
// its mistake is not echoed by the references inside it.
void substitute_in_job(YamlNode& job, const Scope& scope, Diagnostics& diagnostics) {
  if (!job.is_map()) return;
  for (auto& entry : job.entries) {
    if (entry.key != "params" && entry.key != "if") {
      substitute_in_place(entry.value, scope, diagnostics);
    }
  }
}

void substitute_in_stage(YamlNode& stage, const Scope& scope, Diagnostics& diagnostics) {
  if (!stage.is_map()) return;
  for (auto& entry : stage.entries) {
    if (entry.key == "if") continue;  // its references are operands: config/condition_reader.cpp
    if (entry.key != "jobs") {
      substitute_in_place(entry.value, scope, diagnostics);
    } else if (entry.value.is_list()) {
      for (auto& job : entry.value.items) substitute_in_job(job, scope, diagnostics);
    }
  }
}

// ${vars.*} and ${env.*} in every value of the file, so that any key can take one, except in
// `vars` (resolved already, in written order) and in the jobs' `params` (read with their
// per-instance references, which the runner fills in) and `if` (whose references are operands,
// not text). Keys are never substituted.
void substitute_references(YamlNode& root, LoadContext& context) {
  const Scope scope{.vars = &context.vars,
                    .env = &context.env,
                    .outside_params = true,
                    .budget = &context.substitution_budget};
  auto& diagnostics = context.diagnostics;
  for (auto& entry : root.entries) {
    if (entry.key == "vars" || entry.key == "secrets") continue;
    if (entry.key != "stages") {
      substitute_in_place(entry.value, scope, diagnostics);
    } else if (entry.value.is_list()) {
      for (auto& stage : entry.value.items) substitute_in_stage(stage, scope, diagnostics);
    }
  }
}

void read_defaults(const YamlNode* node, LoadContext& context) {
  if (node == nullptr || node->is_null()) return;
  auto& diagnostics = context.diagnostics;
  if (!expect(*node, YamlNode::Kind::map, "'defaults'", diagnostics)) return;
  const std::string owner = " in 'defaults'";
  check_keys(*node, {"bulkhead", "timeout", "grace", "retry", "continue_on_error", "allow_empty"},
             owner, diagnostics);
  auto& defaults = context.defaults;
  if (const auto* bulkhead = node->find("bulkhead")) {
    defaults.bulkhead = read_bulkhead_name(*bulkhead, field("bulkhead", owner), context);
  }
  if (const auto* timeout = node->find("timeout")) {
    defaults.timeout = read_duration(*timeout, field("timeout", owner), true, diagnostics);
  }
  if (const auto* grace = node->find("grace")) {
    defaults.grace = read_duration(*grace, field("grace", owner), false, diagnostics);
  }
  if (const auto* retry = node->find("retry")) {
    defaults.retry = read_retry(*retry, owner, defaults.retry, diagnostics);
  }
  if (const auto* continue_on_error = node->find("continue_on_error")) {
    defaults.continue_on_error =
        read_boolean(*continue_on_error, field("continue_on_error", owner), diagnostics)
            .value_or(false);
  }
  if (const auto* allow_empty = node->find("allow_empty")) {
    defaults.allow_empty =
        read_boolean(*allow_empty, field("allow_empty", owner), diagnostics).value_or(true);
  }
}

// Pipeline::bulkheads: every declared one, and `default` when a job uses it undeclared. A
// declared bulkhead that no job uses is probably a mistake: a warning (only for an otherwise good
// pipeline, where it cannot be the echo of a misspelt bulkhead name).
void settle_bulkheads(std::vector<BulkheadSpec> declared, Pipeline& pipeline,
                      Diagnostics& diagnostics) {
  auto used = [&](const std::string& name) {
    return std::ranges::any_of(pipeline.stages, [&](const StageSpec& stage) {
      return std::ranges::any_of(stage.jobs,
                                 [&](const JobSpec& job) { return job.bulkhead == name; });
    });
  };
  for (const auto& bulkhead : declared) {
    if (!used(bulkhead.name)) {
      diagnostics.warning(bulkhead.where,
                          "bulkhead '" + bulkhead.name + "' is not used by any job");
    }
  }
  const bool default_declared = std::ranges::any_of(
      declared, [](const BulkheadSpec& bulkhead) { return bulkhead.name == "default"; });
  if (!default_declared && used("default")) declared.push_back(implicit_default_bulkhead());
  pipeline.bulkheads = std::move(declared);
}

// Readers report in the order they read, which is not always the order of the file: people
// read a list of mistakes top to bottom. What has no position in the file (--set, the core
// plugin) comes first.
void append_in_file_order(const Diagnostics& found, const std::string& file,
                          Diagnostics& diagnostics) {
  auto list = found.all();
  std::ranges::stable_sort(list, {}, [&](const Diagnostic& d) {
    return std::tuple(d.where.file == file, d.where.line, d.where.column);
  });
  for (auto& diagnostic : list) diagnostics.add(std::move(diagnostic));
}

std::optional<Pipeline> read_pipeline(std::string_view text, const std::string& file,
                                      const PipelineOptions& options, PluginLoader& loader,
                                      Diagnostics& diagnostics) {
  auto root = parse_yaml(text, file, diagnostics);
  if (!root) return std::nullopt;
  if (root->is_null()) {
    diagnostics.error({file, 1, 1}, "the pipeline is empty",
                      "it needs at least 'version: 1' and 'stages'");
    return std::nullopt;
  }
  if (!expect(*root, YamlNode::Kind::map, "a pipeline", diagnostics)) return std::nullopt;
  check_keys(*root,
             {"version", "name", "description", "plugins", "threads", "secrets", "vars",
              "bulkheads", "defaults", "stages"},
             "", diagnostics);

  LoadContext context{.diagnostics = diagnostics, .registry = loader.registry()};
  context.base_dir = fs::path(file).parent_path();
  context.env = options.environment ? *options.environment : process_environment();
  // Secrets first: registered for masking before any message could quote one.
  context.secrets = read_secrets(root->find("secrets"), context.env, diagnostics);
  context.vars = resolve_vars(root->find("vars"), options.set_vars, context.env,
                              context.substitution_budget, context.vars_from_outside, diagnostics);
  substitute_references(*root, context);
  // Past the budget, every later reference fails too: what would follow is only that echo.
  if (context.substitution_budget.exceeded) return std::nullopt;
  read_version(*root, diagnostics);

  Pipeline pipeline;
  pipeline.file = file;
  pipeline.name = fs::path(file).stem().string();
  if (const auto* name = root->find("name")) {
    if (auto value = read_scalar(*name, "'name'", diagnostics)) pipeline.name = *value;
  }
  if (const auto* description = root->find("description")) {
    if (auto value = read_scalar(*description, "'description'", diagnostics)) {
      pipeline.description = *value;
    }
  }
  if (const auto* threads = root->find("threads")) {
    pipeline.threads = read_threads(*threads, diagnostics);
  }
  load_plugins(root->find("plugins"), loader, context);
  pipeline.vars = context.vars;
  for (const auto& [name, value] : context.secrets) pipeline.secrets.push_back(name);

  std::vector<BulkheadSpec> declared;
  if (const auto* bulkheads = root->find("bulkheads")) {
    const auto errors = diagnostics.error_count();
    declared = read_bulkheads(*bulkheads, diagnostics);
    // Only of good numbers: a refused `workers` or `threads` would be counted twice.
    const bool threads_ok = root->find("threads") == nullptr || pipeline.threads.has_value();
    if (diagnostics.error_count() == errors && threads_ok) {
      check_total_workers(*bulkheads, declared, pipeline.threads, diagnostics);
    }
  }
  for (const auto& bulkhead : declared) context.bulkheads.push_back(bulkhead.name);
  if (std::ranges::find(context.bulkheads, "default") == context.bulkheads.end()) {
    context.bulkheads.push_back("default");
  }
  read_defaults(root->find("defaults"), context);

  if (const auto* stages = require_key(*root, "stages", "", diagnostics)) {
    pipeline.stages = read_stages(*stages, context);
  }
  if (diagnostics.has_errors()) return std::nullopt;
  settle_bulkheads(std::move(declared), pipeline, diagnostics);
  return pipeline;
}

constexpr std::string_view kTooLargeHint =
    "a pipeline describes its jobs; let a fan-out (foreach) make many instances of one";

std::string too_large(std::uintmax_t size) {
  return "the pipeline is " + std::to_string(size) + " bytes, more than the " +
         std::to_string(kMaxPipelineBytes >> 20) + " MiB lockstep reads";
}

std::string describe_file_type(fs::file_type type) {
  switch (type) {
    case fs::file_type::directory:
      return "a directory";
    case fs::file_type::character:
      return "a character device (like /dev/zero)";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::fifo:
      return "a FIFO (a named pipe)";
    case fs::file_type::socket:
      return "a socket";
    default:
      return "not a regular file";
  }
}

}  // namespace

std::optional<Pipeline> parse_pipeline(std::string_view text, const std::string& file,
                                       const PipelineOptions& options, PluginLoader& loader,
                                       Diagnostics& diagnostics) {
  if (text.size() > kMaxPipelineBytes) {
    diagnostics.error({file, 0, 0}, too_large(text.size()), std::string(kTooLargeHint));
    return std::nullopt;
  }
  Diagnostics found;
  auto pipeline = read_pipeline(text, file, options, loader, found);
  append_in_file_order(found, file, diagnostics);
  return pipeline;
}

std::optional<Pipeline> load_pipeline(const fs::path& file, const PipelineOptions& options,
                                      PluginLoader& loader, Diagnostics& diagnostics) {
  // Looked at before it is opened: opening a FIFO waits for a writer, and /dev/zero never ends.
  std::error_code error;
  const auto status = fs::status(file, error);
  if (status.type() != fs::file_type::regular && status.type() != fs::file_type::not_found) {
    diagnostics.error({file.string(), 0, 0},
                      "is " + describe_file_type(status.type()) + ", not a pipeline file",
                      status.type() == fs::file_type::fifo
                          ? "lockstep reads a pipeline from a regular file: save the text to one"
                          : "give the YAML file of a pipeline");
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diagnostics.error({file.string(), 0, 0}, "cannot read the pipeline file",
                      fs::exists(file) ? "is it readable?" : "no such file");
    return std::nullopt;
  }
  const auto size = fs::file_size(file, error);
  if (!error && size > kMaxPipelineBytes) {
    diagnostics.error({file.string(), 0, 0}, too_large(size), std::string(kTooLargeHint));
    return std::nullopt;
  }
  // Never more than one byte past the limit, even if the file grew since.
  std::string text(
      std::min<std::uintmax_t>(error ? kMaxPipelineBytes : size, kMaxPipelineBytes) + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_pipeline(text, file.string(), options, loader, diagnostics);
}

}  // namespace lockstep
