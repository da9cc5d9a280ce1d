#include "run/rank_events.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "lockstep/plugin/job.hpp"
#include "run/instance_params.hpp"

namespace lockstep::run {
namespace {

using Clock = std::chrono::steady_clock;

// The records of a batch, one after another: a letter, then fields. A number is its decimal
// digits and ','; a text is its length, ':' and its bytes (any bytes).
enum Record : char {
  kAttemptStarted = 'S',
  kAttemptEnded = 'A',
  kInstanceEnded = 'I',
  kSucceeded = 'R',
};

void put_event_number(std::string& out, std::int64_t number) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  out.append(digits, end);
  out += ',';
}

void put_event_text(std::string& out, std::string_view text) {
  out += std::to_string(text.size());
  out += ':';
  out += text;
}

void put_event_item(std::string& out, const Item* item) {
  put_event_number(out, item != nullptr ? 1 : 0);
  if (item == nullptr) return;
  put_event_text(out, item->value);
  put_event_number(out, static_cast<std::int64_t>(item->fields.size()));
  for (const auto& [key, value] : item->fields) {
    put_event_text(out, key);
    put_event_text(out, value);
  }
}

[[noreturn]] void garbled() {
  throw std::runtime_error("lockstep: run events of another rank cut short or garbled");
}

struct EventReader {
  std::string_view text;

  bool done() const noexcept { return text.empty(); }
  char letter() {
    if (text.empty()) garbled();
    const char c = text.front();
    text.remove_prefix(1);
    return c;
  }
  std::int64_t number() {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end == text.data() + text.size() || *end != ',') garbled();
    text.remove_prefix(static_cast<std::size_t>(end - text.data()) + 1);
    return value;
  }
  std::uint64_t count() {
    const auto value = number();
    if (value < 0) garbled();
    return static_cast<std::uint64_t>(value);
  }
  std::string_view bytes() {
    std::uint64_t length = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (error != std::errc() || end == text.data() + text.size() || *end != ':') garbled();
    const auto at = static_cast<std::size_t>(end - text.data()) + 1;
    if (text.size() - at < length) garbled();
    const auto field = text.substr(at, length);
    text.remove_prefix(at + length);
    return field;
  }
  std::optional<Item> item() {
    if (count() == 0) return std::nullopt;
    Item made;
    made.value = bytes();
    for (auto fields = count(); fields > 0; --fields) {
      std::string key(bytes());
      made.fields.insert_or_assign(std::move(key), std::string(bytes()));
    }
    return made;
  }
};

// Positions in the pipeline: the same on every rank, unlike the pointers.
template <class T>
std::int64_t position_in(const std::vector<T>& all, const T* one) {
  if (one == nullptr || all.empty() || one < all.data() || one >= all.data() + all.size())
    return -1;
  return one - all.data();
}

std::int64_t since(Clock::time_point at, Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at - start).count();
}

// The stage and job at their positions; both null when the text names none of this pipeline.
std::pair<const StageSpec*, const JobSpec*> stage_and_job(const Pipeline& pipeline,
                                                          std::int64_t stage, std::int64_t job) {
  if (stage < 0 || static_cast<std::uint64_t>(stage) >= pipeline.stages.size()) garbled();
  const auto& spec = pipeline.stages[static_cast<std::size_t>(stage)];
  if (job < 0 || static_cast<std::uint64_t>(job) >= spec.jobs.size()) garbled();
  return {&spec, &spec.jobs[static_cast<std::size_t>(job)]};
}

JobState state_from(std::int64_t number) {
  if (number < 0 || static_cast<std::size_t>(number) >= kJobStateCount) garbled();
  return static_cast<JobState>(number);
}

}  // namespace

WantedEvents wanted_of_ranks(const std::vector<RunObserver*>& observers) {
  WantedEvents wanted;
  for (const auto* observer : observers) {
    if (!observer->sees_other_ranks()) continue;
    wanted.interest = std::max(wanted.interest, observer->interest());
    wanted.ranges = wanted.ranges || observer->wants_succeeded_ranges();
  }
  return wanted;
}

std::string encode_wanted(WantedEvents wanted) {
  return std::to_string(static_cast<int>(wanted.interest)) + (wanted.ranges ? "r" : "-");
}

