// lockstep/pipeline.hpp — load, check, run and observe whole pipelines from C++: what the
// `lockstep` command does, as a library.
//
//   lockstep::Registry registry;
//   lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
//   lockstep::Diagnostics diagnostics;
//   auto pipeline = lockstep::load_pipeline("pipe.yaml", {}, loader, diagnostics);
//   if (!pipeline) { std::cerr << diagnostics.to_string(); return lockstep::kExitError; }
//   lockstep::Runner runner(*pipeline);
//   return runner.run().exit_code();
//
// framework/examples/run_pipeline.cpp is a whole program of it, built and run by a test.
#pragma once

#include "lockstep/pipeline/cluster.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/html_report.hpp"
#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/journal.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/pipeline_loader.hpp"
#include "lockstep/pipeline/plugin_loader.hpp"
#include "lockstep/pipeline/progress.hpp"
#include "lockstep/pipeline/recorded_run.hpp"
#include "lockstep/pipeline/report.hpp"
#include "lockstep/pipeline/resume.hpp"
#include "lockstep/pipeline/reuse.hpp"
#include "lockstep/pipeline/run_dir.hpp"
#include "lockstep/pipeline/runner.hpp"
#include "lockstep/pipeline/trace.hpp"
#include "lockstep/plugin.hpp"
