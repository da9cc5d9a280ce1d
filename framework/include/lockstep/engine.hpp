// lockstep/engine.hpp — the engine: bounded bulkheads, batches as barriers, the dispatcher. All an
// embedder of the engine includes; it needs oneTBB and nothing else (no YAML, no plugins).
//
//   #include <lockstep/engine.hpp>
//   int main() {
//     lockstep::Dispatcher pool(2);                      // 2 workers, a queue of 4,094
//     for (int i = 0; i < 100; ++i) pool.dispatch([i] { /* work */ });
//     lockstep::BatchResult round = pool.wait();        // the barrier: all 100 have ended
//     return round.ok() ? 0 : 1;
//   }
//
// framework/examples/dispatcher_hello.cpp is that program, built and run by a test.
#pragma once

#include "lockstep/engine/batch.hpp"
#include "lockstep/engine/bulkhead.hpp"
#include "lockstep/engine/cancel_token.hpp"
#include "lockstep/engine/dispatcher.hpp"
#include "lockstep/engine/duration_histogram.hpp"
#include "lockstep/engine/engine.hpp"
#include "lockstep/engine/job_state.hpp"
#include "lockstep/engine/task.hpp"
#include "lockstep/version.hpp"
