// lockstep/engine/engine.hpp — owns a set of bulkheads and the threads they may use.
//
//   lockstep::Engine engine({.max_threads = 8});
//   auto& io  = engine.add_bulkhead({.name = "io", .workers = 6});
//   auto& cpu = engine.add_bulkhead({.name = "cpu", .workers = 2});
//   lockstep::Batch batch;
//   io.dispatch(batch, [] { download(); });
//   cpu.dispatch(batch, [] { compress(); });
//   auto result = batch.wait();
//
// oneTBB shares one pool of worker threads among all arenas, sized nproc - 1 by default, so a
// busy or blocked arena could starve another. The engine sizes that pool (tbb::global_control)
// to the sum of its bulkheads' workers, so every bulkhead always has its own threads: that is
// what makes bulkheads isolated. `max_threads` caps the total; below the sum of workers the
// engine still runs, but isolation can no longer be promised and warnings() says so.
// Several engines in one process add up their threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/engine/bulkhead.hpp"
#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct EngineOptions {
  std::optional<int> max_threads{};  // >= 1: cap on the worker threads of all bulkheads together
  // How warnings name the cap: what the person who set it calls it (the runner says "threads").
  std::string cap_name = "max_threads";
};

class LOCKSTEP_API Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();  // cancels nothing: waits for every admitted job, then releases the threads
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Throws std::invalid_argument for workers < 1, queue < 0, max_wait < 0, an empty or
  // duplicate name. The reference stays valid for the engine's lifetime.
  Bulkhead& add_bulkhead(BulkheadOptions options);

  Bulkhead* find(std::string_view name) noexcept;
  // Throws std::out_of_range naming the known bulkheads.
  Bulkhead& bulkhead(std::string_view name);

  // Threads this engine asked oneTBB for: min(sum of workers, max_threads).
  int threads() const noexcept;
  // Human-readable warnings, e.g. a thread cap that breaks isolation.
  std::vector<std::string> warnings() const;
  // "" when this process can start the threads its bulkheads may need (those of every engine,
  // and `spare` more), else why not. oneTBB starts workers as jobs arrive and ends the process
  // when the system refuses one (a thread limit, no address space for a stack): call this before
  // dispatching to get an error instead. It starts those threads once, then ends them.
  std::string check_threads(int spare = 0) const;

  // Cancels every bulkhead (see Bulkhead::cancel).
  void cancel() noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lockstep
