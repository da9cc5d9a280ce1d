// lockstep/pipeline/cluster.hpp — one pipeline run by several processes ("ranks") at once, each
// running a share of every stage's instances on its own bulkheads (docs/scale-out.md).
//
//   lockstep::Cluster& cluster = backend;  // e.g. the MPI backend's, from liblockstep-mpi
//   if (!lockstep::unsupported_on_cluster(pipeline).empty()) return lockstep::kExitError;
//   if (!lockstep::agree(cluster, my_problem).empty()) return lockstep::kExitError;  // any rank's
//   lockstep::Runner runner(pipeline, {.cluster = &cluster});
//   auto result = runner.run();  // every rank: the same counts, totals over all ranks
//
// The runner sees only this interface, no MPI type: RunOptions::cluster null (the default) is one
// process, and costs nothing. Every rank must call the collective functions in the same order;
// the runner does so by running stages one at a time under a cluster, in pipeline order.
//
// Besides claims and stage ends, the runner uses it to carry outputs across ranks (gather and
// broadcast at each stage's end: from_outputs, ${outputs.*}, if: and repeat.until read them on
// any rank), to stop a stage on every rank (stop(), on_stop(): on_failure: stop), and the
// command, to print every rank's failure lines on rank 0 (post(), receive(), by channel), and to
// run the stage kinds other than `parallel` on rank 0 with their instances on any rank (send(),
// on_message() to a rank; post() on Channel::stage back).
//
// After an interrupt the runner gives up waiting for ranks that do not come to a stage's end
// (give_up_waits_at(), RanksLost): they died, and rank 0 names what they held (claimed_by()).
// The runner forwards the other ranks' instance events to rank 0's observers that see other
// ranks (RunObserver::sees_other_ranks()) on Channel::events.
//
// This is a slice of issue 16. Later items extend it: the journal written by rank 0.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

class LOCKSTEP_API Cluster {
 public:
  virtual ~Cluster();

  virtual int rank() const noexcept = 0;  // this process's, from 0
  virtual int size() const noexcept = 0;  // how many ranks run the pipeline

  // Collective: every rank's text, in rank order, on rank 0; the other ranks get nothing.
  virtual std::vector<std::string> gather(const std::string& mine) = 0;
  // Collective: rank 0's text on every rank (what the others pass is ignored).
  virtual std::string broadcast(const std::string& text) = 0;
  // Collective: each value summed over all ranks, on every rank.
  virtual void sum(std::span<std::uint64_t> values) = 0;
  // Collective: returns once every rank has called it. Ranges (claim()) below `ranges_done`
  // are not used again.
  virtual void barrier(std::uint64_t ranges_done) = 0;

  // Not collective, from any thread: the next chunk [from, to) of shared range `range` (indices
  // [start, end), the same on every rank), none left when from == to. Each index goes to exactly
  // one rank. Chunks shrink as the range drains: about remaining / (2 x ranks x workers), at
  // least 1, `workers` being the asking rank's.
  struct Chunk {
    std::uint64_t from = 0, to = 0;
  };
  virtual Chunk claim(std::uint64_t range, std::uint64_t start, std::uint64_t end, int workers) = 0;

  // What a posted text is for: each channel has its own receiver on rank 0, so that the users
  // of post() need not share one.
  enum class Channel : std::uint8_t {
    failures,  // failure lines, printed by rank 0 (the command)
    events,    // run events, for rank 0's observers
    stage,     // a stage's own messages (its kind's logic runs on rank 0)
    ends,      // a rank's counts at an interrupted stage's end (summed if a rank is lost)
    progress,  // a rank's progress in the running stage, now and then (rank 0's progress line)
  };
  static constexpr std::size_t kChannels = 5;

  // Not collective, from any thread: `text` goes to rank 0's receiver of `channel` (receive()),
  // called there on a thread of the cluster's (rank 0's own post: on the caller's), texts of one
  // rank in the order it posted them, whatever their channels. Every text a rank posted before
  // it called barrier() has been received before barrier() returns on rank 0. Without a
  // receiver, texts are dropped.
  virtual void post(Channel channel, const std::string& text) = 0;
  // Rank 0: where texts posted on `channel` go, with the rank that posted each. Setting another
  // (an empty one to stop) waits for a call of the one before that is under way.
  using Receiver = std::function<void(int rank, const std::string& text)>;
  virtual void receive(Channel channel, Receiver receiver) = 0;

