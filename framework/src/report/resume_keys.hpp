// What decides whether an instance of a job may be reused by `--resume`, as the journal records
// it and the resume planner compares it: a hash of the job's parameters (checked values and
// templates), and a hash of its items. Both are computed the same way on both sides.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::report {

// 16 hex digits (CRC-64/ECMA-182) of `bytes`.
LOCKSTEP_INTERNAL_API std::string hash_text(std::string_view bytes);

// The job's parameters as a person wrote them, by name: checked values, and templates as their
// text (still holding ${item} and the like).
LOCKSTEP_INTERNAL_API std::map<std::string, std::string> param_texts(const JobSpec& job);
// A hash of param_texts(job).
LOCKSTEP_INTERNAL_API std::string params_key(const JobSpec& job);

struct ItemsKey {
  std::string hash{};      // "" for from_outputs: those items are the outputs of an earlier job
  std::uint64_t size = 0;  // instances (for from_outputs: as `outputs` holds now)
};
// The job's items as its stage would find them now: range, items and matrix from the pipeline,
// files from the file system (the sorted paths).
LOCKSTEP_INTERNAL_API ItemsKey items_key(const JobSpec& job, const Outputs& outputs);

}  // namespace lockstep::report
