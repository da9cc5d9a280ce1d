#include "lockstep/engine/dispatcher.hpp"

#include <optional>
#include <stdexcept>
#include <string>

#include "exec/batch_state.hpp"
#include "exec/bulkhead_core.hpp"
#include "lockstep/engine/engine.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct Dispatcher::State {
  std::optional<Engine> engine;  // reset by finalize(): the threads go back
  Bulkhead* pool = nullptr;
  Batch batch;  // declared after the engine: destroyed (and waited for) first

  // dispatch() hands its Task straight to the core: through Bulkhead::dispatch, which takes a
  // Task by value, every job would be moved into a second Task and destroyed twice (measured:
  // 1M empty jobs took 40 to 90 ns a job longer than through a Bulkhead).
  Admission dispatch(Task&& task, const detail::BulkheadCore::Patience& patience) {
    return pool->core_->dispatch(batch.state(), std::move(task), patience);
  }
};

Dispatcher::Dispatcher(int workers, DispatcherOptions options) : state_(std::make_unique<State>()) {
  if (workers < 1) {
    throw std::invalid_argument("lockstep::Dispatcher needs at least 1 worker, got " +
                                std::to_string(workers));
  }
  state_->engine.emplace();
  state_->pool = &state_->engine->add_bulkhead({.name = "dispatcher",
                                                .workers = workers,
                                                .queue = options.queue,
                                                .max_wait = options.max_wait});
}

Dispatcher::~Dispatcher() {
  if (state_ && state_->engine) finalize();
}

namespace {
[[noreturn]] void throw_finalized(const char* call) {
  throw std::logic_error(std::string("lockstep::Dispatcher::") + call +
                         " called after finalize(); create a new Dispatcher");
}
}  // namespace

Admission Dispatcher::dispatch(Task task) {
  if (!state_->engine) throw_finalized("dispatch");
  return state_->dispatch(std::move(task), {true, state_->pool->max_wait()});
}

Admission Dispatcher::try_dispatch(Task task) {
  if (!state_->engine) throw_finalized("try_dispatch");
  return state_->dispatch(std::move(task), {false, std::nullopt});
}

BatchResult Dispatcher::wait() { return state_->batch.wait(); }

BatchResult Dispatcher::finalize() {
  if (!state_->engine) return {};
  auto result = state_->batch.wait();
  state_->pool = nullptr;
  state_->engine.reset();
  return result;
}

void Dispatcher::cancel() noexcept { state_->batch.cancel(); }

BulkheadStats Dispatcher::stats() const {
  if (!state_->engine) return {};
  return state_->pool->stats();
}

}  // namespace lockstep
