// lockstep/engine/task.hpp — a unit of work for a bulkhead: a callable and an optional identity.
//
//   lockstep::Task a = [] { compute(); };                                   // id: "<bulkhead>#<n>"
//   lockstep::Task b{"fetch-42", [](const lockstep::CancelToken& c) { fetch(42, c); }};
//
// The callable takes either nothing or a `const CancelToken&`. It signals failure by throwing;
// the engine catches everything, so an exception never leaves the job.
#pragma once

#include <concepts>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "lockstep/engine/cancel_token.hpp"
#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

class Task;

// Something that can run as a task (and is not a Task already: that one is copied).
template <class F>
concept TaskCallable = !std::same_as<std::remove_cvref_t<F>, Task> &&
                       (std::invocable<F&, const CancelToken&> || std::invocable<F&>);

class LOCKSTEP_API Task {
 public:
  Task() = default;

  template <TaskCallable F>
  Task(F&& fn)  // NOLINT(google-explicit-constructor): a lambda is a task
      : fn_(wrap(std::forward<F>(fn))) {}

  template <TaskCallable F>
  Task(std::string id, F&& fn) : id_(std::move(id)), fn_(wrap(std::forward<F>(fn))) {}

  // Empty when the task has no identity of its own; the engine then names it "<bulkhead>#<n>".
  const std::string& id() const noexcept { return id_; }
  explicit operator bool() const noexcept { return static_cast<bool>(fn_); }

  void operator()(const CancelToken& cancel) { fn_(cancel); }

 private:
  template <class F>
  static std::function<void(const CancelToken&)> wrap(F&& fn) {
    if constexpr (std::invocable<F&, const CancelToken&>) {
      return std::forward<F>(fn);
    } else {
      return [f = std::forward<F>(fn)](const CancelToken&) mutable { f(); };
    }
  }

  std::string id_;
  std::function<void(const CancelToken&)> fn_;
};

}  // namespace lockstep
