// The messages between lockstep and its worker processes (isolation: process), over a
// socketpair: each is a 4-byte length, then the message as MessagePack. Every message is an
// object whose "t" says what it is:
//
//   lockstep → worker   hello {plugins, memory?, cpu_time_ns?}   once, first
//                       run {type, params, id, index, attempt, item, fields}
//                       batch {type, params, stage, iteration, job, fans_out, from, to}
//                                 first attempts of instances [from, to), one after another
//                       cancel                                   the running attempt or batch
//                       input {value?}                           the answer to an input request
//   worker → lockstep   ready | error {message}                  the answer to hello
//                       log {index, level, line}, output {index, key, value}
//                                                                while a job runs, as they come
//                       output {index, key, values}              a list (ctx.output(key, list))
//                       input {reference}                        a job's ctx.input()
//                       ended {index, state, message, start_ns, end_ns}
//                                 an instance of a batch that did not succeed, as it ends
//                       done {state: ok|failed|cancelled, message}   the end of a run
//                       done {state: ok, next, restart?}             the end of a batch: [from,
//                                 next) ran; restart: its memory ran out, replace the process
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "lockstep/plugin/params.hpp"

namespace lockstep::run::worker {

using Message = nlohmann::json;

// How far a worker is in a batch, in a page lockstep and the worker share (a memfd, the worker's
// descriptor 5): when the worker dies, lockstep reads which instance it was running and which it
// had not started, so that a crash fails one instance and the rest are neither lost nor run twice.
struct BatchProgress {
  std::atomic<std::uint64_t> running{0};  // 1 + the index of the instance running now; 0 between
  std::atomic<std::uint64_t> next{0};     // the first instance of the batch not started yet
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared between processes");

// A new shared page for a BatchProgress (a close-on-exec memfd), or -1.
int make_batch_progress_file();
// The BatchProgress in that page, mapped into this process; null on failure. Never unmapped: one
// per worker slot, which keeps it for the processes it starts one after another.
BatchProgress* map_batch_progress(int fd);

// False when the other side is gone (it never raises SIGPIPE).
bool send(int fd, const Message& message);
// Nothing at end of file, on an error, or for a message that is not one.
std::optional<Message> receive(int fd);

// Parameters with their types kept: an integer stays an integer, a duration a duration.
Message params_to_message(const Params& params);
Params params_from_message(const Message& message);

}  // namespace lockstep::run::worker
