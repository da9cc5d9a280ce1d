// lockstep/pipeline/resume.hpp — what `lockstep run --resume` takes over from an earlier run
// (its journal), and why every other instance runs again.
//
//   auto earlier = lockstep::read_journal(run_dir / "journal");
//   auto plan = lockstep::plan_resume(pipeline, registry.plugins(), earlier);
//   std::cerr << plan.explain();   // "fetch/get: 980 of 1,000 reused; 20 run again:" ...
//   lockstep::Runner runner(pipeline, {.reuse = &plan.reuse});
//   auto result = runner.run();    // result.reused == 980
//
// An instance is reused when the earlier run recorded it as succeeded and nothing it depends on
// changed: its job's type, the plugin's version and file, its parameters, its items, and the
// outputs it reads (an instance of a job that fans out over the outputs of a job that runs again
// runs again too). Its outputs come back from the journal. docs/resume.md has the rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/journal.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/reuse.hpp"
#include "lockstep/plugin/registry.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// Why some instances of a job run again, and how many: "failed last time",
// "param 'path' changed: 'a' -> 'b'", "reads outputs of 'fetch/get', which runs again".
struct RerunReason {
  std::string why{};
  std::uint64_t count = 0;  // 0 when the number is not known before the run (from_outputs)
};

struct JobResume {
  std::string label{};                       // "stage/job", "stage@2/job" in a repeated stage
  std::optional<std::uint64_t> instances{};  // this run's, when known before it runs
  std::uint64_t reused = 0;
  std::vector<RerunReason> reasons{};  // in the order first met
};

struct LOCKSTEP_API ResumePlan {
  Reuse reuse{};
  std::vector<JobResume> jobs{};  // in pipeline order, each iteration the earlier run recorded
  std::string earlier_run{};      // its id
  std::string note{};  // what makes the whole journal unusable ("" when none): then all run again
  // Per job, how many instances are reused and why the others run, grouped by reason.
  std::string explain() const;
};

LOCKSTEP_API ResumePlan plan_resume(const Pipeline& pipeline,
                                    const std::vector<PluginInfo>& plugins,
                                    const JournalContents& earlier);

}  // namespace lockstep::inline LOCKSTEP_ABI
