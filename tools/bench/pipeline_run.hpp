// pipeline_run.hpp — the `pipeline_range` case's lockstep side: what `lockstep run` does with a
// pipeline of one `range` fan-out of core.noop jobs (load the YAML and its plugins, check it,
// run it), in this process.
#pragma once

#include <cstddef>
#include <string>

namespace lockstep_bench {

// The YAML of the case: `instances` core.noop jobs on one bulkhead of `workers`.
std::string noop_range_pipeline(std::size_t instances, int workers);

// Loads and runs that pipeline from a file written for the purpose; returns the nanoseconds from
// reading the file to the end of the run. With `progress`, a ProgressPrinter in terminal mode
// paints its line to /dev/null meanwhile, as `lockstep run` does on a terminal (its cost is what
// is measured). Throws std::runtime_error when the pipeline does not load or an instance did not
// succeed.
// With `journal`, a RunJournal writes to a file in the temporary directory, as `lockstep run`
// does to RUN_DIR/journal.
double run_noop_range_pipeline(std::size_t instances, int workers, bool progress = false,
                               bool journal = false);

}  // namespace lockstep_bench
