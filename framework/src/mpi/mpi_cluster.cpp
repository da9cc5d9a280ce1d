// liblockstep-mpi: lockstep::Cluster on MPI. The `lockstep` command dlopens it only when it was
// launched by mpirun or srun with more than one rank, so that a run without MPI neither loads nor
// initializes MPI (docs/scale-out.md).
//
// Chunks of a stage's instances are handed out by rank 0: a communication thread there answers
// each rank's request (a point-to-point message) from one counter per shared range, and rank 0's
// own feeders take theirs from the same counters under a lock. The thread waits for messages all
// run long, so requests are answered while rank 0's workers are busy in long jobs that never call
// MPI (passive-target RMA would progress only when rank 0 calls into MPI). Several feeders of one
// rank may ask at once: MPI_THREAD_MULTIPLE, each request carrying the tag its answer must come
// back with.
//
// The same thread receives the texts other ranks post (their failure lines) and the stops
// (on_failure: stop on some rank). A stop goes to rank 0, which tells every other rank: each of
// them has a thread that looks for such a notice every few milliseconds with MPI_Iprobe, so that
// a rank whose workers are busy in long jobs learns of it at once.
//
// No thread waits inside a blocking MPI call: Open MPI's blocking calls poll without pause, so
// the communication thread would take a core from rank 0's workers for the whole run, and ranks
// that share a machine would take turns by the scheduler's time slices (a stage round across 2
// ranks of one 2-core machine took 21 ms). Each wait is a nonblocking call completed by
// poll_until(): it polls for a few microseconds, then sleeps between polls, longer and longer.
#include <mpi.h>
#include <sys/prctl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lockstep/export.hpp"
#include "lockstep/pipeline/cluster.hpp"

namespace lockstep::inline LOCKSTEP_ABI::mpi {
namespace {

// To rank 0's communication thread (on claims_):
constexpr int kClaimTag = 1;  // a request: range, start, end, workers, answer tag
constexpr int kEndTag = 2;    // rank 0 to itself: the communication thread ends
constexpr int kStopTag = 3;   // a stop: its key
constexpr int kPostTag = 4;   // a posted text
constexpr int kSyncTag = 5;   // answer (an empty message) once what was posted before is received
// To the other ranks' notice threads (on notices_):
constexpr int kNoticeStopTag = 1;  // a stop: its key
constexpr int kNoticeEndTag = 2;   // the notice thread ends
constexpr int kNoticeTextTag = 3;  // a text sent by rank 0 (send()): chars
// How often a rank other than 0 looks for a notice: well inside the 100 ms a stop may take. After
// a text from rank 0 it looks sooner (from 10 µs, doubling up to this): a stage kind on rank 0
// that hands out one instance at a time should not wait 5 ms for each.
constexpr auto kNoticePoll = std::chrono::milliseconds(5);
constexpr int kFirstAnswerTag = 16;
constexpr int kAnswerTags = 30000;  // MPI guarantees tags up to 32767

// Calls `ready` until it returns true: for `spin` without pause, then with sleeps that double
// from 10 µs up to `longest`. What a wait costs in latency is then at most about `longest` more;
// what it costs in CPU is a poll per sleep.
template <class Ready>
void poll_until(Ready ready, std::chrono::microseconds longest,
                std::chrono::microseconds spin = std::chrono::microseconds(50)) {
  using Clock = std::chrono::steady_clock;
  if (ready()) return;
  const auto spin_until = Clock::now() + spin;
  while (Clock::now() < spin_until) {
    if (ready()) return;
  }
  // Sleeps as long as asked: Linux lets a thread's timers fire up to 50 µs late by default.
  thread_local const bool precise_timers = ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0;
  (void)precise_timers;
  for (auto pause = std::chrono::microseconds(10);; pause = std::min(longest, 2 * pause)) {
    std::this_thread::sleep_for(pause);
    if (ready()) return;
  }
}

// Waits for a nonblocking call to complete.
void complete(MPI_Request& request, MPI_Status* status, std::chrono::microseconds longest) {
  poll_until(
      [&] {
        int done = 0;
        MPI_Test(&request, &done, status);
        return done != 0;
      },
      longest);
}

// The communication thread between requests: at most 200 µs late, about 5,000 polls a second
// when idle. Waits for the other ranks (an answer, a stage's end): at most 50 µs late.
constexpr auto kIdlePoll = std::chrono::microseconds(200);
constexpr auto kPeerPoll = std::chrono::microseconds(50);

class MpiCluster final : public Cluster {
 public:
  MpiCluster() {
    MPI_Comm_dup(MPI_COMM_WORLD, &collective_);
    MPI_Comm_dup(MPI_COMM_WORLD, &claims_);
    MPI_Comm_dup(MPI_COMM_WORLD, &notices_);
    MPI_Comm_rank(collective_, &rank_);
    MPI_Comm_size(collective_, &size_);
    if (rank_ == 0) {
      server_ = std::thread([this] { serve(); });
    } else {
      server_ = std::thread([this] { watch_notices(); });
    }
  }
  ~MpiCluster() override {
    if (abandoned_.load()) {
      // A rank was lost: no collective call would end, and a message to it might not either.
      // The process is about to end; its threads end with it.
      if (rank_ == 0) {
        std::uint64_t nothing[5] = {};
        MPI_Send(nothing, 5, MPI_UINT64_T, 0, kEndTag, claims_);
        server_.join();
      } else {
        server_.detach();
      }
      return;
    }
    MPI_Barrier(collective_);  // no request is in flight after it
    if (rank_ == 0) {
      std::uint64_t nothing[5] = {};
      MPI_Send(nothing, 5, MPI_UINT64_T, 0, kEndTag, claims_);
      server_.join();  // no stop notice is sent after it
      for (int r = 1; r < size_; ++r)
        MPI_Send(nothing, 1, MPI_UINT64_T, r, kNoticeEndTag, notices_);
    } else {
      server_.join();
    }
    MPI_Comm_free(&notices_);
    MPI_Comm_free(&claims_);
    MPI_Comm_free(&collective_);
  }
  MpiCluster(const MpiCluster&) = delete;
  MpiCluster& operator=(const MpiCluster&) = delete;

