// lockstep/pipeline/journal.hpp — RUN_DIR/journal: a crash-safe record of what a run did, from
// which `--resume` and `lockstep report RUN_DIR` can work after kill -9 (docs/resume.md).
//
//   lockstep::RunJournal journal(run_dir / "journal",
//                                {.pipeline = &pipeline, .plugins = registry.plugins(),
//                                 .run_id = "pipe-20261127T041224-42"},
//                                &runner.outputs());
//   if (!journal.error().empty()) std::cerr << journal.error() << "\n";   // the run goes on
//   runner.observe(journal);
//   runner.run();   // records are appended in batches, fsync'd at most every 100 ms, at every
//                   // stage end and at the end of the run
//
//   auto read = lockstep::read_journal(run_dir / "journal");   // each record's JSON text
//   if (read.torn) warn("its last record was cut: ignored");
//
// Each record is one line: "CRC32 LENGTH JSON\n", CRC32 (8 hex digits) of the JSON text, LENGTH
// its size in bytes. A record whose line is cut, or whose length or checksum does not match,
// ends the journal: what follows it is ignored. A run of consecutive succeeded instances is one
// record ({"t":"ok","stage":..,"job":..,"from":A,"to":B,"start":..,"end":..,"slot":..}), so ten
// million core.noop instances write a few thousand records. Times are microseconds from the
// run record's `started`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/reuse.hpp"
#include "lockstep/pipeline/runner.hpp"
#include "lockstep/plugin/registry.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct JournalIdentity {
  const Pipeline* pipeline = nullptr;  // its file (path, content hash) and resolved vars
  std::vector<PluginInfo> plugins{};   // name, version, file hash
  std::string run_id{};
  // --resume: what this run takes over, written first (and synced) as `reused` records, so that
  // a run killed before it reached them still passes them on to the next --resume.
  const Reuse* reuse = nullptr;
};

// A RunObserver: thread-safe, cheap per instance (successes come as ranges, see
// RunObserver::instances_succeeded). Failures to write are kept in error(), never thrown.
class LOCKSTEP_API RunJournal final : public RunObserver {
 public:
  // Creates `file` (O_EXCL, never through a symlink: a journal is never appended to) and writes
  // the run's identity. `outputs` (may be null) is read at each stage end for what it published.
  RunJournal(std::filesystem::path file, JournalIdentity identity, const Outputs* outputs);
  ~RunJournal() override;  // writes what is buffered, syncs, closes
  RunJournal(const RunJournal&) = delete;
  RunJournal& operator=(const RunJournal&) = delete;

  Interest interest() const override { return Interest::failures; }
  bool wants_succeeded_ranges() const override { return true; }
  // Under MPI, rank 0's journal records the whole run: the other ranks' successes are written at
  // their stage's end, with the outputs they published (shared across ranks by then).
  bool sees_other_ranks() const override { return true; }
  // Their successes are not written: their outputs never came, and --resume runs them again.
  void ranks_lost(const std::vector<int>& ranks) override;
  void stage_started(const StageSpec& stage, int iteration) override;
  void attempt_ended(const AttemptEvent& attempt) override;  // those that did not succeed
  void instance_ended(const InstanceEvent& instance) override;
  void instances_succeeded(const SucceededRange& range) override;
  void stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) override;
  void run_ended(const RunResult& result) override;

  // The first error met ("" when none).
  std::string error() const;

  // A hash of a file's content ("" when it cannot be read): 16 hex digits (CRC-64/ECMA).
  static std::string file_hash(const std::filesystem::path& path);
  // A hash of parameters: their names and values as a user would write them.
  static std::string params_hash(const Params& params);

 private:
  void write_reused(const Pipeline& pipeline, const Reuse& reuse);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct JournalContents {
  std::vector<std::string> records{};  // each record's JSON text, in order
  bool torn = false;                   // a record was cut or corrupt: it and the rest ignored
  std::string error{};                 // the file could not be read
};
LOCKSTEP_API JournalContents read_journal(const std::filesystem::path& file);

}  // namespace lockstep::inline LOCKSTEP_ABI
