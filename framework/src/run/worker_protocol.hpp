// The messages between lockstep and its worker processes (isolation: process), over a
// socketpair: each is a 4-byte length, then the message as MessagePack. Every message is an
// object whose "t" says what it is:
//
//   lockstep → worker   hello {plugins, memory?, cpu_time_ns?}   once, first
//                       run {type, params, id, index, attempt, item, fields}
//                       cancel                                   the running attempt
//                       input {value?}                           the answer to an input request
//   worker → lockstep   ready | error {message}                  the answer to hello
//                       log {level, line}, output {key, value}   while a job runs, as they come
//                       output {key, values}                     a list (ctx.output(key, list))
//                       input {reference}                        a job's ctx.input()
//                       done {state: ok|failed|cancelled, message}
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "lockstep/plugin/params.hpp"

namespace lockstep::run::worker {

using Message = nlohmann::json;

// False when the other side is gone (it never raises SIGPIPE).
bool send(int fd, const Message& message);
// Nothing at end of file, on an error, or for a message that is not one.
std::optional<Message> receive(int fd);

// Parameters with their types kept: an integer stays an integer, a duration a duration.
Message params_to_message(const Params& params);
Params params_from_message(const Message& message);

}  // namespace lockstep::run::worker