  int rank() const noexcept override { return rank_; }
  int size() const noexcept override { return size_; }

  bool abandoned() const noexcept { return abandoned_.load(); }

  std::vector<std::string> gather(const std::string& mine) override {
    throw_if_abandoned();
    int length = static_cast<int>(mine.size());
    std::vector<int> lengths(rank_ == 0 ? size_ : 0);
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, collective_);
    std::vector<int> offsets(lengths.size());
    int total = 0;
    for (std::size_t r = 0; r < lengths.size(); ++r) {
      offsets[r] = total;
      total += lengths[r];
    }
    std::string all(static_cast<std::size_t>(total), '\0');
    MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                0, collective_);
    std::vector<std::string> texts;
    for (std::size_t r = 0; r < lengths.size(); ++r) {
      texts.push_back(
          all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r])));
    }
    return texts;
  }

  std::string broadcast(const std::string& text) override {
    throw_if_abandoned();
    std::uint64_t length = rank_ == 0 ? text.size() : 0;
    MPI_Bcast(&length, 1, MPI_UINT64_T, 0, collective_);
    std::string received = rank_ == 0 ? text : std::string(length, '\0');
    MPI_Bcast(received.data(), static_cast<int>(length), MPI_CHAR, 0, collective_);
    return received;
  }

  void sum(std::span<std::uint64_t> values) override {
    MPI_Request request;
    MPI_Iallreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_UINT64_T,
                   MPI_SUM, collective_, &request);
    complete_or_give_up(request);
  }

  void barrier(std::uint64_t ranges_done) override {
    throw_if_abandoned();
    if (rank_ != 0 && posted_.exchange(false)) {
      // What this rank posted is received on rank 0 before the barrier ends there: messages of
      // one rank to another on one communicator arrive in order, and rank 0's thread answers
      // this one after it has handed the texts before it to the receiver.
      const int tag = next_answer_tag();
      std::uint64_t request = static_cast<std::uint64_t>(tag);
      MPI_Send(&request, 1, MPI_UINT64_T, 0, kSyncTag, claims_);
      MPI_Request answer;
      MPI_Irecv(nullptr, 0, MPI_CHAR, 0, tag, claims_, &answer);
      complete_or_give_up(answer);
    }
    MPI_Request request;
    MPI_Ibarrier(collective_, &request);
    complete_or_give_up(request);
    if (rank_ != 0) return;
    std::lock_guard lock(mutex_);
    ranges_.erase(ranges_.begin(), ranges_.lower_bound(ranges_done));
    claims_by_range_.erase(claims_by_range_.begin(), claims_by_range_.lower_bound(ranges_done));
  }

  Chunk claim(std::uint64_t range, std::uint64_t start, std::uint64_t end, int workers) override {
    if (rank_ == 0) return take(0, range, start, end, workers);
    const int tag = next_answer_tag();
    std::uint64_t request[5] = {range, start, end, static_cast<std::uint64_t>(workers),
                                static_cast<std::uint64_t>(tag)};
    MPI_Send(request, 5, MPI_UINT64_T, 0, kClaimTag, claims_);
    std::uint64_t answer[2] = {};
    MPI_Request receive;
    MPI_Irecv(answer, 2, MPI_UINT64_T, 0, tag, claims_, &receive);
    complete(receive, MPI_STATUS_IGNORE, kPeerPoll);
    return {answer[0], answer[1]};
  }

  void post(Channel channel, const std::string& text) override {
    if (rank_ == 0) {
      received(0, channel, text);
      return;
    }
    posted_.store(true);
    // The channel travels as the text's first byte.
    std::string message;
    message.reserve(text.size() + 1);
    message += static_cast<char>(channel);
    message += text;
    MPI_Send(message.data(), static_cast<int>(message.size()), MPI_CHAR, 0, kPostTag, claims_);
  }

  void receive(Channel channel, Receiver receiver) override {
    std::lock_guard lock(receiver_mutex_);
    receivers_[static_cast<std::size_t>(channel)] = std::move(receiver);
  }

  void stop(std::uint64_t key) override {
    // Rank 0's too goes through its communication thread: the stoppers are called there, never
    // on the caller's thread (a worker, in the middle of ending an instance).
    MPI_Send(&key, 1, MPI_UINT64_T, 0, kStopTag, claims_);
  }

  void on_stop(Stopper stopper) override {
    std::lock_guard lock(stopper_mutex_);
    stopper_ = std::move(stopper);
  }

  void give_up_waits_at(std::chrono::steady_clock::time_point deadline) override {
    give_up_at_.store(deadline.time_since_epoch().count());
  }

  std::vector<Claimed> claimed_by(int rank) const override {
    std::lock_guard lock(mutex_);
    std::vector<Claimed> held;
    for (const auto& [range, claims] : claims_by_range_) {
      for (const auto& [by, chunk] : claims) {
        if (by == rank) held.push_back({range, chunk});
      }
    }
    return held;
  }

  void send(int to, const std::string& text) override {
    if (rank_ != 0 || to <= 0 || to >= size_) return;
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, kNoticeTextTag, notices_);
  }

  void on_message(Messenger messenger) override {
    std::lock_guard lock(messenger_mutex_);
    messenger_ = std::move(messenger);
  }

 private:
  // A collective wait, given up at the deadline of give_up_waits_at(): the request stays
  // incomplete, and no collective call is made again.
  void complete_or_give_up(MPI_Request& request) {
    bool gave_up = false;
    poll_until(
        [&] {
          int done = 0;
          MPI_Test(&request, &done, MPI_STATUS_IGNORE);
          if (done != 0) return true;
          gave_up =
              std::chrono::steady_clock::now().time_since_epoch().count() >= give_up_at_.load();
          return gave_up;
        },
        kPeerPoll);
    if (gave_up) {
      abandoned_.store(true);
      throw_if_abandoned();
    }
  }
  void throw_if_abandoned() const {
    if (abandoned_.load()) throw RanksLost("a rank did not come to the stage's end in time");
  }

  int next_answer_tag() {
    return kFirstAnswerTag + static_cast<int>(next_tag_.fetch_add(1) % kAnswerTags);
  }

  void received(int rank, Channel channel, const std::string& text) {
    std::lock_guard lock(receiver_mutex_);
    const auto which = static_cast<std::size_t>(channel);
    if (which < receivers_.size() && receivers_[which]) receivers_[which](rank, text);
  }

  void stopped(std::uint64_t key) {
    std::lock_guard lock(stopper_mutex_);
    if (stopper_) stopper_(key);
  }

  // Rank 0's communication thread: a stop of a key not stopped yet goes to every rank.
  void stop_everywhere(std::uint64_t key) {
    if (key + 1 <= stopped_) return;  // told already (several ranks failed at once)
    stopped_ = key + 1;
    for (int r = 1; r < size_; ++r) MPI_Send(&key, 1, MPI_UINT64_T, r, kNoticeStopTag, notices_);
    stopped(key);
  }

  // The notice thread of a rank other than 0: stops and texts, until the cluster ends.
  void watch_notices() {
    std::chrono::microseconds pause = kNoticePoll;
    for (;;) {
      int found = 0;
      MPI_Status status;
      MPI_Iprobe(0, MPI_ANY_TAG, notices_, &found, &status);
      if (found == 0) {
        std::this_thread::sleep_for(pause);
        pause = std::min<std::chrono::microseconds>(kNoticePoll, 2 * pause);
        continue;
      }
      if (status.MPI_TAG == kNoticeTextTag) {
        int length = 0;
        MPI_Get_count(&status, MPI_CHAR, &length);
        std::string text(static_cast<std::size_t>(std::max(0, length)), '\0');
        MPI_Recv(text.data(), length, MPI_CHAR, 0, kNoticeTextTag, notices_, MPI_STATUS_IGNORE);
        {
          std::lock_guard lock(messenger_mutex_);
          if (messenger_) messenger_(text);
        }
        pause = std::chrono::microseconds(10);
        continue;
      }
      std::uint64_t key = 0;
      MPI_Recv(&key, 1, MPI_UINT64_T, 0, status.MPI_TAG, notices_, MPI_STATUS_IGNORE);
      if (status.MPI_TAG == kNoticeEndTag) return;
      stopped(key);
    }
  }
  // The next chunk of `range`: guided self-scheduling, about remaining / (2 x ranks x workers).
  // Who took it is kept until the range's stage ends, to name what a lost rank held.
  Chunk take(int by, std::uint64_t range, std::uint64_t start, std::uint64_t end, int workers) {
    std::lock_guard lock(mutex_);
    auto& next = ranges_.try_emplace(range, start).first->second;
    if (next >= end) return {end, end};
    const Chunk chunk{next, next + guided_chunk_size(end - next, size_, workers)};
    next = chunk.to;
    claims_by_range_[range].emplace_back(by, chunk);
    return chunk;
  }

  // Rank 0's communication thread: answers requests, in the order each rank sent them, until
  // told to end.
  void serve() {
    for (;;) {
      MPI_Message message;
      MPI_Status status;
      poll_until(
          [&] {
            int found = 0;
            MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, claims_, &found, &message, &status);
            return found != 0;
          },
          kIdlePoll);
      const int from = status.MPI_SOURCE;
      if (status.MPI_TAG == kPostTag) {
        int length = 0;
        MPI_Get_count(&status, MPI_CHAR, &length);
        std::string text(static_cast<std::size_t>(std::max(0, length)), '\0');
        MPI_Mrecv(text.data(), length, MPI_CHAR, &message, MPI_STATUS_IGNORE);
        if (!text.empty()) {
          received(from, static_cast<Channel>(text.front()), text.substr(1));
        }
        continue;
      }
      std::uint64_t request[5] = {};
      MPI_Mrecv(request, 5, MPI_UINT64_T, &message, MPI_STATUS_IGNORE);
      if (status.MPI_TAG == kEndTag) return;
      if (status.MPI_TAG == kStopTag) {
        stop_everywhere(request[0]);
      } else if (status.MPI_TAG == kSyncTag) {
        MPI_Send(nullptr, 0, MPI_CHAR, from, static_cast<int>(request[0]), claims_);
      } else {
        const auto chunk =
            take(from, request[0], request[1], request[2], static_cast<int>(request[3]));
        std::uint64_t answer[2] = {chunk.from, chunk.to};
        MPI_Send(answer, 2, MPI_UINT64_T, from, static_cast<int>(request[4]), claims_);
      }
    }
  }

  MPI_Comm collective_ = MPI_COMM_NULL;  // gather, broadcast, sum, barrier: the runner's thread
  MPI_Comm claims_ = MPI_COMM_NULL;      // requests and answers, from any thread
  MPI_Comm notices_ = MPI_COMM_NULL;     // rank 0 to the others' notice threads: stops
  int rank_ = 0;
  int size_ = 1;
  std::thread server_;  // rank 0: the communication thread; the others: the notice thread
  std::atomic<bool> posted_{false};  // a text was posted since the last barrier
  std::uint64_t stopped_ = 0;        // rank 0's communication thread: the last stop's key + 1
  std::mutex receiver_mutex_;        // guards receivers_ and their calls
  std::array<Receiver, kChannels> receivers_{};
  std::mutex stopper_mutex_;  // guards stopper_ and its calls
  Stopper stopper_{};
  std::mutex messenger_mutex_;  // guards messenger_ and its calls
  Messenger messenger_{};
  mutable std::mutex mutex_;                         // guards ranges_ and claims_by_range_
  std::map<std::uint64_t, std::uint64_t> ranges_{};  // rank 0: each range's next index
  // rank 0: who claimed which chunk of each range, until its stage ends
  std::map<std::uint64_t, std::vector<std::pair<int, Chunk>>> claims_by_range_{};
  // give_up_waits_at(), in steady_clock ticks: never, until an interrupt.
  std::atomic<std::int64_t> give_up_at_{std::numeric_limits<std::int64_t>::max()};
  std::atomic<bool> abandoned_{false};  // a collective wait was given up
  std::atomic<std::uint64_t> next_tag_{0};
};

