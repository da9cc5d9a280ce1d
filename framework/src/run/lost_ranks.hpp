// Under a cluster, a rank that dies never comes to a stage's end. mpirun then interrupts the
// other ranks (and kills them a second later), so after an interrupt each rank other than 0 also
// posts its stage counts to rank 0 (Cluster::Channel::ends) before the stage's barrier: should
// the barrier be given up (Cluster::RanksLost), rank 0 sums the counts that came, counts what
// the ranks that sent none held as failed, and names them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::run {

// One rank's counts in a stage iteration, by the iteration's key (its first claim range): at its
// end, the values StageRun::join_ranks sums; while it runs, its progress (progress_values()).
struct RankCounts {
  std::uint64_t key = 0;
  std::vector<std::uint64_t> values;

  bool operator==(const RankCounts&) const = default;
};

LOCKSTEP_INTERNAL_API std::string encode_rank_counts(const RankCounts& end);
// Nothing for a text encode_rank_counts() did not write.
LOCKSTEP_INTERNAL_API std::optional<RankCounts> decode_rank_counts(std::string_view text);

// A rank's StageProgress as numbers, for rank 0's progress line (Cluster::Channel::progress),
// and back: added to rank 0's own (total, name and elapsed stay rank 0's).
LOCKSTEP_INTERNAL_API std::vector<std::uint64_t> progress_values(const StageProgress& progress);
LOCKSTEP_INTERNAL_API void add_progress(StageProgress& progress,
                                        const std::vector<std::uint64_t>& values);

// Instances [from, to) of one job, by its id with index 0 ("stage/job[0]"; no index: a job
// without fan-out).
struct HeldRange {
  std::string first_id;
  std::uint64_t from = 0, to = 0;
};

// "long/nap[2], long/nap[5..9]": the ranges in order, at most `shown` of them, then "and N more
// instances".
LOCKSTEP_INTERNAL_API std::string held_text(std::vector<HeldRange> held, std::size_t shown = 10);

}  // namespace lockstep::run
