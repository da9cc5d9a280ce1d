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

namespace lockstep::run {

// One rank's counts at a stage's end: the stage iteration's key (its first claim range) and the
// values StageRun::join_ranks sums.
struct RankEnd {
  std::uint64_t key = 0;
  std::vector<std::uint64_t> values;

  bool operator==(const RankEnd&) const = default;
};

LOCKSTEP_INTERNAL_API std::string encode_rank_end(const RankEnd& end);
// Nothing for a text encode_rank_end() did not write.
LOCKSTEP_INTERNAL_API std::optional<RankEnd> decode_rank_end(std::string_view text);

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