WantedEvents decode_wanted(std::string_view text) {
  if (text.size() != 2 || text[0] < '0' || text[0] > '2') return {};
  return {static_cast<RunObserver::Interest>(text[0] - '0'), text[1] == 'r'};
}

// ---- a rank other than 0 ---------------------------------------------------------------------

EventForwarder::EventForwarder(const Pipeline& pipeline, WantedEvents wanted,
                               Clock::time_point run_start, Post post)
    : pipeline_(pipeline), wanted_(wanted), run_start_(run_start), post_(std::move(post)) {}

void EventForwarder::append(const std::string& record) {
  std::lock_guard lock(mutex_);
  batch_ += record;
  if (batch_.size() < kBatchBytes) return;
  post_(batch_);
  batch_.clear();
}

void EventForwarder::flush() {
  std::lock_guard lock(mutex_);
  if (batch_.empty()) return;
  post_(batch_);
  batch_.clear();
}

namespace {

// The fields an attempt's two records share.
bool put_attempt(std::string& out, const Pipeline& pipeline, const AttemptEvent& attempt,
                 Clock::time_point run_start) {
  const auto stage = position_in(pipeline.stages, attempt.stage);
  if (stage < 0) return false;
  const auto job = position_in(attempt.stage->jobs, attempt.job);
  if (job < 0) return false;
  put_event_number(out, stage);
  put_event_number(out, job);
  put_event_number(out, static_cast<std::int64_t>(attempt.index));
  put_event_number(out, attempt.iteration);
  put_event_number(out, attempt.attempt);
  put_event_number(out, attempt.slot);
  put_event_number(out, since(attempt.start, run_start));
  put_event_text(out, attempt.id);
  put_event_item(out, attempt.item);
  return true;
}

}  // namespace

void EventForwarder::attempt_started(const AttemptEvent& attempt) {
  if (wanted_.interest != Interest::all) return;
  std::string record(1, kAttemptStarted);
  if (put_attempt(record, pipeline_, attempt, run_start_)) append(record);
}

void EventForwarder::attempt_ended(const AttemptEvent& attempt) {
  // This rank's own observers may want more than rank 0's: only what rank 0 asked for goes.
  if (wanted_.interest == Interest::stages ||
      (wanted_.interest == Interest::failures && attempt.state == JobState::succeeded)) {
    return;
  }
  std::string record(1, kAttemptEnded);
  if (!put_attempt(record, pipeline_, attempt, run_start_)) return;
  put_event_number(record, since(attempt.end, run_start_));
  put_event_number(record, static_cast<std::int64_t>(attempt.state));
  put_event_text(record, attempt.message);
  append(record);
}

void EventForwarder::instance_ended(const InstanceEvent& instance) {
  if (wanted_.interest == Interest::stages ||
      (wanted_.interest == Interest::failures && instance.state == JobState::succeeded)) {
    return;
  }
  const auto stage = position_in(pipeline_.stages, instance.stage);
  if (stage < 0) return;
  const auto job = position_in(instance.stage->jobs, instance.job);
  if (job < 0) return;
  std::string record(1, kInstanceEnded);
  put_event_number(record, stage);
  put_event_number(record, job);
  put_event_number(record, static_cast<std::int64_t>(instance.index));
  put_event_number(record, instance.iteration);
  put_event_number(record, instance.attempts);
  put_event_number(record, static_cast<std::int64_t>(instance.state));
  put_event_number(record, instance.reused ? 1 : 0);
  put_event_number(record, instance.params != nullptr ? 1 : 0);
  put_event_text(record, instance.id);
  put_event_number(record, static_cast<std::int64_t>(instance.messages.size()));
  for (const auto& message : instance.messages) put_event_text(record, message);
  put_event_item(record, instance.item);
  append(record);
}

void EventForwarder::instances_succeeded(const SucceededRange& range) {
  if (!wanted_.ranges) return;
  const auto stage = position_in(pipeline_.stages, range.stage);
  if (stage < 0) return;
  const auto job = position_in(range.stage->jobs, range.job);
  if (job < 0) return;
  std::string record(1, kSucceeded);
  put_event_number(record, stage);
  put_event_number(record, job);
  put_event_number(record, range.iteration);
  put_event_number(record, static_cast<std::int64_t>(range.from));
  put_event_number(record, static_cast<std::int64_t>(range.to));
  put_event_number(record, range.slot);
  put_event_number(record, since(range.start, run_start_));
  put_event_number(record, since(range.end, run_start_));
  put_event_number(record, range.reused ? 1 : 0);
  put_event_item(record, range.item);
  append(record);
}