// Copies `text` into the caller's buffer, cut to fit.
void put(const std::string& text, char* buffer, std::size_t size) {
  if (buffer == nullptr || size == 0) return;
  const auto length = std::min(text.size(), size - 1);
  std::memcpy(buffer, text.data(), length);
  buffer[length] = '\0';
}

}  // namespace
}  // namespace lockstep::inline LOCKSTEP_ABI::mpi

// The backend's C entry points, found with dlsym by the `lockstep` command.
extern "C" {

// "Open MPI v4.1.4": the MPI library's version, without initializing MPI (MPI_Get_library_version
// may be called before MPI_Init).
__attribute__((visibility("default"))) void lockstep_mpi_version(char* buffer, std::size_t size) {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<std::size_t>(std::max(0, length)));
  text = text.substr(0, text.find_first_of(",\n"));
  lockstep::mpi::put(text, buffer, size);
}

// Initializes MPI (MPI_THREAD_MULTIPLE) and returns this rank's cluster; null with the reason in
// `error` when MPI cannot give what the backend needs.
__attribute__((visibility("default"))) lockstep::Cluster* lockstep_mpi_start(char* error,
                                                                             std::size_t size) {
  int provided = MPI_THREAD_SINGLE;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
    lockstep::mpi::put("MPI_Init_thread failed", error, size);
    return nullptr;
  }
  if (provided < MPI_THREAD_MULTIPLE) {
    lockstep::mpi::put("the MPI library does not provide MPI_THREAD_MULTIPLE", error, size);
    MPI_Finalize();
    return nullptr;
  }
  return new lockstep::mpi::MpiCluster();
}

// Ends the cluster (a barrier: every rank calls it) and MPI.
// Not when a rank was lost (Cluster::RanksLost): MPI_Finalize would wait for it.
__attribute__((visibility("default"))) void lockstep_mpi_stop(lockstep::Cluster* cluster) {
  const bool abandoned = static_cast<lockstep::mpi::MpiCluster*>(cluster)->abandoned();
  delete cluster;
  if (!abandoned) MPI_Finalize();
}
}
