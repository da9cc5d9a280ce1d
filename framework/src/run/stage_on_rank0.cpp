// Under a cluster, a stage kind other than `parallel` runs on rank 0 only, and the instances it
// dispatches run on any rank (docs/stages.md, "Under MPI"). Rank 0's StageContext::dispatch()
// hands each instance to a rank with room, round robin, itself included; that rank runs it on
// its own bulkhead as usual (retries, timeout, terminal state) and posts its end back, which
// next_ended(), wait() and failed() on rank 0 then see. dispatch_rest() has every rank claim
// chunks of the rest, as `parallel` does; cancel() reaches every rank. The other ranks serve the
// stage (serve_rank0) until rank 0 says its kind returned and every instance it dispatched ended.
//
// Counts stay where the instance ran: each rank counts its own, summed at the stage's end as
// under `parallel`, so every instance still ends once in all. What rank 0 keeps of the others'
// ends (remote_counts_) is only for what its wait() returns.
#include <chrono>
#include <mutex>

#include "run/feeder.hpp"
#include "run/job_plan.hpp"
#include "run/stage_run.hpp"

namespace lockstep::run {

StageMessage StageRun::message_of(StageMessage::Kind kind) const {
  StageMessage message;
  message.kind = kind;
  message.key = range_base_;
  message.owns_failures = owns_failures_.load();
  return message;
}

void StageRun::send_to_ranks(const StageMessage& message) {
  auto& cluster = *shared_.cluster;
  const auto text = encode_stage_message(message);
  for (int rank = 1; rank < cluster.size(); ++rank) cluster.send(rank, text);
}

// ---- rank 0 ----------------------------------------------------------------------------------

bool StageRun::dispatch_to_rank(std::size_t p, std::uint64_t index) {
  auto& plan = *plans_[p];
  const auto f = plan_feeder_[p];
  auto& bulkhead = feeders_[f]->bulkhead();
  // A rank has room while fewer of the bulkhead's instances went there than it admits at once
  // (workers and queue): a dispatch blocks as it would on one full bulkhead.
  const auto room = static_cast<std::uint64_t>(bulkhead.workers()) +
                    static_cast<std::uint64_t>(std::max(0, bulkhead.queue_capacity()));
  std::size_t to = 0;
  {
    std::unique_lock lock(ended_mutex_);
    const auto ranks = in_flight_[f].size();
    for (;;) {
      std::size_t k = 0;
      while (k < ranks && in_flight_[f][(next_rank_ + k) % ranks] >= room) ++k;
      if (k < ranks) {
        to = (next_rank_ + k) % ranks;
        break;
      }
      if (stopping()) break;
      ended_wake_.wait_for(lock, std::chrono::milliseconds(50));  // bounds how late a stop is seen
    }
    if (in_flight_[f][to] >= room) {  // stopping while every rank was full
      lock.unlock();
      end_cancelled(plan, index);
      return false;
    }
    next_rank_ = (to + 1) % ranks;
    ++in_flight_[f][to];
    ++tracked_outstanding_;
  }
  if (to == 0) {
    claimed(plan, index, index + 1);  // its outputs are this rank's to share at the stage's end
    return feeder_of(p).dispatch_one(plan, index);
  }
  split_to(plan, index, static_cast<int>(to));  // named, should that rank be lost
  auto message = message_of(StageMessage::Kind::dispatch);
  message.plan = static_cast<std::uint32_t>(p);
  message.index = index;
  shared_.cluster->send(static_cast<int>(to), encode_stage_message(message));
  return true;
}

void StageRun::from_rank(int rank, const StageMessage& message) {
  if (message.kind == StageMessage::Kind::ended) {
    const auto p = static_cast<std::size_t>(message.plan);
    if (p >= plans_.size() || rank <= 0) return;
    const auto& plan = *plans_[p];
    // Before the end is seen: a kind that reads it then finds failed() as it would in one process.
    if (is_failure(message.state) && !plan.spec.continue_on_error) record_failure();
    EndedInstance ended{
        {static_cast<std::uint32_t>(p), message.index, plan_start_[p] + message.index},
        instance_id(plan, message.index),
        message.state,
        message.attempts,
        message.message};
    // Last, and notified under the lock: once the count drops, the kind's thread may end the
    // stage, and this must not touch it after.
    std::lock_guard lock(ended_mutex_);
    ended_.push_back(std::move(ended));
    ++remote_counts_[message.state];
    --tracked_outstanding_;
    auto& there = in_flight_[plan_feeder_[p]];
    if (static_cast<std::size_t>(rank) < there.size()) --there[static_cast<std::size_t>(rank)];
    ended_wake_.notify_all();
  } else if (message.kind == StageMessage::Kind::rest_ended) {
    if (message.failed) record_failure();
    std::lock_guard lock(ended_mutex_);
    for (std::size_t s = 0; s < kJobStateCount; ++s) {
      remote_counts_.by_state[s] += message.counts.by_state[s];
    }
    --rest_pending_;
    ended_wake_.notify_all();
  }
}

// ---- the other ranks -------------------------------------------------------------------------

void StageRun::cancelled_by_rank0() noexcept {
  cancelled_.store(true);
  cancel_.cancel();
}

void StageRun::serve_rank0() {
  for (;;) {
    std::string text;
    {
      std::unique_lock lock(shared_.cluster_mutex);
      shared_.inbox_wake.wait(lock, [&] { return !shared_.inbox.empty(); });
      text = std::move(shared_.inbox.front());
      shared_.inbox.pop_front();
    }
    const auto message = decode_stage_message(text);
    if (!message || message->key != range_base_) continue;  // not this stage iteration's
    if (message->owns_failures) owns_failures_.store(true);
    switch (message->kind) {
      case StageMessage::Kind::dispatch:
        serve_dispatch(*message);
        break;
      case StageMessage::Kind::rest:
        serve_rest(*message);
        break;
      case StageMessage::Kind::cancel:
        cancel();
        break;
      case StageMessage::Kind::done:
        return;
      default:
        break;
    }
  }
}

void StageRun::serve_dispatch(const StageMessage& message) {
  const auto p = static_cast<std::size_t>(message.plan);
  if (p >= plans_.size() || message.index >= plans_[p]->source.size()) return;
  auto& plan = *plans_[p];
  claimed(plan, message.index, message.index + 1);
  if (stopping()) {
    end_cancelled(plan, message.index);
    auto report = message_of(StageMessage::Kind::ended);
    report.plan = message.plan;
    report.index = message.index;
    report.state = JobState::cancelled;
    report.message = stop_reason();
    shared_.cluster->post(Cluster::Channel::stage, encode_stage_message(report));
    return;
  }
  {
    std::lock_guard lock(ended_mutex_);
    ++tracked_outstanding_;
  }
  feeder_of(p).dispatch_one(plan, message.index);  // its end goes to rank 0 (tracked_ended)
}

void StageRun::serve_rest(const StageMessage& message) {
  // What rank 0 dispatched here one by one ends first: those ends went back one by one, and the
  // counts sent below are the rest's alone.
  wait();
  StateCounts before;
  for (std::size_t s = 0; s < kJobStateCount; ++s) before.by_state[s] = counts_[s].load();
  if (message.plan < plans_.size()) {
    cursor_plan_ = message.plan;
    cursor_index_ = message.index;
    dispatch_rest();
    wait();
  }
  auto report = message_of(StageMessage::Kind::rest_ended);
  for (std::size_t s = 0; s < kJobStateCount; ++s) {
    report.counts.by_state[s] = counts_[s].load() - before.by_state[s];
  }
  report.failed = failed_.load();
  shared_.cluster->post(Cluster::Channel::stage, encode_stage_message(report));
}

}  // namespace lockstep::run
