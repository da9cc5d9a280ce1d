#include "lockstep/engine/engine.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include <tbb/global_control.h>

#include "exec/bulkhead_core.hpp"
#include "exec/thread_budget.hpp"
#include "exec/thread_probe.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

void validate(const BulkheadOptions& options) {
  auto where = "bulkhead '" + options.name + "': ";
  if (options.name.empty()) throw std::invalid_argument("a bulkhead needs a name");
  if (options.workers < 1) {
    throw std::invalid_argument(where + "workers must be at least 1, got " +
                                std::to_string(options.workers));
  }
  if (options.queue && *options.queue < 0) {
    throw std::invalid_argument(where + "queue must be at least 0, got " +
                                std::to_string(*options.queue));
  }
  if (options.max_wait && options.max_wait->count() < 0) {
    throw std::invalid_argument(where + "max_wait must not be negative");
  }
}

}  // namespace

struct Engine::State {
  EngineOptions options;
  std::mutex mutex;  // guards the members below
  std::vector<std::shared_ptr<detail::BulkheadCore>> cores;
  std::vector<std::unique_ptr<Bulkhead>> bulkheads;  // same order as cores
  int workers = 0;
  int threads = 0;  // what this engine added to the process-wide ThreadBudget

  int wanted_threads() const {
    return options.max_threads ? std::min(workers, *options.max_threads) : workers;
  }
};

Engine::Engine(EngineOptions options) : state_(std::make_unique<State>()) {
  if (options.max_threads && *options.max_threads < 1) {
    throw std::invalid_argument("max_threads must be at least 1, got " +
                                std::to_string(*options.max_threads));
  }
  state_->options = options;
}

Engine::~Engine() {
  // Jobs of one bulkhead may dispatch into another, so quiesce until one whole pass admitted
  // nothing new anywhere.
  for (bool settled = false; !settled;) {
    std::uint64_t admitted_before = 0;
    std::uint64_t admitted_after = 0;
    for (auto& core : state_->cores) admitted_before += core->stats().admitted;
    for (auto& core : state_->cores) core->quiesce();
    for (auto& core : state_->cores) admitted_after += core->stats().admitted;
    settled = admitted_before == admitted_after;
  }
  state_->bulkheads.clear();
  state_->cores.clear();
  detail::ThreadBudget::instance().adjust(-state_->threads);
}

Bulkhead& Engine::add_bulkhead(BulkheadOptions options) {
  validate(options);
  std::lock_guard lock(state_->mutex);
  if (std::ranges::any_of(state_->bulkheads,
                          [&](const auto& known) { return known->name() == options.name; })) {
    throw std::invalid_argument("bulkhead '" + options.name + "' already exists");
  }
  auto core = std::make_shared<detail::BulkheadCore>(std::move(options));
  auto bulkhead = std::unique_ptr<Bulkhead>(new Bulkhead(core));  // its constructor is private
  state_->workers += bulkhead->workers();
  auto wanted = state_->wanted_threads();
  detail::ThreadBudget::instance().adjust(wanted - state_->threads);
  state_->threads = wanted;
  state_->cores.push_back(std::move(core));
  state_->bulkheads.push_back(std::move(bulkhead));
  return *state_->bulkheads.back();
}

Bulkhead* Engine::find(std::string_view name) noexcept {
  std::lock_guard lock(state_->mutex);
  for (auto& bulkhead : state_->bulkheads) {
    if (bulkhead->name() == name) return bulkhead.get();
  }
  return nullptr;
}

Bulkhead& Engine::bulkhead(std::string_view name) {
  if (auto* found = find(name)) return *found;
  std::lock_guard lock(state_->mutex);
  std::string known;
  for (auto& bulkhead : state_->bulkheads) {
    known += (known.empty() ? "" : ", ") + bulkhead->name();
  }
  throw std::out_of_range("no bulkhead named '" + std::string(name) +
                          "' (known: " + (known.empty() ? "none" : known) + ")");
}

int Engine::threads() const noexcept {
  std::lock_guard lock(state_->mutex);
  return state_->threads;
}

std::vector<std::string> Engine::warnings() const {
  std::lock_guard lock(state_->mutex);
  std::vector<std::string> warnings;
  if (state_->options.max_threads && *state_->options.max_threads < state_->workers) {
    warnings.push_back(state_->options.cap_name + " " + std::to_string(*state_->options.max_threads) +
                       " is below the " + std::to_string(state_->workers) +
                       " workers of all bulkheads: bulkheads share threads, so a busy or "
                       "blocked bulkhead can delay another");
  }
  return warnings;
}

std::string Engine::check_threads(int spare) const {
  const int wanted = detail::ThreadBudget::instance().total() + spare;
  const auto stack = tbb::global_control::active_value(tbb::global_control::thread_stack_size);
  const int started = detail::startable_threads(wanted, stack);
  if (started >= wanted) return {};
  return "this machine let lockstep start only " + std::to_string(started) + " of the " +
         std::to_string(wanted) + " threads the bulkheads may need (" +
         std::to_string(stack >> 20) +
         " MiB of stack each): lower their 'workers', cap them "
         "with 'threads', or raise the limits (ulimit -u, ulimit -v)";
}

void Engine::cancel() noexcept {
  std::lock_guard lock(state_->mutex);
  for (auto& core : state_->cores) core->cancel();
}

}  // namespace lockstep
