// `foreach:` of a job → FanOut, plus the sample instances its templated parameters are checked
// with at load time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config/load_context.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::config {

struct SampleInstance {
  std::uint64_t index = 0;
  Item item{};
};

struct ReadFanOut {
  FanOut fanout{};
  // items: every item when there are at most kMaxSamples, else the first; range: the first and
  // the last; matrix: the first combination; from_outputs, files: one with a placeholder item.
  std::vector<SampleInstance> samples{};
  // False when the samples' values are placeholders (from_outputs, files): only the names of
  // references can be checked, not the parameters' values.
  bool values_known = true;
  bool ok = true;
  // Where the items come from when the pipeline does not spell them out: "the outputs
  // 'scan.list.file'", "the file names of 'data/*'", "${env.LIST}", "--set vars.list"; "" when
  // it does. ${raw:item} of such items is warned about.
  std::string item_source{};
};

inline constexpr std::size_t kMaxSamples = 1000;

// `owner` is " in job 'get'". What a from_outputs names is checked with the stage graph
// (config/stage_graph.hpp), where every stage is known.
ReadFanOut read_foreach(const YamlNode& node, std::string_view owner, LoadContext& context);

}  // namespace lockstep::config
