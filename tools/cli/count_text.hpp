// tools/cli/count_text.hpp — how the CLI tells about a job's fan-out and other counts.
// (How many instances: lockstep::instance_count() in lockstep/pipeline/pipeline.hpp.)
//
//   describe_fan_out(job.foreach); // "×1,000,000 range 0..1000000", "× outputs of s.j.k"
//   count_of(3, "stage");          // "3 stages"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::cli {

// "" without a fan-out; else the count (or its source) and the kind: "×3 items",
// "×4 matrix os × n", "× files data/*.txt".
std::string describe_fan_out(const FanOut& fan_out);

// 1000003 as "1,000,003".
std::string with_thousands(std::uint64_t number);

// "1 stage", "1,000 stages": `noun` takes an "s" unless the count is 1.
std::string count_of(std::uint64_t count, std::string_view noun);

}  // namespace lockstep::cli