// ---- rank 0 ----------------------------------------------------------------------------------

EventReplay::EventReplay(const Pipeline& pipeline, const Outputs& outputs,
                         std::vector<RunObserver*> observers, Clock::time_point run_start,
                         std::function<void(const char*)> failed)
    : pipeline_(pipeline),
      outputs_(outputs),
      observers_(std::move(observers)),
      run_start_(run_start),
      failed_(std::move(failed)) {}

template <class Event>
void EventReplay::notify(const Event& event) noexcept {
  for (auto* observer : observers_) {
    try {
      event(*observer);
    } catch (const std::exception& e) {
      if (failed_) failed_(e.what());
    } catch (...) {
      if (failed_) failed_("an unknown exception");
    }
  }
}

void EventReplay::received(int rank, std::string_view text) {
  EventReader in{text};
  const auto at = [&](std::int64_t nanoseconds) {
    return run_start_ + std::chrono::nanoseconds(nanoseconds);
  };
  while (!in.done()) {
    const char letter = in.letter();
    if (letter == kAttemptStarted || letter == kAttemptEnded) {
      AttemptEvent event;
      const auto stage = in.number();
      const auto job = in.number();
      std::tie(event.stage, event.job) = stage_and_job(pipeline_, stage, job);
      event.index = in.count();
      event.iteration = static_cast<int>(in.number());
      event.attempt = static_cast<int>(in.number());
      event.slot = static_cast<int>(in.number());
      event.start = at(in.number());
      event.id = in.bytes();
      const auto item = in.item();
      event.item = item ? &*item : nullptr;
      event.rank = rank;
      if (letter == kAttemptStarted) {
        notify([&](RunObserver& observer) { observer.attempt_started(event); });
        continue;
      }
      event.end = at(in.number());
      event.state = state_from(in.number());
      event.message = in.bytes();
      notify([&](RunObserver& observer) { observer.attempt_ended(event); });
    } else if (letter == kInstanceEnded) {
      InstanceEvent event;
      const auto stage = in.number();
      const auto job = in.number();
      std::tie(event.stage, event.job) = stage_and_job(pipeline_, stage, job);
      event.index = in.count();
      event.iteration = static_cast<int>(in.number());
      event.attempts = static_cast<int>(in.number());
      event.state = state_from(in.number());
      event.reused = in.number() != 0;
      const bool had_params = in.number() != 0;
      event.id = in.bytes();
      for (auto messages = in.count(); messages > 0; --messages) {
        event.messages.emplace_back(in.bytes());
      }
      const auto item = in.item();
      event.item = item ? &*item : nullptr;
      event.rank = rank;
      // The params as that rank filled them in: the job's own, or its templates filled from
      // the same item, index, iteration and outputs (every rank has the same).
      std::optional<Params> own;
      if (had_params && event.job->templates.empty()) {
        event.params = &event.job->params;
      } else if (had_params) {
        try {
          own.emplace(instantiate_params(*event.job, item ? *item : Item{}, event.index,
                                         event.iteration, outputs_));
          event.params = &*own;
        } catch (const std::exception&) {  // as on that rank, where the instance failed of it
        }
      }
      notify([&](RunObserver& observer) { observer.instance_ended(event); });
    } else if (letter == kSucceeded) {
      SucceededRange range;
      const auto stage = in.number();
      const auto job = in.number();
      std::tie(range.stage, range.job) = stage_and_job(pipeline_, stage, job);
      range.iteration = static_cast<int>(in.number());
      range.from = in.count();
      range.to = in.count();
      range.slot = static_cast<int>(in.number());
      range.start = at(in.number());
      range.end = at(in.number());
      range.reused = in.number() != 0;
      const auto item = in.item();
      range.item = item ? &*item : nullptr;
      range.rank = rank;
      notify([&](RunObserver& observer) { observer.instances_succeeded(range); });
    } else {
      garbled();
    }
  }
}

}  // namespace lockstep::run
