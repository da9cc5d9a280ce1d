// lockstep/pipeline/instance_id.hpp — which instance of which job: one type, one text form.
//
//   lockstep::InstanceId id{.stage = "scan", .iteration = 2, .job = "hash", .index = 3};
//   std::string text = lockstep::to_string(id);         // "scan@2/hash[3]"
//   auto back = lockstep::parse_instance_id(text);      // == id; std::nullopt for other text
//   std::string stage = lockstep::stage_label("scan", 2);  // "scan@2": logs, progress, trace
//
// The text form is what logs, reports, traces, run-dir files and the journal show:
// "stage/job" — "@iteration" after the stage when the stage repeats, "[index]" after the job when
// it fans out. Stage names and job ids are letters, digits, '_' and '-', so the form parses back.
// The views refer to storage the caller keeps (the pipeline's names, or the parsed text).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct InstanceId {
  std::string_view stage{};
  int iteration = 0;  // of a repeated stage, from 1; 0 when the stage does not repeat
  std::string_view job{};
  std::optional<std::uint64_t> index{};  // in the job's fan-out; none when it does not fan out

  friend bool operator==(const InstanceId&, const InstanceId&) = default;
};

// "stage@2/job[3]".
LOCKSTEP_API std::string to_string(const InstanceId& id);
// Appends the text form, for hot paths that reuse a buffer.
LOCKSTEP_API void append_instance_id(std::string& out, const InstanceId& id);
// The id the text names, or std::nullopt when it is not an id's text form.
LOCKSTEP_API std::optional<InstanceId> parse_instance_id(std::string_view text);
// A stage as one iteration of it shows in logs and progress: "stage", or "stage@2" when it repeats
// (iteration > 0).
LOCKSTEP_API std::string stage_label(std::string_view stage, int iteration);

}  // namespace lockstep
