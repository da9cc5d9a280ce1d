// Under a cluster, the outputs a stage's instances published on each rank reach every rank at
// the stage's end: each rank writes down what its own instances published (the indices it
// claimed), rank 0 gathers and broadcasts them, and every rank publishes them all. An instance
// runs on exactly one rank, so no two ranks write the same instance's output, and the merged
// Outputs are those of a run in one process: by instance index, whichever rank ran it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/export.hpp"

namespace lockstep::run {

// One instance's list (or value: one element) under one key.
struct SharedOutput {
  std::string job;  // "stage.job", as Outputs::publish_list takes it
  std::uint64_t index = 0;
  std::string key;
  std::vector<std::string> values;

  bool operator==(const SharedOutput&) const = default;
};

// Texts that hold any bytes: each field as its length, ':', and its bytes. Texts of several
// ranks put one after another decode as all of their outputs.
LOCKSTEP_INTERNAL_API std::string encode_outputs(const std::vector<SharedOutput>& outputs);
// Throws std::runtime_error on a text encode_outputs() did not write.
LOCKSTEP_INTERNAL_API std::vector<SharedOutput> decode_outputs(std::string_view text);

}  // namespace lockstep::run