  // Not collective, from any thread: stops `key` on every rank. Each rank's stopper (on_stop())
  // is called with it soon after, on a thread of the cluster's, also on the rank that called.
  // The runner's keys are stage iterations (their first claim range).
  virtual void stop(std::uint64_t key) = 0;
  // Every rank: what a stop calls. Setting another (an empty one to stop) waits for a call of
  // the one before that is under way.
  using Stopper = std::function<void(std::uint64_t key)>;
  virtual void on_stop(Stopper stopper) = 0;
  // The key of stop() that interrupts the run on every rank (an interrupt of one rank's process,
  // not through mpirun, reaches the others so).
  static constexpr std::uint64_t kInterruptKey = ~std::uint64_t{0} - 1;

  // A rank that dies never comes to the stage's end: mpirun then interrupts the others (SIGTERM)
  // and kills them a second later. So after an interrupt, from any thread: barrier() and sum()
  // that have not returned by `deadline` throw RanksLost, and so does every collective call after
  // (MPI cannot be finalized then: the process should end). Default: waits are never given up.
  struct LOCKSTEP_API RanksLost : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  virtual void give_up_waits_at(std::chrono::steady_clock::time_point /*deadline*/) {}
  // Rank 0: the chunks `rank` claimed of ranges that barrier() did not end yet, with their range
  // (what a lost rank held). Default: none known.
  struct Claimed {
    std::uint64_t range = 0;
    Chunk chunk{};
  };
  virtual std::vector<Claimed> claimed_by(int /*rank*/) const { return {}; }

  // Rank 0 only, from any thread: `text` goes to rank `to`'s messenger (on_message()), called
  // there on a thread of the cluster's, texts in the order rank 0 sent them. What a stage kind
  // that runs on rank 0 uses to hand an instance to another rank (docs/stages.md). Without a
  // messenger, texts are dropped.
  virtual void send(int to, const std::string& text) = 0;
  // Every rank but 0: where texts sent by rank 0 go. Setting another (an empty one to stop)
  // waits for a call of the one before that is under way.
  using Messenger = std::function<void(const std::string& text)>;
  virtual void on_message(Messenger messenger) = 0;
};

// The size of the next chunk claim() hands out: about remaining / (2 x ranks x workers), at
// least 1; all that remains when `workers` is 0 (a rank that stops ends the rest itself).
LOCKSTEP_API std::uint64_t guided_chunk_size(std::uint64_t remaining, int ranks, int workers);

// Collective: each rank's `problem` ("" when it has none), combined on rank 0 into one line per
// rank that has one ("rank 2: ..."), and that text handed to every rank: "" when every rank is
// fine, so that every rank stops, or goes on, together.
LOCKSTEP_API std::string agree(Cluster& cluster, const std::string& problem);

// Collective: that every rank loaded the same pipeline file and plugin files as rank 0 (their
// contents' hashes), and without error (`load_error`: why this rank could not, else ""). "" when
// they all did, else agree()'s text: what differs, or why a rank failed, one line per rank
// ("rank 2: pipeline b.yaml differs from rank 0's a.yaml (hash ..., rank 0: ...)").
LOCKSTEP_API std::string same_pipeline_everywhere(Cluster& cluster,
                                                  const std::string& pipeline_file,
                                                  const std::vector<PluginInfo>& plugins,
                                                  const std::string& load_error);

// What of a pipeline cannot be carried across ranks, one line each ("pipe.yaml:9:16: ... is not
// supported under MPI yet"); empty when it can run on a cluster, which today every pipeline can.
// The runner refuses such a pipeline before any job runs (RunResult::error).
LOCKSTEP_API std::vector<std::string> unsupported_on_cluster(const Pipeline& pipeline);

}  // namespace lockstep::inline LOCKSTEP_ABI
