// tools/fuzz/fuzz_pipeline.cpp — libFuzzer entry point: any bytes through parse_pipeline().
//
//   tools/fuzz/run 60        # builds the fuzz preset and fuzzes for 60 s from a seed corpus
//
// The loader's promise is that every input ends as a Pipeline or as diagnostics. A crash, a hang,
// a leak, a sanitizer report or an exception escaping parse_pipeline() breaks it, so nothing here
// catches: an escaping exception aborts, and libFuzzer saves the input that did it.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/yaml_source.hpp"
#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/pipeline/pipeline_loader.hpp"
#include "lockstep/pipeline/plugin_loader.hpp"
#include "lockstep/plugin/registry.hpp"

namespace {

constexpr const char* kFile = "fuzz.yaml";

// PluginLoader dlopens a plugin entry with a '/' or a ".so" as a path: an input must not make the
// fuzzer load whatever library of the machine it names, not even through a ${...} that becomes a
// path once substituted. Only plain names get through; they are looked up in the build's plugin
// directory alone, which holds core and examples. (A list or a map is refused by the loader.)
bool is_plain_name(const lockstep::config::YamlNode& entry) {
  return !entry.is_scalar() || std::ranges::all_of(entry.text, [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

// The check reads the tree the loader reads, so that no trick of YAML syntax (an escape, an
// alias, a tag) slips a path past it.
bool loads_only_named_plugins(std::string_view text) {
  lockstep::Diagnostics ignored;
  const auto root = lockstep::config::parse_yaml(text, kFile, ignored);
  if (!root || !root->is_map()) return true;
  const auto* plugins = root->find("plugins");
  if (plugins == nullptr || !plugins->is_list()) return true;
  return std::ranges::all_of(plugins->items, is_plain_name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!loads_only_named_plugins(text)) return -1;  // -1: libFuzzer keeps it out of the corpus

  // A registry per input: a plugin one input loaded must not change what the next one means.
  lockstep::Registry registry;
  lockstep::PluginLoader loader(registry, {LOCKSTEP_FUZZ_PLUGIN_DIR});
  // A fixed environment: ${env.NAME} must not depend on the shell that runs the fuzzer.
  const lockstep::PipelineOptions options{
      .set_vars = {}, .environment = lockstep::StringMap{{"HOME", "/home/fuzz"}, {"USER", "fuzz"}}};
  lockstep::Diagnostics diagnostics;
  const auto pipeline = lockstep::parse_pipeline(text, kFile, options, loader, diagnostics);
  // Either a pipeline or the errors that prevented it, never both or neither; every diagnostic
  // printable, with no negative position.
  if (pipeline.has_value() == diagnostics.has_errors()) __builtin_trap();
  for (const auto& diagnostic : diagnostics.all()) {
    if (diagnostic.where.line < 0 || diagnostic.where.column < 0) __builtin_trap();
    static_cast<void>(lockstep::format(diagnostic));
  }
  return 0;
}
